/* One file per command; each takes argv starting at its own name. */
#ifndef TELEM_COMMANDS_H
#define TELEM_COMMANDS_H

#include "cli.h"

int cmd_on(struct cli *cli, int argc, char **argv);
int cmd_off(struct cli *cli, int argc, char **argv);
int cmd_local(struct cli *cli, int argc, char **argv);
int cmd_env(struct cli *cli, int argc, char **argv);
int cmd_dump(struct cli *cli, int argc, char **argv);
int cmd_clean(struct cli *cli, int argc, char **argv);
int cmd_crashes(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);

#define USAGE_ON \
	"usage: telem on\n\n" \
	"Allows telem to upload, once a week, the counters and crash stacks named in\n" \
	"the public upload config. Only data collected from today on is uploaded.\n"
#define USAGE_OFF \
	"usage: telem off\n\n" \
	"Stops all collection: the shim opens nothing and nothing is uploaded.\n" \
	"TELEM_MODE=off in the environment does the same for one process tree.\n"
#define USAGE_LOCAL \
	"usage: telem local\n\n" \
	"Collects counters into local files only; nothing ever leaves the machine.\n" \
	"This is the default when no mode was ever chosen.\n"
#define USAGE_ENV \
	"usage: telem env [--json]\n\n" \
	"Shows the mode and the date it was chosen, the directories, the shim's\n" \
	"path and the exact LD_PRELOAD line to use in a shell profile or CI image.\n"
#define USAGE_DUMP \
	"usage: telem dump [--json] [FILE...]\n\n" \
	"Shows the meta and counters of counter files (default: every file in\n" \
	"DIR/local). Stack counters are printed one frame a line.\n"
#define USAGE_CRASHES \
	"usage: telem crashes [--json] [--symbolize]\n\n" \
	"Ingests pending crash records, then lists every crash stack counter of\n" \
	"DIR/local: count, program, version, first and last seen, one frame a line.\n" \
	"--symbolize also shows function and file:line for each frame, from the\n" \
	"files installed here (and debuginfod when DEBUGINFOD_URLS is set); the\n" \
	"recorded names never change.\n"
#define USAGE_CLEAN \
	"usage: telem clean\n\n" \
	"Deletes counter files, reports, uploaded copies and pending crash records.\n" \
	"Keeps the mode file and the weekends file.\n"

#define USAGE_RUN \
	"usage: telem run [--json] [--keep DIR] -- COMMAND [ARGS...]\n\n" \
	"Runs COMMAND (make, ninja, cmake --build, a script...) with the shim added\n" \
	"to LD_PRELOAD, its counters in a directory of their own, then prints on\n" \
	"stderr a summary per program: runs, failures, crashes, wall and CPU time,\n" \
	"peak memory, most used flags, and each crash's stack. The counters are\n" \
	"then added to DIR/local (unless the mode is off). telem's exit status is\n" \
	"COMMAND's; if COMMAND died by a signal, telem dies by the same signal.\n\n" \
	"  --json      the summary as JSON on stdout\n" \
	"  --keep DIR  use and keep DIR as the run's own telem directory\n"

#endif
