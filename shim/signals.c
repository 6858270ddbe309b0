/* The host's view of its fatal signals, and the kernel's.
 *
 * One rule: what the kernel holds for each of the seven signals is what the
 * host asked for (SIG_IGN, the flags, the mask), except that telem's entry
 * stands where the host asked for SIG_DFL or a handler, with SA_SIGINFO
 * added (telem needs the siginfo) and, for SIG_DFL, SA_ONSTACK (a stack
 * overflow must reach telem). What the host reads back is exactly what libc
 * would report: the kernel's answer with the host's handler in place of
 * ours and the added flags taken out. In a vfork child every call goes
 * straight to libc: the child shares our memory, not the kernel's table.
 *
 * The interposed functions (sigaction, signal, bsd_signal, sysv_signal,
 * sigset, sigaltstack) may be called before telem's start, from any thread:
 * until signals_install has run they are libc's. */
#define _GNU_SOURCE
#include "signals.h"

#include "bytes.h"
#include "crashcapture.h"
#include "deliver.h"
#include "libc.h"
#include "sys.h"

#define EXPORT __attribute__((visibility("default")))
#define ALT_STACK_SIZE (64u << 10)
#define SA_INTERRUPT_FLAG 0x20000000 /* glibc's sysv_signal passes it; the kernel drops it */

static const struct {
	int sig;
	char name[8]; /* in place: a pointer would be a load-time relocation */
} fatal[] = {
	{SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"},   {SIGILL, "SIGILL"}, {SIGFPE, "SIGFPE"},
	{SIGABRT, "SIGABRT"}, {SIGTRAP, "SIGTRAP"}, {SIGSYS, "SIGSYS"},
};
#define N_FATAL (sizeof fatal / sizeof fatal[0])

struct host_action signals_host[SIGNALS_MAX];
__thread struct thread_stacks signals_stacks __attribute__((tls_model("initial-exec")));
int signals_recording;
static unsigned long virtual_mask; /* bit sig-1: telem's entry may be at the kernel for sig */

const char *signals_name(int sig)
{
	for (size_t i = 0; i < N_FATAL; i++)
		if (fatal[i].sig == sig)
			return fatal[i].name;
	return 0;
}

int signals_installed(void) { return signals_recording; }

/* Whether sig's disposition is virtual here: installed, one of ours, and
 * not in a vfork child. */
static int virtual(int sig)
{
	return sig > 0 && sig < SIGNALS_MAX && ((virtual_mask >> (sig - 1)) & 1) && !telem_in_vfork;
}

/* Async-signal-safe: rt_sigaction itself (the kernel's struct, 8-byte mask). */
int signals_kernel_action(int sig, const struct kernel_sigaction *act, struct kernel_sigaction *old)
{
	return (int)sys_call4(SYS_rt_sigaction, sig, act, old, 8);
}

/* ---- start ---- */

static char main_alt_stack[ALT_STACK_SIZE] __attribute__((aligned(64)));

void signals_thread_stack(void *base, size_t size)
{
	signals_stacks.ours = base;
	signals_stacks.size = size;
	signals_stacks.host_has = 0;
}

/* One system call: ours goes in, and if the host had set one before our
 * start (a constructor), it goes back. */
static void main_thread_stack(void)
{
	stack_t ss = {.ss_sp = main_alt_stack, .ss_size = ALT_STACK_SIZE, .ss_flags = 0}, old;
	if (sys_call2(SYS_sigaltstack, &ss, &old) != 0)
		return;
	if (!(old.ss_flags & SS_DISABLE)) {
		sys_call2(SYS_sigaltstack, &old, 0);
		signals_thread_stack(main_alt_stack, ALT_STACK_SIZE);
		signals_stacks.host_has = 1;
		return;
	}
	signals_thread_stack(main_alt_stack, ALT_STACK_SIZE);
}

/* The flags telem adds for a handler at the kernel. */
static unsigned long added_flags(void *host_handler)
{
	return SA_SIGINFO | (host_handler == SIG_DFL ? SA_ONSTACK : 0);
}

/* What telem puts at the kernel for sig, given what was there. */
static struct kernel_sigaction ours_for(const struct kernel_sigaction *old)
{
	struct kernel_sigaction ours = *old;
	ours.handler = (void *)telem_signal_entry;
	ours.flags |= added_flags(old->handler);
	if (!(ours.flags & DELIVER_SA_RESTORER) && DELIVER_SA_RESTORER) {
		ours.flags |= DELIVER_SA_RESTORER;
		ours.restorer = telem_restore_rt;
	}
	return ours;
}

static void note_initial(int sig, const struct kernel_sigaction *old, const struct kernel_sigaction *ours)
{
	struct host_action *h = &signals_host[sig];
	h->handler = old->handler, h->flags = old->flags, h->mask = old->mask, h->pristine = 1;
	h->initial.handler = old->handler, h->initial.flags = old->flags;
	h->initial.restorer = old->restorer, h->initial.mask = old->mask;
	h->forced = ours->flags & ~old->flags;
}

/* One system call in the common case: after exec every one of these
 * signals is SIG_DFL with no flags and no mask, and telem's action for that
 * goes in while the old one comes back. Anything else (an inherited
 * SIG_IGN, a handler set before our start) is put right with a second
 * call; until then, about a microsecond, a signal sent to this process
 * meets the default action. */
static void install_one(int sig)
{
	static const struct kernel_sigaction pristine = {SIG_DFL, 0, 0, 0};
	struct kernel_sigaction guess = ours_for(&pristine), old;
	note_initial(sig, &pristine, &guess);
	if (signals_kernel_action(sig, &guess, &old) != 0)
		return;
	if (old.handler != SIG_DFL || old.flags || old.mask) {
		struct kernel_sigaction ours = ours_for(&old);
		note_initial(sig, &old, &ours);
		/* an inherited SIG_IGN stays SIG_IGN */
		if (signals_kernel_action(sig, old.handler == SIG_IGN ? &old : &ours, 0) != 0)
			return;
	}
	virtual_mask |= 1ul << (sig - 1);
}

void signals_install(int crash)
{
	signals_recording = crash;
	if (crash)
		main_thread_stack();
	for (size_t i = 0; i < N_FATAL; i++)
		if (crash || fatal[i].sig == SIGBUS)
			install_one(fatal[i].sig);
}

/* ---- exit ---- */

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
	if (!signals_recording)
		return 0;
	char here;
	if (crashpath_in_host((uintptr_t)&here, 1)) {
		crashpath_record_in_host(status & 0xff);
		return 1;
	}
	if (ice_exit(status)) {
		record_ice(status);
		return 1;
	}
	return 0;
}

/* ---- the interposed functions ---- */

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*signal_fn)(int, sighandler_t);

static int libc_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static sigaction_fn f;
	if (!f)
		f = (sigaction_fn)libc_symbol("sigaction");
	if (!f)
		return -1;
	return f(sig, act, old);
}

/* The host's view of an old action: libc wrote old from the kernel's (the
 * mask's every byte as libc writes it); the handler and telem's added flags
 * are the host's again, and an action the host never touched reads as the
 * kernel held it before telem's start. */
static void host_view(struct sigaction *old, const struct host_action *prev)
{
	if (prev->pristine) {
		old->sa_handler = (sighandler_t)prev->initial.handler;
		bytes_copy(&old->sa_mask, &prev->initial.mask, sizeof prev->initial.mask);
		old->sa_flags = (int)prev->initial.flags;
		old->sa_restorer = prev->initial.restorer;
		return;
	}
	old->sa_handler = (sighandler_t)prev->handler;
	old->sa_flags &= ~(int)prev->forced;
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!virtual(sig))
		return libc_sigaction(sig, act, old);
	struct sigaction want, k;
	if (act) { /* act and old may be one struct */
		want = *act;
		k = want;
		if (want.sa_handler != SIG_IGN) {
			k.sa_sigaction = (void (*)(int, siginfo_t *, void *))telem_signal_entry;
			k.sa_flags |= (int)added_flags((void *)want.sa_handler);
		}
	}
	struct host_action *h = &signals_host[sig], prev = *h;
	int rc = libc_sigaction(sig, act ? &k : 0, old);
	if (rc != 0)
		return rc;
	if (act) {
		h->handler = (void *)want.sa_handler;
		h->flags = (unsigned long)(unsigned)want.sa_flags;
		bytes_copy(&h->mask, &want.sa_mask, sizeof h->mask);
		h->forced = (unsigned long)(unsigned)(k.sa_flags & ~want.sa_flags);
		h->pristine = 0;
	}
	if (old)
		host_view(old, &prev);
	return 0;
}

/* glibc's signal() and bsd_signal(): SA_RESTART, the signal masked in its
 * handler; sysv_signal(): SA_RESETHAND | SA_NODEFER. Through our sigaction,
 * since glibc's call its internal one. */
static sighandler_t set_handler(int sig, sighandler_t handler, int flags, const char *name)
{
	if (!virtual(sig) || handler == SIG_ERR) {
		signal_fn f = (signal_fn)libc_symbol(name);
		return f ? f(sig, handler) : SIG_ERR;
	}
	struct sigaction act = {0}, old;
	act.sa_handler = handler;
	act.sa_flags = flags;
	if (!(flags & SA_NODEFER))
		((unsigned long *)(void *)&act.sa_mask)[0] = 1ul << (sig - 1);
	return sigaction(sig, &act, &old) == 0 ? old.sa_handler : SIG_ERR;
}

EXPORT sighandler_t signal(int sig, sighandler_t h) { return set_handler(sig, h, SA_RESTART, "signal"); }
EXPORT sighandler_t bsd_signal(int sig, sighandler_t h) { return set_handler(sig, h, SA_RESTART, "bsd_signal"); }
EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
	return set_handler(sig, h, SA_RESETHAND | SA_NODEFER | SA_INTERRUPT_FLAG, "sysv_signal");
}
EXPORT sighandler_t __sysv_signal(int sig, sighandler_t h)
{
	return set_handler(sig, h, SA_RESETHAND | SA_NODEFER | SA_INTERRUPT_FLAG, "__sysv_signal");
}

static int blocked_in(const sigset_t *set, int sig)
{
	return (int)((((const unsigned long *)(const void *)set)[0] >> (sig - 1)) & 1);
}

/* sigset as glibc's (sysdeps/posix/sigset.c), through our sigaction. */
EXPORT sighandler_t sigset(int sig, sighandler_t h)
{
	if (!virtual(sig)) {
		signal_fn f = (signal_fn)libc_symbol("sigset");
		return f ? f(sig, h) : SIG_ERR;
	}
	sigset_t one = {{0}}, before;
	((unsigned long *)(void *)&one)[0] = 1ul << (sig - 1);
	struct sigaction act = {0}, old;
	if (h == SIG_HOLD) {
		if (sys_call4(SYS_rt_sigprocmask, SIG_BLOCK, &one, &before, 8) != 0)
			return SIG_ERR;
		if (blocked_in(&before, sig))
			return SIG_HOLD;
		return sigaction(sig, 0, &old) == 0 ? old.sa_handler : SIG_ERR;
	}
	act.sa_handler = h;
	if (sigaction(sig, &act, &old) != 0)
		return SIG_ERR;
	if (sys_call4(SYS_rt_sigprocmask, SIG_UNBLOCK, &one, &before, 8) != 0)
		return SIG_ERR;
	return blocked_in(&before, sig) ? SIG_HOLD : old.sa_handler;
}

/* sigaltstack: the host sees the stack it set, SS_DISABLE when it set none
 * (telem's is then at the kernel, hidden). A stack of the host's replaces
 * ours at the kernel, so its SA_ONSTACK handlers run on it; disabling it
 * puts ours back. */
EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	static int (*f)(const stack_t *, stack_t *);
	if (!f)
		f = (int (*)(const stack_t *, stack_t *))libc_symbol("sigaltstack");
	if (!f)
		return -1;
	struct thread_stacks *t = &signals_stacks;
	if (!t->ours || t->host_has || telem_in_vfork) {
		int rc = f(ss, old);
		if (rc == 0 && ss && (ss->ss_flags & SS_DISABLE) && t->ours && !telem_in_vfork) {
			stack_t mine = {.ss_sp = t->ours, .ss_size = t->size, .ss_flags = 0};
			sys_call2(SYS_sigaltstack, &mine, 0);
			t->host_has = 0;
		}
		return rc;
	}
	stack_t none = {.ss_sp = 0, .ss_size = 0, .ss_flags = SS_DISABLE};
	if (ss) {
		int rc = f(ss, 0); /* libc's checks and errno, exactly */
		if (rc != 0)
			return rc;
		if (ss->ss_flags & SS_DISABLE) {
			stack_t mine = {.ss_sp = t->ours, .ss_size = t->size, .ss_flags = 0};
			sys_call2(SYS_sigaltstack, &mine, 0);
		} else {
			t->host_has = 1;
		}
	}
	if (old)
		*old = none;
	return 0;
}
