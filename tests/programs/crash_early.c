/* A handler installed before main, in a constructor, with sigaction: it is
 * at the kernel before the shim installs its own. The handler prints and
 * leaves with _exit(3). */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int *volatile target = NULL;
static volatile int sink;

static void on_segv(int sig)
{
	(void)sig;
	static const char msg[] = "crash_early: caught SIGSEGV, exiting 3\n";
	if (write(2, msg, sizeof msg - 1) < 0)
		sink = 1;
	_exit(3);
}

__attribute__((constructor)) static void install_early(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
}

__attribute__((noinline)) static int work(int x)
{
	*target = x; /* the fault */
	sink = x;
	return x;
}

int main(int argc, char **argv)
{
	(void)argv;
	static const char msg[] = "crash_early: main\n";
	if (write(1, msg, sizeof msg - 1) < 0)
		return 2;
	return work(argc);
}
