/* A rebuilt program using include/telem/counter.h (tests/integration/25-counter-api.t,
 * scripts/bench.sh). Prints the same with and without telem.
 *   counter_c threads       8 threads x 100,000 telem_counter_inc("api:hits")
 *   counter_c bug [N]       N (default 3) passes through a 10-deep call chain
 *                           ending in telem_stack_inc("bug:impossible"), plus
 *                           one from a second call site in main
 *   counter_c grow          8 threads making 300 names each (the file grows)
 *                           while counting api:steady
 *   counter_c sites         one bug counter from 12 call sites
 *   counter_c names         counts "names:ok" and tries refused names
 *   counter_c signal        counts "api:in-handler" from a SIGUSR1 handler
 *   counter_c inc N         N increments of one counter (instruction counts)
 *   counter_c loop N        a loop of N rounds of work, each hitting a bug
 *                           counter; the loop's time in ns on stderr (the
 *                           bench compares it) */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "telem/counter.h"

#define THREADS 8
#define PER_THREAD 100000

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++)
		telem_counter_inc("api:hits");
	return NULL;
}

static int threads(void)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, hammer, NULL) != 0)
			return 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("threads: %d increments\n", THREADS * PER_THREAD);
	return 0;
}

/* Each thread makes 300 names of its own (the file grows, and is
 * remapped, several times) while counting "api:steady" between them: a
 * count word must stay valid across another thread's remap. */
static void *grower(void *arg)
{
	long t = (long)arg;
	char name[32];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "grow:t%ld-n%d", t, i);
		telem_counter_inc(name);
		for (int j = 0; j < 100; j++)
			telem_counter_inc("api:steady");
	}
	return NULL;
}

static int grow(void)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, grower, (void *)i) != 0)
			return 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("grow: %d names\n", THREADS * 300);
	return 0;
}

/* volatile keeps every level a real call, not a tail call or inlined. */
static volatile int depth_seen;
#define LEVEL(n, next)                                           \
	__attribute__((noinline)) int bug_level##n(int x)        \
	{                                                        \
		int r = next(x + 1);                             \
		depth_seen = depth_seen + 1;                     \
		return r + 1;                                    \
	}
__attribute__((noinline)) int bug_level10(int x)
{
	if (x >= 0) /* "impossible" */
		telem_stack_inc("bug:impossible");
	depth_seen = depth_seen + 1;
	return x;
}
LEVEL(9, bug_level10)
LEVEL(8, bug_level9)
LEVEL(7, bug_level8)
LEVEL(6, bug_level7)
LEVEL(5, bug_level6)
LEVEL(4, bug_level5)
LEVEL(3, bug_level4)
LEVEL(2, bug_level3)
LEVEL(1, bug_level2)

static int bug(int n)
{
	int sum = 0;
	for (int i = 0; i < n; i++)
		sum += bug_level1(0);
	telem_stack_inc("bug:other-site");
	printf("bug: %d passes, depth %d\n", n, sum / (n ? n : 1));
	return 0;
}

/* 12 distinct call sites of one bug counter: more than a process records. */
static int sites(void)
{
#define SITE telem_stack_inc("bug:many-sites")
	SITE; SITE; SITE; SITE; SITE; SITE; SITE; SITE; SITE; SITE; SITE; SITE;
#undef SITE
	printf("sites: 12\n");
	return 0;
}

static int names(void)
{
	static const char *refused[] = {
		"/home/user/secret", "home//x", "main.c", "a/b/c/d/e", ".hidden", "x:../etc",
		"with space", "line\nbreak", "invocations", "exit:0", "crash/crash",
		"a-part-that-is-much-longer-than-forty-bytes-long", "",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		telem_counter_inc(refused[i]);
	telem_counter_add("names:ok", 5);
	telem_counter_inc("gotoolchain:go1.22.1");
	telem_counter_inc(NULL);
	printf("names: tried %zu refused names\n", sizeof refused / sizeof *refused);
	return 0;
}

static void on_usr1(int sig)
{
	(void)sig;
	telem_counter_inc("api:in-handler");
}

static int in_handler(void)
{
	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 10; i++)
		raise(SIGUSR1);
	printf("signal: 10 raised\n");
	return 0;
}

static int inc(long n)
{
	for (long i = 0; i < n; i++)
		telem_counter_inc("bench:inc");
	return 0;
}

static long ns_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* A hot loop with work in it (FNV-1a of 64 bytes, about 250 instructions)
 * in which the "impossible" fires every time. */
static int loop(long n)
{
	unsigned char buf[64] = {0};
	uint32_t h = 2166136261u;
	long t0 = ns_now();
	for (long i = 0; i < n; i++) {
		buf[i & 63] = (unsigned char)i;
		for (int j = 0; j < 64; j++)
			h = (h ^ buf[j]) * 16777619u;
		if (h != 1) /* "impossible" */
			telem_stack_inc("bench:bug");
	}
	fprintf(stderr, "%ld\n", ns_now() - t0);
	return h == 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 3;
	if (strcmp(mode, "threads") == 0)
		return threads();
	if (strcmp(mode, "bug") == 0)
		return bug((int)n);
	if (strcmp(mode, "grow") == 0)
		return grow();
	if (strcmp(mode, "sites") == 0)
		return sites();
	if (strcmp(mode, "names") == 0)
		return names();
	if (strcmp(mode, "signal") == 0)
		return in_handler();
	if (strcmp(mode, "inc") == 0)
		return inc(n);
	if (strcmp(mode, "loop") == 0)
		return loop(n);
	fprintf(stderr, "usage: counter_c threads|bug [N]|names|signal|inc N|loop N\n");
	return 2;
}
