/* The crash tests' runner (not a crasher): runs one command as a parent
 * would and writes what the parent saw, so that a run with the shim and a
 * run without can be compared exactly, core-dump flag included (a shell's
 * $? loses it, and `timeout` re-raises with core dumps off).
 *
 *   crash_run OUTDIR CWD CORE [VAR=VALUE...] -- CMD [ARG...]
 *
 * CMD runs in CWD, stdin /dev/null, RLIMIT_CORE = CORE (bytes or
 * "unlimited"), with the VAR=VALUE words added to the environment.
 * Writes (making OUTDIR if needed) OUTDIR/stdout, OUTDIR/stderr, OUTDIR/pid, OUTDIR/seconds (wall
 * time of the child) and OUTDIR/status: "exit N", "signal SIGxxx core 0|1",
 * or "timeout" (killed after 120 s). Exits 0 unless it could not run CMD. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_S 120

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static int open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	int fd = open_out(dir, name);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror(name);
		exit(2);
	}
	close(fd);
}

/* In the child: everything a parent sets up before exec. */
static _Noreturn void run_child(const char *out, const char *cwd, const char *core, char **env, int n_env,
				char **cmd)
{
	struct rlimit rl;
	rl.rlim_cur = rl.rlim_max = strcmp(core, "unlimited") == 0 ? RLIM_INFINITY : strtoull(core, NULL, 10);
	int in = open("/dev/null", O_RDONLY), so = open_out(out, "stdout"), se = open_out(out, "stderr");
	if (chdir(cwd) != 0 || setrlimit(RLIMIT_CORE, &rl) != 0 || in < 0 || so < 0 || se < 0 ||
	    dup2(in, 0) < 0 || dup2(so, 1) < 0 || dup2(se, 2) < 0)
		_exit(126);
	for (int i = 0; i < n_env; i++)
		putenv(env[i]);
	execvp(cmd[0], cmd);
	_exit(127);
}

static void describe(int status, char *buf, size_t cap)
{
	if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		snprintf(buf, cap, "signal SIG%s core %d\n", abbrev ? abbrev : "?", WCOREDUMP(status) ? 1 : 0);
	} else {
		snprintf(buf, cap, "exit %d\n", WEXITSTATUS(status));
	}
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	int sep = 4;
	while (sep < argc && strcmp(argv[sep], "--") != 0)
		sep++;
	if (argc < 4 || sep + 1 >= argc) {
		fputs("usage: crash_run OUTDIR CWD CORE [VAR=VALUE...] -- CMD [ARG...]\n", stderr);
		return 2;
	}
	if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
		perror(argv[1]);
		return 2;
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		run_child(argv[1], argv[2], argv[3], argv + 4, sep - 4, argv + sep + 1);
	alarm(TIMEOUT_S);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 2;
		if (timed_out)
			kill(pid, SIGKILL);
	}
	double took = seconds_since(&start);
	char buf[64];
	if (timed_out)
		snprintf(buf, sizeof buf, "timeout\n");
	else
		describe(status, buf, sizeof buf);
	write_file(argv[1], "status", buf);
	snprintf(buf, sizeof buf, "%ld\n", (long)pid);
	write_file(argv[1], "pid", buf);
	snprintf(buf, sizeof buf, "%.6f\n", took);
	write_file(argv[1], "seconds", buf);
	return WIFEXITED(status) && WEXITSTATUS(status) >= 126 ? 3 : 0;
}
