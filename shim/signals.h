/* Fatal signals: telem's handler stands at the kernel where the host asked
 * for the default action or a handler, with the host's own flags and mask;
 * the host sees (and gets called with) exactly the dispositions it set. */
#ifndef TELEM_SIGNALS_H
#define TELEM_SIGNALS_H

#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#include "state.h"

/* What the host believes is installed for one of telem's signals. The
 * kernel holds the same flags and mask (plus `forced`), with telem's entry
 * in place of a handler or SIG_DFL, and SIG_IGN as SIG_IGN. */
struct host_action {
	void *handler;         /* SIG_DFL, SIG_IGN or the host's function */
	unsigned long flags;   /* as the host asked (unknown bits included) */
	unsigned long mask;    /* signals 1..64, all the kernel keeps */
	unsigned long forced;  /* flags the kernel holds that the host did not ask for */
	int pristine;          /* untouched by the host since start: `initial` is its view */
	struct {
		void *handler;
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} initial;             /* the kernel's action before telem's start */
};

#define SIGNALS_MAX 32 /* every fatal signal is below 32 */
HIDDEN extern struct host_action signals_host[SIGNALS_MAX];

/* Installs the handlers (all seven when crash is set, else only the guard of
 * the counter file's mapping, SIGBUS) and, with crash, the main thread's
 * alternate stack; called at start when counting. */
HIDDEN void signals_install(int crash);

/* At exit: if this thread is inside a host handler called for a fault, the
 * fault ended the process: record it (GCC turns SIGSEGV into exit 4).
 * Otherwise applies the exit-code rules (a compiler proper exiting 4 is an
 * internal compiler error). Returns 1 when a crash was recorded. */
HIDDEN int signals_exit_check(int status);

/* Crash handling is on (threads get alternate stacks). */
HIDDEN int signals_installed(void);

/* Crash records and signal counters are wanted (not TELEM_CRASH=off). */
HIDDEN extern int signals_recording;

/* Name of a fatal signal ("SIGSEGV"), NULL for others. */
HIDDEN const char *signals_name(int sig);

/* Async-signal-safe: the claim of the one thread writing a crash record,
 * for records taken outside a fatal signal (bug records). 1 when taken. */
HIDDEN int signals_claim_recorder(void);
HIDDEN void signals_release_recorder(void);
/* This thread's alternate stack of telem's (threads.c, signals.c), and
 * whether the host replaced it with one of its own: a thread-local pair,
 * since alternate stacks are per thread. */
HIDDEN void signals_thread_stack(void *base, size_t size);
HIDDEN extern __thread struct thread_stacks {
	char *ours;      /* telem's alternate stack, NULL if none */
	size_t size;
	int host_has;    /* the host installed its own (the kernel holds it) */
} signals_stacks __attribute__((tls_model("initial-exec")));

/* ---- crashpath.c, async-signal-safe ---- */

/* Whether the interrupted stack pointer sp is inside the host handler of
 * this thread's last fault (check_mask: and the signal is still blocked, as
 * it is in a handler that has neither returned nor jumped out). */
HIDDEN int crashpath_in_host(uintptr_t sp, int check_mask);

/* Records the fault the host handler is handling (exit from inside it). */
HIDDEN void crashpath_record_in_host(int exit_code);

/* The counter file's mapping faulted (another process truncated it):
 * replaced with anonymous memory, counting stopped. 1 when recovered. */
HIDDEN int faultguard_recover(int sig, const siginfo_t *si);

/* The raw kernel action. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask; /* the kernel reads 8 bytes on every CPU */
};
HIDDEN int signals_kernel_action(int sig, const struct kernel_sigaction *act, struct kernel_sigaction *old);

#endif
