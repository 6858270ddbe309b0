/* What a set of counter files says about a build: per program runs,
 * failures, crashes, time, memory, flags; and the crash stacks. Used by
 * `telem run` (on stderr, or --json). */
#ifndef TELEM_SUMMARY_H
#define TELEM_SUMMARY_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define SUMMARY_TOP_FLAGS 3
#define SUMMARY_STACK_FRAMES 8 /* frames of a stack in the table; the rest is said to be cut */

struct flag_count {
	char *flag;
	uint64_t count;
};

struct program_summary {
	char *program, *version;
	uint64_t runs, failed, crashed, wall_us, cpu_us;
	uint64_t exited;        /* Σ exit:*; runs − exited − crashed ended unseen */
	int peak_rank;          /* names_rss_rank of the highest maxrss bucket, -1 if none */
	char *peak_rss;
	char *signals;          /* "SIGSEGV×2 SIGABRT×1" or NULL */
	struct flag_count *flags; /* most used first */
	size_t n_flags;
};

struct stack_summary {
	char *program;
	char *kind;    /* "crash" or "ice" */
	char **frames;
	size_t n_frames;
	uint64_t count;
};

struct summary {
	struct program_summary *programs; /* by program name */
	size_t n_programs;
	struct stack_summary *stacks;
	size_t n_stacks;
	uint64_t processes;
};

/* Loads every counter file in local_dir. Returns 0, or 1 after reporting
 * unreadable files (what could be read is kept). */
int summary_load(const char *local_dir, struct summary *s);
void summary_print(FILE *out, const struct summary *s, const char *command, double seconds);
json_t *summary_json(const struct summary *s, const char *command, double seconds, int status);
void summary_free(struct summary *s);

/* Invocations whose end telem did not see (SIGKILL, an exec into a static
 * binary, ...): invocations − Σexit:* − Σsignal:*, never below 0. */
uint64_t summary_not_seen(const struct program_summary *p);

#endif
