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
	int keyed; /* the mapping is handed to alt_stack_key's destructor */
};

/* One key for every thread's mapping, created on the first pthread_create
 * (never in a signal handler); 0 before, -1 if libc would not give one. */
static pthread_key_t alt_stack_key;
static int alt_stack_key_state;

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

static int have_alt_stack_key(void)
{
	int state = __atomic_load_n(&alt_stack_key_state, __ATOMIC_ACQUIRE);
	if (state)
		return state > 0;
	int (*key_create)(pthread_key_t *, void (*)(void *)) =
		(int (*)(pthread_key_t *, void (*)(void *)))libc_symbol("pthread_key_create");
	int (*key_delete)(pthread_key_t) = (int (*)(pthread_key_t))libc_symbol("pthread_key_delete");
	pthread_key_t key;
	if (!key_create || !key_delete || key_create(&key, release_alt_stack) != 0) {
		__atomic_store_n(&alt_stack_key_state, -1, __ATOMIC_RELEASE);
		return 0;
	}
	/* Two first threads created at once: one key wins, the other goes. */
	static int claimed;
	if (__atomic_exchange_n(&claimed, 1, __ATOMIC_ACQ_REL)) {
		key_delete(key);
		while (!(state = __atomic_load_n(&alt_stack_key_state, __ATOMIC_ACQUIRE)))
			sys_call0(SYS_sched_yield);
		return state > 0;
	}
	alt_stack_key = key;
	__atomic_store_n(&alt_stack_key_state, 1, __ATOMIC_RELEASE);
	return 1;
}

static void *start_with_alt_stack(void *p)
{
	struct start *s = p; /* at the top of the mapping */
	void *(*routine)(void *) = s->routine;
	void *arg = s->arg;
	int keyed = s->keyed;
	char *base = (char *)p + sizeof *s - THREAD_ALT_STACK;
	stack_t ss = {.ss_sp = base, .ss_size = THREAD_ALT_STACK - sizeof *s, .ss_flags = 0};
	sys_call2(SYS_sigaltstack, &ss, 0);
	if (keyed) {
		int (*set)(pthread_key_t, const void *) =
			(int (*)(pthread_key_t, const void *))libc_symbol("pthread_setspecific");
		keyed = set && set(alt_stack_key, base) == 0;
	}
	if (keyed)
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
	if (!signals_installed())
		return real(thread, attr, routine, arg);
	char *m = sys_mmap(0, THREAD_ALT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sys_mmap_failed(m))
		return real(thread, attr, routine, arg);
	struct start *s = (struct start *)(m + THREAD_ALT_STACK) - 1;
	s->routine = routine;
	s->arg = arg;
	s->keyed = have_alt_stack_key();
	int rc = real(thread, attr, start_with_alt_stack, s);
	if (rc != 0)
		sys_munmap(m, THREAD_ALT_STACK);
	return rc;
}
