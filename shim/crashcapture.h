/* Writing a crash record, async-signal-safe (see crashrecord.h). */
#ifndef TELEM_CRASHCAPTURE_H
#define TELEM_CRASHCAPTURE_H

#include <signal.h>
#include <ucontext.h>

#include "crashrecord.h"
#include "state.h"

/* Writes <dir>/crash/<prog>-<pid>-<n>.rec for the context uc, unless the
 * directory already holds the most records allowed (then counts
 * crash/dropped). Async-signal-safe: raw system calls, no allocation. */
HIDDEN void crash_capture(enum crash_kind kind, int sig, const siginfo_t *si, const ucontext_t *uc,
			  int exit_code);

/* The same, with a second stack region to copy from sp2 up (0: none). */
HIDDEN void crash_capture2(enum crash_kind kind, int sig, const siginfo_t *si, const ucontext_t *uc,
			   int exit_code, uint64_t sp2);

#endif
