/* Reports what the host sees at the top of main and at exit: errno, and
 * the open file descriptors (from /proc/self/fd). With the shim both must
 * be exactly what they are without it: errno 0 and no descriptor left open.
 * The report goes to stdout, or to the file named by the first argument
 * (opened only after the first listing, so it is not in it). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char report[8192];
static size_t used;
static int out_fd = 1;

static void add(const char *s)
{
	size_t n = strlen(s);
	if (used + n < sizeof report) {
		memcpy(report + used, s, n);
		used += n;
	}
}

/* Lists open fds, leaving out the one opendir itself holds. */
static void list_fds(const char *when)
{
	char item[300];
	add(when);
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		add(" (cannot list)\n");
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(item, sizeof item, " %s", e->d_name);
		add(item);
	}
	closedir(d);
	add("\n");
}

static void at_exit_report(void)
{
	list_fds("fds at exit:");
	if (write(out_fd, report, used) != (ssize_t)used)
		_exit(99);
}

int main(int argc, char **argv)
{
	int first_errno = errno; /* before anything else touches it */
	char line[64];
	snprintf(line, sizeof line, "errno at main: %d\n", first_errno);
	add(line);
	list_fds("fds at main:");
	if (argc > 1) {
		out_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out_fd < 0)
			return 98;
	}
	atexit(at_exit_report);
	return 0;
}
