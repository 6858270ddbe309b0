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
int cmd_summary(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_push(struct cli *cli, int argc, char **argv);
/* The text of 'telem export --prometheus' (malloc'd); 0, or 1 when a
 * counter file could not be read (reported; the others are in the text). */
int export_prometheus(struct cli *cli, char **text, size_t *len);
int cmd_view(struct cli *cli, int argc, char **argv);
int cmd_csv(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
int cmd_upload(struct cli *cli, int argc, char **argv);

#define USAGE_ON \
	"usage: telem on\n\n" \
	"Allows telem to upload, once a week, the counters and crash stacks named in\n" \
	"the public upload config, to the collector that 'telem env' names. Nothing\n" \
	"collected before uploading was turned on is ever uploaded: data from today\n" \
	"on counts only when the directory holds no data yet, else from tomorrow.\n" \
	"Run again while on, it changes nothing (the date stays).\n" \
	"'telem view --fetch-config' shows what would be sent, before you choose.\n"
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
	"usage: telem clean [--dry-run]\n\n" \
	"Deletes counter files, reports, uploaded copies and pending crash records,\n" \
	"saying which. Keeps the mode file and the weekends file, and any file whose\n" \
	"name it does not recognize; never follows a symlink.\n\n" \
	"  --dry-run, -n  only say what would be removed\n"

#define USAGE_SUMMARY \
	"usage: telem summary [--json] [LOCALDIR]\n\n" \
	"Prints the per-program table of `telem run` for a directory of counter\n" \
	"files (default: DIR/local, everything collected so far).\n"
#define USAGE_RUN \
	"usage: telem run [--json FILE] [--keep DIR] -- COMMAND [ARGS...]\n\n" \
	"Runs COMMAND (make, ninja, cmake --build, a script...) with the shim added\n" \
	"to LD_PRELOAD, its counters in a directory of their own, then prints on\n" \
	"stderr a summary per program: runs, failures, crashes, wall and CPU time,\n" \
	"peak memory, most used flags, and each crash's stack. The counters are\n" \
	"then added to DIR/local (unless the mode is off). telem's exit status is\n" \
	"COMMAND's; if COMMAND died by a signal, telem dies by the same signal.\n\n" \
	"  --json FILE  the summary as JSON in FILE (written when the command ends),\n" \
	"               apart from the command's own output; '--json -' (or --json\n" \
	"               right before '--') puts it on stdout, after the command's output\n" \
	"  --keep DIR   use and keep DIR as the run's own telem directory\n"

#define USAGE_EXPORT \
	"usage: telem export --prometheus\n\n" \
	"Prints the counters of DIR/local (every file, summed) in Prometheus' text\n" \
	"exposition format:\n" \
	"  telem_counter{program,version,counter,bucket} for \"<prog>/<counter>:<bucket>\"\n" \
	"    (no bucket label for counts such as invocations);\n" \
	"  telem_seconds_total{program,version,counter} for the time sums\n" \
	"    (wall-us, cpu-us; older files wall-ms, cpu-ms), in seconds, Prometheus' base unit;\n" \
	"  telem_crash_total{program,version,top_frame} for crash stacks: only the\n" \
	"    top frame, never the whole stack (one series per stack would not scale).\n" \
	"Everything collected counts, the weeks already reported (local reports) too,\n" \
	"so a series never goes down when 'telem report' deletes a week's files.\n"
#define USAGE_PUSH \
	"usage: telem push --pushgateway URL [--job NAME]\n\n" \
	"Sends what 'telem export --prometheus' prints to a Prometheus Pushgateway,\n" \
	"replacing the job's group: PUT URL/metrics/job/NAME (default job: telem).\n" \
	"For CI jobs that end before anything could scrape them.\n"
#define USAGE_REPORT \
	"usage: telem report\n\n" \
	"Turns the counter files of every week that is over into reports in Go's\n" \
	"format: DIR/local/local.<date>.json with everything (for you to read), and,\n" \
	"in mode on, DIR/local/<date>.json with only what the upload config allows\n" \
	"(sampled; nothing collected before uploading was turned on is ever uploaded;\n" \
	"nothing older than 21 days). The week's counter files are then deleted.\n" \
	"Never uses the network: the config is DIR/upload.config.json if present,\n" \
	"else the one 'telem upload' last fetched (DIR/config.cache.json).\n"
#define USAGE_UPLOAD \
	"usage: telem upload [--now] [--background] [--server URL] [--cafile FILE]\n" \
	"                    [--timeout SECONDS]\n\n" \
	"In mode on only: fetches the upload config (unless DIR/upload.config.json\n" \
	"overrides it), runs 'telem report', then sends each DIR/local/<date>.json to\n" \
	"URL/upload/<date>. Sent reports are kept byte for byte in DIR/upload/; a\n" \
	"report the server refuses (4xx) is dropped; on any other failure it is kept\n" \
	"and sent on a later day. In mode local or off nothing is sent, ever. Each\n" \
	"outcome is logged in DIR/upload.log; the exit status is 1 when something\n" \
	"could not be sent (no config, server unreachable or refusing).\n\n" \
	"  --now         also report and send the week so far (a partial report named\n" \
	"                by today's date). For machines that do not live a week, such\n" \
	"                as CI runners: turn uploading on in the fresh directory before\n" \
	"                the build (nothing was collected before, so today's data may\n" \
	"                go) and make the upload the last step of the job:\n" \
	"                    telem on\n" \
	"                    telem run -- make        (or LD_PRELOAD for the job)\n" \
	"                    telem upload --now || true\n" \
	"  --background  no output (how the shim starts it, at most once a day)\n" \
	"  --server URL  the collector (default: $TELEM_SERVER, else the first line\n" \
	"                of DIR/upload.server, else " "https://telemetry.invalid)\n" \
	"  --cafile FILE CA certificates for a private collector's TLS certificate\n" \
	"  --timeout S   per request (default: $TELEM_UPLOAD_TIMEOUT, else 30 s;\n" \
	"                connecting gets at most 5 s)\n"

#define USAGE_VIEW \
	"usage: telem view [--out FILE.html | --serve 127.0.0.1:PORT]\n" \
	"                  [--fetch-config [--server URL]]\n\n" \
	"Writes one self-contained HTML page (no script, nothing fetched when it is\n" \
	"opened) showing the counters of DIR/local: a table of programs; for each\n" \
	"program and chart (flag, exit, wall, cpu, maxrss, signal...) a weekly chart\n" \
	"of its buckets, weeks not yet reported marked pending; crash stacks with\n" \
	"counts; the upload config and, counter by counter, what would be uploaded\n" \
	"and what stays local; the local reports, newest first.\n\n" \
	"  --out FILE    write the page to FILE (default DIR/view.html), atomically\n" \
	"  --serve ADDR  serve it at http://ADDR/ instead, made afresh for each\n" \
	"                request; ADDR is a loopback address and port such as\n" \
	"                127.0.0.1:8080 (port 0: any free port); stops on Ctrl-C\n" \
	"  --fetch-config  first fetch the collector's public upload config (GET\n" \
	"                URL/config; it sends nothing) into DIR/config.cache.json, to\n" \
	"                see what uploading would send before turning it on; the\n" \
	"                network is used only when asked so\n" \
	"  --server URL  the collector for --fetch-config (default as for upload)\n"
#define USAGE_CSV \
	"usage: telem csv\n\n" \
	"Prints every counter of DIR/local as CSV (RFC 4180), one record per counter\n" \
	"and program, version, runtime, os, arch and week:\n" \
	"  week_begin,week_end,program,version,runtime,goos,goarch,counter,count\n" \
	"A week ends at its files' TimeEnd and begins 7 days earlier; the daily files\n" \
	"of one week are summed. Fields with a comma, quote or newline are quoted\n" \
	"(stack counters hold one frame a line); records end in CRLF.\n"

#endif
