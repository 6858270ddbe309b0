/* telem view [--out FILE.html | --serve 127.0.0.1:PORT]: the week's data as
 * one self-contained HTML page (view_html.h), written atomically to a file
 * (default DIR/view.html) or served on a loopback address. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "ingest.h"
#include "view_html.h"
#include "view_serve.h"
#include "upload.h"

struct view_options {
	const char *out, *serve, *server;
	int fetch_config;
};

/* "--name VALUE" or "--name=VALUE" at argv[*i]; NULL when it is not name. */
static const char *option_value(int argc, char **argv, int *i, const char *name, int *missing)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != 0)
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static int parse(int argc, char **argv, struct view_options *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		int missing = 0;
		const char *v;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(USAGE_VIEW, stdout);
			return 0;
		} else if ((v = option_value(argc, argv, &i, "--out", &missing))) {
			o->out = v;
		} else if ((v = option_value(argc, argv, &i, "--serve", &missing))) {
			o->serve = v;
		} else if ((v = option_value(argc, argv, &i, "--server", &missing))) {
			o->server = v;
		} else if (strcmp(argv[i], "--fetch-config") == 0) {
			o->fetch_config = 1;
		} else if (missing) {
			return usage_error("view", "%s needs a value", argv[i]);
		} else {
			return usage_error("view", "unexpected argument '%s'", argv[i]);
		}
	}
	if (o->out && o->serve)
		return usage_error("view", "--out and --serve are alternatives");
	if ((o->out && !*o->out) || (o->serve && !*o->serve))
		return usage_error("view", "an empty value for --out or --serve");
	if (o->server && !o->fetch_config)
		return usage_error("view", "--server goes with --fetch-config");
	return -1;
}

/* The config in force, as config.h defines it, and which file it is. */
static int load_config(const struct cli *cli, struct upload_config *c, struct view_input *in, char *path,
		       size_t cap)
{
	snprintf(path, cap, "%s/upload.config.json", cli->dir);
	if (access(path, F_OK) != 0)
		snprintf(path, cap, "%s/config.cache.json", cli->dir);
	in->config_path = path;
	int rc = config_load(cli->dir, 0, c);
	if (rc == 0)
		in->config = c;
	else if (rc < 0)
		in->config_problem = "it does not parse; telem view printed why on stderr";
	return rc < 0;
}

/* Everything the page needs, read afresh: the same for --out and each
 * request of --serve. Returns 0, or 1 when something could not be read. */
static int make_page(void *arg, struct hbuf *out)
{
	const struct cli *cli = arg;
	struct view_model m;
	struct upload_config config;
	struct view_report *reports;
	char config_path[1200];
	struct view_input in = {.dir = cli->dir, .model = &m};
	int status = ingest_pending(cli->dir); /* crash records become stacks first */
	status |= view_model_load(&m, cli->local, today_days());
	status |= view_reports_load(cli->local, &reports, &in.n_reports);
	in.reports = reports;
	status |= load_config(cli, &config, &in, config_path, sizeof config_path);
	in.mode = mode_read(cli->dir, &in.mode_since);
	in.mode_env_off = mode_from_env(getenv("TELEM_MODE")) == MODE_OFF;
	char server[1024];
	if (upload_server(cli->dir, NULL, server, sizeof server) == 0)
		in.server = server;
	view_page(out, &in);
	if (in.config)
		config_free(&config);
	view_reports_free(reports, in.n_reports);
	view_model_free(&m);
	return status;
}

static int write_page(struct cli *cli, const char *out)
{
	char path[1200];
	if (!out) {
		if (make_dirs(cli->dir) < 0)
			return fail(cli->dir, "cannot create: %s", strerror(errno));
		snprintf(path, sizeof path, "%s/view.html", cli->dir);
		out = path;
	}
	struct hbuf page = {0};
	int status = make_page(cli, &page);
	if (write_file_atomic(out, page.data, page.len, 0644) < 0)
		status = fail(out, "cannot write: %s", strerror(errno));
	else
		printf("%s\n", out);
	hb_free(&page);
	return status;
}

/* --fetch-config: the collector's public config, into DIR/config.cache.json,
 * so that the page shows what uploading would send. Only on this explicit
 * request, and it sends nothing: a GET of a public file. */
static int fetch_config(struct cli *cli, const struct view_options *vo)
{
	struct upload_options o = {.timeout_ms = 30000, .dir = NULL};
	if (upload_server(cli->dir, vo->server, o.server, sizeof o.server) < 0)
		return fail(o.server, "not an http:// or https:// URL");
	if (make_dirs(cli->dir) < 0)
		return fail(cli->dir, "cannot create: %s", strerror(errno));
	if (upload_fetch_config(cli->dir, &o) != 0)
		return 1;
	fprintf(stderr, "telem: fetched %s/config into %s/config.cache.json (nothing was sent)\n", o.server, cli->dir);
	return 0;
}

int cmd_view(struct cli *cli, int argc, char **argv)
{
	struct view_options o;
	int rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.fetch_config && fetch_config(cli, &o) != 0)
		return 1;
	if (o.serve)
		return view_serve(o.serve, make_page, cli);
	return write_page(cli, o.out);
}
