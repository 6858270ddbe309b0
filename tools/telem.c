/* telem: the command table and dispatch, nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "privdir.h"

const struct command telem_commands[] = {
	{"run", cmd_run, "run a build under the shim and summarize it", USAGE_RUN, READS_NOTHING},
	{"summary", cmd_summary, "the per-program table for collected counters", USAGE_SUMMARY, READS_DIR_UNLESS_OPERANDS},
	{"on", cmd_on, "allow weekly uploads of the approved counters", USAGE_ON, READS_NOTHING},
	{"off", cmd_off, "stop collecting; the shim opens nothing", USAGE_OFF, READS_NOTHING},
	{"local", cmd_local, "collect locally, never upload (the default)", USAGE_LOCAL, READS_NOTHING},
	{"env", cmd_env, "show mode, directories and the LD_PRELOAD line", USAGE_ENV, READS_NOTHING},
	{"dump", cmd_dump, "show counter files (meta and counters)", USAGE_DUMP, READS_DIR_UNLESS_OPERANDS},
	{"crashes", cmd_crashes, "crash stacks with counts, program, first and last seen", USAGE_CRASHES, READS_DIR},
	{"view", cmd_view, "the counters as one HTML page with weekly charts", USAGE_VIEW, READS_DIR},
	{"csv", cmd_csv, "every counter as CSV, one line per counter and week", USAGE_CSV, READS_DIR},
	{"report", cmd_report, "turn finished weeks into reports (Go's format)", USAGE_REPORT, READS_DIR},
	{"upload", cmd_upload, "send reports to the collector (mode on only)", USAGE_UPLOAD, READS_NOTHING},
	{"export", cmd_export, "the counters in Prometheus' text format", USAGE_EXPORT, READS_DIR},
	{"push", cmd_push, "push the counters to a Prometheus Pushgateway", USAGE_PUSH, READS_DIR},
	{"clean", cmd_clean, "delete collected data, keep mode and weekends", USAGE_CLEAN, READS_DIR},
	{NULL, NULL, NULL, NULL, READS_NOTHING},
};

#ifndef TELEM_VERSION
#define TELEM_VERSION "0.3"
#endif

static void print_help(FILE *out)
{
	fputs("usage: telem [--dir DIR] COMMAND [ARGS]\n"
	      "       telem --version | --help | help COMMAND\n\n"
	      "telem counts how native toolchains are used, into counter files under\n"
	      "DIR (default: $TELEM_DIR, else ${XDG_CONFIG_HOME:-$HOME/.config}/telem).\n\n"
	      "commands:\n", out);
	for (const struct command *c = telem_commands; c->name; c++)
		fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fputs("\nrun 'telem help COMMAND' (or 'telem COMMAND --help') for a command's options\n", out);
}

/* Edit distance, for "did you mean": names are short, so the plain table. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];
	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			best = up + 1 < best ? up + 1 : best;
			best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

static int unknown_command(const char *name)
{
	const struct command *best = NULL;
	size_t best_d = 3;
	for (const struct command *c = telem_commands; c->name; c++) {
		size_t d = strncmp(c->name, name, strlen(name)) == 0 && strlen(name) >= 2 ? 1 : distance(name, c->name);
		if (d < best_d)
			best = c, best_d = d;
	}
	if (best)
		return usage_error(NULL, "unknown command '%s'; did you mean '%s'?", name, best->name);
	return usage_error(NULL, "unknown command '%s'", name);
}

/* 'telem help [COMMAND]' */
static int help(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stdout);
		return 0;
	}
	const struct command *cmd = find_command(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	fputs(cmd->usage, stdout);
	return 0;
}

static int asks_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* A command that reads the telem directory needs one: a missing or wrong
 * directory is an error, not an empty table. */
static int check_dir(const struct command *cmd, const struct cli *cli, int argc, char **argv)
{
	if (cmd->reads == READS_NOTHING || asks_help(argc, argv))
		return 0;
	if (cmd->reads == READS_DIR_UNLESS_OPERANDS)
		for (int i = 1; i < argc; i++)
			if (argv[i][0] != '-' || strcmp(argv[i], "--") == 0)
				return 0; /* the command reads what it is given */
	struct stat st;
	if (stat(cli->dir, &st) < 0)
		return fail(cli->dir, "%s%s", strerror(errno),
			    errno == ENOENT ? " (no telem directory: nothing was collected here)" : "");
	if (!S_ISDIR(st.st_mode))
		return fail(cli->dir, "not a directory");
	return 0;
}

/* Takes "--dir DIR" / "--dir=DIR" out of argv, wherever it stands before "--". */
static int take_dir_option(int *argc, char **argv, const char **dir)
{
	int out = 0;
	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--dir") == 0) {
			if (i + 1 >= *argc)
				return -1;
			*dir = argv[++i];
		} else if (strncmp(argv[i], "--dir=", 6) == 0) {
			*dir = argv[i] + 6;
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {.prog = "telem"};
	const char *dir = getenv("TELEM_DIR");
	argc--, argv++;
	if (take_dir_option(&argc, argv, &dir) < 0)
		return usage_error(NULL, "--dir needs a directory");
	if (argc == 0) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		print_help(stdout);
		return 0;
	}
	if (strcmp(argv[0], "help") == 0)
		return help(argc, argv);
	if (strcmp(argv[0], "--version") == 0 || strcmp(argv[0], "-V") == 0) {
		printf("telem %s\n", TELEM_VERSION);
		return 0;
	}
	if (argv[0][0] == '-')
		return usage_error(NULL, "unknown option '%s'", argv[0]);
	const struct command *cmd = find_command(argv[0]);
	if (!cmd)
		return unknown_command(argv[0]);
	char abs_dir[1024];
	if (dir && dir == getenv("TELEM_DIR") && dir[0] && dir[0] != '/')
		return fail(dir, "TELEM_DIR must be an absolute path (the shim ignores a relative one)");
	if (dir && dir[0] && dir[0] != '/') { /* --dir relative to here */
		if (!realpath(".", abs_dir) || strlen(abs_dir) + strlen(dir) + 2 > sizeof abs_dir)
			return fail(dir, "cannot resolve the directory");
		strcat(abs_dir, "/");
		strcat(abs_dir, dir);
		dir = abs_dir;
	}
	if (mode_dir(cli.dir, sizeof cli.dir, dir, getenv("XDG_CONFIG_HOME"), getenv("HOME")) < 0)
		return fail(NULL, "no telem directory: set TELEM_DIR or HOME");
	snprintf(cli.local, sizeof cli.local, "%s/local", cli.dir);
	if (check_dir(cmd, &cli, argc, argv) != 0 || privdir_check(cli.dir))
		return 1;
	return cmd->run(&cli, argc, argv);
}
