/* The telem directory is private to one user (the trust model: shim/beneath.h).
 * Every command checks it before it reads or writes anything there, and
 * every file the tools open beneath it is reached without a symlink and
 * must be a regular file owned by the user (or root). */
#ifndef TELEM_PRIVDIR_H
#define TELEM_PRIVDIR_H

#include <stddef.h>

/* Checks dir (missing is fine: it is created 0700 when needed) and makes
 * it the root below which privdir_open walks. On a directory the user must
 * not trust, prints one line saying how to fix it and returns 1. */
int privdir_check(const char *dir);

/* Whether path lies below the checked directory; *rel gets the part below. */
int privdir_below(const char *path, const char **rel);

/* open(path, flags, mode), but below the checked directory: beneath its
 * descriptor, no symlink followed on any component. -1 with errno set. */
int privdir_open(const char *path, int flags, int mode);

/* Whether the file open on fd may be read: a regular file, and below the
 * checked directory one owned by the user or root. 0, or -1 with errno. */
int privdir_file_ok(int fd, const char *path);

/* renameat/unlinkat/mkdir below the checked directory (parents beneath it,
 * no symlink); plain ones elsewhere. -1 with errno set. */
int privdir_rename(const char *from, const char *to);
int privdir_unlink(const char *path);

#endif
