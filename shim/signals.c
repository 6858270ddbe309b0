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

#include "arch/regs.h"
#include "bytes.h"
#include "crashcapture.h"
#include "deliver.h"
#include "libc.h"
#include "sys.h"

#define EXPORT __attribute__((visibility("default")))
#define ALT_STACK_SIZE (256u << 10)

static const struct {
	int sig;
	char name[8]; /* in place: a pointer would be a load-time relocation */
} fatal[] = {
	{SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"},   {SIGILL, "SIGILL"}, {SIGFPE, "SIGFPE"},
	{SIGABRT, "SIGABRT"}, {SIGTRAP, "SIGTRAP"}, {SIGSYS, "SIGSYS"},
};
#define N_FATAL (sizeof fatal / sizeof fatal[0])

static int installed;               /* our handler is at the kernel */
static struct sigaction host[NSIG]; /* what the host believes is installed */
static int crashing_tid;            /* the one thread recording a crash */

/* The fault a host handler is handling, for signals_exit_check: the host
 * handler runs in the frame at `frame`; an exit called from inside it runs
 * deeper on the same stack. */
static struct {
	int tid, sig;
	siginfo_t *si;
	ucontext_t *uc;
	char *frame; /* NULL while a handler is called directly (call_host) */
	uint32_t seal; /* hash of the frame's siginfo copy, see still_in_host */
} in_host;

static int gettid_raw(void) { return (int)sys_call0(SYS_gettid); }

/* Async-signal-safe. The siginfo copy lies at the top of the frame built
 * for the host, right below the interrupted stack pointer. A host handler
 * that returned or jumped away leaves that memory to the code that runs
 * next, which overwrites it; one still running (or exiting) has not. */
static uint32_t seal_of(const siginfo_t *si)
{
	return cf_hash((const char *)si, sizeof *si) | 1u << 31;
}

/* Async-signal-safe: this thread is, by all signs, still inside the host
 * handler of the last fault: same thread, deeper on the same stack, frame
 * untouched. */
static int still_in_host(void)
{
	int tid = __atomic_load_n(&in_host.tid, __ATOMIC_ACQUIRE);
	if (tid == 0 || tid != gettid_raw())
		return 0;
	if (!in_host.frame)
		return 1; /* called directly from our handler: cleared on return */
	char here;
	return &here < in_host.frame && in_host.frame - &here < (1 << 20) && seal_of(in_host.si) == in_host.seal;
}

const char *signals_name(int sig)
{
	for (size_t i = 0; i < N_FATAL; i++)
		if (fatal[i].sig == sig)
			return fatal[i].name;
	return 0;
}

static int ours(int sig) { return installed && sig > 0 && sig < NSIG && signals_name(sig); }


/* sigaddset without libc: the shim imports nothing (each import costs a
 * version check and a lookup in every host). Signals 1..64 sit in the
 * first word, which is all the kernel reads (NSIG / 8 bytes). */
static void mask_add(sigset_t *set, int sig)
{
	((unsigned long *)(void *)set)[(sig - 1) / (8 * sizeof(unsigned long))] |=
		1UL << ((sig - 1) % (8 * sizeof(unsigned long)));
}

static void set_mask(int how, const sigset_t *set, sigset_t *old)
{
	sys_call4(SYS_rt_sigprocmask, how, set, old, NSIG / 8);
}

/* The kernel's struct sigaction. Installing through the raw system call
 * instead of libc's sigaction saves a symbol lookup and ~150 instructions
 * a signal in every host process. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask; /* the kernel reads 8 bytes on every CPU */
};

#if defined(__x86_64__)
#define SA_RESTORER_FLAG 0x04000000
#define RESTORER telem_restore_rt
#else
#define SA_RESTORER_FLAG 0
#define RESTORER 0
#endif

/* Async-signal-safe. */
static int kernel_sigaction(int sig, void *handler, unsigned long flags, struct kernel_sigaction *old)
{
	struct kernel_sigaction act = {handler, flags | SA_RESTORER_FLAG, RESTORER, 0};
	return (int)sys_call4(SYS_rt_sigaction, sig, &act, old, sizeof act.mask);
}

/* Async-signal-safe. Makes sig's kernel disposition the default again. */
static void restore_default(int sig) { kernel_sigaction(sig, SIG_DFL, 0, 0); }

/* Async-signal-safe. A synchronous fault re-executes the faulting
 * instruction when we return, and faults again into the default action;
 * anything sent (raise, kill, abort) or a trap that moved past its
 * instruction is sent again. */
static void die_as_before(int sig, const siginfo_t *si)
{
	restore_default(sig);
	int sent = si->si_code <= 0 || sig == SIGTRAP || sig == SIGABRT || sig == SIGSYS;
	if (sent) {
		sigset_t one = {{0}};
		mask_add(&one, sig);
		set_mask(SIG_UNBLOCK, &one, 0);
		sys_call3(SYS_tgkill, sys_getpid(), gettid_raw(), sig);
	}
}

/* Async-signal-safe. Records a crash once for the whole process; sp2, when
 * set, is a second stack worth copying (see crashrecord.h). */
static void record_crash(int sig, siginfo_t *si, ucontext_t *uc, int exit_code, uint64_t sp2)
{
	telem_count2("signal:", signals_name(sig), 1);
	crash_capture2(CRASH_SIGNAL, sig, si, uc, exit_code, sp2);
}

static uint64_t sp_of(const ucontext_t *uc) { return arch_sp(uc); }

/* Async-signal-safe. Calls the host's handler as the kernel would have. */
static void call_host(int sig, siginfo_t *si, ucontext_t *uc, struct sigaction *h)
{
	struct sigaction act = *h;
	sigset_t mask = act.sa_mask, old;
	if (!(act.sa_flags & SA_NODEFER))
		mask_add(&mask, sig);
	set_mask(SIG_BLOCK, &mask, &old);
	int tid = gettid_raw();
	in_host.sig = sig, in_host.si = si, in_host.uc = uc, in_host.frame = (char *)&act; /* as deliver_to_host's frame */
	in_host.seal = seal_of(si);
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
		struct sigaction act = *h;
		struct delivery d;
		int rc = deliver_to_host(sig, si, uc, &act, &d);
		if (rc != -1 && (act.sa_flags & SA_RESETHAND)) {
			h->sa_handler = SIG_DFL;
			h->sa_flags &= ~SA_SIGINFO;
		}
		if (rc == 0) {
			in_host.sig = sig, in_host.si = d.si, in_host.uc = d.uc, in_host.frame = d.frame;
			in_host.seal = seal_of(d.si);
			__atomic_store_n(&in_host.tid, gettid_raw(), __ATOMIC_RELEASE);
			return; /* into the host's handler, as the kernel would have */
		}
		if (rc == -2) {
			call_host(sig, si, uc, &act);
			return;
		}
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
	/* A host handler that gives up and re-raises (LLVM's way) may run on an
	 * alternate stack: the interrupted stack of its fault goes along, so the
	 * unwinder can go on through the signal frame, as gdb does. */
	record_crash(sig, si, uc, -1, still_in_host() ? sp_of(in_host.uc) : 0);
	die_as_before(sig, si);
}

int signals_installed(void) { return installed; }

/* GCC's compilers proper exit 4 after an internal compiler error. */
static const char ice_programs[] =
	"cc1\0cc1plus\0cc1obj\0cc1objplus\0lto1\0f951\0d21\0gnat1\0go1\0rust1\0cc1gm2\0";

static int ice_exit(int status) { return (status & 0xff) == 4 && list_has(ice_programs, telem.id.program); }

/* Not in a signal handler: getcontext is fine here, found only when needed. */
static void record_ice(int status)
{
	int (*get)(ucontext_t *) = (int (*)(ucontext_t *))libc_symbol("getcontext");
	static ucontext_t uc;
	if (!get || get(&uc) != 0)
		return;
	crash_capture(CRASH_ICE, 0, 0, &uc, status & 0xff);
}

int signals_exit_check(int status)
{
	if (!installed)
		return 0;
	if (still_in_host()) {
		int none = 0, tid = in_host.tid;
		if (__atomic_compare_exchange_n(&crashing_tid, &none, tid, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			record_crash(in_host.sig, in_host.si, in_host.uc, status & 0xff, 0);
		return 1;
	}
	if (ice_exit(status)) {
		record_ice(status);
		return 1;
	}
	return 0;
}

/* Async-signal-safe. A record taken outside the fatal-signal path (a bug
 * record, counter_api.c) takes the same one-recorder-at-a-time claim that
 * crash_capture needs; 0 when a crash (or another record) is being written. */
int signals_claim_recorder(void)
{
	int none = 0;
	return __atomic_compare_exchange_n(&crashing_tid, &none, gettid_raw(), 0, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

void signals_release_recorder(void) { __atomic_store_n(&crashing_tid, 0, __ATOMIC_RELEASE); }

/* The main thread's alternate stack lives in .bss: the dynamic linker maps
 * our .bss anyway, so it costs no system call, and untouched pages no memory. */
static char main_alt_stack[ALT_STACK_SIZE] __attribute__((aligned(64)));

static void alt_stack(void)
{
	stack_t ss = {.ss_sp = main_alt_stack, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
	sys_call2(SYS_sigaltstack, &ss, 0);
}

void signals_install(void)
{
	alt_stack();
	for (size_t i = 0; i < N_FATAL; i++) {
		struct kernel_sigaction old;
		int sig = fatal[i].sig;
		if (kernel_sigaction(sig, (void *)on_fatal_signal, SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART,
				     &old) < 0)
			continue;
		/* What was there before us (a handler set before main, or one
		 * inherited as ignored) is what the host believes is installed. */
		host[sig].sa_handler = old.handler;
		host[sig].sa_flags = (int)(old.flags & ~(unsigned long)SA_RESTORER_FLAG);
		bytes_copy(&host[sig].sa_mask, &old.mask, sizeof old.mask);
	}
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
		static sigaction_fn f;
		if (!f)
			f = (sigaction_fn)real("sigaction");
		if (!f)
			return -1;
		return f(sig, act, old);
	}
	struct sigaction next = act ? *act : host[sig]; /* act and old may be one struct */
	if (old)
		*old = host[sig];
	host[sig] = next;
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
	if (!(flags & SA_NODEFER)) /* glibc's signal() and bsd_signal() mask the signal itself */
		mask_add(&act.sa_mask, sig);
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

/* sigset: SIG_HOLD blocks the signal; a disposition unblocks it. The old
 * answer is SIG_HOLD when the signal was blocked, as glibc's. */
EXPORT sighandler_t sigset(int sig, sighandler_t h)
{
	if (!ours(sig)) {
		signal_fn f = (signal_fn)real("sigset");
		return f ? f(sig, h) : SIG_ERR;
	}
	sigset_t one = {{0}}, before;
	mask_add(&one, sig);
	set_mask(h == SIG_HOLD ? SIG_BLOCK : SIG_UNBLOCK, &one, &before);
	int was_held = (((unsigned long *)(void *)&before)[0] >> (sig - 1)) & 1;
	sighandler_t old = was_held ? SIG_HOLD : host[sig].sa_handler;
	if (h != SIG_HOLD) {
		struct sigaction act = {0};
		act.sa_handler = h;
		host[sig] = act;
	}
	return old;
}
