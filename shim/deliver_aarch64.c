/* aarch64: the signal entry, our vfork and the context accessors. The
 * kernel's return trampoline is the vDSO's (no SA_RESTORER). Moving a
 * delivery onto the thread's stack is not done here: an SA_ONSTACK host
 * handler in a thread without an alternate stack of the host's runs on
 * telem's (see libtelem(7)). Async-signal-safe. */
#if defined(__aarch64__)
#define _GNU_SOURCE
#include "deliver.h"

#include "libc.h"
#include "sys.h"

__thread int telem_in_vfork __attribute__((tls_model("initial-exec")));

/* x29 and x30 (the kernel's frame record and the return trampoline) are
 * kept for the host handler, as are x0-x2. */
__asm__(".text\n.align 4\n.globl telem_signal_entry\n.hidden telem_signal_entry\n"
	".type telem_signal_entry,%function\ntelem_signal_entry:\n"
	"\tstp x29, x30, [sp, #-48]!\n\tmov x29, sp\n\tstp x0, x1, [sp, #16]\n\tstr x2, [sp, #32]\n"
	"\tbl telem_on_signal\n\tmov x16, x0\n"
	"\tldp x0, x1, [sp, #16]\n\tldr x2, [sp, #32]\n\tldp x29, x30, [sp], #48\n"
	"\tcbz x16, 1f\n\tbr x16\n1:\tret\n.size telem_signal_entry,.-telem_signal_entry\n");

__asm__(".text\n.align 4\n.globl telem_restore_rt\n.hidden telem_restore_rt\n.type telem_restore_rt,%function\n"
	"telem_restore_rt:\n\tmov x8, #139\n\tsvc #0\n.size telem_restore_rt,.-telem_restore_rt\n");

__asm__(".text\n.align 4\n.globl deliver_call_on_stack\n.hidden deliver_call_on_stack\n"
	".type deliver_call_on_stack,%function\ndeliver_call_on_stack:\n"
	"\tstp x29, x30, [sp, #-16]!\n\tmov x29, sp\n\tmov sp, x2\n\tmov x16, x0\n\tmov x0, x1\n"
	"\tblr x16\n\tmov sp, x29\n\tldp x29, x30, [sp], #16\n\tret\n"
	".size deliver_call_on_stack,.-deliver_call_on_stack\n");

HIDDEN long telem_vfork_failed(long neg_errno);
/* clone(CLONE_VM | CLONE_VFORK | SIGCHLD) as glibc's vfork; x9 survives
 * the system call, x30 is a register (nothing on the shared stack). */
__asm__(".text\n.align 4\n.globl vfork\n.type vfork,%function\nvfork:\n"
	"\tmrs x9, tpidr_el0\n\tadrp x10, :gottprel:telem_in_vfork\n"
	"\tldr x10, [x10, #:gottprel_lo12:telem_in_vfork]\n\tadd x9, x9, x10\n"
	"\tmov w11, #1\n\tstr w11, [x9]\n"
	"\tmov x0, #0x4111\n\tmov x1, #0\n\tmov x2, #0\n\tmov x3, #0\n\tmov x4, #0\n\tmov x8, #220\n\tsvc #0\n"
	"\tcbz x0, 2f\n\tstr wzr, [x9]\n\tcmn x0, #4095\n\tb.cs 3f\n"
	"2:\tret\n"
	"3:\tstp x29, x30, [sp, #-16]!\n\tbl telem_vfork_failed\n\tldp x29, x30, [sp], #16\n\tret\n"
	".size vfork,.-vfork\n");

long telem_vfork_failed(long neg_errno)
{
	int *(*where)(void) = (int *(*)(void))libc_symbol("__errno_location");
	if (where)
		*where() = (int)-neg_errno;
	return -1;
}

int deliver_on_thread_stack(int sig, siginfo_t *si, ucontext_t *uc, struct delivery *out)
{
	(void)sig, (void)si, (void)uc, (void)out;
	return -2; /* run the handler where the kernel put it */
}

void deliver_enter(void *handler, int sig, const struct delivery *d)
{
	(void)handler, (void)sig, (void)d;
	__builtin_trap(); /* never called: no frame is ever built here */
}

uintptr_t deliver_pc(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.pc; }
uintptr_t deliver_sp(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.sp; }

/* A fault leaves the pc at the faulting instruction; SIGTRAP and
 * seccomp's SIGSYS are queued instead, as on x86-64. */
int deliver_refaults(int sig, const siginfo_t *si)
{
	return si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE);
}

#endif
