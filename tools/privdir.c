/* The private telem directory, for the tools (privdir.h). */
#define _GNU_SOURCE
#include "privdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "cli.h"
#include "mode.h"

static char root[1100];
static size_t root_len;

int privdir_check(const char *dir)
{
	enum dir_problem why;
	int fd = mode_dir_open(dir, (unsigned)geteuid(), &why);
	if (fd >= 0)
		close(fd);
	snprintf(root, sizeof root, "%s", dir);
	root_len = strcmp(dir, "/") == 0 ? 0 : strlen(root);
	switch (fd >= 0 ? DIR_USABLE : why) {
	case DIR_USABLE:
	case DIR_MISSING:
		return 0;
	case DIR_WRITABLE:
		return fail(dir, "writable by group or others, so not private: run 'chmod go-w %s'", dir);
	case DIR_NOT_OWNER: {
		struct stat st;
		unsigned owner = stat(dir, &st) == 0 ? (unsigned)st.st_uid : 0;
		return fail(dir, "owned by uid %u, not by you (uid %u): use a directory of your own "
			    "(--dir or TELEM_DIR), or have its owner remove it", owner, (unsigned)geteuid());
	}
	case DIR_NOT_DIR:
		return fail(dir, "not a directory: remove it or choose another with --dir or TELEM_DIR");
	case DIR_UNREADABLE:
		break;
	}
	return fail(dir, "cannot open the telem directory: %s", strerror(errno));
}

int privdir_below(const char *path, const char **rel)
{
	if (!root[0] || strncmp(path, root, root_len) != 0 || path[root_len] != '/')
		return 0;
	*rel = path + root_len + 1;
	while (**rel == '/')
		(*rel)++;
	return **rel != 0;
}

static int root_fd(void)
{
	return open(root_len ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int set_errno(int rc)
{
	if (rc >= 0)
		return rc;
	errno = -rc;
	return -1;
}

int privdir_open(const char *path, int flags, int mode)
{
	const char *rel;
	if (!privdir_below(path, &rel))
		return open(path, flags, mode);
	int dirfd = root_fd();
	if (dirfd < 0)
		return -1;
	int fd = beneath_open(dirfd, rel, flags | O_CLOEXEC, mode);
	close(dirfd);
	return set_errno(fd);
}

int privdir_file_ok(int fd, const char *path)
{
	struct stat st;
	const char *rel;
	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (privdir_below(path, &rel) && beneath_file_ok(&st, (unsigned)geteuid()) < 0)) {
		errno = EPERM; /* "Operation not permitted": not a file of the user's */
		return -1;
	}
	return 0;
}

/* The directory of path (beneath the root when below it, no symlink);
 * *name gets the last component. */
static int parent_fd(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/'), *rel;
	*name = slash ? slash + 1 : path;
	if (privdir_below(path, &rel)) {
		const char *s = strrchr(rel, '/');
		int dirfd = root_fd();
		if (!s || dirfd < 0)
			return dirfd;
		char sub[1200];
		snprintf(sub, sizeof sub, "%.*s", (int)(s - rel), rel);
		int fd = beneath_open(dirfd, sub, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		close(dirfd);
		return set_errno(fd);
	}
	char dir[1200];
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	return open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int privdir_rename(const char *from, const char *to)
{
	const char *a, *b;
	int fa = parent_fd(from, &a);
	int fb = fa < 0 ? -1 : parent_fd(to, &b);
	int rc = fb < 0 ? -1 : renameat(fa, a, fb, b);
	int e = errno;
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	errno = e;
	return rc;
}

int privdir_unlink(const char *path)
{
	const char *name;
	int fd = parent_fd(path, &name);
	if (fd < 0)
		return -1;
	int rc = unlinkat(fd, name, 0);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}
