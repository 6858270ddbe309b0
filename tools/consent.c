#include "consent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "week.h"

const char consent_explanation[] =
	"telem counts how your native tools are used: programs, versions (build-ids),\n"
	"flag names, exit codes, time and memory buckets, and the stacks of crashes\n"
	"(function names only). It never records paths, file names, argument values,\n"
	"user or host names. Everything stays in ~/.config/telem unless uploading is\n"
	"on: then, once a week, only the counters named in the public upload config\n"
	"are sent as a small JSON report to the collector.\n"
	"Change it any time: telem on | telem local | telem off (or TELEM_MODE=off).\n";

static int write_mode(struct cli *cli, const char *mode)
{
	char line[64], path[1100], date[16];
	struct text t = TEXT_INIT(date, sizeof date);
	week_put_date(&t, today_days());
	snprintf(line, sizeof line, "%s %s\n", mode, date);
	snprintf(path, sizeof path, "%s/mode", cli->dir);
	if (make_dirs(cli->dir) < 0 || write_file_atomic(path, line, strlen(line), 0644) < 0)
		return fail(path, "cannot write the mode file: %s", strerror(errno));
	return 0;
}

void consent_maybe_ask(struct cli *cli)
{
	char path[1100];
	struct stat st;
	snprintf(path, sizeof path, "%s/mode", cli->dir);
	if (stat(path, &st) == 0 || errno != ENOENT)
		return; /* a mode was chosen (or we cannot tell): never ask again */
	const char *ci = getenv("CI");
	if ((ci && *ci) || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "%s\nUpload weekly telemetry reports? [y/N] ", consent_explanation);
	fflush(stderr);
	char answer[16] = "";
	if (!fgets(answer, sizeof answer, stdin))
		answer[0] = 0;
	int yes = answer[0] == 'y' || answer[0] == 'Y';
	if (write_mode(cli, yes ? "on" : "local") == 0)
		fprintf(stderr, "telem: uploading is %s (recorded in %s)\n", yes ? "on" : "off; data stays local",
			path);
}
