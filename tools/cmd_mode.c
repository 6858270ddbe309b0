/* telem on | off | local: the mode file, "<mode> <YYYY-MM-DD>" (Go's format).
 * As Go does, choosing the mode already in force changes nothing: the date
 * stays (a provisioning script that runs 'telem on' every day must not
 * keep moving the day uploading began). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "consent.h"
#include "history.h"
#include "shimpath.h"
#include "week.h"

/* Does dir hold anything counted: counter files, local reports, crash records? */
static int has_data(const struct cli *cli)
{
	char crash[1100];
	snprintf(crash, sizeof crash, "%s/crash", cli->dir);
	const char *dirs[2] = {cli->local, crash};
	for (int i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct dirent *e;
		int found = 0;
		while (!found && (e = readdir(d))) {
			size_t l = strlen(e->d_name);
			found = i == 1 ? l > 4 && strcmp(e->d_name + l - 4, ".rec") == 0
				       : (l > 9 && strcmp(e->d_name + l - 9, ".v1.count") == 0) ||
						 history_is_report_name(e->d_name, 1);
		}
		closedir(d);
		if (found)
			return 1;
	}
	return 0;
}

static void print_date(char out[16], int64_t days)
{
	struct text t = TEXT_INIT(out, 16);
	week_put_date(&t, days);
	out[10] = 0;
}

static int set_mode(struct cli *cli, const struct command *cmd, int argc, char **argv, enum telem_mode want)
{
	int first;
	int rc = simple_options(cmd, argc, argv, &first, 0, cli);
	if (rc >= 0)
		return rc;
	if (first < argc)
		return usage_error(cmd->name, "unexpected argument '%s'", argv[first]);
	int64_t asof, today = today_days();
	char date[16];
	if (cli_mode_read(cli, &asof) == want && asof >= 0) {
		print_date(date, asof);
		printf("telem: the mode is already %s (since %s); nothing changed\n", cmd->name, date);
		if (want == MODE_ON)
			putchar('\n'), consent_explain(stdout, cli);
		return 0;
	}
	/* Go's rule: nothing from the day of the choice or before is uploaded.
	 * A directory holding no data has nothing from before the choice: then
	 * today's data may go (so 'telem on; make; telem upload --now' works). */
	int64_t day = want == MODE_ON && !has_data(cli) ? today - 1 : today;
	if (consent_write_mode(cli, cmd->name, day) != 0)
		return 1;
	if (want == MODE_ON) {
		print_date(date, day + 1);
		printf("telem: uploading is on: data collected from %s on may be uploaded; %s.\n\n", date,
		       CONSENT_CUTOFF);
		consent_explain(stdout, cli);
		char shim[4096];
		if (shim_path(shim, sizeof shim) == 0) {
			printf("\nTo count every program of a shell session or CI job:\n");
			shim_print_preload_line(shim);
		}
	} else if (want == MODE_LOCAL) {
		printf("telem: mode local: counters are collected here only, never uploaded\n");
	} else {
		printf("telem: mode off: nothing is collected and nothing is uploaded\n");
	}
	return 0;
}

int cmd_on(struct cli *cli, int argc, char **argv)
{
	return set_mode(cli, find_command("on"), argc, argv, MODE_ON);
}

int cmd_off(struct cli *cli, int argc, char **argv)
{
	return set_mode(cli, find_command("off"), argc, argv, MODE_OFF);
}

int cmd_local(struct cli *cli, int argc, char **argv)
{
	return set_mode(cli, find_command("local"), argc, argv, MODE_LOCAL);
}
