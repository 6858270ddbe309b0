/* Raw system calls for the shim.
 *
 * Why not libc's wrappers: every distinct libc function the shim calls costs
 * a lazy PLT binding (~700 instructions) in every host process, and libc's
 * wrappers write errno, which the host must never see change. A raw syscall
 * does neither, and is async-signal-safe by construction, so the crash
 * handler can use the same functions. Results follow the kernel convention:
 * >= 0 on success, -errno on failure. */
#ifndef TELEM_SYS_H
#define TELEM_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* Per CPU: the system call instruction (sys_call6), the calls whose
 * arguments differ (64-bit offsets, mmap's unit), and numbers a table lacks. */
#if defined(__x86_64__)
#include "arch/x86_64.h"
#elif defined(__aarch64__)
#include "arch/aarch64.h"
#elif defined(__i386__)
#include "arch/i386.h"
#else
#error "telem's shim supports x86_64, i386 and aarch64"
#endif

#define sys_call0(n) sys_call6(n, 0, 0, 0, 0, 0, 0)
#define sys_call1(n, a) sys_call6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys_call2(n, a, b) sys_call6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys_call3(n, a, b, c) sys_call6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys_call4(n, a, b, c, d) sys_call6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

struct stat;

static inline int sys_openat(int dirfd, const char *path, int flags, int mode)
{
	return (int)sys_call4(SYS_openat, dirfd, path, flags, mode);
}
static inline long sys_read(int fd, void *buf, size_t n) { return sys_call3(SYS_read, fd, buf, n); }
static inline long sys_write(int fd, const void *buf, size_t n) { return sys_call3(SYS_write, fd, buf, n); }
static inline int sys_close(int fd) { return (int)sys_call1(SYS_close, fd); }
static inline int sys_fstat(int fd, struct stat *st) { return (int)sys_call2(SYS_TELEM_fstat, fd, st); }
static inline int sys_fchmod(int fd, int mode) { return (int)sys_call2(SYS_fchmod, fd, mode); }
static inline int sys_mkdirat(int dirfd, const char *path, int mode)
{
	return (int)sys_call3(SYS_mkdirat, dirfd, path, mode);
}
static inline int sys_linkat(int od, const char *op, int nd, const char *np, int flags)
{
	return (int)sys_call6(SYS_linkat, od, (long)op, nd, (long)np, flags, 0);
}
static inline int sys_unlinkat(int dirfd, const char *path, int flags)
{
	return (int)sys_call3(SYS_unlinkat, dirfd, path, flags);
}
static inline long sys_readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
	return sys_call4(SYS_readlinkat, dirfd, path, buf, n);
}
static inline int sys_munmap(void *addr, size_t len) { return (int)sys_call2(SYS_munmap, addr, len); }
static inline long sys_getrandom(void *buf, size_t n, unsigned flags)
{
	return sys_call3(SYS_getrandom, buf, n, flags);
}
static inline int sys_getpid(void) { return (int)sys_call0(SYS_getpid); }

/* Closes a and b (either may be -1); adjacent descriptors, the common case,
 * in one close_range call instead of two closes. */
static inline void sys_close_two(int a, int b)
{
	if (a >= 0 && b >= 0 && (a == b + 1 || b == a + 1) &&
	    sys_call3(SYS_close_range, a < b ? a : b, a < b ? b : a, 0) == 0)
		return;
	if (a >= 0)
		sys_close(a);
	if (b >= 0)
		sys_close(b);
}

/* mmap returns a pointer or -errno cast to a pointer. */
static inline int sys_mmap_failed(void *p) { return (unsigned long)p > -4096UL; }

#endif
