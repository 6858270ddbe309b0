/* A fault inside libc: strlen(NULL) (default), or with the argument
 * "qsort" a comparator that faults, called through libc's sorting frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *volatile nothing = NULL;
static int *volatile broken = NULL;
static volatile size_t sink;

__attribute__((noinline)) static size_t measure(const char *s)
{
	size_t n = strlen(s);
	sink = n;
	return n + 1;
}

static int compare(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x - y + *broken; /* the fault, with libc's frames below */
}

__attribute__((noinline)) static int sort_them(void)
{
	int v[16];
	for (int i = 0; i < 16; i++)
		v[i] = (i * 7) % 16;
	qsort(v, 16, sizeof v[0], compare);
	sink = (size_t)v[0];
	return v[0];
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "qsort") == 0)
		printf("not reached %d\n", sort_them());
	else
		printf("not reached %zu\n", measure(nothing));
	return 0;
}
