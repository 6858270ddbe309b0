/* musl hosts. musl's C library is its dynamic linker (ld-musl-<arch>.so.1)
 * and calls __libc_start_main like glibc's crt1.o does, so the shim starts
 * the same way; three things the shim takes from glibc are missing:
 *   - on_exit: musl has no exit hook that sees the status, and its exit()
 *     and its __libc_start_main's call to exit() are internal calls that
 *     cannot be interposed. So the shim exports exit() (for glibc hosts it
 *     only forwards), runs the one registered function from it, and
 *     start.c passes main's return value to it (api->main_exits).
 *   - __register_atfork: pthread_atfork does the same for us.
 *   - gnu_get_libc_version: musl has no version call; the runtime is "musl".
 * Hosts that call _exit are counted by start.c's _exit as under glibc; a
 * vfork child's _exit is told apart by musl_in_vfork_child. */
#define _GNU_SOURCE
#include "musl.h"

#include "sys.h"

#define EXPORT __attribute__((visibility("default")))

static void (*exit_fn)(int, void *);
static void *exit_arg;

static int musl_on_exit(void (*fn)(int, void *), void *arg)
{
	exit_arg = arg;
	__atomic_store_n(&exit_fn, fn, __ATOMIC_RELEASE);
	return 0;
}

static int musl_register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void), void *dso)
{
	(void)dso;
	int (*atfork)(void (*)(void), void (*)(void), void (*)(void)) =
		(int (*)(void (*)(void), void (*)(void), void (*)(void)))libc_symbol("pthread_atfork");
	return atfork ? atfork(prepare, parent, child) : -1;
}

static const char *musl_version(void) { return "musl"; }

/* musl's vfork does not update its thread descriptor either, and has no
 * published offset for it: a vfork child is told apart by its process id,
 * read once at start (one system call, musl hosts only). */
static int started_pid;

int musl_in_vfork_child(void) { return started_pid && sys_getpid() != started_pid; }

void musl_adapt(struct libc_api *api)
{
	started_pid = sys_getpid();
	api->on_exit = musl_on_exit;
	api->register_atfork = musl_register_atfork;
	api->gnu_get_libc_version = musl_version;
	api->main_exits = 1;
}

/* Runs the registered exit function once (the first exit wins, as the
 * status it counts is the process's), then libc's exit. */
EXPORT void exit(int status)
{
	void (*fn)(int, void *) = __atomic_exchange_n(&exit_fn, 0, __ATOMIC_ACQ_REL);
	if (fn)
		fn(status, exit_arg);
	void (*real)(int) = (void (*)(int))libc_symbol("exit");
	if (real)
		real(status);
	for (;;)
		sys_call1(SYS_exit_group, status);
}
