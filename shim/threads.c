/* Every thread gets an alternate signal stack, so that a stack overflow in a
 * worker thread reaches our handler instead of killing the process silently.
 * pthread_create is interposed; the new thread's alternate stack is mapped
 * here and also carries the host's start routine and argument, so nothing is
 * allocated on the heap. The mapping is released by a thread-specific-data
 * destructor, which glibc runs however the thread ends (return,
 * pthread_exit, cancellation): a host that starts and ends threads by the
 * hundred thousand must not run out of mappings because of us. */
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

typedef int (*setspecific_fn)(pthread_key_t, const void *);

/* One key for every thread's mapping, made once by libc's pthread_once on
 * the first pthread_create (never in a signal handler). set_alt_stack is
 * pthread_setspecific, left NULL when libc gives no key: then each thread
 * releases its mapping itself when its start routine returns. */
static pthread_once_t alt_stack_once = PTHREAD_ONCE_INIT;
static pthread_key_t alt_stack_key;
static setspecific_fn set_alt_stack;

static void release_alt_stack(void *base)
{
	stack_t cur, off = {.ss_sp = 0, .ss_size = 0, .ss_flags = SS_DISABLE};
	if (sys_call2(SYS_sigaltstack, 0, &cur) == 0 && (cur.ss_flags & SS_ONSTACK))
		return; /* ended from a handler running on it (pthread_exit in a
			 * handler): the mapping stays, we are standing on it */
	if (cur.ss_sp == base)
		sys_call2(SYS_sigaltstack, &off, 0);
	sys_munmap(base, THREAD_ALT_STACK);
}

static void make_alt_stack_key(void)
{
	int (*key_create)(pthread_key_t *, void (*)(void *)) =
		(int (*)(pthread_key_t *, void (*)(void *)))libc_symbol("pthread_key_create");
	setspecific_fn set = (setspecific_fn)libc_symbol("pthread_setspecific");
	if (key_create && set && key_create(&alt_stack_key, release_alt_stack) == 0)
		set_alt_stack = set;
}

static void make_alt_stack_key_once(void)
{
	static int (*once)(pthread_once_t *, void (*)(void));
	if (!once) /* racing creators find the same function */
		once = (int (*)(pthread_once_t *, void (*)(void)))libc_symbol("pthread_once");
	if (once)
		once(&alt_stack_once, make_alt_stack_key);
}

static void *start_with_alt_stack(void *p)
{
	struct start *s = p; /* at the top of the mapping */
	void *(*routine)(void *) = s->routine;
	void *arg = s->arg;
	char *base = (char *)p + sizeof *s - THREAD_ALT_STACK;
	stack_t ss = {.ss_sp = base, .ss_size = THREAD_ALT_STACK - sizeof *s, .ss_flags = 0};
	if (sys_call2(SYS_sigaltstack, &ss, 0) == 0)
		signals_thread_stack(ss.ss_sp, ss.ss_size);
	/* The creator's pthread_once happened before this thread began. */
	if (set_alt_stack && set_alt_stack(alt_stack_key, base) == 0)
		return routine(arg); /* the key's destructor releases the mapping */
	void *ret = routine(arg);
	release_alt_stack(base);
	return ret;
}

EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*routine)(void *), void *arg)
{
	static create_fn real;
	if (!real)
		real = (create_fn)libc_symbol("pthread_create");
	if (!real)
		return 38; /* ENOSYS: no libc we can read, cannot happen with glibc */
	if (!signals_installed() || libc_sanitized()) /* sanitizers give threads alt stacks: no frame of ours */
		return real(thread, attr, routine, arg);
	char *m = sys_mmap(0, THREAD_ALT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sys_mmap_failed(m))
		return real(thread, attr, routine, arg);
	struct start *s = (struct start *)(m + THREAD_ALT_STACK) - 1;
	s->routine = routine;
	s->arg = arg;
	make_alt_stack_key_once();
	int rc = real(thread, attr, start_with_alt_stack, s);
	if (rc != 0)
		sys_munmap(m, THREAD_ALT_STACK);
	return rc;
}
