/* The shim's entry and exit paths.
 *
 * __libc_start_main is interposed to wrap the host's main: by then libc and
 * every constructor have run, so the host is fully set up before telem does
 * anything, and we get argv and the auxiliary vector without any system call.
 * Exit status is taken from on_exit (return from main and exit()) and from
 * our _exit/_Exit, each counted once per process. Nothing here can change
 * errno: system calls are raw (sys.h), and the libc functions called
 * (clock_gettime, on_exit, __register_atfork) leave it alone on success and
 * cannot fail here. Nothing prints, exits or leaves a descriptor open. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <elf.h>
#include <sys/resource.h>
#include <time.h>

#include "bytes.h"
#include "libc.h"
#include "musl.h"
#include "names.h"
#include "sanitizers.h"
#include "signals.h"
#include "trigger.h"
#include "state.h"
#include "sys.h"
#include "week.h"

#define EXPORT __attribute__((visibility("default")))
/* New flag names stop being created once a file holds this many record bytes. */
#define FLAG_FILE_CAP (256u << 10)

typedef int (*main_fn)(int, char **, char **);

struct telem_state telem;
struct libc_api telem_libc;
#define libc telem_libc
static main_fn host_main;
/* Linked with -nostartfiles (crtbeginS.o's weak imports cost a symbol
 * lookup each in every host), so the handle atfork needs is ours. */
void *__dso_handle __attribute__((visibility("hidden"))) = &__dso_handle;

int telem_count_if(const char *what, size_t what_len, const char *detail, uint64_t n, int allocate)
{
	/* Built by hand: this runs seven times in every host process. */
	char name[ID_PROGRAM_MAX + 2 * FLAG_NAME_MAX + 16];
	size_t detail_len = detail ? bytes_len(detail) : 0;
	size_t len = telem.prefix_len + what_len + detail_len;
	if (len > sizeof name)
		return 0;
	bytes_copy(name, telem.prefix, telem.prefix_len);
	bytes_copy(name + telem.prefix_len, what, what_len);
	bytes_copy(name + telem.prefix_len + what_len, detail, detail_len);
	uint64_t *count = counter_file_find(&telem.file, name, len, allocate);
	if (count)
		counter_add_at(count, n);
	return count != 0;
}

void telem_debug(const char *what, const char *detail)
{
	if (!telem.debug)
		return;
	char line[1400];
	struct text t = TEXT_INIT(line, sizeof line);
	text_lit(&t, "telem: ");
	text_str(&t, what);
	if (detail) {
		text_lit(&t, ": ");
		text_str(&t, detail);
	}
	text_put(&t, "\n", 1);
	sys_write(2, line, t.len);
}

struct env {
	const char *mode, *dir, *xdg, *home, *debug, *now, *crash;
};

static void read_env(char **envp, struct env *e)
{
	for (char **p = envp; p && *p; p++) {
		const char *v, *s = *p;
		if (s[0] == 'T' && (v = str_after(s, "TELEM_"))) {
			const char *x;
			if ((x = str_after(v, "MODE=")))
				e->mode = x;
			else if ((x = str_after(v, "DIR=")))
				e->dir = x;
			else if ((x = str_after(v, "DEBUG=")))
				e->debug = x;
			else if ((x = str_after(v, "TEST_NOW=")))
				e->now = x;
			else if ((x = str_after(v, "CRASH=")))
				e->crash = x;
		} else if (s[0] == 'X' && (v = str_after(s, "XDG_CONFIG_HOME="))) {
			e->xdg = v;
		} else if (s[0] == 'H' && (v = str_after(s, "HOME="))) {
			e->home = v;
		}
	}
}

/* Tests fix the clock with TELEM_TEST_NOW=<unix seconds>[,<at exit>]: the
 * second value, read once here, is what the clock says when the process
 * exits (a host alive across its week's end); without it, the first. */
static int64_t parse_seconds(const char **s)
{
	int64_t v = 0;
	while (**s >= '0' && **s <= '9')
		v = v * 10 + (*(*s)++ - '0');
	return v;
}

static int64_t now_seconds(const char *fixed)
{
	if (fixed && *fixed >= '0' && *fixed <= '9') {
		int64_t v = parse_seconds(&fixed);
		telem.exit_now = v;
		if (*fixed == ',' && fixed[1] >= '0' && fixed[1] <= '9')
			fixed++, telem.exit_now = parse_seconds(&fixed);
		return v;
	}
	struct timespec ts;
	libc.clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/* Each distinct flag is counted once per invocation: "how many compiles use
 * -O2", not how often it was repeated on one command line. Flags are told
 * apart by their text; the hash only makes most comparisons one word. A
 * wrapper's own options end at its first operand, the command it runs,
 * whose flags its own process counts. */
static void count_flags(int argc, char **argv)
{
	if (argc < 2)
		return;
	const char *program = telem.id.program;
	int gcc = names_gcc_family(program), wrapper = !gcc && names_wrapper(program);
	int seen_n = 0, skip = 0;
	uint32_t seen_hash[FLAGS_PER_PROCESS];
	char seen[FLAGS_PER_PROCESS][FLAG_NAME_MAX + 1];
	for (int i = 1; i < argc && argv[i] && seen_n < FLAGS_PER_PROCESS; i++) {
		char *flag = seen[seen_n];
		if (skip) {
			skip = 0;
			continue;
		}
		if (str_equal(argv[i], "--"))
			break;
		size_t n = names_flag(gcc, argv[i], flag, &skip);
		if (n == 0) {
			if (wrapper)
				break;
			continue;
		}
		uint32_t h = cf_hash(flag, n);
		int dup = 0;
		for (int j = 0; j < seen_n && !dup; j++)
			dup = seen_hash[j] == h && bytes_equal(seen[j], flag, n + 1);
		if (dup)
			continue;
		seen_hash[seen_n++] = h;
		/* Past the cap, only flags the file already knows get their own name. */
		int room = counter_file_used(&telem.file) <= FLAG_FILE_CAP;
		if (!telem_count_if("flag:", 5, flag, 1, room) && !room)
			telem_count2("flag:", "other", 1);
	}
}

static unsigned long auxv_value(unsigned long type)
{
	for (const unsigned long *a = telem.auxv; a && a[0] != AT_NULL; a += 2)
		if (a[0] == type)
			return a[1];
	return ~0ul; /* no such entry: matches no owner */
}

/* The telem directory, checked (beneath.h): owned by the effective user or
 * root, not writable by group or others; the default one is created (0700,
 * with its parents) on first use, as Go's toolchain does. An O_PATH
 * descriptor, or -1: then telem stops, saying why only under TELEM_DEBUG. */
static int open_dir(const struct env *e)
{
	int rc = mode_dir(telem.dir, sizeof telem.dir, e->dir, e->xdg, e->home);
	if (rc < 0) {
		telem_debug(rc == -2 ? "TELEM_DIR is not an absolute path, not used" : "no telem directory (set TELEM_DIR or HOME)",
			    rc == -2 ? e->dir : 0);
		return -1;
	}
	unsigned euid = (unsigned)auxv_value(AT_EUID);
	enum dir_problem why;
	int fd = mode_dir_open(telem.dir, euid, &why);
	if (fd < 0 && why == DIR_MISSING && mode_dir_create(telem.dir, !e->dir || !e->dir[0]) == 0)
		fd = mode_dir_open(telem.dir, euid, &why);
	if (fd < 0) {
		char line[CF_PATH_MAX];
		struct text t = TEXT_INIT(line, sizeof line);
		text_str(&t, telem.dir);
		text_lit(&t, ": ");
		text_str(&t, mode_dir_problem_text(why));
		if (!t.overflow)
			telem_debug("telem directory not used", line);
	}
	return fd;
}

static void on_exit_status(int status, void *arg);
static void in_fork_child(void) { telem.forked_child = 1; }

static void start(int argc, char **argv, char **envp)
{
	struct env e = {0};
	telem.envp = envp;
	read_env(envp, &e);
	telem.debug = e.debug && e.debug[0] == '1';
	int env_mode = mode_from_env(e.mode);
	if (env_mode == MODE_OFF)
		return;
	int dirfd = open_dir(&e);
	if (dirfd < 0)
		return;
	int mode_fd = -1;
	telem.mode = env_mode == MODE_LOCAL ? MODE_LOCAL : mode_read_at(dirfd, &mode_no_date, &mode_fd);
	if (telem.mode == MODE_OFF) {
		sys_close_two(mode_fd, dirfd);
		return;
	}
	counter_file_defer_close(dirfd); /* both closed with the counter file's, in one call */
	if (mode_fd >= 0)
		counter_file_defer_close(mode_fd);
	identity_read(&telem.id, telem.auxv, libc.gnu_get_libc_version());
	/* Wall time is counted from the exec: the CPU time used so far (the
	 * dynamic loader's, the constructors') stands for the time before now,
	 * exact unless the process waited before main (a lower bound then). */
	libc.clock_gettime(CLOCK_MONOTONIC, &telem.started);
	libc.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &telem.cpu_at_start);
	telem.exit_now = -1;
	telem.today = week_day_of(now_seconds(e.now));
	int opened = telem_open_today(dirfd, (unsigned)auxv_value(AT_EUID));
	counter_file_defer_close(-1); /* closed already unless nothing was opened */
	if (opened < 0)
		return;
	struct text p = TEXT_INIT(telem.prefix, sizeof telem.prefix);
	text_str(&p, telem.id.program);
	text_put(&p, "/", 1);
	telem.prefix_len = p.len;
	telem.active = 1;
	telem_count("invocations", 1);
	count_flags(argc, argv);
	libc.on_exit(on_exit_status, 0);
	libc.register_atfork(0, 0, in_fork_child, __dso_handle);
	/* TELEM_CRASH=off: count, and only guard the counter file's mapping */
	signals_install(!e.crash || !str_equal(e.crash, "off"));
}

static uint64_t us_between(const struct timespec *a, const struct timespec *b)
{
	int64_t us = (b->tv_sec - a->tv_sec) * 1000000 + (b->tv_nsec - a->tv_nsec) / 1000;
	return us < 0 ? 0 : (uint64_t)us;
}

/* A host alive across its file's TimeEnd (clangd, a ccache server, a long
 * make) counts its end into the file of the day it exits: the old one may
 * be reported and deleted already. Opened only on this rare path. The old
 * mapping stays (a signal handler of another thread may still use it; the
 * exit ends it), and is used still when the new file cannot be opened. */
static void follow_week(void)
{
	int64_t now = telem.exit_now;
	if (now < 0) {
		struct timespec ts;
		libc.clock_gettime(CLOCK_REALTIME, &ts);
		now = ts.tv_sec;
	}
	int64_t day = week_day_of(now);
	if (day < telem.week_end)
		return;
	struct counter_file old = telem.file;
	telem.today = day;
	unsigned euid = (unsigned)auxv_value(AT_EUID);
	enum dir_problem why;
	int dirfd = mode_dir_open(telem.dir, euid, &why);
	counter_file_defer_close(dirfd); /* closed with the new file's descriptor */
	int opened = dirfd >= 0 ? telem_open_today(dirfd, euid) : -1;
	counter_file_defer_close(-1);
	if (opened < 0) {
		telem.file = old;
		telem_debug("the week ended and the new day's counter file cannot be opened", 0);
	}
}

/* Sums in microseconds (wall-us, cpu-us): no rounding per process. */
static void count_exit(int status)
{
	follow_week();
	if (!telem.active)
		return;
	char code[4];
	struct text c = TEXT_INIT(code, sizeof code);
	text_uint(&c, (unsigned)status & 0xff, 1);
	telem_count2("exit:", code, 1);

	/* CPU time first, then the clock: the CPU used in between must not make
	 * a single-threaded process's CPU time exceed its wall time. */
	struct rusage ru;
	int have_ru = sys_call2(SYS_getrusage, RUSAGE_SELF, &ru) == 0;
	struct timespec now, zero = {0, 0};
	libc.clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t wall = us_between(&telem.started, &now) + us_between(&zero, &telem.cpu_at_start);
	telem_count2("wall:", names_time_bucket(wall / 1000), 1);
	telem_count("wall-us", wall);
	if (have_ru) {
		uint64_t cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
			       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		telem_count2("cpu:", names_time_bucket(cpu / 1000), 1);
		telem_count("cpu-us", cpu);
		telem_count2("maxrss:", names_rss_bucket((uint64_t)ru.ru_maxrss), 1);
	}
}

/* The exit of this process is still to be counted (not a fork child's). */
static int exit_pending(void) { return telem.active && !telem.forked_child && !telem.exit_recorded; }

/* Counts the exit once; returns whether it did. */
static int record_exit(int status)
{
	if (!exit_pending())
		return 0;
	telem.exit_recorded = 1;
	signals_exit_check(status);
	count_exit(status);
	return 1;
}

static void on_exit_status(int status, void *arg)
{
	(void)arg;
	if (record_exit(status) && telem.mode == MODE_ON) {
		struct timespec now;
		libc.clock_gettime(CLOCK_REALTIME, &now);
		trigger_upload(now.tv_sec);
	}
}

static _Noreturn void exit_group(int status)
{
	for (;;)
		sys_call1(SYS_exit_group, status);
}

static int wrapped_main(int argc, char **argv, char **envp)
{
	start(argc, argv, envp);
	return host_main(argc, argv, envp);
}

/* For a libc whose own exit() cannot be interposed (musl): main's return
 * goes to the shim's exit (musl.c), which counts it. */
static int main_then_exit(int argc, char **argv, char **envp)
{
	exit(wrapped_main(argc, argv, envp));
}

/* Its exit handler goes in after glibc's own (so that it runs before the
 * runtime checks that run from ld.so's fini) and before start's; tail
 * calls, so the host's backtraces show no frame of ours. */
static int sanitized_main(int argc, char **argv, char **envp)
{
	sanitizers_watch_exit(&libc);
	return wrapped_main(argc, argv, envp);
}

EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
			     void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	char **envp = argv + argc + 1;
	while (*envp)
		envp++;
	telem.auxv = (const unsigned long *)(envp + 1);
	telem.argv = argv;
	host_main = main;
	/* Without every function we need, the host starts untouched. */
	main_fn entry = libc_resolve(&libc, telem.auxv) == 0 ? libc.main_exits ? main_then_exit : wrapped_main : main;
	if (entry == wrapped_main && libc_sanitized()) { /* rare: a sanitizer build */
		sanitizers_watch();
		entry = sanitized_main;
	}
	if (!libc.libc_start_main) { /* no C library we know of in memory: the next definition */
		int (*next)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *) =
			(int (*)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *))
				libc_next_start_main();
		if (!next)
			exit_group(127); /* nothing to start the program with: it could not run at all */
		return next(main, argc, argv, init, fini, rtld_fini, stack_end);
	}
	return libc.libc_start_main(entry, argc, argv, init, fini, rtld_fini, stack_end);
}

/* A vfork child shares our memory, runs no atfork handler and often ends
 * in _exit: it is told apart by glibc's thread descriptor still holding the
 * parent's thread id (vfork does not update it; fork does). The field's
 * offset is what glibc publishes for libthread_db. Only on this rare path. */
static int in_vfork_child(void)
{
	const uint32_t *field = libc_symbol("_thread_db_pthread_tid"); /* {bits, count, offset} */
	void *(*self)(void) = (void *(*)(void))libc_symbol("pthread_self");
	if (!field || !self || field[0] != 32)
		return musl_in_vfork_child(); /* musl publishes no such field */
	int recorded = *(const int *)((const char *)self() + field[2]);
	return recorded != (int)sys_call0(SYS_gettid);
}

static _Noreturn void exit_now(int status)
{
	if (exit_pending() && !in_vfork_child()) /* the lookups only when it matters */
		record_exit(status);
	exit_group(status);
}

EXPORT void _exit(int status) { exit_now(status); }
EXPORT void _Exit(int status) { exit_now(status); }
