/* A host that probes what a shim interposing sigaction can get wrong; each
 * mode prints what the host sees, so a run with the shim is compared with a
 * run without it, line for line and by exit status.
 *
 *   sig_host vfork          handler, vfork child resets it to SIG_DFL, parent raises
 *   sig_host altstack-query what sigaltstack reports, before and after setting one
 *   sig_host eintr FLAGS    blocking read interrupted by SIGTRAP; FLAGS restart|norestart
 *   sig_host readback       every flag combination for the seven signals, read back
 *   sig_host altstack SIZE  SA_ONSTACK handler on a SIZE-byte stack with a guard page
 *   sig_host onstack-none   SA_ONSTACK handler, no alternate stack: which stack it runs on
 *   sig_host nested FLAGS   fault inside an SA_ONSTACK handler on the alternate stack,
 *                           reporter SA_ONSTACK (FLAGS onstack) or SA_ONSTACK|SA_NODEFER
 *                           (FLAGS nodefer): prints and aborts
 *   sig_host inhandler      a fault inside the host's own SIGTRAP handler
 *   sig_host resume N       N faults, each resolved by the handler (mprotect and return)
 *   sig_host wait           prints "ready PID", then waits in wait_3 < wait_2 < wait_1 < main
 *                           for a signal sent from outside
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SA_UNSUPPORTED_FLAG 0x400
#define SA_EXPOSE_TAGBITS_FLAG 0x800
#define SA_RESTORER_FLAG 0x04000000

static volatile sig_atomic_t hits;
static int *volatile null_ptr;

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(99);
}

static void count_hit(int sig)
{
	(void)sig;
	hits++;
}

static int vfork_case(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = count_hit;
	sigaction(SIGABRT, &sa, 0);
	pid_t pid = vfork();
	if (pid == 0) {
		struct sigaction dfl = {0};
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGABRT, &dfl, 0);
		signal(SIGSEGV, SIG_DFL);
		_exit(0);
	}
	waitpid(pid, 0, 0);
	struct sigaction now;
	sigaction(SIGABRT, 0, &now);
	printf("after vfork: handler is %s\n", now.sa_handler == count_hit ? "ours" : "not ours");
	fflush(stdout);
	raise(SIGABRT);
	printf("survived, handled %d\n", (int)hits);
	return 0;
}

static void show_stack(const char *when)
{
	stack_t ss;
	if (sigaltstack(0, &ss) != 0)
		printf("%s: sigaltstack failed: %s\n", when, strerror(errno));
	else
		printf("%s: flags=%#x size=%zu sp=%s\n", when, (unsigned)ss.ss_flags, ss.ss_size,
		       ss.ss_sp ? "set" : "NULL");
}

static int altstack_query(void)
{
	show_stack("at start");
	static char mine[65536];
	stack_t ss = {.ss_sp = mine, .ss_size = sizeof mine, .ss_flags = 0};
	printf("set: %d\n", sigaltstack(&ss, 0));
	show_stack("after set");
	stack_t off = {.ss_flags = SS_DISABLE};
	printf("disable: %d\n", sigaltstack(&off, 0));
	show_stack("after disable");
	stack_t tiny = {.ss_sp = mine, .ss_size = 100, .ss_flags = 0};
	int rc = sigaltstack(&tiny, 0);
	printf("too small: %d %s\n", rc, rc ? strerror(errno) : "");
	stack_t bad = {.ss_sp = mine, .ss_size = sizeof mine, .ss_flags = 0x1234};
	rc = sigaltstack(&bad, 0);
	printf("bad flags: %d %s\n", rc, rc ? strerror(errno) : "");
	show_stack("at end");
	return 0;
}

static pthread_t main_thread;

static void *send_trap(void *arg)
{
	int *fds = arg;
	struct timespec t = {0, 100 * 1000 * 1000};
	nanosleep(&t, 0);
	pthread_kill(main_thread, SIGTRAP);
	t.tv_nsec = 300 * 1000 * 1000;
	nanosleep(&t, 0);
	if (write(fds[1], "x", 1) != 1)
		_exit(98);
	return 0;
}

static int eintr_case(int restart)
{
	struct sigaction sa = {0};
	sa.sa_handler = count_hit;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGTRAP, &sa, 0);
	int fds[2];
	if (pipe(fds) != 0)
		return 1;
	main_thread = pthread_self();
	pthread_t t;
	pthread_create(&t, 0, send_trap, fds);
	char c;
	errno = 0;
	ssize_t n = read(fds[0], &c, 1);
	printf("read returned %zd (%s), handler ran %d time(s)\n", n, n < 0 ? strerror(errno) : "data", (int)hits);
	pthread_join(t, 0);
	return 0;
}

static void h_plain(int sig) { (void)sig; }
static void h_info(int sig, siginfo_t *si, void *uc) { (void)sig, (void)si, (void)uc; }

static const int seven[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
static void *libc_restorer;

static const char *handler_name(void *h)
{
	if (h == (void *)SIG_DFL)
		return "SIG_DFL";
	if (h == (void *)SIG_IGN)
		return "SIG_IGN";
	if (h == (void *)h_plain)
		return "h_plain";
	if (h == (void *)h_info)
		return "h_info";
	return "other";
}

static void print_action(const char *what, int sig, const struct sigaction *a)
{
	const unsigned char *m = (const unsigned char *)&a->sa_mask;
	unsigned long w0;
	memcpy(&w0, m, 8);
	int rest_untouched = 1;
	for (size_t i = 8; i < sizeof a->sa_mask; i++)
		rest_untouched &= m[i] == 0xa5;
	printf("%d %s: %s flags=%#x restorer=%s mask=%#lx rest=%s\n", sig, what, handler_name((void *)a->sa_handler),
	       (unsigned)a->sa_flags,
	       !a->sa_restorer ? "NULL" : (void *)a->sa_restorer == libc_restorer ? "libc" : "other", w0,
	       rest_untouched ? "kept" : "written");
}

static int readback(void)
{
	/* libc's own restorer, as a non-virtual signal shows it. */
	struct sigaction r = {0}, q;
	r.sa_handler = h_plain;
	sigaction(SIGUSR1, &r, 0);
	sigaction(SIGUSR1, 0, &q);
	libc_restorer = (void *)q.sa_restorer;
	static const int bits[] = {SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_ONSTACK, SA_SIGINFO, SA_UNSUPPORTED_FLAG,
				   SA_EXPOSE_TAGBITS_FLAG, SA_RESTORER_FLAG};
	const int nbits = sizeof bits / sizeof bits[0];
	void *handlers[] = {(void *)SIG_DFL, (void *)SIG_IGN, (void *)h_plain, (void *)h_info};
	for (size_t s = 0; s < sizeof seven / sizeof seven[0]; s++) {
		int sig = seven[s];
		struct sigaction now;
		memset(&now, 0xa5, sizeof now);
		sigaction(sig, 0, &now);
		print_action("initial", sig, &now);
		for (size_t h = 0; h < 4; h++)
			for (int combo = 0; combo < 1 << nbits; combo++) {
				struct sigaction a, old;
				memset(&a, 0, sizeof a);
				a.sa_handler = (void (*)(int))handlers[h];
				for (int b = 0; b < nbits; b++)
					if (combo & (1 << b))
						a.sa_flags |= bits[b];
				sigaddset(&a.sa_mask, SIGUSR2);
				if (combo & 1)
					sigaddset(&a.sa_mask, SIGKILL);
				if (combo & 2)
					sigaddset(&a.sa_mask, sig);
				memset(&old, 0xa5, sizeof old);
				int rc = sigaction(sig, &a, &old);
				if (combo % 37 == 0 || rc != 0) {
					printf("%d set %s %#x: %d\n", sig, handler_name(handlers[h]), (unsigned)a.sa_flags, rc);
					print_action("old", sig, &old);
				}
				memset(&now, 0xa5, sizeof now);
				sigaction(sig, 0, &now);
				print_action("now", sig, &now);
			}
		/* The probe of sigaction(2): is SA_UNSUPPORTED cleared? */
		struct sigaction p = {0}, back;
		p.sa_handler = h_plain;
		p.sa_flags = SA_UNSUPPORTED_FLAG | SA_EXPOSE_TAGBITS_FLAG;
		sigaction(sig, &p, 0);
		sigaction(sig, 0, &back);
		printf("%d probe: kernel %s the flag check\n", sig,
		       back.sa_flags & SA_UNSUPPORTED_FLAG ? "predates" : "has");
		/* signal(), sysv_signal(), sigset() read back */
		signal(sig, h_plain);
		sigaction(sig, 0, &now);
		print_action("signal", sig, &now);
		sysv_signal(sig, h_plain);
		sigaction(sig, 0, &now);
		print_action("sysv_signal", sig, &now);
		sigset(sig, h_plain);
		sigaction(sig, 0, &now);
		print_action("sigset", sig, &now);
		printf("%d sigset hold: %s\n", sig, sigset(sig, SIG_HOLD) == SIG_HOLD ? "SIG_HOLD" : "handler");
		printf("%d sigset again: %s\n", sig, sigset(sig, SIG_DFL) == SIG_HOLD ? "SIG_HOLD" : "handler");
		signal(sig, SIG_DFL);
	}
	return 0;
}

/* ---- alternate stacks ---- */

static char *alt_base;
static size_t alt_size;
static char *main_local;

static void on_alt(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	char here;
	char line[160];
	int on = &here >= alt_base && &here < alt_base + alt_size;
	/* where the kernel put the frame: the same bytes with and without telem */
	snprintf(line, sizeof line, "handler for %d ran %s, siginfo %ld bytes below the top\n", sig,
		 on ? "on the alternate stack" : "elsewhere", (long)(alt_base + alt_size - (char *)si));
	say(line);
	_exit(3);
}

static void set_alt(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *m = mmap(0, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(m, page, PROT_NONE); /* the guard page below */
	alt_base = m + page;
	alt_size = size;
	stack_t ss = {.ss_sp = alt_base, .ss_size = size, .ss_flags = 0};
	if (sigaltstack(&ss, 0) != 0)
		printf("sigaltstack: %s\n", strerror(errno));
}

static int altstack_case(size_t size)
{
	set_alt(size);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_alt;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, 0);
	fflush(stdout);
	*null_ptr = 1;
	return 0;
}

static void on_thread_stack(int sig)
{
	char big[32768]; /* large locals, fine on the thread's own stack */
	memset(big, 1, sizeof big);
	char line[128];
	long d = (long)(main_local - big);
	snprintf(line, sizeof line, "handler for %d ran %s\n", sig,
		 d > 0 && d < (1 << 20) ? "on the thread's stack" : "elsewhere");
	say(line);
	_exit(big[100] == 1 ? 4 : 5);
}

static int onstack_none(void)
{
	char here;
	main_local = &here;
	show_stack("no stack set");
	struct sigaction sa = {0};
	sa.sa_handler = on_thread_stack;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGSEGV, &sa, 0);
	fflush(stdout);
	*null_ptr = 1;
	return 0;
}

static void reporter(int sig)
{
	char line[64];
	snprintf(line, sizeof line, "reporter: signal %d\n", sig);
	say(line);
	abort();
}

static void faulting(int sig)
{
	(void)sig;
	say("handler on the alternate stack faults\n");
	*null_ptr = 2;
}

static int nested_case(int nodefer)
{
	set_alt(65536);
	struct sigaction r = {0}, f = {0};
	r.sa_handler = reporter;
	r.sa_flags = SA_ONSTACK | (nodefer ? SA_NODEFER : 0);
	sigaction(SIGSEGV, &r, 0);
	f.sa_handler = faulting;
	f.sa_flags = SA_ONSTACK;
	sigaction(SIGTRAP, &f, 0);
	raise(SIGTRAP);
	return 0;
}

static int inhandler(void)
{
	signal(SIGSEGV, faulting);
	*null_ptr = 3;
	return 0;
}

/* ---- resumed faults: the page is made writable, the store retried ---- */

static char *page_addr;
static size_t page_len;

static void unprotect(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if ((char *)si->si_addr < page_addr || (char *)si->si_addr >= page_addr + page_len)
		abort();
	mprotect(page_addr, page_len, PROT_READ | PROT_WRITE);
	hits++;
}

static int resume(long n)
{
	page_len = (size_t)sysconf(_SC_PAGESIZE);
	page_addr = mmap(0, page_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa = {0};
	sa.sa_sigaction = unprotect;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, 0);
	for (long i = 0; i < n; i++) {
		volatile char *p = page_addr;
		*p = (char)i;
		mprotect(page_addr, page_len, PROT_READ);
	}
	printf("resumed %d faults\n", (int)hits);
	return 0;
}

static __attribute__((noinline)) void wait_3(void)
{
	char line[32];
	snprintf(line, sizeof line, "ready %d\n", (int)getpid());
	say(line);
	for (;;)
		pause();
}
static __attribute__((noinline)) void wait_2(void)
{
	wait_3();
	__asm__ volatile("");
}
static __attribute__((noinline)) void wait_1(void)
{
	wait_2();
	__asm__ volatile("");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, 0, _IOLBF, 0);
	const char *m = argc > 1 ? argv[1] : "";
	const char *a = argc > 2 ? argv[2] : "";
	if (!strcmp(m, "vfork"))
		return vfork_case();
	if (!strcmp(m, "altstack-query"))
		return altstack_query();
	if (!strcmp(m, "eintr"))
		return eintr_case(!strcmp(a, "restart"));
	if (!strcmp(m, "readback"))
		return readback();
	if (!strcmp(m, "altstack"))
		return altstack_case((size_t)atol(a));
	if (!strcmp(m, "onstack-none"))
		return onstack_none();
	if (!strcmp(m, "nested"))
		return nested_case(!strcmp(a, "nodefer"));
	if (!strcmp(m, "inhandler"))
		return inhandler();
	if (!strcmp(m, "wait")) {
		wait_1();
		return 0;
	}
	if (!strcmp(m, "resume"))
		return resume(atol(a));
	fprintf(stderr, "usage: sig_host MODE [ARG]\n");
	return 2;
}
