/* telem summary [--json] [DIR]: the table `telem run` prints, for any
 * directory of counter files (default: DIR/local, the whole week so far). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "ingest.h"
#include "summary.h"

/* LOCALDIR must be a directory of counter files: a missing path, a file,
 * or a telem directory (whose counters are in its local/) would give an
 * empty table that looks like a success. */
static int check_local_dir(const char *dir)
{
	struct stat st;
	char sub[4200];
	if (stat(dir, &st) < 0)
		return fail(dir, "%s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(dir, "not a directory (summary reads a directory of counter files)");
	snprintf(sub, sizeof sub, "%s/local", dir);
	if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
		return fail(dir, "a telem directory: its counters are in %s (or run 'telem --dir %s summary')", sub,
			    dir);
	return 0;
}

int cmd_summary(struct cli *cli, int argc, char **argv)
{
	int first;
	int rc = simple_options(find_command("summary"), argc, argv, &first, 1, cli);
	if (rc >= 0)
		return rc;
	if (argc - first > 1)
		return usage_error("summary", "at most one directory");
	const char *local = first < argc ? argv[first] : cli->local;
	if (first < argc && check_local_dir(local) != 0)
		return 1;
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
