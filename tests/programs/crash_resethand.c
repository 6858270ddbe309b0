/* An SA_RESETHAND handler that returns: the faulting instruction runs
 * again, now with the default action, and the second fault kills. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int *volatile target = NULL;
static volatile int sink;
static volatile int calls;

static void once(int sig)
{
	(void)sig;
	calls++;
	static const char msg[] = "crash_resethand: handler called, returning\n";
	if (write(2, msg, sizeof msg - 1) < 0)
		sink = 1;
}

__attribute__((noinline)) static int work(int x)
{
	*target = x; /* faults twice */
	sink = x;
	return x;
}

int main(int argc, char **argv)
{
	(void)argv;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = once;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	return work(argc) + calls;
}
