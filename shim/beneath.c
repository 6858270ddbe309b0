/* Opening beneath one directory descriptor, following no symlink (beneath.h). */
#define _GNU_SOURCE /* O_PATH */
#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include "bytes.h"
#include "sys.h"

#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture */
#endif

/* Set once openat2 is found missing (Linux < 5.6, or a seccomp filter that
 * refuses it): then the walk opens one component at a time. A plain int
 * store: the crash handler may race with it harmlessly. */
static int openat2_missing;

/* A component of rel that openat2's RESOLVE_BENEATH would refuse anyway. */
static int dot_component(const char *c, size_t n)
{
	return n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.');
}

/* The fallback: every component opened with O_NOFOLLOW from the previous.
 * (Also what valgrind, which does not know openat2, measures.) */
static int walk(int dirfd, const char *rel, int flags, int mode)
{
	int cur = dirfd;
	for (;;) {
		size_t n = 0;
		while (rel[n] && rel[n] != '/')
			n++;
		int last = rel[n] == 0;
		char comp[256];
		const char *name = rel; /* the last component is used in place */
		if (dot_component(rel, n) || (!last && n >= sizeof comp)) {
			if (cur != dirfd)
				sys_close(cur);
			return n >= sizeof comp ? -ENAMETOOLONG : -EXDEV;
		}
		if (!last) {
			bytes_copy(comp, rel, n);
			comp[n] = 0;
			name = comp;
		}
		int fd = last ? sys_openat(cur, name, flags | O_NOFOLLOW, mode)
			      : sys_openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
		/* With O_DIRECTORY, O_NOFOLLOW makes a symlink ENOTDIR: say ELOOP,
		 * as openat2 does. */
		struct stat st;
		if (fd == -ENOTDIR && (!last || (flags & O_DIRECTORY)) &&
		    sys_call4(SYS_newfstatat, cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			fd = -ELOOP;
		if (cur != dirfd)
			sys_close(cur);
		if (fd < 0 || last)
			return fd;
		cur = fd;
		rel += n + 1;
	}
}

int beneath_open(int dirfd, const char *rel, int flags, int mode)
{
	/* One component (the mode file): O_NOFOLLOW alone is all it takes, a
	 * symlink there is refused and no magic link can be an entry of ours. */
	size_t n = 0;
	while (rel[n] && rel[n] != '/')
		n++;
	if (!rel[n] && !dot_component(rel, n) && !(flags & O_DIRECTORY))
		return sys_openat(dirfd, rel, flags | O_NOFOLLOW, mode);
	if (!openat2_missing) {
		struct open_how how = {
			.flags = (unsigned)flags,
			.mode = (flags & O_CREAT) ? (unsigned)mode : 0,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		int fd = (int)sys_call4(SYS_openat2, dirfd, rel, &how, sizeof how);
		if (fd != -ENOSYS && fd != -EPERM)
			return fd;
		openat2_missing = 1;
	}
	return walk(dirfd, rel, flags, mode);
}

void beneath_use_walk(int on) { openat2_missing = on; }

int beneath_mkdir(int dirfd, const char *rel)
{
	size_t slash = 0, n = bytes_len(rel);
	for (size_t i = 0; i < n; i++)
		if (rel[i] == '/')
			slash = i;
	if (!slash)
		return dot_component(rel, n) ? -EXDEV : sys_mkdirat(dirfd, rel, BENEATH_DIR_MODE);
	char parent[256];
	if (slash >= sizeof parent || dot_component(rel + slash + 1, n - slash - 1))
		return -ENAMETOOLONG;
	bytes_copy(parent, rel, slash);
	parent[slash] = 0;
	int pfd = beneath_open(dirfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (pfd < 0)
		return pfd;
	int rc = sys_mkdirat(pfd, rel + slash + 1, BENEATH_DIR_MODE);
	sys_close(pfd);
	return rc;
}

int beneath_file_ok(const struct stat *st, unsigned euid)
{
	return S_ISREG(st->st_mode) && (st->st_uid == euid || st->st_uid == 0) ? 0 : -EPERM;
}

unsigned beneath_geteuid(void) { return (unsigned)sys_call0(SYS_geteuid); }
