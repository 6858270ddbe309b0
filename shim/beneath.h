/* Opening files beneath the telem directory's descriptor.
 *
 * DESIGN (trust model): the telem directory is private to one user, as
 * ~/.ssh is. It is used only when it is owned by the effective user (or
 * root) and not writable by group or others (mode_dir_open checks that), so
 * nobody else can add, rename or replace an entry in it. Beneath it, every
 * open starts from that one directory descriptor and follows no symlink on
 * any component (a symlink planted by the user's own processes, an old
 * shared-directory setup, or Go's writer must not send a write or a read
 * elsewhere: /proc/self/fd/0, /proc/self/cwd, ~/secret.txt), and every file
 * is checked with fstat to be a regular file owned by the user (or root)
 * before it is read or mapped. Files are created 0600, directories 0700.
 * Its contents stay untrusted input: nothing in them may fault, block or
 * change the host.
 *
 * Shared by the shim and the tools: raw system calls, no allocation,
 * async-signal-safe (the crash handler writes its record through it). */
#ifndef TELEM_BENEATH_H
#define TELEM_BENEATH_H

#include <fcntl.h>
#include <stddef.h>

#ifndef O_PATH /* without _GNU_SOURCE: the value of every architecture we build for */
#define O_PATH 010000000
#endif

struct stat;

#define BENEATH_FILE_MODE 0600
#define BENEATH_DIR_MODE 0700

/* openat(dirfd, rel, flags, mode) without following any symlink on any
 * component of rel and without leaving dirfd (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS, Linux >= 5.6; before that, one O_NOFOLLOW openat per
 * component). rel is relative and holds no "." or ".." component.
 * Returns an fd or -errno (-ELOOP for a symlink). */
int beneath_open(int dirfd, const char *rel, int flags, int mode);

/* For tests: take the path of kernels without openat2 (on = 1) or not. */
void beneath_use_walk(int on);

/* mkdirat(dirfd, rel, 0700) beneath dirfd; rel's parents must exist.
 * 0, or -errno (-EEXIST when it exists). */
int beneath_mkdir(int dirfd, const char *rel);

/* 0 when st is a regular file owned by euid or root, else -EPERM. */
int beneath_file_ok(const struct stat *st, unsigned euid);

/* The effective user id, by a raw system call (the shim takes it from the
 * auxiliary vector instead). */
unsigned beneath_geteuid(void);

#endif
