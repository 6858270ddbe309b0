/* A host that takes faults on purpose and recovers from each, the JVM's
 * way. Arguments: how many faults (default 1000), then any of
 *   fixup      the handler makes the page writable and returns, so the
 *              faulting store runs again (default: it siglongjmps back);
 *   deep-exit  leave through exit() from 64 calls deeper than main, as a
 *              JVM exits from deep in its stack.
 * Prints how many faults were recovered and exits 0: none is a crash. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf resume;
static char *guarded; /* one page, PROT_NONE while armed */
static int fixup;
static volatile long fixed;
static volatile int sink;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	int ours = (char *)si->si_addr == guarded;
	if (fixup && ours) {
		mprotect(guarded, 4096, PROT_READ | PROT_WRITE);
		fixed++;
		return; /* the store runs again, and succeeds */
	}
	siglongjmp(resume, ours ? 1 : 2);
}

__attribute__((noinline)) static void touch(void) { guarded[0] = 1; }

/* A real call chain (locals, work after the call) down to exit(status). */
__attribute__((noinline)) static int exit_from_depth(int depth, int status)
{
	volatile char pad[128];
	pad[0] = (char)depth;
	if (depth < 0)
		return 0;
	if (depth == 0) {
		fflush(stdout);
		exit(status);
	}
	int r = exit_from_depth(depth - 1, status);
	return r + pad[0];
}

static int has_arg(int argc, char **argv, const char *word)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], word) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	/* Volatile: they live across siglongjmp. */
	static volatile long recovered, odd;
	fixup = has_arg(argc, argv, "fixup");
	guarded = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (guarded == MAP_FAILED || sigaction(SIGSEGV, &sa, NULL) != 0)
		return 2;
	for (volatile long i = 0; i < n; i++) {
		if (fixup) {
			mprotect(guarded, 4096, PROT_NONE);
			touch();
			recovered++;
			continue;
		}
		int how = sigsetjmp(resume, 1);
		if (how == 0)
			touch();
		else if (how == 1)
			recovered++;
		else
			odd++;
	}
	if (fixup && fixed != n)
		odd = n - fixed;
	printf("crash_recover: recovered %ld faults (%ld odd)\n", recovered, odd);
	int status = recovered == n && odd == 0 ? 0 : 1;
	if (has_arg(argc, argv, "deep-exit"))
		return exit_from_depth(64, status);
	return status;
}
