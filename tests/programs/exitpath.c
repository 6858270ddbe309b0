/* Leaves by the exit path named in argv[1], for checking that the shim
 * counts <prog>/exit:<code> exactly once per process, with the code the
 * parent sees, and never for a forked child that did not exec.
 *   return N | exit N | _exit N | _Exit N | thread N (exit from a thread)
 *   fork      child exit(3)s without exec, parent returns 0
 *   vfork     child _exit(4)s without exec, parent returns 0 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int code;

static void *exit_from_thread(void *arg)
{
	(void)arg;
	exit(code);
}

static int child_status(pid_t pid)
{
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *how = argv[1];
	code = argc > 2 ? atoi(argv[2]) : 0;
	if (strcmp(how, "return") == 0)
		return code;
	if (strcmp(how, "exit") == 0)
		exit(code);
	if (strcmp(how, "_exit") == 0)
		_exit(code);
	if (strcmp(how, "_Exit") == 0)
		_Exit(code);
	if (strcmp(how, "thread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, exit_from_thread, NULL) != 0)
			return 2;
		pthread_join(t, NULL);
		return 2; /* not reached: the thread ends the process */
	}
	if (strcmp(how, "fork") == 0) {
		pid_t pid = fork();
		if (pid == 0)
			exit(3);
		return child_status(pid) == 3 ? 0 : 2;
	}
	if (strcmp(how, "vfork") == 0) {
		pid_t pid = vfork();
		if (pid == 0)
			_exit(4);
		return child_status(pid) == 4 ? 0 : 2;
	}
	return 2;
}
