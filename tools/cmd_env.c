/* telem env: everything a user needs to know to point a build at telem. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "shimpath.h"
#include "week.h"

int cmd_env(struct cli *cli, int argc, char **argv)
{
	int first;
	int rc = simple_options(find_command("env"), argc, argv, &first, 1, cli);
	if (rc >= 0)
		return rc;
	if (first < argc)
		return usage_error("env", "unexpected argument '%s'", argv[first]);
	int64_t asof;
	enum telem_mode mode = mode_read(cli->dir, &asof);
	const char *env_mode = getenv("TELEM_MODE");
	int overridden = mode_from_env(env_mode) == MODE_OFF;
	char date[16] = "", shim[4096] = "";
	struct text t = TEXT_INIT(date, sizeof date);
	if (asof >= 0)
		week_put_date(&t, asof);
	int have_shim = shim_path(shim, sizeof shim) == 0;
	if (cli->json) {
		char crash[1100];
		snprintf(crash, sizeof crash, "%s/crash", cli->dir);
		json_t *o = json_pack("{s:s, s:s?, s:b, s:s, s:s, s:s, s:s?}", "mode", mode_name(mode), "asof",
				      asof >= 0 ? date : NULL, "overridden_off", overridden, "dir", cli->dir,
				      "local", cli->local, "crash", crash, "shim", have_shim ? shim : NULL);
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
		return 0;
	}
	printf("mode:     %s%s%s%s\n", mode_name(mode), asof >= 0 ? " since " : "", date,
	       overridden ? " (overridden: TELEM_MODE=off in this environment)" : "");
	printf("dir:      %s\n", cli->dir);
	printf("counters: %s\n", cli->local);
	printf("crashes:  %s/crash\n", cli->dir);
	printf("uploads:  %s/upload\n", cli->dir);
	if (have_shim) {
		printf("shim:     %s\n\n", shim);
		printf("To count a whole shell session or CI job, add:\n");
		shim_print_preload_line(shim);
		printf("or for one build:\n  telem run -- make\n");
	} else {
		printf("shim:     not found next to this telem\n");
	}
	return 0;
}
