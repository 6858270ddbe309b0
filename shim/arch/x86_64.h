/* x86-64: the syscall instruction and its registers (rax = number,
 * rdi rsi rdx r10 r8 r9 = arguments; the kernel clobbers rcx and r11). */
#ifndef TELEM_ARCH_X86_64_H
#define TELEM_ARCH_X86_64_H

static inline long sys_call6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* 64-bit offsets travel in one register. */
static inline long sys_pwrite(int fd, const void *buf, size_t n, long off)
{
	return sys_call6(SYS_pwrite64, fd, (long)buf, (long)n, off, 0, 0);
}
static inline int sys_fallocate(int fd, int mode, long off, long len)
{
	return (int)sys_call6(SYS_fallocate, fd, mode, off, len, 0, 0);
}
static inline void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return (void *)sys_call6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}
#define SYS_TELEM_fstat SYS_fstat

#endif
