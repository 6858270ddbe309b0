/* Starts and ends threads one after another, the way named in argv[1]
 * (return | exit: pthread_exit | cancel: pthread_cancel at a
 * cancellation point), argv[2] of them, then prints how many KiB of
 * address space the process gained over all but the first ten: what every
 * ended thread leaves behind, times the threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *how;

static void *worker(void *arg)
{
	(void)arg;
	if (strcmp(how, "exit") == 0)
		pthread_exit(NULL);
	if (strcmp(how, "cancel") == 0)
		for (;;)
			pause();
	return NULL;
}

static long vm_size_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "VmSize:", 7) == 0)
			kib = atol(line + 7);
	if (f)
		fclose(f);
	return kib;
}

static int churn(int n)
{
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			return -1;
		if (strcmp(how, "cancel") == 0)
			pthread_cancel(t);
		if (pthread_join(t, NULL) != 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	how = argv[1];
	if (churn(10) != 0)
		return 1;
	long before = vm_size_kib();
	if (churn(atoi(argv[2])) != 0)
		return 1;
	printf("%ld\n", vm_size_kib() - before);
	return 0;
}
