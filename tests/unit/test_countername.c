/* The privacy rules for a rebuilt program's own counter names
 * (shim/countername.c, include/telem/counter.h): what is counted, what is
 * refused whole. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "countername.h"

static const char *const allowed[] = {
	"bug", "cache:hit", "gopls/bug", "go/platform/target/goos:linux", "version:1.2.3",
	"gotoolchain:go1.22.1", "latency:<10ms", "a-b_c+d,e=f@g", "x:y:z", "invocations-extra",
	"exits:0", "flags", "0123456789012345678901234567890123456789", /* 40: the longest part */
};

static const char *const refused[] = {
	"", "/abs", "home//user", "trailing/", "a/b/c/d/e", ".hidden", "x/.ssh", "x:../etc",
	"main.c", "dir/file.txt", "with space", "tab\there", "line\nbreak", "quote\"d", "back\\slash",
	"star*", "percent%s", "~user", "invocations", "exit:0", "flag:-O2", "wall-ms", "signal:SIGSEGV",
	"crash/crash", "maxrss:<16MB", "cpu:<1s", "a:", ":b",
	"01234567890123456789012345678901234567890", /* 41 */
	"x:01234567890123456789012345678901234567890",
};

static void check(const char *const *names, size_t n, int want_refused)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		const char *why = counter_name_refused(names[i], strlen(names[i]));
		if (!why != !want_refused) {
			print_error("\"%s\": %s\n", names[i], why ? why : "allowed");
			bad++;
		}
	}
	if (bad)
		fail_msg("%d of %zu names judged wrongly", bad, n);
}

static void test_allowed(void **state)
{
	(void)state;
	check(allowed, sizeof allowed / sizeof *allowed, 0);
}

static void test_refused(void **state)
{
	(void)state;
	check(refused, sizeof refused / sizeof *refused, 1);
}

static void test_lengths(void **state)
{
	(void)state;
	char name[COUNTER_NAME_MAX + 2];
	/* 128 bytes in parts of 31 + ':' : allowed; one more byte: refused. */
	for (size_t i = 0; i < sizeof name; i++)
		name[i] = i % 32 == 31 ? ':' : 'a';
	name[COUNTER_NAME_MAX - 1] = 'a';
	assert_null(counter_name_refused(name, COUNTER_NAME_MAX));
	assert_non_null(counter_name_refused(name, COUNTER_NAME_MAX + 1));
	/* Only len bytes are read: a NUL or newline beyond them does not matter. */
	assert_null(counter_name_refused("ok:yes\nno", 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
