/* telem env: everything a user needs to know to point a build at telem,
 * and where data would go: the collector, the config, the last upload and
 * the reports waiting to be sent. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "history.h"
#include "shimpath.h"
#include "upload.h"
#include "week.h"

/* Reports waiting in DIR/local to be sent ("YYYY-MM-DD.json"). */
static size_t pending_reports(const struct cli *cli)
{
	size_t n = 0;
	DIR *d = opendir(cli->local);
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += history_is_report_name(e->d_name, 0);
	if (d)
		closedir(d);
	return n;
}

struct env_facts {
	enum telem_mode mode;
	int overridden, have_shim, server_ok, have_last;
	char date[16], shim[4096], server[1024], last[1500];
	size_t pending;
};

static void gather(const struct cli *cli, struct env_facts *f)
{
	int64_t asof;
	f->mode = cli_mode_read(cli, &asof);
	f->overridden = mode_from_env(getenv("TELEM_MODE")) == MODE_OFF;
	struct text t = TEXT_INIT(f->date, sizeof f->date);
	f->date[0] = 0;
	if (asof >= 0) {
		week_put_date(&t, asof);
		f->date[10] = 0;
	}
	f->have_shim = shim_path(f->shim, sizeof f->shim) == 0;
	f->server_ok = upload_server(cli->dir, NULL, f->server, sizeof f->server) == 0;
	f->have_last = upload_log_last(cli->dir, f->last, sizeof f->last) == 0;
	f->pending = pending_reports(cli);
}

static int print_json(const struct cli *cli, const struct env_facts *f)
{
	char crash[1100], log[1100];
	snprintf(crash, sizeof crash, "%s/crash", cli->dir);
	snprintf(log, sizeof log, "%s/upload.log", cli->dir);
	json_t *o = json_pack("{s:s, s:s?, s:b, s:s, s:s, s:s, s:s?, s:s, s:b, s:s, s:s?, s:I}", "mode",
			      mode_name(f->mode), "asof", f->date[0] ? f->date : NULL, "overridden_off", f->overridden,
			      "dir", cli->dir, "local", cli->local, "crash", crash, "shim", f->have_shim ? f->shim : NULL,
			      "server", f->server, "server_valid", f->server_ok, "upload_log", log, "last_upload",
			      f->have_last ? f->last : NULL, "pending_reports", (json_int_t)f->pending);
	json_dumpf(o, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(o);
	return 0;
}

int cmd_env(struct cli *cli, int argc, char **argv)
{
	int first;
	int rc = simple_options(find_command("env"), argc, argv, &first, 1, cli);
	if (rc >= 0)
		return rc;
	if (first < argc)
		return usage_error("env", "unexpected argument '%s'", argv[first]);
	struct env_facts f;
	gather(cli, &f);
	if (cli->json)
		return print_json(cli, &f);
	printf("mode:     %s%s%s%s\n", mode_name(f.mode), f.date[0] ? " since " : "", f.date,
	       f.overridden ? " (overridden: TELEM_MODE=off in this environment)" : "");
	printf("dir:      %s\n", cli->dir);
	printf("counters: %s\n", cli->local);
	printf("crashes:  %s/crash\n", cli->dir);
	printf("uploads:  %s/upload\n", cli->dir);
	printf("server:   %s%s\n", f.server, f.server_ok ? "" : " (not an http:// or https:// URL)");
	printf("config:   %s/config (unless %s/upload.config.json exists)\n", f.server, cli->dir);
	printf("last upload: %s\n", f.have_last ? f.last : "none");
	printf("pending reports: %zu%s\n", f.pending, f.mode == MODE_ON ? "" : " (mode is not on: none is sent)");
	if (f.have_shim) {
		printf("shim:     %s\n\n", f.shim);
		printf("To count a whole shell session or CI job, add:\n");
		shim_print_preload_line(f.shim);
		printf("or for one build:\n  telem run -- make\n");
	} else {
		printf("shim:     not found next to this telem\n");
	}
	return 0;
}
