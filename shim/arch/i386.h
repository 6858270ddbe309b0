/* i386: int $0x80, number in eax, arguments in ebx ecx edx esi edi ebp.
 * ebp may be the frame pointer, so the sixth argument is pushed first
 * (while the compiler's stack operands are still valid) and loaded from
 * the stack after ebp is saved. int $0x80 rather than the vDSO's entry:
 * it needs no auxiliary vector, so it works before start and in handlers. */
#ifndef TELEM_ARCH_I386_H
#define TELEM_ARCH_I386_H

static inline long sys_call6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	__asm__ volatile("pushl %7\n\t"
			 "pushl %%ebp\n\t"
			 "movl 4(%%esp), %%ebp\n\t"
			 "int $0x80\n\t"
			 "popl %%ebp\n\t"
			 "addl $4, %%esp"
			 : "=a"(ret)
			 : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), "g"(f)
			 : "memory");
	return ret;
}

/* A 64-bit offset travels as two registers, low word first; the shim's
 * offsets are longs (below 2 GiB here), so the high word is the sign. */
#define SYS_HI(v) ((v) < 0 ? -1L : 0L)
static inline long sys_pwrite(int fd, const void *buf, size_t n, long off)
{
	return sys_call6(SYS_pwrite64, fd, (long)buf, (long)n, off, SYS_HI(off), 0);
}
static inline int sys_fallocate(int fd, int mode, long off, long len)
{
	return (int)sys_call6(SYS_fallocate, fd, mode, off, SYS_HI(off), len, SYS_HI(len));
}
/* mmap2 takes the offset in 4096-byte units. */
static inline void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return (void *)sys_call6(SYS_mmap2, (long)addr, (long)len, prot, flags, fd, off >> 12);
}
/* struct stat here is glibc's 64-bit one (-D_FILE_OFFSET_BITS=64), the
 * kernel's stat64. */
#define SYS_TELEM_fstat SYS_fstat64
#ifndef SYS_newfstatat
#define SYS_newfstatat SYS_fstatat64
#endif

#endif
