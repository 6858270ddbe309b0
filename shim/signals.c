/* Fatal signals: capture that survives the host's own handlers.
 *
 * Our handler is installed at start for the signals below and stays at the
 * kernel; sigaction/signal/sigset/bsd_signal/sysv_signal are interposed so
 * the host's choices go into a table of virtual dispositions instead. When a
 * fatal signal arrives we run exactly what the host chose:
 *   - its handler: called with its mask and flags; if it returns, the fault
 *     was resolved (the JVM way) and nothing is recorded. If it exits
 *     instead (GCC's "internal compiler error", exit 4), signals_exit_check
 *     records the fault's context from inside the exit.
 *   - the default action: record, restore the default at the kernel, and
 *     let the signal kill us exactly as it would have (same signal, core).
 * Everything that runs in the handler is async-signal-safe. */
#define _GNU_SOURCE
#include "signals.h"

#include <sys/mman.h>

#include "bytes.h"
#include "crashcapture.h"
#include "libc.h"
#include "sys.h"

#define EXPORT __attribute__((visibility("default")))
#define ALT_STACK_SIZE (256u << 10)

static const struct {
	int sig;
	const char *name;
} fatal[] = {
	{SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"},   {SIGILL, "SIGILL"}, {SIGFPE, "SIGFPE"},
	{SIGABRT, "SIGABRT"}, {SIGTRAP, "SIGTRAP"}, {SIGSYS, "SIGSYS"},
};
#define N_FATAL (sizeof fatal / sizeof fatal[0])

static int installed;               /* our handler is at the kernel */
static struct sigaction host[NSIG]; /* what the host believes is installed */
static int crashing_tid;            /* the one thread recording a crash */

/* The fault a host handler is handling right now, for signals_exit_check. */
static struct {
	int tid, sig;
	siginfo_t *si;
	ucontext_t *uc;
} in_host;

const char *signals_name(int sig)
{
	for (size_t i = 0; i < N_FATAL; i++)
		if (fatal[i].sig == sig)
			return fatal[i].name;
	return 0;
}

static int ours(int sig) { return installed && sig > 0 && sig < NSIG && signals_name(sig); }

static int gettid_raw(void) { return (int)sys_call0(SYS_gettid); }

static void set_mask(int how, const sigset_t *set, sigset_t *old)
{
	sys_call4(SYS_rt_sigprocmask, how, set, old, NSIG / 8);
}

/* Async-signal-safe. Makes sig's kernel disposition the default again. */
static void restore_default(int sig)
{
	struct sigaction dfl = {0};
	dfl.sa_handler = SIG_DFL;
	telem_libc.sigaction(sig, &dfl, 0);
}

/* Async-signal-safe. A synchronous fault re-executes the faulting
 * instruction when we return, and faults again into the default action;
 * anything sent (raise, kill, abort) or a trap that moved past its
 * instruction is sent again. */
static void die_as_before(int sig, const siginfo_t *si)
{
	restore_default(sig);
	int sent = si->si_code <= 0 || sig == SIGTRAP || sig == SIGABRT || sig == SIGSYS;
	if (sent) {
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		set_mask(SIG_UNBLOCK, &one, 0);
		sys_call3(SYS_tgkill, sys_getpid(), gettid_raw(), sig);
	}
}

/* Async-signal-safe. Records a crash once for the whole process. */
static void record_crash(int sig, siginfo_t *si, ucontext_t *uc, int exit_code)
{
	telem_count2("signal:", signals_name(sig), 1);
	crash_capture(CRASH_SIGNAL, sig, si, uc, exit_code);
}

/* Async-signal-safe. Calls the host's handler as the kernel would have. */
static void call_host(int sig, siginfo_t *si, ucontext_t *uc, struct sigaction *h)
{
	struct sigaction act = *h;
	if (act.sa_flags & SA_RESETHAND) {
		h->sa_handler = SIG_DFL;
		h->sa_flags &= ~SA_SIGINFO;
	}
	sigset_t mask = act.sa_mask, old;
	if (!(act.sa_flags & SA_NODEFER))
		sigaddset(&mask, sig);
	set_mask(SIG_BLOCK, &mask, &old);
	int tid = gettid_raw();
	in_host.sig = sig, in_host.si = si, in_host.uc = uc;
	__atomic_store_n(&in_host.tid, tid, __ATOMIC_RELEASE);
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(sig, si, uc);
	else
		act.sa_handler(sig);
	__atomic_store_n(&in_host.tid, 0, __ATOMIC_RELEASE);
	set_mask(SIG_SETMASK, &old, 0);
}

/* Async-signal-safe: the handler itself. */
static void on_fatal_signal(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	struct sigaction *h = &host[sig];
	int synchronous = si->si_code > 0;
	if (h->sa_handler != SIG_DFL && h->sa_handler != SIG_IGN) {
		call_host(sig, si, uc, h);
		return;
	}
	if (h->sa_handler == SIG_IGN && !synchronous)
		return; /* the kernel ignores a sent signal; a fault cannot be ignored */
	int tid = gettid_raw(), none = 0;
	if (!__atomic_compare_exchange_n(&crashing_tid, &none, tid, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (none != tid) { /* another thread is recording: give it a moment, then die */
			struct timespec wait = {0, 200 * 1000 * 1000};
			sys_call2(SYS_nanosleep, &wait, 0);
		}
		die_as_before(sig, si); /* also a fault inside our own recording */
		return;
	}
	record_crash(sig, si, uc, -1);
	die_as_before(sig, si);
}

void signals_exit_check(int status)
{
	if (!installed || __atomic_load_n(&in_host.tid, __ATOMIC_ACQUIRE) != gettid_raw())
		return;
	int none = 0;
	if (__atomic_compare_exchange_n(&crashing_tid, &none, in_host.tid, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		record_crash(in_host.sig, in_host.si, in_host.uc, status & 0xff);
}

static void alt_stack(void)
{
	void *p = sys_mmap(0, ALT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sys_mmap_failed(p))
		return;
	stack_t ss = {.ss_sp = p, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
	sys_call2(SYS_sigaltstack, &ss, 0);
}

void signals_install(void)
{
	alt_stack();
	struct sigaction act = {0};
	act.sa_sigaction = on_fatal_signal;
	act.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
	for (size_t i = 0; i < N_FATAL; i++)
		telem_libc.sigaction(fatal[i].sig, &act, &host[fatal[i].sig]);
	installed = 1;
}

/* ---- the interposed functions: the host's view of its dispositions ---- */

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*signal_fn)(int, sighandler_t);

static void *real(const char *name)
{
	void *f = libc_symbol(name);
	return f;
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!ours(sig)) {
		sigaction_fn f = telem_libc.sigaction ? telem_libc.sigaction : (sigaction_fn)real("sigaction");
		if (!f)
			return -1;
		return f(sig, act, old);
	}
	if (old)
		*old = host[sig];
	if (act)
		host[sig] = *act;
	return 0;
}

/* signal(), bsd_signal(), sysv_signal() differ only in their flags. */
static sighandler_t set_handler(int sig, sighandler_t handler, int flags, const char *name)
{
	if (!ours(sig)) {
		signal_fn f = (signal_fn)real(name);
		return f ? f(sig, handler) : SIG_ERR;
	}
	sighandler_t old = host[sig].sa_handler;
	struct sigaction act = {0};
	act.sa_handler = handler;
	act.sa_flags = flags;
	host[sig] = act;
	return old;
}

EXPORT sighandler_t signal(int sig, sighandler_t h) { return set_handler(sig, h, SA_RESTART, "signal"); }
EXPORT sighandler_t bsd_signal(int sig, sighandler_t h) { return set_handler(sig, h, SA_RESTART, "bsd_signal"); }
EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
	return set_handler(sig, h, SA_RESETHAND | SA_NODEFER, "sysv_signal");
}
EXPORT sighandler_t __sysv_signal(int sig, sighandler_t h)
{
	return set_handler(sig, h, SA_RESETHAND | SA_NODEFER, "__sysv_signal");
}

EXPORT sighandler_t sigset(int sig, sighandler_t h)
{
	if (!ours(sig) || h == SIG_HOLD) {
		signal_fn f = (signal_fn)real("sigset");
		return f ? f(sig, h) : SIG_ERR;
	}
	return set_handler(sig, h, 0, "sigset");
}
