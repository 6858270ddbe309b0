/* A wrapper that dies as its command did (timeout's, strace's way): runs
 * argv[2...], reaps it with the wait function argv[1] names, and if a
 * signal killed it, sets that signal to the default action and sends it to
 * itself. argv[1] is one of wait, waitpid, wait3, wait4, waitid, or
 * waitpid-null (the child's fate read first with waitid WNOWAIT, then
 * reaped by a waitpid with a NULL status); or "abort": reap with waitpid,
 * then abort() whatever the child did (a crash of the wrapper's own). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int reap(const char *how, pid_t child)
{
	int status = 0;
	struct rusage ru;
	siginfo_t si;
	if (strcmp(how, "wait") == 0)
		wait(&status);
	else if (strcmp(how, "waitpid") == 0 || strcmp(how, "abort") == 0)
		waitpid(child, &status, 0);
	else if (strcmp(how, "wait3") == 0)
		wait3(&status, 0, &ru);
	else if (strcmp(how, "wait4") == 0)
		wait4(child, &status, 0, &ru);
	else if (strcmp(how, "waitpid-null") == 0) {
		memset(&si, 0, sizeof si);
		waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT);
		waitpid(child, NULL, 0);
		return si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED ? si.si_status : 0;
	} else if (strcmp(how, "waitid") == 0) {
		memset(&si, 0, sizeof si);
		waitid(P_PID, (id_t)child, &si, WEXITED);
		return si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED ? si.si_status : 0;
	}
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	int sig = reap(argv[1], child);
	printf("reraise: child died of signal %d\n", sig);
	fflush(stdout);
	if (strcmp(argv[1], "abort") == 0)
		abort();
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return 0;
}
