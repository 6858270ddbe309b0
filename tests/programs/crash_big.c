/* A 256 KiB local array between main and the fault: the shim's 128 KiB
 * stack copy ends inside it, so the unwinder cannot reach main.
 * main -> holds_big -> middle -> faults. */
#include <stdio.h>
#include <string.h>

#define NOT_INLINED __attribute__((noipa))

static int *volatile target;
static volatile int sink;

NOT_INLINED static int faults(int x) { return *target + x; }
NOT_INLINED static int middle(int x) { int r = faults(x) + 1; sink = r; return r; }

NOT_INLINED static int holds_big(int x)
{
	volatile char big[256 << 10];
	big[0] = (char)x;
	big[sizeof big - 1] = (char)x;
	int r = middle(big[0]);
	sink = big[sizeof big - 1];
	return r;
}

int main(int argc, char **argv)
{
	(void)argv;
	sink = holds_big(argc);
	puts("not reached");
	return 0;
}
