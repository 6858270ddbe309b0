/* telem report: the report step on its own (report.h). It never touches the
 * network: in mode on it filters with the config in force (the local
 * override, else the last one `telem upload` fetched). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "ingest.h"
#include "report.h"
#include "upload.h"

static int load_local(void *dir, struct upload_config *cfg) { return config_load(dir, 0, cfg); }

int cmd_report(struct cli *cli, int argc, char **argv)
{
	int first;
	int rc = simple_options(find_command("report"), argc, argv, &first, 0, cli);
	if (rc >= 0)
		return rc;
	if (first < argc)
		return usage_error("report", "unexpected argument '%s'", argv[first]);
	if (make_dirs(cli->local) < 0)
		return fail(cli->local, "cannot create directory: %s", strerror(errno));
	int lock = upload_lock(cli->dir, 1);
	if (lock < 0)
		return fail(cli->local, "cannot lock upload.lock: %s", strerror(errno));
	int status = ingest_pending(cli->dir);
	struct config_source src = {load_local, cli->dir};
	struct report_options o = {0};
	status |= report_run(cli->dir, &src, &o);
	close(lock);
	return status;
}
