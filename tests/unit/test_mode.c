/* The telem directory and the mode file (shim/mode.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mode.h"
#include "week.h"

static int64_t day(int y, int m, int d) { return week_days_from_civil(y, m, d); }

static void test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		enum telem_mode want;
		int64_t asof; /* -1: no date */
	} cases[] = {
		{"on 2026-11-01\n", MODE_ON, 20758},
		{"on 2026-11-01", MODE_ON, 20758},
		{"off", MODE_OFF, -1},
		{"off\n", MODE_OFF, -1},
		{"off 2026-11-01\n", MODE_OFF, -1},
		{"local 2026-01-02", MODE_LOCAL, 20455},
		{"local 2026-01-02\n", MODE_LOCAL, 20455},
		{"local", MODE_LOCAL, -1},
		{"on", MODE_LOCAL, -1},   /* uploading needs a date */
		{"on\n", MODE_LOCAL, -1},
		{"on 2026-02-30\n", MODE_LOCAL, -1},
		{"on yesterday\n", MODE_LOCAL, -1},
		{"garbage", MODE_LOCAL, -1},
		{"", MODE_LOCAL, -1},
		{"onward 2026-11-01", MODE_LOCAL, -1},
		{"offline", MODE_LOCAL, -1},
		{"\xff\xfe\x00\x01", MODE_LOCAL, -1},
	};
	assert_int_equal(day(2026, 11, 1), 20758);
	assert_int_equal(day(2026, 1, 2), 20455);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t asof = 12345;
		enum telem_mode m = mode_parse(cases[i].text, strlen(cases[i].text), &asof);
		if (m != cases[i].want)
			fail_msg("\"%s\": mode %s, want %s", cases[i].text, mode_name(m), mode_name(cases[i].want));
		if (asof != cases[i].asof)
			fail_msg("\"%s\": asof %lld, want %lld", cases[i].text, (long long)asof,
				 (long long)cases[i].asof);
	}
}

/* The length given is respected: bytes beyond it are never looked at. */
static void test_parse_uses_length(void **state)
{
	(void)state;
	int64_t asof;
	assert_int_equal(mode_parse("on 2026-11-01", 2, &asof), MODE_LOCAL);
	assert_int_equal(asof, -1);
	assert_int_equal(mode_parse("offset", 3, &asof), MODE_OFF);
	assert_int_equal(mode_parse("on 2026-11-01", 12, &asof), MODE_LOCAL);
}

static void test_names_and_env(void **state)
{
	(void)state;
	assert_string_equal(mode_name(MODE_ON), "on");
	assert_string_equal(mode_name(MODE_OFF), "off");
	assert_string_equal(mode_name(MODE_LOCAL), "local");
	assert_int_equal(mode_from_env("off"), MODE_OFF);
	assert_int_equal(mode_from_env("local"), MODE_LOCAL);
	assert_int_equal(mode_from_env("on"), -1); /* never from the environment */
	assert_int_equal(mode_from_env(""), -1);
	assert_int_equal(mode_from_env("OFF"), -1);
	assert_int_equal(mode_from_env("off "), -1);
	assert_int_equal(mode_from_env(NULL), -1);
}

static void check_dir(const char *telem, const char *xdg, const char *home, const char *want)
{
	char out[256];
	memset(out, 'Z', sizeof out);
	int rc = mode_dir(out, sizeof out, telem, xdg, home);
	if (!want) {
		if (rc >= 0)
			fail_msg("(%s, %s, %s): got \"%s\", want -1", telem, xdg, home, out);
		return;
	}
	if (rc != 0 || strcmp(out, want) != 0)
		fail_msg("(%s, %s, %s): rc %d \"%.*s\", want \"%s\"", telem, xdg, home, rc, 200, out, want);
}

static void test_dir_precedence(void **state)
{
	(void)state;
	check_dir("/t", "/x", "/h", "/t");
	check_dir(NULL, "/x", "/h", "/x/telem");
	check_dir(NULL, NULL, "/h", "/h/.config/telem");
	check_dir("", "", "/h", "/h/.config/telem");
	check_dir("rel/t", "/x", "/h", NULL);   /* a relative TELEM_DIR is refused, */
	check_dir(NULL, "rel/x", "/h", "/h/.config/telem"); /* a relative XDG ignored */
	check_dir(NULL, NULL, "relhome", NULL);
	check_dir(NULL, NULL, NULL, NULL);
	check_dir("/t///", NULL, NULL, "/t");          /* trailing slashes dropped */
	check_dir("/t/sub/", "/x", "/h", "/t/sub");
	check_dir("/", NULL, NULL, "/");
}

static void test_dir_too_long(void **state)
{
	(void)state;
	char out[16];
	assert_int_equal(mode_dir(out, sizeof out, "/a/very/long/telem/dir", NULL, NULL), -1);
	assert_int_equal(mode_dir(out, sizeof out, NULL, NULL, "/home/abcdefgh"), -1);
	assert_int_equal(mode_dir(out, sizeof out, "/fifteen-chars1", NULL, NULL), 0);
	assert_string_equal(out, "/fifteen-chars1");
}

/* ---- mode_read ---- */

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/telem-mode-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/mode", dir);
	unlink(path);
	return rmdir(dir);
}

static void write_mode(const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/mode", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_read(void **state)
{
	(void)state;
	int64_t asof = 7;
	assert_int_equal(mode_read(dir, &asof), MODE_LOCAL); /* missing */
	assert_int_equal(asof, -1);
	write_mode("on 2026-11-01\n");
	assert_int_equal(mode_read(dir, &asof), MODE_ON);
	assert_int_equal(asof, 20758);
	write_mode("off\n");
	assert_int_equal(mode_read(dir, &asof), MODE_OFF);
	write_mode("local 2026-01-02\n");
	assert_int_equal(mode_read(dir, &asof), MODE_LOCAL);
	assert_int_equal(asof, 20455);
	write_mode("");
	assert_int_equal(mode_read(dir, &asof), MODE_LOCAL);
	assert_int_equal(asof, -1);
	write_mode("nonsense that is rather long and goes on past any small buffer ......\n");
	assert_int_equal(mode_read(dir, &asof), MODE_LOCAL);
	char missing[128];
	snprintf(missing, sizeof missing, "%s/absent", dir);
	assert_int_equal(mode_read(missing, &asof), MODE_LOCAL);
	assert_int_equal(asof, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_uses_length),
		cmocka_unit_test(test_names_and_env),
		cmocka_unit_test(test_dir_precedence),
		cmocka_unit_test(test_dir_too_long),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
