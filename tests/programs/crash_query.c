/* What a host sees of its own dispositions: a sequence of installs through
 * signal, sigaction, sigset, sysv_signal, bsd_signal, each followed by a
 * query of the old and current disposition, printed; then a fault, which
 * must reach the handler installed last (it prints and exits 5). With the
 * shim every line must read as without it. SA_RESTORER is left out of the
 * flags printed: glibc adds it for its own restorer, the host never sets it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RESTORER_FLAG 0x04000000

/* Still exported by glibc, no longer declared (dropped from POSIX 2008). */
extern sighandler_t bsd_signal(int sig, sighandler_t handler);

static int *volatile target = NULL;
static volatile int sink;

static void h1(int sig) { (void)sig; }
static void h2(int sig, siginfo_t *si, void *ctx) { (void)sig, (void)si, (void)ctx; }

static void last(int sig)
{
	(void)sig;
	static const char msg[] = "crash_query: the handler installed last ran\n";
	if (write(1, msg, sizeof msg - 1) < 0)
		sink = 1;
	_exit(5);
}

static const char *name(void (*h)(int))
{
	if (h == SIG_DFL)
		return "SIG_DFL";
	if (h == SIG_IGN)
		return "SIG_IGN";
	if (h == h1)
		return "h1";
	if ((void *)h == (void *)h2)
		return "h2";
	if (h == last)
		return "last";
	return "unknown";
}

static void show(const char *step, const struct sigaction *a)
{
	printf("%-34s %-7s flags=%#x mask:USR1=%d,SEGV=%d\n", step, name(a->sa_handler),
	       (unsigned)a->sa_flags & ~(unsigned)RESTORER_FLAG, sigismember(&a->sa_mask, SIGUSR1),
	       sigismember(&a->sa_mask, SIGSEGV));
}

static void query(const char *step, int sig)
{
	struct sigaction now;
	memset(&now, 0, sizeof now);
	sigaction(sig, NULL, &now);
	show(step, &now);
}

static struct sigaction with(void (*h)(int), int flags)
{
	struct sigaction a;
	memset(&a, 0, sizeof a);
	a.sa_handler = h;
	a.sa_flags = flags;
	sigemptyset(&a.sa_mask);
	sigaddset(&a.sa_mask, SIGUSR1);
	return a;
}

__attribute__((noinline)) static int work(int x)
{
	*target = x; /* the fault */
	sink = x;
	return x;
}

int main(int argc, char **argv)
{
	(void)argv;
	query("initial SIGSEGV", SIGSEGV);
	query("initial SIGBUS", SIGBUS);
	printf("signal(h1) returned %s\n", name(signal(SIGSEGV, h1)));
	query("after signal(h1)", SIGSEGV);

	struct sigaction a = with(NULL, SA_SIGINFO | SA_RESETHAND | SA_NODEFER), old;
	a.sa_sigaction = h2;
	sigaction(SIGSEGV, &a, &old);
	show("sigaction(h2) old", &old);
	query("after sigaction(h2)", SIGSEGV);

	printf("signal(SIG_IGN) returned %s\n", name(signal(SIGSEGV, SIG_IGN)));
	query("after signal(SIG_IGN)", SIGSEGV);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* hosts still call it */
	printf("sigset(h1) returned %s\n", name(sigset(SIGSEGV, h1)));
#pragma GCC diagnostic pop
	query("after sigset(h1)", SIGSEGV);
	printf("sysv_signal(h1) returned %s\n", name(sysv_signal(SIGSEGV, h1)));
	query("after sysv_signal(h1)", SIGSEGV);
	printf("bsd_signal(h1) returned %s\n", name(bsd_signal(SIGSEGV, h1)));
	query("after bsd_signal(h1)", SIGSEGV);

	struct sigaction final = with(last, SA_NODEFER);
	sigaction(SIGSEGV, &final, &old);
	show("sigaction(last) old", &old);
	query("after sigaction(last)", SIGSEGV);
	fflush(stdout);
	return work(argc);
}
