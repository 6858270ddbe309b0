/* Running the host's signal handler the way the kernel would have. */
#ifndef TELEM_DELIVER_H
#define TELEM_DELIVER_H

#include <signal.h>
#include <ucontext.h>

#include "state.h"

struct delivery {
	char *frame;       /* lowest address of the frame built for the host */
	siginfo_t *si;     /* the copies the host handler receives */
	ucontext_t *uc;
};

/* Async-signal-safe. Builds, below the interrupted stack pointer (or on the
 * alternate stack when the host asked for SA_ONSTACK), the same signal frame
 * the kernel builds, and rewrites our own context so that returning from
 * our handler enters the host's handler in it. The host then sees exactly a
 * kernel-delivered signal: same stack, same frame, a restorer that unwinders
 * recognize, and its own return resumes the interrupted code (or whatever
 * context it edited). Returns -1 when the frame cannot be placed, as when a
 * stack overflow leaves no room (the kernel would kill the process then). */
HIDDEN int deliver_to_host(int sig, siginfo_t *si, ucontext_t *uc, const struct sigaction *h,
			   struct delivery *out);

/* The restorer every frame returns through (rt_sigreturn). */
HIDDEN void telem_restore_rt(void);

#endif
