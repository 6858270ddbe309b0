/* A call through a bad function pointer: "null" calls address 0, "wild"
 * an address in no module. The pc then lies outside every module; the
 * caller's return address is at the stack pointer (x86_64) or in the link
 * register (aarch64). main -> outer -> middle -> caller -> (bad pointer). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NOT_INLINED __attribute__((noipa))

static volatile int sink;
typedef int (*fn_t)(int);

NOT_INLINED static int caller(fn_t f, int x)
{
	int r = f(x); /* the call whose return address the unwinder must find */
	sink = r;
	return r + 1;
}

NOT_INLINED static int middle(fn_t f, int x) { return caller(f, x + 1) * 3; }
NOT_INLINED static int outer(fn_t f, int x) { return middle(f, x + 2) * 5; }

int main(int argc, char **argv)
{
	fn_t f = 0;
	if (argc > 1 && strcmp(argv[1], "wild") == 0)
		f = (fn_t)(uintptr_t)0x10000000dead0ull;
	sink = outer(f, argc);
	puts("not reached");
	return 0;
}
