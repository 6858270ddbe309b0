/* A NULL dereference at the bottom of a call chain ten functions deep.
 * Every level is noinline and does work after its call, so -O2 keeps each
 * frame (no inlining, no tail call): an unwinder must walk all of them
 * without frame pointers. The pointer comes from a volatile so the
 * compiler cannot prove it NULL and turn the store into a trap. */
#include <stddef.h>
#include <stdio.h>

static int *volatile target = NULL;
static volatile int sink;

#define LEVEL(name, next)                                                                                         \
	__attribute__((noinline)) static int name(int depth)                                                          \
	{                                                                                                             \
		int r = next(depth + 1);                                                                              \
		sink = r;                                                                                             \
		return r + depth;                                                                                     \
	}

__attribute__((noinline)) static int level_10(int depth)
{
	*target = depth; /* the fault */
	sink = depth;
	return depth;
}
LEVEL(level_9, level_10)
LEVEL(level_8, level_9)
LEVEL(level_7, level_8)
LEVEL(level_6, level_7)
LEVEL(level_5, level_6)
LEVEL(level_4, level_5)
LEVEL(level_3, level_4)
LEVEL(level_2, level_3)
LEVEL(level_1, level_2)

int main(void)
{
	puts("crash_null: before the fault");
	fflush(stdout);
	int r = level_1(1);
	printf("not reached %d\n", r);
	return 0;
}
