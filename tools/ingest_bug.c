/* Bug records: their stack counter takes its first line from the program's
 * own counter, read back from the counter file the record points into (the
 * shim records an offset there, not a name: the record layout stays that of
 * a crash). What is read is checked again by the shim's name rules: the
 * counter file is untrusted input too. */
#define _GNU_SOURCE
#include "ingest_bug.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counterfile.h"
#include "countername.h"
#include "crashrecord.h"

#define TRUNCATED "\ntruncated\n"

struct wanted {
	const unsigned char *data;
	uint64_t offset;
	char name[CF_MAX_NAME + 1];
	size_t len;
};

static int visit(void *arg, const struct cf_record_view *rec)
{
	struct wanted *w = arg;
	if ((uint64_t)((const unsigned char *)rec->name - w->data) != w->offset + 16)
		return 0;
	memcpy(w->name, rec->name, rec->len);
	w->name[rec->len] = 0;
	w->len = rec->len;
	return 1;
}

/* The name of the counter record at h->fault_addr; 0 or -1 with why. */
static int counter_at(const char *dir, const struct crash_header *h, struct wanted *w, char *why, size_t cap)
{
	char path[CF_PATH_MAX + 200];
	snprintf(path, sizeof path, "%s/local/%s", dir, h->counter_file);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)CF_MAX_FILE) {
		snprintf(why, cap, "a bug record whose counter file %s cannot be read: %s", h->counter_file,
			 fd < 0 ? strerror(errno) : "not a regular file of a counter file's size");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	unsigned char *data = malloc((size_t)st.st_size + 1);
	ssize_t got = data ? read(fd, data, (size_t)st.st_size) : -1;
	close(fd);
	const char *meta;
	size_t meta_len;
	w->data = data;
	w->offset = h->fault_addr;
	w->len = 0;
	if (got == st.st_size)
		counter_file_parse(data, (size_t)got, &meta, &meta_len, visit, w);
	free(data);
	if (w->len == 0) {
		snprintf(why, cap, "a bug record whose counter (offset %llu) is not in %s",
			 (unsigned long long)h->fault_addr, h->counter_file);
		return -1;
	}
	return 0;
}

/* "<program>/<name>" with <name> allowed by the shim's rules. */
static int name_allowed(const struct crash_header *h, const struct wanted *w)
{
	size_t p = strnlen(h->program, sizeof h->program);
	return w->len > p + 1 && memcmp(w->name, h->program, p) == 0 && w->name[p] == '/' &&
	       !counter_name_refused(w->name + p + 1, w->len - p - 1);
}

int bug_record_check(const char *dir, const unsigned char *data, char *why, size_t why_cap)
{
	const struct crash_header *h = (const void *)data;
	if (h->kind != CRASH_BUG)
		return 0;
	static struct wanted w;
	if (counter_at(dir, h, &w, why, why_cap) < 0)
		return -1;
	if (!name_allowed(h, &w)) {
		snprintf(why, why_cap, "a bug record whose counter is not a name of %s's own", h->program);
		return -1;
	}
	return 0;
}

size_t bug_stack_name(const char *dir, const unsigned char *data, char *name, size_t len)
{
	const struct crash_header *h = (const void *)data;
	static struct wanted w;
	char why[256];
	if (h->kind != CRASH_BUG || counter_at(dir, h, &w, why, sizeof why) < 0 || !name_allowed(h, &w))
		return len;
	const char *frames = memchr(name, '\n', len);
	size_t rest = frames ? len - (size_t)(frames - name) : 0;
	static char out[2 * CF_MAX_NAME + 2];
	memcpy(out, w.name, w.len);
	memcpy(out + w.len, frames, rest);
	size_t n = w.len + rest;
	if (n > CF_MAX_NAME) { /* Go's rule: cut, then say so */
		n = CF_MAX_NAME - (sizeof TRUNCATED - 1);
		memcpy(out + n, TRUNCATED, sizeof TRUNCATED - 1);
		n = CF_MAX_NAME;
	}
	memcpy(name, out, n);
	name[n] = 0;
	return n;
}
