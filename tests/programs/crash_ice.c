/* A stand-in for a compiler proper: copied as "cc1", its exit(4) is an
 * internal compiler error by telem's exit-code rule, with no signal. */
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

__attribute__((noinline)) static void internal_error(const char *what)
{
	fprintf(stderr, "internal compiler error: %s\n", what);
	exit(4);
}

__attribute__((noinline)) static int expand_expr(int x)
{
	if (x < 100)
		internal_error("in expand_expr, at expr.cc:1");
	sink = x;
	return x;
}

int main(int argc, char **argv)
{
	(void)argv;
	return expand_expr(argc);
}
