/* GCC's way (toplev.cc crash_signal): signal() in main, and a handler that
 * reports an internal compiler error and calls exit(4). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *volatile target = NULL;
static volatile int sink;

static void crash_signal(int sig)
{
	signal(sig, SIG_DFL);
	fprintf(stderr, "crash_signal: internal compiler error: %s\n", strsignal(sig));
	exit(4);
}

__attribute__((noinline)) static int fold_constants(int x)
{
	*target = x; /* the fault */
	sink = x;
	return x;
}

int main(int argc, char **argv)
{
	(void)argv;
	signal(SIGSEGV, crash_signal);
	signal(SIGBUS, crash_signal);
	puts("crash_signal: compiling");
	fflush(stdout);
	return fold_constants(argc);
}
