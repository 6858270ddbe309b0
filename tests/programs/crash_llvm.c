/* LLVM's way (lib/Support/Unix/Signals.inc): handlers registered with
 * sigaction, previous ones saved; on a fault the handler puts the previous
 * handlers back, unblocks signals, prints its report and re-raises, so the
 * process dies of the original signal. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const int kill_sigs[] = {SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGBUS, SIGSEGV, SIGSYS};
#define N_SIGS (sizeof kill_sigs / sizeof kill_sigs[0])
static struct sigaction previous[N_SIGS];
static int *volatile target = NULL;
static volatile int sink;

static void unregister_handlers(void)
{
	for (size_t i = 0; i < N_SIGS; i++)
		sigaction(kill_sigs[i], &previous[i], NULL);
}

static void signal_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)si, (void)ctx;
	unregister_handlers();
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	static const char msg[] = "crash_llvm: Stack dump:\n0.\tProgram arguments: crash_llvm\n";
	if (write(2, msg, sizeof msg - 1) < 0)
		sink = 1;
	raise(sig);
}

static void register_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = signal_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_SIGS; i++)
		sigaction(kill_sigs[i], &sa, &previous[i]);
}

__attribute__((noinline)) static int run_pass(int x)
{
	*target = x; /* the fault */
	sink = x;
	return x;
}

__attribute__((noinline)) static int run_passes(int x)
{
	int r = run_pass(x + 1);
	sink = r;
	return r + 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	register_handlers();
	return run_passes(argc);
}
