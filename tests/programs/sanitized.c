/* A host built with a sanitizer (tests/integration/66-sanitizers.t builds
 * it with gcc and clang, -fsanitize=address|thread|undefined|leak). It
 * starts a thread and installs a SIGSEGV handler before main (from a
 * constructor, as runtimes do), then, by argv[1]:
 *   ok     prints and returns 0
 *   error  commits the error its sanitizer reports: a heap overflow
 *          (address), a data race (thread), a signed overflow (undefined),
 *          a leak (leak); the sanitizer turns it into its exit status
 *   crash  a NULL store: the sanitizer's SEGV report, or a plain SIGSEGV
 * The race's report must read the same on every run: the worker writes
 * first, then waits (running) until main has made the racing access;
 * relaxed atomics order the two for real without giving ThreadSanitizer
 * a happens-before edge that would hide the race. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *volatile nowhere;
static volatile int shared;
static volatile int big = 0x7fffffff;
static void *volatile kept;
static atomic_int worker_wrote, main_raced;

static void *worker(void *arg)
{
	shared += (int)(long)arg;
	return 0;
}

static void wait_for(atomic_int *flag)
{
	while (!atomic_load_explicit(flag, memory_order_relaxed))
		sched_yield();
}

static void *racing_worker(void *arg)
{
	shared += (int)(long)arg;
	atomic_store_explicit(&worker_wrote, 1, memory_order_relaxed);
	wait_for(&main_raced);
	return 0;
}

static void on_usr1(int sig) { (void)sig; }

__attribute__((constructor)) static void early(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	if (sigaction(SIGUSR1, &sa, 0) != 0)
		puts("sigaction failed");
}

static void error_of(const char *kind)
{
	if (strcmp(kind, "address") == 0) {
		char *volatile p = malloc(8);
		p[8 + (shared & 1)] = 1;
		kept = p;
	} else if (strcmp(kind, "thread") == 0) {
		pthread_t t;
		pthread_create(&t, 0, racing_worker, (void *)2L);
		wait_for(&worker_wrote);
		shared += 3;
		atomic_store_explicit(&main_raced, 1, memory_order_relaxed);
		pthread_join(t, 0);
	} else if (strcmp(kind, "undefined") == 0) {
		printf("%d\n", big + (int)(shared + 1));
	} else if (strcmp(kind, "leak") == 0) {
		kept = malloc(64);
		kept = 0;
	}
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "ok";
	pthread_t t;
	pthread_create(&t, 0, worker, (void *)1L);
	pthread_join(t, 0);
	printf("sanitized: %s\n", what);
	fflush(stdout);
	if (strcmp(what, "error") == 0 && argc > 2)
		error_of(argv[2]);
	else if (strcmp(what, "crash") == 0)
		*nowhere = 1;
	puts("sanitized: end");
	return 0;
}
