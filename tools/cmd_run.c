/* telem run [--json] [--keep DIR] -- COMMAND...: runs a build under the shim,
 * with its counters in a directory of its own, summarizes it, then adds the
 * counters into the user's directory (unless the mode is off). The exit
 * status, or the death by signal, is COMMAND's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <jansson.h>
#include <libelf.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "consent.h"
#include "ingest.h"
#include "merge.h"
#include "shimpath.h"
#include "summary.h"
#include "week.h"

extern char **environ;

struct run_options {
	int json;
	const char *json_file; /* --json FILE: the JSON there, parseable alone */
	const char *keep;
	char **command;
};

static int parse(int argc, char **argv, struct run_options *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(USAGE_RUN, stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			/* "--json FILE"; "--json -" or "--json" before another option
			 * or "--" is stdout, as before */
			o->json = 1;
			if (i + 1 < argc && (argv[i + 1][0] != '-' || strcmp(argv[i + 1], "-") == 0))
				o->json_file = argv[++i];
		} else if (strncmp(argv[i], "--json=", 7) == 0) {
			o->json = 1;
			o->json_file = argv[i] + 7;
		} else if (strcmp(argv[i], "--keep") == 0 || strncmp(argv[i], "--keep=", 7) == 0) {
			o->keep = argv[i][6] == '=' ? argv[i] + 7 : i + 1 < argc ? argv[++i] : NULL;
			if (!o->keep || !*o->keep)
				return usage_error("run", "--keep needs a directory");
		} else if (strcmp(argv[i], "--") == 0) {
			o->command = i + 1 < argc ? &argv[i + 1] : NULL;
			break;
		} else if (argv[i][0] == '-') {
			return usage_error("run", "unknown option '%s'", argv[i]);
		} else {
			o->command = &argv[i];
			break;
		}
	}
	if (!o->command)
		return usage_error("run", "no command given (telem run -- COMMAND...)");
	if (o->json_file && !*o->json_file)
		return usage_error("run", "--json needs a file name (or '-' for stdout)");
	if (o->json_file && strcmp(o->json_file, "-") == 0)
		o->json_file = NULL;
	return -1;
}

/* NAME=value in a fresh environment array (the rest copied). */
static char **environment(const char *rundir, const char *shim)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 4, sizeof *env), *preload = NULL;
	size_t k = 0;
	const char *old = getenv("LD_PRELOAD");
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) && strncmp(environ[i], "TELEM_DIR=", 10))
			env[k++] = environ[i];
	/* Added to, never replacing, what the caller preloads already. */
	if (asprintf(&preload, "LD_PRELOAD=%s%s%s", shim, old && *old ? ":" : "", old ? old : "") < 0 ||
	    asprintf(&env[k++], "TELEM_DIR=%s", rundir) < 0)
		abort();
	env[k++] = preload;
	if (!getenv("TELEM_MODE"))
		env[k++] = "TELEM_MODE=local"; /* the private directory has no mode file to read */
	env[k] = NULL;
	return env;
}

static int copy_weekends(const char *user_local, const char *run_local)
{
	char src[4400], dst[4400];
	size_t len;
	snprintf(src, sizeof src, "%s/weekends", user_local);
	snprintf(dst, sizeof dst, "%s/weekends", run_local);
	char *data = read_file(src, &len);
	if (!data)
		return 0; /* the shim will choose one; merging creates the user's */
	int rc = write_file_atomic(dst, data, len, 0644);
	free(data);
	return rc;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int spawn_and_wait(char **command, char **env, int *wstatus)
{
	posix_spawnattr_t attr;
	sigset_t defaults;
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGQUIT);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	/* Like time(1): Ctrl-C is for the build; telem waits and summarizes. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid_t pid;
	int rc = posix_spawnp(&pid, command[0], NULL, &attr, command, env);
	posix_spawnattr_destroy(&attr);
	if (rc == 0)
		while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
			;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return rc;
}

/* Why a command left no counters: the user deserves a reason. */
static const char *why_nothing(const char *command)
{
	if (mode_from_env(getenv("TELEM_MODE")) == MODE_OFF)
		return "TELEM_MODE=off in the environment: the shim counts nothing";
	char *path = NULL;
	if (strchr(command, '/')) {
		path = strdup(command);
	} else {
		const char *p = getenv("PATH");
		char *dirs = strdup(p ? p : "/usr/bin:/bin"), *save = NULL;
		for (char *d = strtok_r(dirs, ":", &save); d && !path; d = strtok_r(NULL, ":", &save)) {
			char *cand;
			if (asprintf(&cand, "%s/%s", d, command) >= 0 && access(cand, X_OK) == 0)
				path = cand;
			else
				free(cand);
		}
		free(dirs);
	}
	const char *why = "no program it ran loaded the shim (a static binary, a setuid one, or "
			  "LD_PRELOAD cleared on the way)";
	struct stat st;
	if (path && stat(path, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID))) {
		why = "it is setuid or setgid: the dynamic linker ignores LD_PRELOAD for it";
	} else if (path) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		elf_version(EV_CURRENT);
		Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
		size_t n = 0;
		int is_elf = e && elf_kind(e) == ELF_K_ELF && elf_getphdrnum(e, &n) == 0, interp = 0;
		for (size_t i = 0; is_elf && i < n; i++) {
			GElf_Phdr ph;
			interp |= gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP;
		}
		if (is_elf && !interp)
			why = "it is a static binary: nothing can be preloaded into it";
		if (e)
			elf_end(e);
		if (fd >= 0)
			close(fd);
	}
	free(path);
	return why;
}

static void remove_tree(const char *dir)
{
	/* Our own private directory, made by mkdtemp: a plain recursive delete. */
	pid_t pid;
	char *argv[] = {"rm", "-rf", "--", (char *)dir, NULL};
	if (posix_spawnp(&pid, "rm", NULL, NULL, argv, environ) == 0)
		waitpid(pid, NULL, 0);
}

/* Exit as COMMAND did: same status, or the same signal (without a core of our own). */
static int exit_like(int wstatus)
{
	if (WIFSIGNALED(wstatus)) {
		int sig = WTERMSIG(wstatus);
		struct rlimit none = {0, 0};
		setrlimit(RLIMIT_CORE, &none);
		signal(sig, SIG_DFL);
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		raise(sig);
		return 128 + sig;
	}
	return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
}

static char *command_line(char **command)
{
	size_t len = 1;
	for (char **c = command; *c; c++)
		len += strlen(*c) + 1;
	char *s = calloc(1, len);
	for (char **c = command; *c; c++) {
		if (c != command)
			strcat(s, " ");
		strcat(s, *c);
	}
	return s;
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
	struct run_options o;
	int rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	char shim[4096];
	if (shim_path(shim, sizeof shim) < 0)
		return fail(NULL, "libtelem.so not found next to this telem (build it with make)");
	consent_maybe_ask(cli);
	char rundir[4096], run_local[4200];
	if (o.keep) {
		snprintf(rundir, sizeof rundir, "%s", o.keep);
		if (make_dirs(rundir) < 0)
			return fail(rundir, "cannot create directory: %s", strerror(errno));
		/* The shim takes only an absolute TELEM_DIR, and the build may cd. */
		if (!realpath(o.keep, rundir))
			return fail(o.keep, "cannot resolve: %s", strerror(errno));
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(rundir, sizeof rundir, "%s/telem-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(rundir))
			return fail(rundir, "cannot create a temporary directory: %s", strerror(errno));
	}
	snprintf(run_local, sizeof run_local, "%s/local", rundir);
	make_dirs(run_local);
	int64_t asof;
	int off = mode_read(cli->dir, &asof) == MODE_OFF || mode_from_env(getenv("TELEM_MODE")) == MODE_OFF;
	/* The user's directory has one weekday, whoever writes first: chosen
	 * here when missing, so the run's files end on the same day as all. */
	if (!off && make_dirs(cli->local) == 0)
		week_weekends(cli->local);
	copy_weekends(cli->local, run_local);

	char **env = environment(rundir, shim);
	int wstatus = 0;
	double start = now_seconds();
	rc = spawn_and_wait(o.command, env, &wstatus);
	double seconds = now_seconds() - start;
	if (rc != 0) {
		fail(o.command[0], "cannot run: %s", strerror(rc));
		if (!o.keep)
			remove_tree(rundir);
		return 127;
	}
	ingest_pending(rundir);
	struct summary s;
	summary_load(run_local, &s);
	char *line = command_line(o.command);
	int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	if (o.json) {
		json_t *j = summary_json(&s, line, seconds, status);
		if (s.processes == 0)
			json_object_set_new(j, "nothing_instrumented", json_string(why_nothing(o.command[0])));
		char *text = json_dumps(j, JSON_INDENT(2));
		size_t len = text ? strlen(text) : 0;
		if (text)
			text[len++] = '\n'; /* json_dumps leaves room: it was NUL-terminated */
		if (o.json_file && (!text || write_file_atomic(o.json_file, text, len, 0644) < 0))
			fail(o.json_file, "cannot write the summary: %s", strerror(errno));
		else if (!o.json_file && text)
			fwrite(text, 1, len, stdout), fflush(stdout);
		free(text);
		json_decref(j);
	} else if (s.processes == 0) {
		fprintf(stderr, "telem: %s: nothing instrumented: %s\n", line, why_nothing(o.command[0]));
	} else {
		summary_print(stderr, &s, line, seconds);
	}
	if (!off)
		merge_counters(run_local, cli->local);
	summary_free(&s);
	free(line);
	if (!o.keep)
		remove_tree(rundir);
	const char *debug = getenv("TELEM_DEBUG");
	if (debug && strcmp(debug, "1") == 0) /* the budget: <= 100 ms for 1,000 processes */
		fprintf(stderr, "telem: run: %.1f ms after the command ended (ingest, summary, merge, cleanup)\n",
			(now_seconds() - start - seconds) * 1000);
	return exit_like(wstatus);
}
