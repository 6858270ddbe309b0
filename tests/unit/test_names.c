/* Counter names and the privacy rules (shim/names.c): flag reduction for
 * gcc's family and for other programs, and the bucket labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "names.h"

struct flag_case {
	const char *arg;
	const char *want; /* NULL: not a flag */
	int skip_next;
};

/* Reports every mismatch, then fails once: one run shows the whole picture. */
static void check_cases(int gcc_family, const struct flag_case *c, size_t n)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		char out[FLAG_NAME_MAX + 1];
		int skip = -1;
		memset(out, 0, sizeof out);
		size_t len = names_flag(gcc_family, c[i].arg, out, &skip);
		const char *want = c[i].want ? c[i].want : "";
		if (len != strlen(want) || (len && strcmp(out, want) != 0) || skip != c[i].skip_next) {
			print_error("\"%s\": got \"%.*s\" (len %zu, skip %d), want \"%s\" (skip %d)\n",
				    c[i].arg, len ? (int)sizeof out : 0, out, len, skip, want, c[i].skip_next);
			bad++;
		}
	}
	if (bad)
		fail_msg("%d of %zu arguments reduced wrongly", bad, n);
}

static const char FLAG60[] = "-fthis-is-a-very-long-option-name-that-goes-on-and-on-and-on";

static void test_gcc_flags(void **state)
{
	(void)state;
	static const struct flag_case cases[] = {
		{"-O2", "-O2", 0},
		{"-O", "-O", 0},
		{"-std=c11", "-std", 0},
		{"-I/usr/include", "-I", 0},
		{"-I", "-I", 1},
		{"-Dfoo=bar", "-D", 0},
		{"-DNDEBUG", "-D", 0},
		{"-Ufoo", "-U", 0},
		{"-Wl,-rpath,/x", "-Wl,", 0},
		{"-Wa,--noexecstack", "-Wa,", 0},
		{"-o", "-o", 1},
		{"-ofoo.o", "-o", 0},
		{"-march=native", "-march", 0},
		{"-mtune=generic", "-mtune", 0},
		{"-m64", "-m64", 0},
		{"-c", "-c", 0},
		{"-g", "-g", 0},
		{"-Wall", "-Wall", 0},
		{"-Werror=format-security", "-Werror", 0},
		{"-fPIC", "-fPIC", 0},
		{"-lm", "-l", 0},
		{"-L/opt/lib", "-L", 0},
		{"-isystem", "-isystem", 1},
		{"-isystem/opt/inc", "-isystem", 0},
		{"-include", "-include", 1},
		{"-includeconfig.h", "-include", 0},
		{"-MF", "-MF", 1},
		{"-MT", "-MT", 1},
		{"-MD", "-MD", 0},
		{"-MMD", "-MMD", 0},
		{"-Xlinker", "-Xlinker", 1},
		{"--sysroot=/srv/root", "--sysroot", 0},
		{"-fprofile-generate=/tmp/prof", "-fprofile-", 0},
		{"-ffile-prefix-map=/home/u=.", "-ffile-prefix-map", 0},
		{"foo.c", NULL, 0},
		{"/usr/lib/crt1.o", NULL, 0},
		{"-", NULL, 0},
		{"--", NULL, 0},
		{"", NULL, 0},
		{FLAG60, "other", 0},
		{"-fA(b)", "other", 0},
		{"-f$HOME", "other", 0},
		{"--param=max-inline-insns-single=1000", "--param", 0},
	};
	check_cases(1, cases, sizeof cases / sizeof cases[0]);
}

/* gcc accepts -MF, -MT and -MQ with the value joined ("-MFdeps.d"); the
 * design lists -MF and -MT among the flags that keep only the prefix. */
static void test_gcc_joined_dependency_flags(void **state)
{
	(void)state;
	static const struct flag_case cases[] = {
		{"-MFobj/foo.d", "-MF", 0},
		{"-MFfoo.d", "-MF", 0},
		{"-MTfoo.o", "-MT", 0},
		{"-MQfoo.o", "-MQ", 0},
	};
	check_cases(1, cases, sizeof cases / sizeof cases[0]);
}

static void test_other_programs(void **state)
{
	(void)state;
	static const struct flag_case cases[] = {
		{"-j8", "-j", 0},
		{"-j", "-j", 0},
		{"--file=/x", "--file", 0},
		{"-Wignore", "-W", 0},
		{"-c", "-c", 0},
		{"--verbose", "--verbose", 0},
		{"-", NULL, 0},
		{"--", NULL, 0},
		{"script.py", NULL, 0},
		{"--x/y", "other", 0},
		{"--a-very-long-option-name-that-goes-beyond-forty-characters", "other", 0},
	};
	check_cases(0, cases, sizeof cases / sizeof cases[0]);
}

static void test_gcc_family(void **state)
{
	(void)state;
	static const char *const yes[] = {"gcc", "g++", "cc", "cc1", "cc1plus", "as", "ld", "ld.bfd",
					  "collect2", "clang"};
	static const char *const no[] = {"make", "python3.11", "ninja", "dash", "gcc2", ""};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!names_gcc_family(yes[i]))
			fail_msg("%s should be in gcc's family", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (names_gcc_family(no[i]))
			fail_msg("\"%s\" should not be in gcc's family", no[i]);
}

/* Whatever the argument, the reduced name never holds a path, a value or a
 * private word, for either kind of program. */
/* The documented wrappers (README), and programs that are not. */
static void test_wrappers(void **state)
{
	(void)state;
	static const char *const yes[] = {"timeout", "env", "nice", "nohup", "stdbuf", "setsid", "taskset", "ionice",
					  "chrt", "flock", "xargs", "time", "sudo", "ccache", "sccache", "distcc"};
	static const char *const no[] = {"gcc", "make", "lua", "envsubst", "timeouts", "cc1", "", "ccach"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		if (!names_wrapper(yes[i]))
			fail_msg("%s is a wrapper", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		if (names_wrapper(no[i]))
			fail_msg("%s is not a wrapper", no[i]);
}

static void test_privacy(void **state)
{
	(void)state;
	static const char *const args[] = {
		"-I/home/alice/src", "-Ialice", "-L/home/alice/lib", "-lalice", "-Dalice=1",
		"-DSECRET=alice", "-Ualice", "-oalice.o", "-o/home/alice/out", "--output=/home/alice/x",
		"--user=alice", "--sysroot=/home/alice", "-Wl,-rpath,/home/alice", "-Wa,-alice",
		"-Wp,-MD,alice.d", "-fprofile-use=/home/alice/p", "-fdebug-prefix-map=/home/alice=.",
		"-ffile-prefix-map=/alice=/", "-fmacro-prefix-map=/alice=/", "-isystem/home/alice",
		"-include/home/alice/h.h", "-imacros/home/alice/m.h", "-iquote/alice",
		"-specs=/home/alice/specs", "-T/home/alice/ld.script", "-B/home/alice/bin",
		"-fplugin-arg-alice-key=value", "-std=alice", "--param=alice=1", "-MF/home/alice/x.d",
		"-MFalice.d", "-MTalice.o", "-MQalice.o", "-Xlinker=alice", "-x/alice",
		"-Dalice", "-j/alice", "-C/home/alice", "-f/home/alice/Makefile", "--directory=/home/alice",
		"-/alice", "--/alice", "-=alice", "-a=/alice",
	};
	int leaks = 0;
	for (int gcc = 0; gcc <= 1; gcc++) {
		for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
			char out[FLAG_NAME_MAX + 1];
			int skip;
			size_t n = names_flag(gcc, args[i], out, &skip);
			if (n == 0)
				continue;
			assert_true(n <= FLAG_NAME_MAX);
			assert_int_equal(strlen(out), n);
			if (strchr(out, '/') || strchr(out, '=') || strstr(out, "alice")) {
				print_error("%s: \"%s\" -> \"%s\"\n", gcc ? "gcc" : "other", args[i], out);
				leaks++;
			}
		}
	}
	if (leaks)
		fail_msg("%d arguments leaked into a counter name", leaks);
}

/* Every printable two- and three-byte argument: the result is always a
 * bounded, NUL-terminated name of allowed characters. */
static void test_all_short_args(void **state)
{
	(void)state;
	char arg[4] = "-";
	for (int gcc = 0; gcc <= 1; gcc++)
		for (int a = 32; a < 127; a++)
			for (int b = 0; b < 127; b += b ? 1 : 32) {
				arg[1] = (char)a;
				arg[2] = (char)b;
				arg[3] = 0;
				char out[FLAG_NAME_MAX + 2];
				out[FLAG_NAME_MAX + 1] = 'Z';
				int skip;
				size_t n = names_flag(gcc, arg, out, &skip);
				assert_int_equal(out[FLAG_NAME_MAX + 1], 'Z');
				if (n == 0)
					continue;
				assert_int_equal(strlen(out), n);
				for (size_t k = 0; k < n; k++)
					assert_true(strchr("/= \"'\\$;:*?<>|&`", out[k]) == NULL);
			}
}

static void test_time_buckets(void **state)
{
	(void)state;
	static const struct {
		uint64_t ms;
		const char *want;
	} cases[] = {
		{0, "<10ms"},      {9, "<10ms"},      {10, "<100ms"}, {99, "<100ms"},
		{100, "<1s"},      {999, "<1s"},      {1000, "<10s"}, {9999, "<10s"},
		{10000, "<1m"},    {59999, "<1m"},    {60000, "<10m"}, {599999, "<10m"},
		{600000, ">=10m"}, {UINT64_MAX, ">=10m"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (strcmp(names_time_bucket(cases[i].ms), cases[i].want))
			fail_msg("%llu ms: got %s, want %s", (unsigned long long)cases[i].ms,
				 names_time_bucket(cases[i].ms), cases[i].want);
}

static void test_rss_buckets(void **state)
{
	(void)state;
	static const struct {
		uint64_t kb;
		const char *want;
	} cases[] = {
		{0, "<16MB"},          {16383, "<16MB"},     {16384, "<64MB"},   {65535, "<64MB"},
		{65536, "<256MB"},     {262143, "<256MB"},   {262144, "<1GB"},   {1048575, "<1GB"},
		{1048576, "<4GB"},     {4194303, "<4GB"},    {4194304, ">=4GB"}, {UINT64_MAX, ">=4GB"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (strcmp(names_rss_bucket(cases[i].kb), cases[i].want))
			fail_msg("%llu KiB: got %s, want %s", (unsigned long long)cases[i].kb,
				 names_rss_bucket(cases[i].kb), cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcc_flags),
		cmocka_unit_test(test_gcc_joined_dependency_flags),
		cmocka_unit_test(test_other_programs),
		cmocka_unit_test(test_gcc_family),
		cmocka_unit_test(test_wrappers),
		cmocka_unit_test(test_privacy),
		cmocka_unit_test(test_all_short_args),
		cmocka_unit_test(test_time_buckets),
		cmocka_unit_test(test_rss_buckets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
