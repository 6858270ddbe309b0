#define _GNU_SOURCE
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "beneath.h"
#include "privdir.h"
#include "week.h"

int fail(const char *file, const char *fmt, ...)
{
	va_list ap;
	fputs("telem: ", stderr);
	if (file)
		fprintf(stderr, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "telem%s%s: ", command ? " " : "", command ? command : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nrun 'telem %s%s--help' for usage\n", command ? command : "", command ? " " : "");
	return EXIT_USAGE;
}

const struct command *find_command(const char *name)
{
	for (const struct command *c = telem_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int simple_options(const struct command *cmd, int argc, char **argv, int *first_operand, int allow_json,
		   struct cli *cli)
{
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cmd->usage, stdout);
			return 0;
		}
		if (allow_json && strcmp(argv[i], "--json") == 0) {
			cli->json = 1;
			continue;
		}
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error(cmd->name, "unknown option '%s'", argv[i]);
		break;
	}
	*first_operand = i;
	return -1;
}

char *read_file(const char *path, size_t *len)
{
	/* O_NONBLOCK: opening a FIFO must not hang; privdir_file_ok rejects it.
	 * Below the telem directory: no symlink, and only the user's files. */
	int fd = privdir_open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (privdir_file_ok(fd, path) < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 1 >= cap) {
			char *b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0) {
			buf[n] = 0;
			close(fd);
			*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	close(fd);
	errno = ENOMEM;
	return NULL;
}

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp-%d", path, (int)getpid()) < 0)
		return -1;
	const char *rel;
	if (privdir_below(path, &rel))
		mode = BENEATH_FILE_MODE; /* everything in the telem directory is private */
	int fd = privdir_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	int ok = fd >= 0;
	const char *p = data;
	for (size_t done = 0; ok && done < len;) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		done += ok ? (size_t)w : 0;
	}
	ok = ok && fchmod(fd, (mode_t)mode) == 0 && fsync(fd) == 0;
	int e = errno;
	if (fd >= 0 && close(fd) < 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (ok && privdir_rename(tmp, path) < 0) {
		ok = 0;
		e = errno;
	}
	if (!ok)
		privdir_unlink(tmp);
	free(tmp);
	errno = e;
	return ok ? 0 : -1;
}

int make_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		char c = buf[i];
		buf[i] = 0;
		if (mkdir(buf, BENEATH_DIR_MODE) < 0 && errno != EEXIST)
			return -1;
		buf[i] = c;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int list_counter_files(const char *dir, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 9 || strcmp(e->d_name + l - 9, ".v1.count") != 0 || e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(*names, cap * sizeof *nn);
			if (!nn)
				break;
			*names = nn;
		}
		(*names)[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, cmp_names);
	return 0;
}

void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int64_t today_days(void)
{
	const char *fixed = getenv("TELEM_TEST_NOW");
	if (fixed && *fixed)
		return week_day_of(strtoll(fixed, NULL, 10));
	return week_day_of((int64_t)time(NULL));
}

/* The first line of the mode file when it is not one the tools write. */
static int odd_mode_text(const char *text, size_t len, char *shown, size_t cap)
{
	size_t line = strcspn(text, "\n");
	/* What telem and Go write; "local" alone is an older local's. */
	static const char *const words[] = {"on ", "local ", "off ", "off", "local"};
	int ok = 0;
	for (int i = 0; i < 5 && !ok; i++) {
		size_t w = strlen(words[i]);
		char date[11] = "";
		if (line == w + 10)
			memcpy(date, text + w, 10);
		ok = line >= w && strncmp(text, words[i], w) == 0 &&
		     (i >= 3 ? line == w : line == w + 10 && week_parse_date(date) >= 0);
	}
	size_t n = 0;
	for (; n < line && n < len && n + 1 < cap && n < 40; n++)
		shown[n] = (unsigned char)text[n] < 0x20 || text[n] == 0x7f ? '?' : text[n];
	shown[n] = 0;
	return !ok;
}

enum telem_mode cli_mode_read(const struct cli *cli, int64_t *asof)
{
	static int told;
	enum telem_mode m = mode_read(cli->dir, asof);
	char path[1100], shown[48];
	size_t len;
	snprintf(path, sizeof path, "%s/mode", cli->dir);
	char *text = told ? NULL : read_file(path, &len);
	if (text && odd_mode_text(text, len, shown, sizeof shown)) {
		told = 1;
		fail(path, "'%s' is not a mode (on|local|off <YYYY-MM-DD>): taken as %s%s", shown, mode_name(m),
		     m == MODE_LOCAL ? " (collect, never upload)" : "");
	}
	free(text);
	return m;
}
