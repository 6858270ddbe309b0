/* gcc's -fsanitize=address links the shared libasan.so, which exits 1 at
 * start ("ASan runtime does not come first in initial library list")
 * unless it is the first object after the program, so that its malloc and
 * its interceptors win. A preloaded shim comes first; it is safe there: it
 * defines no function libasan intercepts except the few it interposes
 * itself (sigaction, signal, pthread_create...), and those forward to the
 * next definition, libasan's (libc_symbol). So the check is turned off the
 * way ASan offers: its runtime reads its defaults from
 * __asan_default_options, bound like any symbol, the program's first (its
 * own definition always wins), then ours, then the runtime's. Ours returns
 * verify_asan_link_order=0 followed by the next definition's options, so
 * those still override it, and ASAN_OPTIONS overrides both. Called once,
 * at the runtime's start, before any thread.
 *
 * Exits. A sanitizer ends a process it reports on with a raw exit system
 * call (its Die: the exitcode flag, 1 for ASan and UBSan, 66 for TSan, 23
 * for LSan alone), which no exit hook sees; TSan's and LSan's checks at
 * exit do so after the program's exit(status) has run its handlers, ours
 * included, which counted exit:<status>. So where a runtime is present its
 * death callback (__sanitizer_set_death_callback) counts exit:<exitcode>
 * instead, taking back the exit:<status> counted before it, if any. */
#include "sanitizers.h"

#include "bytes.h"
#include "libc.h"
#include "state.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT const char *__asan_default_options(void)
{
	static const char ours[] = "verify_asan_link_order=0:";
	static char options[4096];
	const char *(*next)(void) = (const char *(*)(void))libc_symbol("__asan_default_options");
	const char *theirs = next ? next() : "";
	size_t n = theirs ? bytes_len(theirs) : 0;
	if (n + sizeof ours > sizeof options)
		return theirs;
	bytes_copy(options, ours, sizeof ours - 1);
	bytes_copy(options + sizeof ours - 1, theirs, n);
	options[sizeof ours - 1 + n] = 0;
	return options;
}

/* The runtime's tool, for its exitcode default and its options. */
static const char *options_env = "ASAN_OPTIONS=";
static const char *default_options_fn = "__asan_default_options";
static int exit_code = 1;
static int status_seen = -1; /* the exit(status) that ran our exit handler */

static void *any_symbol(const char *name)
{
	void *f = libc_program_symbol(name);
	return f ? f : libc_symbol(name);
}

/* The last exitcode=N in a sanitizer's option string (':' ',' or blanks
 * between options, as its flag parser takes them). */
static void parse_exitcode(const char *s)
{
	for (const char *p = s; p && *p; p++) {
		const char *v = str_after(p, "exitcode=");
		if (v && (p == s || p[-1] == ':' || p[-1] == ',' || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') &&
		    *v >= '0' && *v <= '9') {
			int n = 0;
			while (*v >= '0' && *v <= '9' && n < 1000)
				n = n * 10 + (*v++ - '0');
			exit_code = n;
		}
	}
}

static void note_status(int status, void *arg)
{
	(void)arg;
	status_seen = status & 0xff;
}

static void put_code(char *out, int code)
{
	struct text t = TEXT_INIT(out, 4);
	text_uint(&t, (unsigned)code & 0xff, 1);
	out[t.len] = 0;
}

/* Runs in the runtime's Die, once, in the thread that reports. */
static void on_death(void)
{
	if (!telem.active || telem.forked_child)
		return;
	const char *(*defaults)(void) = (const char *(*)(void))any_symbol(default_options_fn);
	parse_exitcode(defaults ? defaults() : 0);
	for (char **e = telem.envp; e && *e; e++)
		parse_exitcode(str_after(*e, options_env));
	char code[4];
	telem_debug("sanitizer death", telem.exit_recorded ? (status_seen < 0 ? "recorded, unseen" : "recorded") : "new");
	if (telem.exit_recorded) {
		if (status_seen < 0 || status_seen == (exit_code & 0xff))
			return;
		char name[ID_PROGRAM_MAX + 16];
		struct text t = TEXT_INIT(name, sizeof name);
		text_put(&t, telem.prefix, telem.prefix_len);
		text_lit(&t, "exit:");
		put_code(code, status_seen);
		text_str(&t, code);
		uint64_t *c = t.overflow ? 0 : counter_file_find(&telem.file, name, t.len, 0);
		uint64_t old = c ? __atomic_load_n(c, __ATOMIC_RELAXED) : 0;
		while (old > 0 && !__atomic_compare_exchange_n(c, &old, old - 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	telem.exit_recorded = 1;
	put_code(code, exit_code);
	telem_count2("exit:", code, 1);
}

void sanitizers_watch(void)
{
	void (*set_callback)(void (*)(void)) =
		(void (*)(void (*)(void)))any_symbol("__sanitizer_set_death_callback");
	if (!set_callback)
		return;
	if (any_symbol("__tsan_init")) {
		options_env = "TSAN_OPTIONS=", default_options_fn = "__tsan_default_options", exit_code = 66;
	} else if (any_symbol("__asan_init")) {
		/* ASan's own settings also rule its leak and UBSan reports. */
	} else if (any_symbol("__lsan_do_leak_check")) {
		options_env = "LSAN_OPTIONS=", default_options_fn = "__lsan_default_options", exit_code = 23;
	} else {
		options_env = "UBSAN_OPTIONS=", default_options_fn = "__ubsan_default_options", exit_code = 1;
	}
	set_callback(on_death);
}

void sanitizers_watch_exit(struct libc_api *api)
{
	/* Registered before start's own handler, so it runs after it, and
	 * after glibc's _dl_fini, so before the runtime checks run from there
	 * (LSan) or registered before (TSan). */
	if (api->on_exit)
		api->on_exit(note_status, 0);
}
