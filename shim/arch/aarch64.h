/* aarch64: svc 0, number in x8, arguments and result in x0..x5. */
#ifndef TELEM_ARCH_AARCH64_H
#define TELEM_ARCH_AARCH64_H

static inline long sys_call6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
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

/* The generic system call table has no dup2: dup3 with flags 0 (the
 * third argument sys_call2 passes) is dup2 for distinct descriptors,
 * the only way the shim calls it. */
#ifndef SYS_dup2
#define SYS_dup2 SYS_dup3
#endif

#endif
