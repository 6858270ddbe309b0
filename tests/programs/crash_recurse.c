/* Unbounded recursion: a stack overflow (SIGSEGV on the guard page) on the
 * main thread, or with the argument "thread" on a worker thread, where
 * only a per-thread alternate signal stack lets a handler run at all. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static volatile int sink;
static volatile int never; /* hides the recursion's endlessness from the compiler */

/* The local array and the work after the call keep every frame real. */
__attribute__((noinline)) static int recurse(int depth)
{
	/* 2 KiB frames: the overflow then nearly always faults on this store
	 * with the stack pointer already in the guard area (the case an
	 * unwinder finds hardest), rarely on the call's push. */
	volatile char pad[2048];
	pad[0] = (char)depth;
	if (never)
		return depth;
	int r = recurse(depth + 1);
	sink = pad[0];
	return r + pad[0];
}

static void *worker(void *arg)
{
	(void)arg;
	sink = recurse(0);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "thread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			return 2;
		pthread_join(t, NULL);
	} else {
		sink = recurse(0);
	}
	puts("not reached");
	return 0;
}
