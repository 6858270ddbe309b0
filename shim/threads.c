/* Every thread gets an alternate signal stack, so that a stack overflow in a
 * worker thread reaches our handler instead of killing the process silently.
 * pthread_create is interposed; the new thread's alternate stack is mapped
 * here and also carries the host's start routine and argument, so nothing is
 * allocated on the heap. A thread that ends with pthread_exit keeps its
 * mapping (64 KiB of address space, untouched pages cost no memory). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include "libc.h"
#include "signals.h"
#include "sys.h"

#define EXPORT __attribute__((visibility("default")))
#define THREAD_ALT_STACK (64u << 10)

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

struct start {
	void *(*routine)(void *);
	void *arg;
};

static void *start_with_alt_stack(void *p)
{
	struct start *s = p; /* at the top of the mapping */
	void *(*routine)(void *) = s->routine;
	void *arg = s->arg;
	char *base = (char *)p + sizeof *s - THREAD_ALT_STACK;
	stack_t ss = {.ss_sp = base, .ss_size = THREAD_ALT_STACK - sizeof *s, .ss_flags = 0};
	sys_call2(SYS_sigaltstack, &ss, 0);
	void *ret = routine(arg);
	stack_t off = {.ss_sp = 0, .ss_size = 0, .ss_flags = SS_DISABLE};
	sys_call2(SYS_sigaltstack, &off, 0);
	sys_munmap(base, THREAD_ALT_STACK);
	return ret;
}

EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*routine)(void *), void *arg)
{
	static create_fn real;
	if (!real)
		real = (create_fn)libc_symbol("pthread_create");
	if (!real)
		return 38; /* ENOSYS: no libc we can read, cannot happen with glibc */
	if (!signals_installed())
		return real(thread, attr, routine, arg);
	char *m = sys_mmap(0, THREAD_ALT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sys_mmap_failed(m))
		return real(thread, attr, routine, arg);
	struct start *s = (struct start *)(m + THREAD_ALT_STACK) - 1;
	s->routine = routine;
	s->arg = arg;
	int rc = real(thread, attr, start_with_alt_stack, s);
	if (rc != 0)
		sys_munmap(m, THREAD_ALT_STACK);
	return rc;
}
