/* A failed assert: glibc prints its message on stderr, then aborts. */
#include <assert.h>
#include <stdio.h>

static volatile int sink;

__attribute__((noinline)) static int validate(int value)
{
	assert(value == 42 && "the answer");
	sink = value;
	return value;
}

int main(int argc, char **argv)
{
	(void)argv;
	int r = validate(argc);
	printf("not reached %d\n", r);
	return 0;
}
