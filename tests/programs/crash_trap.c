/* __builtin_trap(): ud2 on x86_64, SIGILL (ILL_ILLOPN). */
#include <stdio.h>

static volatile int armed = 1;
static volatile int sink;

__attribute__((noinline)) static int unreachable_state(int x)
{
	if (armed)
		__builtin_trap();
	sink = x;
	return x;
}

__attribute__((noinline)) static int dispatch(int x)
{
	int r = unreachable_state(x * 3);
	sink = r;
	return r + 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	int r = dispatch(argc);
	printf("not reached %d\n", r);
	return 0;
}
