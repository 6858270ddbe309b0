/* What every telem command shares: the directory, error reporting, files. */
#ifndef TELEM_CLI_H
#define TELEM_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "mode.h"

#define EXIT_USAGE 2

struct cli {
	const char *prog;   /* "telem" */
	char dir[1024];     /* the telem directory (--dir, TELEM_DIR, XDG, HOME) */
	char local[1100];   /* <dir>/local */
	int json;
};

/* What a command reads (struct command's reads): the telem directory must
 * then exist, and be one, or the command would show an empty success. */
enum command_reads { READS_NOTHING = 0, READS_DIR, READS_DIR_UNLESS_OPERANDS };

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
	const char *usage; /* full --help text */
	enum command_reads reads;
};

extern const struct command telem_commands[];

/* "telem: <file>: <message>" on stderr; returns 1 for `return fail(...)`. */
int fail(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error for command: message plus a pointer to --help; returns 2. */
int usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Standard option handling for a command with no options beyond --help and
 * --json: returns -1 to go on, else the exit status to return. */
int simple_options(const struct command *cmd, int argc, char **argv, int *first_operand, int allow_json,
		   struct cli *cli);
const struct command *find_command(const char *name);

/* Whole-file read (malloc'd, NUL-terminated); NULL with errno set. Below
 * the telem directory only a regular file of the user's, reached without a
 * symlink (privdir.h). */
char *read_file(const char *path, size_t *len);
/* Writes data to path atomically: temporary file in the same directory,
 * fsync, rename; below the telem directory always 0600 and beneath it.
 * Returns 0, or -1 with errno set. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);
/* mkdir -p, mode 0700. */
int make_dirs(const char *path);

/* Counter files in dir (sorted names, malloc'd array of malloc'd strings). */
int list_counter_files(const char *dir, char ***names, size_t *n);
void free_list(char **names, size_t n);

/* mode_read for the tools: the same answer, but a mode file that says
 * something else than "on|off|local <YYYY-MM-DD>" is reported (once) on
 * stderr, with what it is taken for. */
enum telem_mode cli_mode_read(const struct cli *cli, int64_t *asof);

/* Today as days since the epoch; TELEM_TEST_NOW=<unix seconds> fixes it. */
int64_t today_days(void);

#endif
