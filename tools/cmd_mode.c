/* telem on | off | local: the mode file, "<mode> <YYYY-MM-DD>" (Go's format). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "week.h"

static const char explanation[] =
	"telem: telemetry uploading is on.\n\n"
	"telem counts how your native tools are used (programs, versions, flag names,\n"
	"exit codes, time and memory buckets) and how they crash (stacks of function\n"
	"names). It never records paths, file names, argument values, user or host\n"
	"names. With uploading on, once a week the counters named in the public\n"
	"upload config are sent as a small JSON report; everything else stays on\n"
	"this machine. Only data collected from today on is uploaded.\n\n"
	"To see what is collected: telem dump. To stop: telem off (or set\n"
	"TELEM_MODE=off); to keep data local only: telem local.\n";

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
	if (strcmp(mode, "on") == 0)
		fputs(explanation, stdout);
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
