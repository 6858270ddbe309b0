/* Handled faults in a hot loop, the JVM's way (implicit null checks, GC
 * barriers, wasm bounds): a SIGSEGV handler resolves each fault and the
 * program goes on. scripts/bench.sh times it plainly and under the shim.
 *
 *   fault_loop [N [MODE [onstack]]]   N faults (default 200000), MODE one of
 *     skip   the handler moves the pc to the load's continuation and sets its
 *            result, no system call (a JVM's implicit null check; x86-64
 *            and aarch64, elsewhere it falls back to fixup)
 *     fixup  the handler makes the page readable, the load runs again
 *            (a GC's write barrier); mprotect twice a fault
 *     jump   the handler siglongjmps back (a wasm trap); rt_sigprocmask
 *   onstack: the handler is installed with SA_ONSTACK and no alternate
 *   stack is set (the kernel runs it on the thread's stack)
 *
 * Prints what the handler saw at its first fault (the signal mask the
 * kernel set: SIGSEGV and the handler's sa_mask, SIGUSR2, blocked; whether
 * it ran on the thread's stack), then "fault_loop: MODE N faults in T ns"
 * (the loop alone, monotonic clock); exits 0 when every fault was handled,
 * 1 otherwise. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

/* probe_load(p): returns *p, or -1 when the handler resumed it. */
int probe_load(const int *p);
extern const char probe_insn[], probe_resume[];
#if defined(__x86_64__)
__asm__(".text\n.globl probe_load\n.type probe_load,@function\nprobe_load:\n"
	".globl probe_insn\nprobe_insn:\n\tmovl (%rdi), %eax\n"
	".globl probe_resume\nprobe_resume:\n\tret\n.size probe_load,.-probe_load\n");
#define HAVE_SKIP 1
static void skip_to(ucontext_t *uc)
{
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)probe_resume;
	uc->uc_mcontext.gregs[REG_RAX] = -1;
}
#elif defined(__aarch64__)
__asm__(".text\n.globl probe_load\n.type probe_load,%function\nprobe_load:\n"
	".globl probe_insn\nprobe_insn:\n\tldr w0, [x0]\n"
	".globl probe_resume\nprobe_resume:\n\tret\n.size probe_load,.-probe_load\n");
#define HAVE_SKIP 1
static void skip_to(ucontext_t *uc)
{
	uc->uc_mcontext.pc = (unsigned long)probe_resume;
	uc->uc_mcontext.regs[0] = (unsigned long)-1;
}
#else
#define HAVE_SKIP 0
int probe_load(const int *p) { return *(const volatile int *)p; }
#endif

enum mode { SKIP, FIXUP, JUMP };
static enum mode mode;
static int *guarded; /* one page, PROT_NONE while armed */
static sigjmp_buf resume;
static volatile long handled, stray;
static char *main_local;
static volatile int seen_segv = -1, seen_usr2 = -1, seen_thread_stack = -1;

static void note_first(void)
{
	char here;
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	seen_segv = sigismember(&now, SIGSEGV);
	seen_usr2 = sigismember(&now, SIGUSR2);
	seen_thread_stack = main_local - &here > 0 && main_local - &here < (1 << 20);
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	if ((void *)si->si_addr != (void *)guarded) {
		stray++;
		signal(SIGSEGV, SIG_DFL); /* not ours: die of it */
		return;
	}
	if (handled++ == 0)
		note_first();
	switch (mode) {
	case SKIP:
#if HAVE_SKIP
		skip_to(ctx);
#endif
		return;
	case FIXUP:
		mprotect(guarded, 4096, PROT_READ);
		return;
	case JUMP:
		siglongjmp(resume, 1);
	}
}

static long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void run(long n)
{
	for (volatile long i = 0; i < n; i++) {
		if (mode == FIXUP)
			mprotect(guarded, 4096, PROT_NONE);
		if (mode == JUMP && sigsetjmp(resume, 1))
			continue;
		probe_load(guarded);
	}
}

int main(int argc, char **argv)
{
	main_local = __builtin_frame_address(0);
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	const char *name = argc > 2 ? argv[2] : "skip";
	if (strcmp(name, "fixup") == 0 || (strcmp(name, "skip") == 0 && !HAVE_SKIP))
		mode = FIXUP;
	else if (strcmp(name, "jump") == 0)
		mode = JUMP;
	else if (strcmp(name, "skip") != 0)
		return 2;
	guarded = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | (argc > 3 && strcmp(argv[3], "onstack") == 0 ? SA_ONSTACK : 0);
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	if (guarded == MAP_FAILED || sigaction(SIGSEGV, &sa, NULL) != 0)
		return 2;
	long t0 = now_ns();
	run(n);
	long t = now_ns() - t0;
	printf("fault_loop: first fault: SIGSEGV blocked %d, SIGUSR2 blocked %d, on the thread's stack %d\n",
	       seen_segv, seen_usr2, seen_thread_stack);
	printf("fault_loop: %s %ld faults in %ld ns\n", name, handled, t);
	return handled == n && stray == 0 ? 0 : 1;
}
