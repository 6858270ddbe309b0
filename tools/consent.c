#define _GNU_SOURCE
#include "consent.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "upload.h"
#include "week.h"

#define DEFAULT_TIMEOUT_S 60

void consent_explain(FILE *out, const struct cli *cli)
{
	char server[1024];
	if (upload_server(cli->dir, NULL, server, sizeof server) < 0)
		snprintf(server, sizeof server, "%s (not a valid URL: nothing can be sent)", UPLOAD_DEFAULT_SERVER);
	fprintf(out,
		"telem counts how your native tools are used: programs, versions (build-ids),\n"
		"flag names, exit codes, time and memory buckets, and the stacks of crashes\n"
		"(function names only). It never records paths, file names, argument values,\n"
		"user or host names. Everything stays in %s\n"
		"unless uploading is on: then, once a week, only the counters named in the\n"
		"public upload config (%s/config) are sent as a small JSON\n"
		"report to the collector %s; %s.\n"
		"See what would be sent first: telem view --fetch-config.\n"
		"Change it any time: telem on | telem local | telem off (or TELEM_MODE=off).\n",
		cli->dir, server, server, CONSENT_CUTOFF);
}

int consent_write_mode(const struct cli *cli, const char *mode, int64_t date)
{
	char line[64], path[1100], day[16];
	struct text t = TEXT_INIT(day, sizeof day);
	week_put_date(&t, date);
	day[10] = 0;
	snprintf(line, sizeof line, "%s %s\n", mode, day);
	snprintf(path, sizeof path, "%s/mode", cli->dir);
	if (make_dirs(cli->dir) < 0)
		return fail(cli->dir, "cannot create directory: %s", strerror(errno));
	if (write_file_atomic(path, line, strlen(line), 0644) < 0)
		return fail(path, "cannot write the mode file: %s", strerror(errno));
	return 0;
}

static int timeout_ms(void)
{
	const char *s = getenv("TELEM_CONSENT_TIMEOUT");
	double v = s && *s ? strtod(s, NULL) : DEFAULT_TIMEOUT_S;
	return v > 0 && v < 86400 ? (int)(v * 1000) : DEFAULT_TIMEOUT_S * 1000;
}

/* One line from the terminal, or "" when none came in time. */
static void read_answer(char *answer, size_t cap)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	size_t n = 0;
	answer[0] = 0;
	if (poll(&p, 1, timeout_ms()) <= 0) {
		fputs("\ntelem: no answer in time: taken as no\n", stderr);
		return;
	}
	ssize_t r = read(STDIN_FILENO, answer, cap - 1); /* a terminal gives one line a read */
	n = r > 0 ? (size_t)r : 0;
	answer[n] = 0;
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
	consent_explain(stderr, cli);
	fprintf(stderr, "\nUpload weekly telemetry reports? [y/N] ");
	fflush(stderr);
	char answer[64];
	read_answer(answer, sizeof answer);
	int yes = answer[0] == 'y' || answer[0] == 'Y';
	if (consent_write_mode(cli, yes ? "on" : "local", today_days()) != 0)
		return;
	if (yes)
		fprintf(stderr, "telem: uploading is on (recorded in %s); %s\n", path, CONSENT_CUTOFF);
	else
		fprintf(stderr,
			"telem: not uploading: counters are still collected, here only (mode local,\n"
			"recorded in %s). 'telem on' uploads, 'telem off' stops collecting.\n",
			path);
}
