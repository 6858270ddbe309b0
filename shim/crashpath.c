/* What a delivery of one of telem's signals does. Everything here runs in
 * the signal handler: async-signal-safe, raw system calls, no allocation, no
 * locks. The order of the checks is the whole design:
 *   1. a fault in telem's own counter mapping: recover (faultguard.c);
 *   2. a fault in telem's own code: end the process at once, no loop;
 *   3. a host handler: run it as the kernel would have (deliver.h), with
 *      only the few hundred bytes of this frame used on its stack;
 *   4. the default action: record on telem's own stack, then let the
 *      signal strike again in the original context with the default action,
 *      so the core, gdb and valgrind see the host's registers and stack. */
#define _GNU_SOURCE
#include "signals.h"

#include "bytes.h"
#include "children.h"
#include "crashcapture.h"
#include "deliver.h"
#include "sys.h"

#define RECORD_STACK (96u << 10)

/* The shim's code, from the linker: a fault with its pc in here is ours. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _etext[] __attribute__((visibility("hidden"))); /* ld.bfd and lld both define it */

static int crashing_tid; /* the one thread recording a crash */
static int crashing_sig;

/* This thread's last host handler entered for a fault, for an exit from
 * inside it (signals_exit_check) and for a re-raise from inside it (the
 * second stack of the record). The copies of four words of the frame are a
 * seal: a handler that returned or jumped away leaves that memory to the
 * code that runs next. Thread-local, so that a handled fault costs no
 * system call (a gettid a fault cost 4-9% of a JVM-style fault loop,
 * scripts/bench.sh); a fork child runs no exit check, and a vfork child
 * (sharing this memory) is told by telem_in_vfork. */
static __thread struct {
	int set, sig;
	unsigned long flags;
	siginfo_t *si;
	ucontext_t *uc;
	char *frame;
	uintptr_t seal[4];
} in_host __attribute__((tls_model("initial-exec")));

static int gettid_raw(void) { return (int)sys_call0(SYS_gettid); }

static void mask_edit(sigset_t *set, int sig, int on)
{
	unsigned long *w = (unsigned long *)(void *)set, bit = 1ul << (sig - 1);
	w[0] = on ? w[0] | bit : w[0] & ~bit;
}

static void set_mask(int how, const sigset_t *set, sigset_t *old)
{
	sys_call4(SYS_rt_sigprocmask, how, set, old, 8);
}

static void restore_default(int sig)
{
	struct kernel_sigaction dfl = {SIG_DFL, 0, 0, 0};
	signals_kernel_action(sig, &dfl, 0);
}

/* The signal strikes again once we return, with the default action: a
 * fault by re-executing its instruction, anything else queued (with its
 * own siginfo) and unblocked by the return. */
static void redeliver(int sig, siginfo_t *si, ucontext_t *uc)
{
	restore_default(sig);
	if (deliver_refaults(sig, si))
		return;
	sigset_t one = {{0}};
	mask_edit(&one, sig, 1);
	set_mask(SIG_BLOCK, &one, 0);
	int pid = sys_getpid(), tid = gettid_raw();
	if (sys_call4(SYS_rt_tgsigqueueinfo, pid, tid, sig, si) != 0)
		sys_call3(SYS_tgkill, pid, tid, sig);
	mask_edit(&uc->uc_sigmask, sig, 0);
}

/* A fault inside telem's own path: the process ends now, by the signal
 * that brought us here first; if it survives that (PID 1 drops signals it
 * sends itself with the default action), by this one. */
static void end_now(int first, int sig, siginfo_t *si, ucontext_t *uc)
{
	sigset_t one = {{0}};
	restore_default(first);
	mask_edit(&one, first, 1);
	set_mask(SIG_UNBLOCK, &one, 0);
	sys_call3(SYS_tgkill, sys_getpid(), gettid_raw(), first);
	redeliver(sig, si, uc);
}

static void seal_of(const siginfo_t *si, const ucontext_t *uc, uintptr_t out[4])
{
	const uintptr_t *w = (const uintptr_t *)(const void *)si;
	out[0] = w[0];
	out[1] = w[1];
	out[2] = deliver_pc(uc);
	out[3] = deliver_sp(uc);
}

int crashpath_in_host(uintptr_t sp, int check_mask)
{
	if (!in_host.set || telem_in_vfork)
		return 0;
	__atomic_signal_fence(__ATOMIC_ACQUIRE);
	uintptr_t frame = (uintptr_t)in_host.frame, seal[4];
	if (sp >= frame || frame - sp >= (1u << 20))
		return 0;
	seal_of(in_host.si, in_host.uc, seal);
	if (!bytes_equal(seal, in_host.seal, sizeof seal))
		return 0;
	if (!check_mask || (in_host.flags & SA_NODEFER))
		return 1;
	sigset_t now = {{0}};
	set_mask(SIG_BLOCK, 0, &now);
	return (int)((((unsigned long *)(void *)&now)[0] >> (in_host.sig - 1)) & 1);
}

static void note_in_host(int sig, unsigned long flags, char *frame, siginfo_t *si, ucontext_t *uc)
{
	in_host.set = 0; /* a signal nested in here sees none, not half of one */
	__atomic_signal_fence(__ATOMIC_RELEASE);
	in_host.sig = sig, in_host.flags = flags, in_host.frame = frame, in_host.si = si, in_host.uc = uc;
	seal_of(si, uc, in_host.seal);
	__atomic_signal_fence(__ATOMIC_RELEASE);
	in_host.set = 1;
}

/* ---- recording, on telem's own stack ---- */

static char record_stack[RECORD_STACK] __attribute__((aligned(64)));

struct record_args {
	int sig, exit_code, count_only;
	siginfo_t *si;
	ucontext_t *uc;
	uint64_t sp2;
};

static void record_now(void *p)
{
	struct record_args *a = p;
	telem_count2("signal:", signals_name(a->sig), 1);
	if (!a->count_only)
		crash_capture2(CRASH_SIGNAL, a->sig, a->si, a->uc, a->exit_code, a->sp2);
}

static int on_telem_stack(void);

/* On telem's own alternate stack already, or else (the host's alternate
 * stack, the thread's stack) on the recording stack. Staying where we are
 * when we can keeps valgrind, which takes a short jump of the stack pointer
 * for a frame pushed or popped, from marking our data unaddressable. */
static void record(int sig, siginfo_t *si, ucontext_t *uc, int exit_code, uint64_t sp2, int count_only)
{
	struct record_args a = {sig, exit_code, count_only, si, uc, sp2};
	if (on_telem_stack())
		record_now(&a);
	else
		deliver_call_on_stack(record_now, &a, record_stack + sizeof record_stack);
}

/* Claims the recording for this thread; 0 when another one has it. */
static int claim(int sig)
{
	int none = 0, tid = gettid_raw();
	if (!__atomic_compare_exchange_n(&crashing_tid, &none, tid, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return none == tid ? -1 : 0;
	crashing_sig = sig;
	return 1;
}

/* A record taken outside the fatal-signal path (a bug record,
 * counter_api.c) takes the same one-recorder-at-a-time claim. */
int signals_claim_recorder(void)
{
	int none = 0;
	return __atomic_compare_exchange_n(&crashing_tid, &none, gettid_raw(), 0, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

void signals_release_recorder(void) { __atomic_store_n(&crashing_tid, 0, __ATOMIC_RELEASE); }

void crashpath_record_in_host(int exit_code)
{
	if (claim(in_host.sig) == 1 && signals_recording)
		record(in_host.sig, in_host.si, in_host.uc, exit_code, 0, 0);
}

/* A wrapper dying as its command did: it sent itself the signal that
 * killed a child it reaped. The child's shim recorded that crash;
 * the wrapper's death is counted (signal:NAME) but is no crash of its own.
 * abort(), raise() of a signal no child of the process died of, and a
 * signal sent from another process stay crashes. */
static int forwarded(int sig, const siginfo_t *si)
{
	int code = si->si_code;
	if (code != SI_USER && code != SI_TKILL && code != SI_QUEUE)
		return 0;
	return si->si_pid == sys_getpid() && children_killed_by(sig);
}

static void crash(int sig, siginfo_t *si, ucontext_t *uc)
{
	int mine = claim(sig);
	if (mine < 0) { /* a signal while we record: end with the first */
		end_now(crashing_sig, sig, si, uc);
		return;
	}
	if (mine == 0) { /* another thread records: give it a moment, then die */
		struct timespec wait = {0, 200 * 1000 * 1000};
		sys_call2(SYS_nanosleep, &wait, 0);
	} else if (signals_recording) {
		/* A host handler that gives up and re-raises (LLVM's way) may run
		 * on an alternate stack: the interrupted stack of its fault goes
		 * along, so the unwinder can go on through the signal frame. */
		uintptr_t sp = deliver_sp(uc);
		int in_handler = crashpath_in_host(sp, 0);
		record(sig, si, uc, -1, in_handler ? deliver_sp(in_host.uc) : 0,
		       !in_handler && forwarded(sig, si));
	}
	redeliver(sig, si, uc);
}

/* ---- the host's handler ---- */

/* SA_RESETHAND: the kernel made it SIG_DFL as it delivered; the host now
 * sees SIG_DFL, and telem's handler stands there again. */
static void after_reset(int sig, struct host_action *h)
{
	struct kernel_sigaction k;
	h->handler = SIG_DFL;
	if (signals_kernel_action(sig, 0, &k) != 0)
		return;
	h->forced |= SA_ONSTACK & ~k.flags;
	k.handler = (void *)telem_signal_entry;
	k.flags |= SA_SIGINFO | SA_ONSTACK;
	signals_kernel_action(sig, &k, 0);
}

static int on_telem_stack(void)
{
	char here, *ours = signals_stacks.ours;
	return ours && &here >= ours && &here < ours + signals_stacks.size;
}

static void *to_host(int sig, siginfo_t *si, ucontext_t *uc, struct host_action *h)
{
	void *handler = h->handler;
	unsigned long flags = h->flags;
	if (flags & SA_RESETHAND)
		after_reset(sig, h);
	/* SA_ONSTACK without an alternate stack of the host's: the kernel put
	 * us on telem's; the host's handler goes where the kernel would have
	 * put it, on the interrupted stack. */
	if ((flags & SA_ONSTACK) && on_telem_stack()) {
		struct delivery d;
		int rc = deliver_on_thread_stack(sig, si, uc, &d);
		if (rc == -1) { /* no room: the kernel would have killed the process */
			crash(sig, si, uc);
			return 0;
		}
		if (rc == 0) {
			note_in_host(sig, flags, d.frame, d.si, d.uc);
			deliver_enter(handler, sig, &d);
		}
	}
	note_in_host(sig, flags, (char *)uc - sizeof(void *), si, uc);
	return handler;
}

void *telem_on_signal(int sig, siginfo_t *si, ucontext_t *uc)
{
	if (faultguard_recover(sig, si))
		return 0;
	uintptr_t pc = deliver_pc(uc);
	if (si->si_code > 0 && pc >= (uintptr_t)__ehdr_start && pc < (uintptr_t)_etext) {
		end_now(crashing_tid == gettid_raw() ? crashing_sig : sig, sig, si, uc);
		return 0;
	}
	struct host_action *h = &signals_host[sig];
	void *handler = h->handler;
	if (handler == SIG_IGN) /* set just now: the kernel ignores it from now on */
		return 0;
	if (handler != SIG_DFL)
		return to_host(sig, si, uc, h);
	crash(sig, si, uc);
	return 0;
}
