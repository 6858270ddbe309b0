/* The shim's per-process state, shared by its start, exit and signal code.
 * Hidden: nothing here is visible to the host. */
#ifndef TELEM_STATE_H
#define TELEM_STATE_H

#include <stdint.h>
#include <time.h>

#include "counterfile.h"
#include "identity.h"
#include "mode.h"

#define HIDDEN __attribute__((visibility("hidden")))

struct telem_state {
	struct counter_file file;
	struct identity id;
	char prefix[ID_PROGRAM_MAX + 2]; /* "<program>/", the start of every counter name */
	size_t prefix_len;
	char dir[CF_PATH_MAX - 200];
	enum telem_mode mode;
	int active;        /* a counter file is mapped and counting */
	int exit_recorded; /* exit:<code> counted once per process */
	int forked_child;  /* a fork() child that did not exec: counts nothing */
	int debug;         /* TELEM_DEBUG=1: say why counting stopped, on stderr */
	struct timespec started, cpu_at_start; /* CLOCK_MONOTONIC, CPU time used by then */
	int64_t exit_now;  /* TELEM_TEST_NOW's clock at exit, -1: the real clock */
	int64_t week_end;  /* the counter file's TimeEnd, days since the epoch */
	int64_t today;     /* days since the epoch, UTC */
	char today_str[11]; /* the same as YYYY-MM-DD */
	const unsigned long *auxv;
	char **envp;       /* as the host started (for the upload trigger) */
	char **argv;       /* the main thread's argv: crash stack copies stop below it */
};

HIDDEN extern struct telem_state telem;
struct libc_api;
HIDDEN extern struct libc_api telem_libc;

/* Adds n to "<program>/<what><detail>", creating the counter only when
 * allocate is set; returns whether it counted. what is a string literal in
 * the two short forms. */
HIDDEN int telem_count_if(const char *what, size_t what_len, const char *detail, uint64_t n, int allocate);
#define telem_count2(what, detail, n) telem_count_if(what, sizeof what - 1, detail, n, 1)
#define telem_count(what, n) telem_count_if(what, sizeof what - 1, 0, n, 1)
HIDDEN void telem_debug(const char *what, const char *detail);

/* Opens today's counter file for the identity in telem, beneath dirfd (the
 * checked telem directory); files must be euid's. 0 on success. */
HIDDEN int telem_open_today(int dirfd, unsigned euid);

#endif
