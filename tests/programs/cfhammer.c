/* Hammers one counter file from many processes at once, through the
 * shim's own counter file code, so that record allocations race:
 *
 *   cfhammer FILE PROCS INCREMENTS NAMES NAMELEN
 *
 * Each of PROCS children opens (creating) FILE, waits for a common start,
 * then adds 1 INCREMENTS times, walking the NAMES names in its own order
 * (its own stride and start), so every name gets INCREMENTS/NAMES from each
 * child when NAMES divides INCREMENTS. Names are NAMELEN bytes long, so a
 * few hundred of them span several 16 KiB pages.
 *
 * The counter file code is included whole (it needs only libc and the
 * kernel), because the Makefile builds each test program from its one source. */
#include "../../shim/counterfile.c"
#include "../../shim/beneath.c"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char meta[] = "TimeBegin: 2026-01-05T00:00:00Z\nTimeEnd: 2026-01-07T00:00:00Z\n"
			   "Program: cfhammer\nVersion: devel\nGoVersion: glibc2.36\n"
			   "GOOS: linux\nGOARCH: amd64\n\n";

static unsigned gcd(unsigned a, unsigned b) { return b ? gcd(b, a % b) : a; }

static size_t make_name(char *out, unsigned index, unsigned len)
{
	int n = snprintf(out, len + 1, "hammer/%05u-", index);
	for (unsigned i = (unsigned)n; i < len; i++)
		out[i] = (char)('a' + (index + i) % 26);
	out[len] = 0;
	return len;
}

static int hammer(const char *path, unsigned proc, unsigned long incs, unsigned names,
		  unsigned namelen, int go_fd)
{
	struct counter_file cf;
	int err;
	enum cf_status s = counter_file_open(&cf, path, meta, sizeof meta - 1, 1, &err);
	if (s != CF_OK) {
		fprintf(stderr, "cfhammer %u: %s: %s (%d)\n", proc, path, cf_status_text(s), err);
		return 1;
	}
	char go;
	if (read(go_fd, &go, 1) != 0) /* returns 0 when the parent closes its end */
		return 1;
	unsigned stride = 1 + 2 * proc;
	while (gcd(stride, names) != 1)
		stride += 2;
	unsigned start = proc * 37 % names;
	char name[CF_MAX_NAME + 1];
	for (unsigned long i = 0; i < incs; i++) {
		unsigned index = (unsigned)((start + i * stride) % names);
		counter_file_add(&cf, name, make_name(name, index, namelen), 1);
	}
	counter_file_close(&cf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: cfhammer FILE PROCS INCREMENTS NAMES NAMELEN\n");
		return 2;
	}
	unsigned procs = (unsigned)atoi(argv[2]), names = (unsigned)atoi(argv[4]);
	unsigned long incs = strtoul(argv[3], NULL, 10);
	unsigned namelen = (unsigned)atoi(argv[5]);
	int go[2];
	if (procs == 0 || names == 0 || namelen < 16 || namelen > 1000 || pipe(go) < 0)
		return 2;
	for (unsigned p = 0; p < procs; p++) {
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			close(go[1]);
			_exit(hammer(argv[1], p, incs, names, namelen, go[0]));
		}
	}
	close(go[1]);
	int failed = 0, st;
	while (wait(&st) > 0)
		failed |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	return failed;
}
