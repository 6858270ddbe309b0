/* telem summary [--json] [DIR]: the table `telem run` prints, for any
 * directory of counter files (default: DIR/local, the whole week so far). */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "ingest.h"
#include "summary.h"

int cmd_summary(struct cli *cli, int argc, char **argv)
{
	int first;
	int rc = simple_options(find_command("summary"), argc, argv, &first, 1, cli);
	if (rc >= 0)
		return rc;
	if (argc - first > 1)
		return usage_error("summary", "at most one directory");
	const char *local = first < argc ? argv[first] : cli->local;
	int status = first < argc ? 0 : ingest_pending(cli->dir);
	struct summary s;
	status |= summary_load(local, &s);
	if (cli->json) {
		json_t *j = summary_json(&s, local, 0, 0);
		json_object_del(j, "status");
		json_object_del(j, "seconds");
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		summary_print(stdout, &s, local, -1);
	}
	summary_free(&s);
	return status;
}
