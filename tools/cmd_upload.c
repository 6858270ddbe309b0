/* telem upload [--now] [--background] [--server URL] [--cafile FILE]
 * [--timeout SECONDS]: in mode on only, the report step, then every report
 * waiting in DIR/local is sent. In mode local or off nothing is sent and no
 * socket is opened: the mode is checked before anything else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "ingest.h"
#include "report.h"
#include "upload.h"

#define DEFAULT_TIMEOUT_MS 30000L

struct upload_args {
	int now, background;
	const char *server, *cafile, *timeout;
};

static int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

/* Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct upload_args *a)
{
	static const char *const names[] = {"--server", "--cafile", "--timeout"};
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char **slots[] = {&a->server, &a->cafile, &a->timeout};
		int took = 0;
		for (int k = 0; k < 3 && !took; k++)
			if ((took = option_value(argc, argv, &i, names[k], slots[k])) < 0)
				return usage_error("upload", "%s needs a value", names[k]);
		if (took)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(USAGE_UPLOAD, stdout);
			return 0;
		} else if (strcmp(argv[i], "--now") == 0) {
			a->now = 1;
		} else if (strcmp(argv[i], "--background") == 0) {
			a->background = 1;
		} else {
			return usage_error("upload", "unexpected argument '%s'", argv[i]);
		}
	}
	return -1;
}

/* --timeout, else $TELEM_UPLOAD_TIMEOUT (seconds, decimals allowed). */
static long timeout_ms(const char *option)
{
	const char *s = option ? option : getenv("TELEM_UPLOAD_TIMEOUT");
	if (!s || !*s)
		return DEFAULT_TIMEOUT_MS;
	char *end;
	double v = strtod(s, &end);
	if (*end || !(v > 0) || v > 3600)
		return -1;
	long ms = (long)(v * 1000 + 0.5);
	return ms < 1 ? 1 : ms;
}

static int setup(struct cli *cli, const struct upload_args *a, struct upload_options *o)
{
	o->quiet = a->background;
	o->cafile = a->cafile;
	o->timeout_ms = timeout_ms(a->timeout);
	if (o->timeout_ms < 0)
		return usage_error("upload", "the timeout must be a number of seconds (at most 3600)");
	if (upload_server(cli->dir, a->server, o->server, sizeof o->server) < 0)
		return o->quiet ? 1 : fail(o->server, "not an http:// or https:// URL");
	if (a->cafile && access(a->cafile, R_OK) < 0)
		return o->quiet ? 1 : fail(a->cafile, "cannot read: %s", strerror(errno));
	if (make_dirs(cli->local) < 0)
		return o->quiet ? 1 : fail(cli->local, "cannot create directory: %s", strerror(errno));
	/* A local config that does not parse stops everything, said now (even
	 * when no week is due yet) rather than left for a later day. */
	char override[1200];
	struct upload_config cfg;
	snprintf(override, sizeof override, "%s/upload.config.json", cli->dir);
	if (access(override, F_OK) == 0) {
		int rc = config_load(cli->dir, o->quiet, &cfg);
		if (rc == 0)
			config_free(&cfg);
		else
			return 1;
	}
	return -1;
}

struct fetch {
	struct cli *cli;
	const struct upload_options *o;
	int asked, fetched, rc; /* whether a config was needed, fetched, config_load's answer */
};

/* The config in force: the collector's, fetched now unless the local file
 * overrides it, else the last one fetched. */
static int fetch_config(void *arg, struct upload_config *cfg)
{
	struct fetch *f = arg;
	char override[1200];
	snprintf(override, sizeof override, "%s/upload.config.json", f->cli->dir);
	f->asked = 1;
	f->fetched = access(override, F_OK) == 0 || upload_fetch_config(f->cli->dir, f->o) == 0;
	/* on failure, the cache will do */
	return f->rc = config_load(f->cli->dir, f->o->quiet, cfg);
}

/* The last word, on stderr: what was sent where, or why nothing was. */
static int conclude(const struct fetch *f, const struct upload_tally *t, int status)
{
	const struct upload_options *o = f->o;
	if (f->asked && f->rc != 0) {
		if (!o->quiet)
			fprintf(stderr, "telem: nothing sent to %s: %s\n", o->server,
				f->rc < 0 ? "the upload config does not parse (see above)"
				: f->fetched ? "no upload config"
					     : "no upload config: it could not be fetched (see above); the week waits");
		return 1;
	}
	if (o->quiet)
		return status;
	if (t->sent)
		fprintf(stderr, "telem: %zu report%s sent to %s\n", t->sent, t->sent == 1 ? "" : "s", o->server);
	else if (t->kept)
		fprintf(stderr, "telem: nothing could be sent to %s: %s\n", o->server, t->last_error);
	else if (!t->dropped)
		fprintf(stderr, "telem: nothing to send (no report is due; 'telem upload --now' sends the week so far)\n");
	return status;
}

static int upload_locked(struct cli *cli, const struct upload_args *a, const struct upload_options *o, int64_t asof)
{
	int status = ingest_pending(cli->dir);
	struct fetch f = {cli, o, 0, 0, 0};
	struct config_source src = {fetch_config, &f};
	struct report_options ro = {.now = a->now, .quiet = o->quiet};
	status |= report_run(cli->dir, &src, &ro);
	status |= upload_pending(cli->dir, o, asof);
	return conclude(&f, o->tally, status);
}

int cmd_upload(struct cli *cli, int argc, char **argv)
{
	struct upload_args a;
	struct upload_tally tally = {0};
	struct upload_options o = {.quiet = 0, .dir = cli->dir, .tally = &tally};
	int rc = parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	int64_t asof;
	enum telem_mode mode = cli_mode_read(cli, &asof);
	int env = mode_from_env(getenv("TELEM_MODE"));
	if (env >= 0)
		mode = (enum telem_mode)env; /* never MODE_ON: the environment can only take uploading away */
	if (mode != MODE_ON) {
		if (!a.background)
			fprintf(stderr, "telem: mode is %s: nothing is uploaded (see 'telem on --help')\n",
				mode_name(mode));
		return 0;
	}
	if ((rc = setup(cli, &a, &o)) >= 0)
		return rc;
	int lock = upload_lock(cli->dir, !a.background);
	if (lock < 0) {
		if (errno == EWOULDBLOCK)
			return 0; /* another uploader is at work: it sends what there is */
		return o.quiet ? 1 : fail(cli->local, "cannot lock upload.lock: %s", strerror(errno));
	}
	rc = upload_locked(cli, &a, &o, asof);
	close(lock);
	return rc;
}
