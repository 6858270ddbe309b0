/* Wrappers die as their command did: timeout, strace, sh, xargs, python's
 * subprocess users and telem run itself reap a child killed by a signal,
 * then set that signal to the default action and send it to themselves.
 * That death is the child's crash, already recorded by the child's own
 * shim; crashpath.c must not record it a second time as the wrapper's.
 *
 * So the wait family is interposed to remember the signals reaped children
 * died of: every one since the start, not only the last child's, because a
 * wrapper may reap a helper of its own (telem run's clean-up) between its
 * command's death and its re-raise. Each call is forwarded to libc's own function with the host's
 * arguments (same result, errno, blocking and cancellation point); only a
 * NULL status is replaced by one of ours, which the host cannot tell. In a
 * vfork child the parent's memory is shared: nothing is noted there. */
#define _GNU_SOURCE
#include "children.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "deliver.h"
#include "libc.h"

#define EXPORT __attribute__((visibility("default")))

static unsigned long killed_by; /* bit sig - 1 */

int children_killed_by(int sig)
{
	if (sig < 1 || sig > (int)(8 * sizeof killed_by))
		return 0;
	return (int)((__atomic_load_n(&killed_by, __ATOMIC_RELAXED) >> (sig - 1)) & 1);
}

static void note(int sig)
{
	if (!telem_in_vfork && sig >= 1 && sig <= (int)(8 * sizeof killed_by))
		__atomic_or_fetch(&killed_by, 1ul << (sig - 1), __ATOMIC_RELAXED);
}

/* A stopped or continued child (WUNTRACED, WCONTINUED) is not reaped. */
static void note_status(pid_t reaped, int status)
{
	if (reaped > 0 && WIFSIGNALED(status))
		note(WTERMSIG(status));
}

static void *libc_function(void **cache, const char *name)
{
	void *f = __atomic_load_n(cache, __ATOMIC_RELAXED);
	if (!f) {
		f = libc_symbol(name);
		__atomic_store_n(cache, f, __ATOMIC_RELAXED);
	}
	return f;
}

/* wait, waitpid and wait3 are wait4 with fixed arguments, in glibc and in
 * musl alike (the same system call, errno and cancellation point): all four
 * go through libc's wait4. */
static pid_t reap(pid_t pid, int *status, int options, struct rusage *usage)
{
	static void *cache;
	pid_t (*f)(pid_t, int *, int, struct rusage *) = libc_function(&cache, "wait4");
	int mine = 0, *where = status ? status : &mine;
	if (!f)
		return -1;
	pid_t reaped = f(pid, where, options, usage);
	note_status(reaped, *where);
	return reaped;
}

EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
	return reap(pid, status, options, usage);
}

EXPORT pid_t waitpid(pid_t pid, int *status, int options) { return reap(pid, status, options, 0); }

EXPORT pid_t wait(int *status) { return reap(-1, status, 0, 0); }

EXPORT pid_t wait3(int *status, int options, struct rusage *usage) { return reap(-1, status, options, usage); }

/* waitid reaps only without WNOWAIT; a child reported but left waitable is
 * noted when it is reaped. */
EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
	static void *cache;
	int (*f)(idtype_t, id_t, siginfo_t *, int) = libc_function(&cache, "waitid");
	if (!f)
		return -1;
	int rc = f(idtype, id, info, options);
	if (rc == 0 && info && info->si_pid > 0 && !(options & WNOWAIT) &&
	    (info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED))
		note(info->si_status);
	return rc;
}
