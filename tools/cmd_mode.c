/* telem on | off | local: the mode file, "<mode> <YYYY-MM-DD>" (Go's format). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "consent.h"
#include "shimpath.h"
#include "week.h"


static int set_mode(struct cli *cli, const struct command *cmd, int argc, char **argv, const char *mode)
{
	int first;
	int rc = simple_options(cmd, argc, argv, &first, 0, cli);
	if (rc >= 0)
		return rc;
	if (first < argc)
		return usage_error(cmd->name, "unexpected argument '%s'", argv[first]);
	if (make_dirs(cli->dir) < 0)
		return fail(cli->dir, "cannot create directory: %s", strerror(errno));
	char line[64], path[1100];
	char date[16];
	struct text t = TEXT_INIT(date, sizeof date);
	week_put_date(&t, today_days());
	snprintf(line, sizeof line, "%s %s\n", mode, date);
	snprintf(path, sizeof path, "%s/mode", cli->dir);
	if (write_file_atomic(path, line, strlen(line), 0644) < 0)
		return fail(path, "cannot write the mode file: %s", strerror(errno));
	if (strcmp(mode, "on") == 0) {
		printf("telem: uploading is on; only weeks that begin after today are uploaded.\n\n%s",
		       consent_explanation);
		char shim[4096];
		if (shim_path(shim, sizeof shim) == 0) {
			printf("\nTo count every program of a shell session or CI job:\n");
			shim_print_preload_line(shim);
		}
	}
	return 0;
}

int cmd_on(struct cli *cli, int argc, char **argv)
{
	return set_mode(cli, find_command("on"), argc, argv, "on");
}

int cmd_off(struct cli *cli, int argc, char **argv)
{
	return set_mode(cli, find_command("off"), argc, argv, "off");
}

int cmd_local(struct cli *cli, int argc, char **argv)
{
	return set_mode(cli, find_command("local"), argc, argv, "local");
}
