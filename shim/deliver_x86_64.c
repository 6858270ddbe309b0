/* x86-64: the signal entry, our vfork, and a kernel-faithful signal frame
 * for the one case where telem must move a delivery (see get_sigframe and
 * x64_setup_rt_frame in arch/x86/kernel/signal.c). Async-signal-safe. */
#if defined(__x86_64__)
#define _GNU_SOURCE
#include "deliver.h"

#include "bytes.h"
#include "libc.h"
#include "sys.h"

__thread int telem_in_vfork __attribute__((tls_model("initial-exec")));

/* The kernel enters a handler as if called: %rsp at the frame's restorer
 * address, 8 mod 16. Three pushes make it 0 mod 16 for the call. The host
 * handler is entered with %rax 0, as the kernel leaves it. */
__asm__(".text\n.align 16\n.globl telem_signal_entry\n.hidden telem_signal_entry\n"
	".type telem_signal_entry,@function\ntelem_signal_entry:\n"
	"\tpushq %rdi\n\tpushq %rsi\n\tpushq %rdx\n"
	"\tcall telem_on_signal\n"
	"\tpopq %rdx\n\tpopq %rsi\n\tpopq %rdi\n"
	"\ttestq %rax, %rax\n\tjz 1f\n"
	"\tmovq %rax, %r11\n\txorl %eax, %eax\n\tjmp *%r11\n"
	"1:\tret\n.size telem_signal_entry,.-telem_signal_entry\n");

/* These exact bytes (mov $15,%rax; syscall) are what libgcc's, libbacktrace's
 * and gdb's unwinders recognize as a signal frame's return. */
__asm__(".text\n.align 16\n.globl telem_restore_rt\n.hidden telem_restore_rt\n.type telem_restore_rt,@function\ntelem_restore_rt:\n"
	"\tmovq $15, %rax\n\tsyscall\n.size telem_restore_rt,.-telem_restore_rt\n");

__asm__(".text\n.align 16\n.globl deliver_call_on_stack\n.hidden deliver_call_on_stack\n"
	".type deliver_call_on_stack,@function\ndeliver_call_on_stack:\n"
	"\tpushq %rbp\n\tmovq %rsp, %rbp\n\tmovq %rdx, %rsp\n"
	"\tmovq %rdi, %rax\n\tmovq %rsi, %rdi\n\tcall *%rax\n"
	"\tmovq %rbp, %rsp\n\tpopq %rbp\n\tret\n.size deliver_call_on_stack,.-deliver_call_on_stack\n");

/* vfork as glibc's: the return address is popped into a register the
 * child cannot clobber for the parent, since the child returns first and
 * reuses the stack. Around it, the thread-local flag that makes every
 * interposer in the child go straight to libc. */
HIDDEN long telem_vfork_failed(long neg_errno);
__asm__(".text\n.align 16\n.globl vfork\n.type vfork,@function\nvfork:\n"
	"\tmovq telem_in_vfork@gottpoff(%rip), %rcx\n\tmovl $1, %fs:(%rcx)\n"
	"\tpopq %rdi\n\tmovl $58, %eax\n\tsyscall\n\tpushq %rdi\n"
	"\ttestl %eax, %eax\n\tjz 2f\n"
	"\tmovq telem_in_vfork@gottpoff(%rip), %rcx\n\tmovl $0, %fs:(%rcx)\n"
	"\tcmpq $-4095, %rax\n\tjae 3f\n"
	"2:\tret\n"
	"3:\tmovq %rax, %rdi\n\tsubq $8, %rsp\n\tcall telem_vfork_failed\n\taddq $8, %rsp\n\tret\n"
	".size vfork,.-vfork\n");

long telem_vfork_failed(long neg_errno)
{
	int *(*where)(void) = (int *(*)(void))libc_symbol("__errno_location");
	if (where)
		*where() = (int)-neg_errno;
	return -1;
}

#define KERNEL_UC_SIZE 304 /* flags, link, stack, sigcontext, 8-byte mask */
#define FRAME_SIZE (8 + KERNEL_UC_SIZE + 128)
#define RED_ZONE 128
#define XSTATE_MAGIC 0x46505853u

/* Size of the FPU state the kernel saved (xsave area, or plain fxsave). */
static size_t fpstate_size(const void *fp)
{
	const uint32_t *sw = (const uint32_t *)((const char *)fp + 464);
	return sw[0] == XSTATE_MAGIC && sw[1] >= 512 && sw[1] <= 64 * 1024 ? sw[1] : 512;
}

int deliver_on_thread_stack(int sig, siginfo_t *si, ucontext_t *uc, struct delivery *out)
{
	/* The kernel's rt_sigframe: the restorer it returns through (the
	 * action's sa_restorer, always set here), then the ucontext. */
	void (*restorer)(void) = *(void (**)(void))(void *)((char *)uc - 8);
	greg_t *r = uc->uc_mcontext.gregs;
	unsigned long orig = (unsigned long)r[REG_RSP], fault = (unsigned long)si->si_addr;
	if (si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS) && fault + 65536 > orig && fault < orig + 4096)
		return -1; /* a stack overflow: no room below the fault */
	unsigned long sp = orig - RED_ZONE;
	const void *fp = uc->uc_mcontext.fpregs;
	size_t fpsize = fp ? fpstate_size(fp) : 0;
	unsigned long fpdst = (sp - fpsize) & ~63ul;
	unsigned long frame = (((fpdst - FRAME_SIZE) + 8) & ~15ul) - 8;
	char *f = (char *)frame;
	bytes_copy(f, &restorer, 8);
	bytes_copy(f + 8, uc, KERNEL_UC_SIZE);
	bytes_copy(f + 8 + KERNEL_UC_SIZE, si, 128);
	if (fp)
		bytes_copy((void *)fpdst, fp, fpsize);
	ucontext_t *ucc = (ucontext_t *)(f + 8);
	ucc->uc_mcontext.fpregs = fp ? (void *)fpdst : 0;
	out->frame = f;
	out->uc = ucc;
	out->si = (siginfo_t *)(void *)(f + 8 + KERNEL_UC_SIZE);
	return 0;
}

_Static_assert(__builtin_offsetof(struct delivery, si) == 8 && __builtin_offsetof(struct delivery, uc) == 16,
	       "deliver_enter reads struct delivery at these offsets");
/* deliver_enter(handler, sig, d): %rsp = d->frame, then handler(sig, d->si,
 * d->uc) entered as the kernel enters one (%rax 0, DF clear). */
__asm__(".text\n.align 16\n.globl deliver_enter\n.hidden deliver_enter\n"
	".type deliver_enter,@function\ndeliver_enter:\n"
	"\tmovq %rdi, %r11\n\tmovl %esi, %edi\n"
	"\tmovq 0(%rdx), %rsp\n\tmovq 8(%rdx), %rsi\n\tmovq 16(%rdx), %rdx\n"
	"\txorl %eax, %eax\n\tcld\n\tjmp *%r11\n.size deliver_enter,.-deliver_enter\n");

uintptr_t deliver_pc(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP]; }
uintptr_t deliver_sp(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP]; }

/* A fault leaves the program counter at the faulting instruction; int3 and
 * seccomp's SIGSYS leave it after. */
int deliver_refaults(int sig, const siginfo_t *si)
{
	return si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE);
}

#endif
