#define _GNU_SOURCE /* O_PATH */
#include "mode.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "beneath.h"
#include "bytes.h"
#include "sys.h"
#include "week.h"

int mode_dir(char *out, size_t cap, const char *telem_dir, const char *xdg, const char *home)
{
	struct text t = TEXT_INIT(out, cap);
	if (telem_dir && telem_dir[0] && telem_dir[0] != '/') {
		return -2; /* relative: refused by the shim and the tools alike */
	} else if (telem_dir && telem_dir[0] == '/') {
		text_str(&t, telem_dir);
	} else if (xdg && xdg[0] == '/') {
		text_str(&t, xdg);
		text_str(&t, "/telem");
	} else if (home && home[0] == '/') {
		text_str(&t, home);
		text_str(&t, "/.config/telem");
	} else {
		return -1;
	}
	while (t.len > 1 && out[t.len - 1] == '/')
		out[--t.len] = 0;
	return t.overflow ? -1 : 0;
}

static int word_is(const char *buf, size_t len, const char *word)
{
	size_t n = bytes_len(word);
	return len >= n && bytes_equal(buf, word, n) && (len == n || buf[n] == ' ' || buf[n] == '\n');
}

/* Passed as asof by callers that need no date. */
int64_t mode_no_date;

enum telem_mode mode_parse(const char *buf, size_t len, int64_t *asof)
{
	*asof = -1;
	enum telem_mode m;
	size_t skip;
	if (word_is(buf, len, "on"))
		m = MODE_ON, skip = 3;
	else if (word_is(buf, len, "off"))
		return MODE_OFF;
	else
		m = MODE_LOCAL, skip = 6;
	/* The shim reads the date only for "on" (whose date decides whether it
	 * is on at all): for local and off it is the tools' business. */
	if (len >= skip + 10 && buf[skip - 1] == ' ' && (m == MODE_ON || asof != &mode_no_date)) {
		char date[11];
		bytes_copy(date, buf + skip, 10);
		date[10] = 0;
		*asof = week_parse_date(date);
	}
	/* "on" without a valid date cannot say since when uploading is allowed. */
	return m == MODE_ON && *asof < 0 ? MODE_LOCAL : m;
}

/* The mode file, opened beneath the directory without following symlinks
 * (a "mode" linked to /proc/self/fd/0 or /dev/tty would eat the host's
 * input) and with O_NONBLOCK (a FIFO must not hang anything). */
static int open_mode(int dirfd) { return beneath_open(dirfd, "mode", O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0); }

static enum telem_mode parse_read(int fd, int64_t *asof)
{
	char buf[64];
	long n = sys_read(fd, buf, sizeof buf);
	return n > 0 ? mode_parse(buf, (size_t)n, asof) : MODE_LOCAL;
}

enum telem_mode mode_read(const char *dir, int64_t *asof)
{
	*asof = -1;
	int dirfd = sys_openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (dirfd < 0)
		return MODE_LOCAL;
	int fd = open_mode(dirfd);
	sys_close(dirfd);
	if (fd < 0)
		return MODE_LOCAL;
	/* The tools also check type and owner: they have no budget to keep. */
	struct stat st;
	enum telem_mode m = sys_fstat(fd, &st) == 0 && beneath_file_ok(&st, beneath_geteuid()) == 0
				    ? parse_read(fd, asof) : MODE_LOCAL;
	sys_close(fd);
	return m;
}

/* The shim's read: no fstat (a system call in every host). What is left
 * after the directory check, the no-symlink open and O_NONBLOCK is only a
 * FIFO or socket the user made there (never blocks: O_NONBLOCK; a socket
 * cannot be opened) or a device node, which only root can make. */
enum telem_mode mode_read_at(int dirfd, int64_t *asof, int *keep)
{
	*asof = -1;
	int fd = open_mode(dirfd);
	*keep = fd;
	return fd < 0 ? MODE_LOCAL : parse_read(fd, asof);
}

static enum dir_problem check_dir(int fd, unsigned euid)
{
	struct stat st;
	if (sys_fstat(fd, &st) < 0)
		return DIR_UNREADABLE;
	if (!S_ISDIR(st.st_mode))
		return DIR_NOT_DIR;
	if (st.st_uid != euid && st.st_uid != 0)
		return DIR_NOT_OWNER;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return DIR_WRITABLE;
	return DIR_USABLE;
}

int mode_dir_open(const char *dir, unsigned euid, enum dir_problem *why)
{
	/* Symlinks in dir's own path are followed: they are the user's choice
	 * (a ~/.config kept elsewhere). Nothing beneath it is. */
	int fd = sys_openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0) {
		*why = fd == -ENOENT ? DIR_MISSING : fd == -ENOTDIR ? DIR_NOT_DIR : DIR_UNREADABLE;
		return -1;
	}
	*why = check_dir(fd, euid);
	if (*why == DIR_USABLE)
		return fd;
	sys_close(fd);
	return -1;
}

int mode_dir_create(const char *dir, int parents)
{
	char buf[1100];
	size_t n = bytes_len(dir);
	if (n >= sizeof buf)
		return -ENAMETOOLONG;
	bytes_copy(buf, dir, n + 1);
	for (size_t i = parents ? 1 : n; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		buf[i] = 0;
		int rc = sys_mkdirat(AT_FDCWD, buf, BENEATH_DIR_MODE);
		if (rc < 0 && rc != -EEXIST)
			return rc;
		buf[i] = i < n ? '/' : 0;
	}
	return 0;
}

const char *mode_dir_problem_text(enum dir_problem p)
{
	switch (p) {
	case DIR_USABLE: return "usable";
	case DIR_MISSING: return "does not exist";
	case DIR_NOT_DIR: return "not a directory";
	case DIR_NOT_OWNER: return "owned by another user";
	case DIR_WRITABLE: return "writable by group or others";
	case DIR_UNREADABLE: return "cannot be opened";
	}
	return "unusable";
}

int mode_from_env(const char *value)
{
	if (!value)
		return -1;
	if (str_equal(value, "off"))
		return MODE_OFF;
	if (str_equal(value, "local"))
		return MODE_LOCAL;
	return -1;
}

const char *mode_name(enum telem_mode m)
{
	return m == MODE_ON ? "on" : m == MODE_OFF ? "off" : "local";
}
