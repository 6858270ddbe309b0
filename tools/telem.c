/* telem: the command table and dispatch, nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "privdir.h"

const struct command telem_commands[] = {
	{"run", cmd_run, "run a build under the shim and summarize it", USAGE_RUN},
	{"summary", cmd_summary, "the per-program table for collected counters", USAGE_SUMMARY},
	{"on", cmd_on, "allow weekly uploads of the approved counters", USAGE_ON},
	{"off", cmd_off, "stop collecting; the shim opens nothing", USAGE_OFF},
	{"local", cmd_local, "collect locally, never upload (the default)", USAGE_LOCAL},
	{"env", cmd_env, "show mode, directories and the LD_PRELOAD line", USAGE_ENV},
	{"dump", cmd_dump, "show counter files (meta and counters)", USAGE_DUMP},
	{"crashes", cmd_crashes, "crash stacks with counts, program, first and last seen", USAGE_CRASHES},
	{"view", cmd_view, "the counters as one HTML page with weekly charts", USAGE_VIEW},
	{"csv", cmd_csv, "every counter as CSV, one line per counter and week", USAGE_CSV},
	{"report", cmd_report, "turn finished weeks into reports (Go's format)", USAGE_REPORT},
	{"upload", cmd_upload, "send reports to the collector (mode on only)", USAGE_UPLOAD},
	{"export", cmd_export, "the counters in Prometheus' text format", USAGE_EXPORT},
	{"push", cmd_push, "push the counters to a Prometheus Pushgateway", USAGE_PUSH},
	{"clean", cmd_clean, "delete collected data, keep mode and weekends", USAGE_CLEAN},
	{NULL, NULL, NULL, NULL},
};

static void print_help(FILE *out)
{
	fputs("usage: telem [--dir DIR] COMMAND [ARGS]\n\n"
	      "telem counts how native toolchains are used, into counter files under\n"
	      "DIR (default: $TELEM_DIR, else ${XDG_CONFIG_HOME:-$HOME/.config}/telem).\n\n"
	      "commands:\n", out);
	for (const struct command *c = telem_commands; c->name; c++)
		fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fputs("\nrun 'telem COMMAND --help' for a command's options\n", out);
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
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0) {
		print_help(stdout);
		return 0;
	}
	const struct command *cmd = find_command(argv[0]);
	if (!cmd)
		return usage_error(NULL, "unknown command '%s'", argv[0]);
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
	if (privdir_check(cli.dir))
		return 1;
	return cmd->run(&cli, argc, argv);
}
