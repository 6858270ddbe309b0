/* The machine-specific half of signal handling, one file per architecture
 * (deliver_x86_64.c, deliver_aarch64.c). Everything here is
 * async-signal-safe. */
#ifndef TELEM_DELIVER_H
#define TELEM_DELIVER_H

#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#include "state.h"

/* The handler installed at the kernel. It calls telem_on_signal with the
 * kernel's three arguments on the stack the kernel chose; when that returns
 * a host handler, it jumps to it with the kernel's own frame and registers
 * untouched, so the host runs exactly as if the kernel had called it (same
 * stack, same frame, same mask, the restorer libc installed), and telem used
 * only the few hundred bytes of telem_on_signal's frame, since overwritten. */
HIDDEN void telem_signal_entry(int sig, siginfo_t *si, void *uc);

/* Decides what a delivery does (crashpath.c): a host handler to jump to, or
 * NULL to return through the frame's restorer (into whatever context uc now
 * holds). */
HIDDEN void *telem_on_signal(int sig, siginfo_t *si, ucontext_t *uc);

/* Our own restorer (rt_sigreturn), in the exact bytes unwinders recognize. */
HIDDEN void telem_restore_rt(void);

/* Calls fn(arg) with the stack pointer at top (16-byte aligned). */
HIDDEN void deliver_call_on_stack(void (*fn)(void *), void *arg, void *top);

/* Builds, below the interrupted stack pointer of uc, the frame the kernel
 * would have built for a handler had there been no alternate stack: the
 * restorer the kernel used for this delivery (read from its frame, not asked
 * of the kernel), copies of uc, si and the FPU state. Returns -1 when there
 * is no room (a stack overflow: the kernel would have killed the process),
 * -2 where the architecture does not do this (the handler then runs where
 * we are). */
struct delivery {
	char *frame;   /* lowest address of the frame built for the host */
	siginfo_t *si; /* the copies the host handler receives */
	ucontext_t *uc;
};
HIDDEN int deliver_on_thread_stack(int sig, siginfo_t *si, ucontext_t *uc, struct delivery *out);

/* Enters handler(sig, d->si, d->uc) in the frame d built, as the kernel
 * would: stack pointer at the frame's restorer, the signal mask the kernel
 * set for this delivery (the host's own, at the kernel), direction flag
 * clear. The frame telem ran in is left behind: one delivery, one
 * sigreturn (the host's), no second pass through the kernel. */
HIDDEN _Noreturn void deliver_enter(void *handler, int sig, const struct delivery *d);

/* The interrupted context's program counter and stack pointer. */
HIDDEN uintptr_t deliver_pc(const ucontext_t *uc);
HIDDEN uintptr_t deliver_sp(const ucontext_t *uc);

/* Whether a synchronous signal re-raises itself when the interrupted
 * instruction runs again (a fault), or moved past it (a trap, a system call
 * stopped by seccomp) and must be queued instead. */
HIDDEN int deliver_refaults(int sig, const siginfo_t *si);

/* The flag the kernel reads for our restorer (0 where the architecture has
 * none: the vDSO's trampoline serves). */
#if defined(__x86_64__)
#define DELIVER_SA_RESTORER 0x04000000ul
#else
#define DELIVER_SA_RESTORER 0ul
#endif

/* Set by our vfork in the vforking thread's (shared) thread-local storage,
 * so the child sees it and every other thread does not; the parent clears it
 * when it resumes. */
HIDDEN extern __thread int telem_in_vfork __attribute__((tls_model("initial-exec")));

#endif
