/* A NULL dereference on a worker thread: worker -> step_a -> step_b. The
 * thread was started by pthread_create, which the shim wraps (to give the
 * thread an alternate signal stack): the stack must not show that. */
#include <pthread.h>
#include <stdio.h>

#define NOT_INLINED __attribute__((noipa))

static int *volatile target;
static volatile int sink;

NOT_INLINED static int step_b(int x) { return *target + x; }
NOT_INLINED static int step_a(int x) { int r = step_b(x) * 2; sink = r; return r; }

static void *worker(void *arg)
{
	sink = step_a((int)(long)arg);
	return NULL;
}

int main(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, worker, (void *)1L) != 0)
		return 2;
	pthread_join(t, NULL);
	puts("not reached");
	return 0;
}
