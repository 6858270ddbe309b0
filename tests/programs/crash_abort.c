/* abort() two calls below main: SIGABRT raised by libc itself. */
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

__attribute__((noinline)) static void give_up(int why)
{
	fprintf(stderr, "crash_abort: giving up (%d)\n", why);
	abort();
}

__attribute__((noinline)) static int check(int value)
{
	if (value != 42)
		give_up(value);
	sink = value;
	return value;
}

int main(int argc, char **argv)
{
	(void)argv;
	int r = check(argc);
	printf("not reached %d\n", r);
	return 0;
}
