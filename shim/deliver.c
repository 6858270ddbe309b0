/* Kernel-faithful signal delivery to the host's handler (x86_64; see
 * arch/x86/kernel/signal.c, get_sigframe and x64_setup_rt_frame). */
#define _GNU_SOURCE
#include "deliver.h"

#include "bytes.h"
#include "libc.h"
#include "sys.h"

#if defined(__x86_64__)

/* These exact bytes (mov $15,%rax; syscall) are what libgcc's, libbacktrace's
 * and gdb's unwinders recognize as a signal frame's return, as they do for
 * glibc's __restore_rt. */
__asm__(".text\n.align 16\n.globl telem_restore_rt\n.hidden telem_restore_rt\n.type telem_restore_rt,@function\ntelem_restore_rt:\n"
	"\tmovq $15, %rax\n\tsyscall\n.size telem_restore_rt,.-telem_restore_rt\n");

#define KERNEL_UC_SIZE 304 /* flags, link, stack, sigcontext, 8-byte mask */
#define FRAME_SIZE (8 + KERNEL_UC_SIZE + 128)
#define RED_ZONE 128
#define XSTATE_MAGIC 0x46505853u
#define EFLAGS_CLEAR ((1u << 10) | (1u << 16) | (1u << 8)) /* DF, RF, TF */

struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

/* glibc's own restorer (__restore_rt, not exported), so the host's
 * backtraces show exactly the frame they show without telem. Learned once,
 * on the first delivery: reinstalling our handler through libc's sigaction
 * (async-signal-safe) makes the kernel hold libc's restorer, which a query
 * then reads back. */
static void (*host_restorer(int sig))(void)
{
	static void (*cached)(void);
	if (cached)
		return cached;
	struct kernel_sigaction k;
	int (*libc_sigaction)(int, const struct sigaction *, struct sigaction *) =
		(int (*)(int, const struct sigaction *, struct sigaction *))libc_symbol("sigaction");
	if (!libc_sigaction || sys_call4(SYS_rt_sigaction, sig, 0, &k, 8) != 0)
		return telem_restore_rt;
	struct sigaction a = {0};
	a.sa_sigaction = (void (*)(int, siginfo_t *, void *))k.handler;
	a.sa_flags = (int)(k.flags & ~0x04000000ul);
	bytes_copy(&a.sa_mask, &k.mask, sizeof k.mask);
	if (libc_sigaction(sig, &a, 0) != 0 || sys_call4(SYS_rt_sigaction, sig, 0, &k, 8) != 0 || !k.restorer)
		return telem_restore_rt;
	return cached = k.restorer;
}

/* Size of the FPU state the kernel saved (xsave area, or plain fxsave). */
static size_t fpstate_size(const void *fp)
{
	const uint32_t *sw = (const uint32_t *)((const char *)fp + 464);
	return sw[0] == XSTATE_MAGIC && sw[1] >= 512 && sw[1] <= 64 * 1024 ? sw[1] : 512;
}

static int on_alt_stack(unsigned long sp)
{
	stack_t ss;
	if (sys_call2(SYS_sigaltstack, 0, &ss) != 0 || (ss.ss_flags & SS_DISABLE))
		return 0;
	return sp > (unsigned long)ss.ss_sp && sp <= (unsigned long)ss.ss_sp + ss.ss_size;
}

int deliver_to_host(int sig, siginfo_t *si, ucontext_t *uc, const struct sigaction *h, struct delivery *out)
{
	greg_t *r = uc->uc_mcontext.gregs;
	unsigned long orig = (unsigned long)r[REG_RSP], here = (unsigned long)&orig, sp;
	unsigned long fault = (unsigned long)si->si_addr;
	if ((h->sa_flags & SA_ONSTACK) && on_alt_stack(here) && !on_alt_stack(orig)) {
		sp = here - 1024; /* below our own frame, on the alternate stack */
	} else if (si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS) && fault + 65536 > orig &&
		   fault < orig + 4096) {
		/* A stack overflow: no room below the fault. The kernel could not
		 * have delivered this either and would have killed the process. */
		return -1;
	} else {
		sp = orig - RED_ZONE;
	}
	const void *fp = uc->uc_mcontext.fpregs;
	size_t fpsize = fp ? fpstate_size(fp) : 0;
	unsigned long fpdst = (sp - fpsize) & ~63ul;
	unsigned long frame = (((fpdst - FRAME_SIZE) + 8) & ~15ul) - 8;
	char *f = (char *)frame;
	void (*restorer)(void) = host_restorer(sig);
	bytes_copy(f, &restorer, 8);
	bytes_copy(f + 8, uc, KERNEL_UC_SIZE);
	bytes_copy(f + 8 + KERNEL_UC_SIZE, si, 128);
	if (fp)
		bytes_copy((void *)fpdst, fp, fpsize);
	ucontext_t *ucc = (ucontext_t *)(f + 8);
	ucc->uc_mcontext.fpregs = fp ? (void *)fpdst : 0;
	out->frame = f;
	out->uc = ucc;
	out->si = (siginfo_t *)(f + 8 + KERNEL_UC_SIZE);

	/* Our return now enters the host's handler, with the mask it asked for. */
	r[REG_RIP] = (greg_t)(h->sa_flags & SA_SIGINFO ? (void *)h->sa_sigaction : (void *)h->sa_handler);
	r[REG_RSP] = (greg_t)frame;
	r[REG_RDI] = sig;
	r[REG_RSI] = (greg_t)out->si;
	r[REG_RDX] = (greg_t)out->uc;
	r[REG_RAX] = 0;
	r[REG_EFL] &= ~(greg_t)EFLAGS_CLEAR;
	unsigned long *mask = (unsigned long *)(void *)&uc->uc_sigmask;
	mask[0] |= *(const unsigned long *)(const void *)&h->sa_mask;
	if (!(h->sa_flags & SA_NODEFER))
		mask[0] |= 1ul << (sig - 1);
	return 0;
}

#else

int deliver_to_host(int sig, siginfo_t *si, ucontext_t *uc, const struct sigaction *h, struct delivery *out)
{
	(void)sig, (void)si, (void)uc, (void)h, (void)out;
	return -2; /* not implemented here: the caller calls the handler itself */
}

#endif
