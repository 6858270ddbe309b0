/* i386: the signal entry, our vfork and the context accessors. Deliveries
 * are not moved here (deliver_on_thread_stack returns -2): an SA_ONSTACK
 * host handler in a thread without an alternate stack of the host's runs on
 * telem's, as on aarch64 (see libtelem(7)). Async-signal-safe. */
#if defined(__i386__)
#define _GNU_SOURCE
#include "deliver.h"

#include "libc.h"
#include "sys.h"

__thread int telem_in_vfork __attribute__((tls_model("initial-exec")));

/* The kernel enters a handler as if called (cdecl): the restorer's address
 * at (%esp), then sig, si, uc; %esp+4 is 16-byte aligned. The three
 * arguments are pushed again for telem_on_signal (which makes the call
 * 16-byte aligned); the host's handler is then entered with the kernel's
 * stack untouched. */
__asm__(".text\n.align 16\n.globl telem_signal_entry\n.hidden telem_signal_entry\n"
	".type telem_signal_entry,@function\ntelem_signal_entry:\n"
	"\tpushl 12(%esp)\n\tpushl 12(%esp)\n\tpushl 12(%esp)\n"
	"\tcall telem_on_signal\n"
	"\taddl $12, %esp\n"
	"\ttestl %eax, %eax\n\tjz 1f\n\tjmp *%eax\n"
	"1:\tret\n.size telem_signal_entry,.-telem_signal_entry\n");

/* The bytes of glibc's __restore_rt (mov $173,%eax; int $0x80), which
 * libgcc's and gdb's unwinders recognize as a signal frame's return. */
__asm__(".text\n.align 16\n.globl telem_restore_rt\n.hidden telem_restore_rt\n.type telem_restore_rt,@function\n"
	"telem_restore_rt:\n\tmovl $173, %eax\n\tint $0x80\n.size telem_restore_rt,.-telem_restore_rt\n");

__asm__(".text\n.align 16\n.globl deliver_call_on_stack\n.hidden deliver_call_on_stack\n"
	".type deliver_call_on_stack,@function\ndeliver_call_on_stack:\n"
	"\tpushl %ebp\n\tmovl %esp, %ebp\n"
	"\tmovl 8(%ebp), %eax\n\tmovl 12(%ebp), %ecx\n\tmovl 16(%ebp), %esp\n"
	"\tsubl $12, %esp\n\tpushl %ecx\n\tcall *%eax\n"
	"\tmovl %ebp, %esp\n\tpopl %ebp\n\tret\n.size deliver_call_on_stack,.-deliver_call_on_stack\n");

/* vfork as glibc's: the return address is popped into %ecx, which the
 * kernel keeps and the child cannot clobber for the parent. The thread-local
 * flag that sends every interposer of the child straight to libc is set by
 * C before the system call and cleared by C in the parent after it (the
 * calls stay below the stack pointer the child returns to). */
HIDDEN void telem_vfork_enter(void);
HIDDEN long telem_vfork_leave(long rc);
__asm__(".text\n.align 16\n.globl vfork\n.type vfork,@function\nvfork:\n"
	"\tsubl $12, %esp\n\tcall telem_vfork_enter\n\taddl $12, %esp\n"
	"\tpopl %ecx\n\tmovl $190, %eax\n\tint $0x80\n\tpushl %ecx\n"
	"\ttestl %eax, %eax\n\tjz 2f\n"
	"\tsubl $8, %esp\n\tpushl %eax\n\tcall telem_vfork_leave\n\taddl $12, %esp\n"
	"2:\tret\n.size vfork,.-vfork\n");

void telem_vfork_enter(void) { telem_in_vfork = 1; }

long telem_vfork_leave(long rc)
{
	telem_in_vfork = 0;
	if (rc < 0 && rc > -4096) {
		int *(*where)(void) = (int *(*)(void))libc_symbol("__errno_location");
		if (where)
			*where() = (int)-rc;
		return -1;
	}
	return rc;
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

uintptr_t deliver_pc(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.gregs[REG_EIP]; }
uintptr_t deliver_sp(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.gregs[REG_ESP]; }

/* A fault leaves the program counter at the faulting instruction; int3 and
 * seccomp's SIGSYS leave it after. */
int deliver_refaults(int sig, const siginfo_t *si)
{
	return si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE);
}

#endif
