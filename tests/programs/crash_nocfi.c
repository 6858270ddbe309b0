/* Code without unwind tables (built -fno-asynchronous-unwind-tables, no
 * debug information, frame pointers kept but not in leaves: see the
 * Makefile): only the frame-pointer chain leads back to main. The leaf
 * that faults sets up no frame, so its caller's return address is at the
 * stack pointer, not in the chain. main -> f1 -> ... -> f6 -> leaf. */
#include <stdio.h>

#define NOT_INLINED __attribute__((noipa))

static volatile int sink;
static int *volatile target;

NOT_INLINED static int leaf(int x) { return *target + x; }
NOT_INLINED static int f6(int x) { int r = leaf(x) + 1; sink = r; return r; }
NOT_INLINED static int f5(int x) { int r = f6(x) + 1; sink = r; return r; }
NOT_INLINED static int f4(int x) { int r = f5(x) + 1; sink = r; return r; }
NOT_INLINED static int f3(int x) { int r = f4(x) + 1; sink = r; return r; }
NOT_INLINED static int f2(int x) { int r = f3(x) + 1; sink = r; return r; }
NOT_INLINED static int f1(int x) { int r = f2(x) + 1; sink = r; return r; }

int main(int argc, char **argv)
{
	(void)argv;
	sink = f1(argc);
	puts("not reached");
	return 0;
}
