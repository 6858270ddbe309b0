/* Dates, the weekends rule, file names and meta (shim/week.c). The calendar
 * is checked against a day-by-day walk written here, not against itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "week.h"

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static void next_day(int *y, int *m, int *d)
{
	if (++*d > month_days(*y, *m)) {
		*d = 1;
		if (++*m > 12) {
			*m = 1;
			++*y;
		}
	}
}

/* From 1900-01-01 (day -25567) to 2400-12-31, one day at a time. */
static void test_calendar_walk(void **state)
{
	(void)state;
	int y = 1900, m = 1, d = 1, weekday = 1; /* 1900-01-01 was a Monday */
	int leap_days = 0, seen_epoch = 0;
	for (int64_t days = -25567; y <= 2400; days++) {
		assert_int_equal(week_days_from_civil(y, m, d), days);
		int cy, cm, cd;
		week_civil(days, &cy, &cm, &cd);
		if (cy != y || cm != m || cd != d)
			fail_msg("day %lld: got %04d-%02d-%02d, want %04d-%02d-%02d", (long long)days, cy, cm,
				 cd, y, m, d);
		assert_int_equal(week_weekday(days), weekday);
		leap_days += m == 2 && d == 29;
		seen_epoch += days == 0 && y == 1970 && m == 1 && d == 1;
		next_day(&y, &m, &d);
		weekday = (weekday + 1) % 7;
	}
	assert_int_equal(seen_epoch, 1);
	assert_int_equal(leap_days, 122); /* 125 in 1904..2400, minus 2100, 2200, 2300 */
}

static void test_known_dates(void **state)
{
	(void)state;
	assert_int_equal(week_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(week_weekday(0), 4); /* Thursday */
	assert_int_equal(week_days_from_civil(2000, 2, 29), 11016);
	assert_int_equal(week_days_from_civil(2026, 11, 27), 20784);
	assert_int_equal(week_weekday(20784), 5); /* 2026-11-27 is a Friday */
	assert_int_equal(week_weekday(week_days_from_civil(2024, 2, 29)), 4);
	assert_int_equal(week_weekday(-1), 3); /* 1969-12-31, Wednesday */
}

static void test_day_of(void **state)
{
	(void)state;
	assert_int_equal(week_day_of(0), 0);
	assert_int_equal(week_day_of(86399), 0);
	assert_int_equal(week_day_of(86400), 1);
	assert_int_equal(week_day_of(-1), -1);
	assert_int_equal(week_day_of(-86400), -1);
	assert_int_equal(week_day_of(-86401), -2);
	assert_int_equal(week_day_of(1795737600), 20784);         /* 2026-11-27T00:00:00Z */
	assert_int_equal(week_day_of(1795737600 + 86399), 20784); /* 23:59:59 */
}

static void test_days_to_end(void **state)
{
	(void)state;
	int64_t monday = week_days_from_civil(2026, 11, 23);
	assert_int_equal(week_weekday(monday), 1);
	for (int64_t today = monday; today < monday + 7; today++) {
		for (int target = 0; target < 7; target++) {
			int n = week_days_to_end(today, target);
			assert_in_range(n, 1, 7);
			assert_int_equal(week_weekday(today + n), target);
			if (target == week_weekday(today))
				assert_int_equal(n, 7);
		}
	}
	/* Friday 2026-11-27 with weekends = 0 (Sunday): ends 2026-11-29. */
	assert_int_equal(week_days_to_end(20784, 0), 2);
}

static void test_parse_date(void **state)
{
	(void)state;
	assert_int_equal(week_parse_date("2026-11-27"), 20784);
	assert_int_equal(week_parse_date("1970-01-01"), 0);
	assert_int_equal(week_parse_date("2024-02-29"), week_days_from_civil(2024, 2, 29));
	assert_int_equal(week_parse_date("2000-02-29"), 11016);
	static const char *const bad[] = {
		"2026-02-30", "2026-13-01", "abc", "", "2025-02-29", "2100-02-29", "2026-04-31",
		"2026-00-10", "2026-01-00", "2026-01-32", "2026/01/01", "26-01-01", "2026-1-01",
		"2026-01-1 ", "+026-01-01", " 2026-01-01", "1969-12-31",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (week_parse_date(bad[i]) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
}

/* Go's time.Parse("2006-01-02", ...) rejects extra text; so should we. */
static void test_parse_date_trailing_text(void **state)
{
	(void)state;
	assert_int_equal(week_parse_date("2026-01-01x"), -1);
	assert_int_equal(week_parse_date("2026-01-011"), -1);
}

/* A short string at the very end of readable memory: parsing must stop at
 * its terminating NUL, not read on (a guard page follows). */
static void test_parse_date_stops_at_nul(void **state)
{
	(void)state;
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(0, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + page, (size_t)page, PROT_NONE), 0);
	static const char *const shorts[] = {"2026-1", "2026-11", "2026-11-2", "2026", "2"};
	for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++) {
		size_t n = strlen(shorts[i]) + 1;
		char *s = m + page - n;
		memcpy(s, shorts[i], n);
		assert_int_equal(week_parse_date(s), -1);
	}
	munmap(m, (size_t)page * 2);
}

static void test_put_dates(void **state)
{
	(void)state;
	char buf[64];
	struct text t = TEXT_INIT(buf, sizeof buf);
	week_put_date(&t, 20784);
	assert_string_equal(buf, "2026-11-27");
	t = (struct text)TEXT_INIT(buf, sizeof buf);
	week_put_midnight(&t, 0);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	t = (struct text)TEXT_INIT(buf, sizeof buf);
	week_put_date(&t, week_days_from_civil(2027, 1, 3));
	assert_string_equal(buf, "2027-01-03");
	assert_int_equal(t.overflow, 0);
	/* Too small: overflow is set, the buffer stays terminated within cap. */
	t = (struct text)TEXT_INIT(buf, 8);
	memset(buf, 'Z', sizeof buf);
	week_put_date(&t, 20784);
	assert_int_equal(t.overflow, 1);
	assert_true(memchr(buf, 0, 8) != NULL);
	assert_int_equal(buf[8], 'Z');
}

static const struct file_identity ID = {"gcc", "0123456789ab", "glibc2.36", "linux", "amd64"};

static void test_file_name(void **state)
{
	(void)state;
	char buf[256];
	struct text t = TEXT_INIT(buf, sizeof buf);
	week_file_name(&t, &ID, 20784);
	assert_int_equal(t.overflow, 0);
	assert_string_equal(buf, "gcc@0123456789ab-glibc2.36-linux-amd64-2026-11-27.v1.count");
	assert_int_equal(t.len, strlen(buf));

	t = (struct text)TEXT_INIT(buf, 20);
	week_file_name(&t, &ID, 20784);
	assert_int_equal(t.overflow, 1);
}

static void test_meta(void **state)
{
	(void)state;
	char buf[600];
	struct text t = TEXT_INIT(buf, sizeof buf);
	int64_t begin = 20784;
	week_meta(&t, &ID, begin, begin + week_days_to_end(begin, 0));
	assert_int_equal(t.overflow, 0);
	assert_string_equal(buf, "TimeBegin: 2026-11-27T00:00:00Z\n"
				 "TimeEnd: 2026-11-29T00:00:00Z\n"
				 "Program: gcc\n"
				 "Version: 0123456789ab\n"
				 "GoVersion: glibc2.36\n"
				 "GOOS: linux\n"
				 "GOARCH: amd64\n"
				 "\n");
	/* The identity part alone is the meta's tail, from "Program: ". */
	char tail[300];
	struct text it = TEXT_INIT(tail, sizeof tail);
	week_meta_identity(&it, &ID);
	assert_int_equal(it.overflow, 0);
	assert_string_equal(tail, strstr(buf, "Program: "));

	/* Compare mode: the same text matches, another one does not. */
	char copy[600];
	strcpy(copy, buf);
	struct text c = TEXT_INIT(0, sizeof copy);
	c.expect = copy;
	week_meta(&c, &ID, begin, begin + 2);
	assert_int_equal(c.overflow, 0);
	assert_int_equal(c.len, strlen(copy));
	c = (struct text)TEXT_INIT(0, sizeof copy);
	c.expect = copy;
	week_meta(&c, &ID, begin, begin + 3);
	assert_int_equal(c.overflow, 1);
}

/* ---- the weekends file ---- */

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/telem-week-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return rmdir(dir);
}

static size_t read_weekends(char *buf, size_t cap)
{
	char path[128];
	snprintf(path, sizeof path, "%s/weekends", dir);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

static void test_weekends_created_once(void **state)
{
	(void)state;
	int w = week_weekends(dir);
	assert_in_range(w, 0, 6);
	char buf[16];
	assert_int_equal(read_weekends(buf, sizeof buf), 2);
	assert_int_equal(buf[0], '0' + w);
	assert_int_equal(buf[1], '\n');
	for (int i = 0; i < 5; i++)
		assert_int_equal(week_weekends(dir), w);
	/* Exactly one file: no temporary left behind. */
	DIR *d = opendir(dir);
	int entries = 0;
	for (struct dirent *e; (e = readdir(d));)
		entries += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(entries, 1);
}

static void write_weekends(const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/weekends", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_weekends_existing(void **state)
{
	(void)state;
	write_weekends("3\n");
	assert_int_equal(week_weekends(dir), 3);
	write_weekends("0");
	assert_int_equal(week_weekends(dir), 0);
	write_weekends("7\n");
	assert_int_equal(week_weekends(dir), -1);
	write_weekends("x\n");
	assert_int_equal(week_weekends(dir), -1);
	write_weekends("");
	assert_int_equal(week_weekends(dir), -1);
	char buf[16];
	assert_int_equal(read_weekends(buf, sizeof buf), 0); /* a bad file is left alone */
}

static void test_weekends_missing_dir(void **state)
{
	(void)state;
	char missing[128];
	snprintf(missing, sizeof missing, "%s/nope", dir);
	assert_int_equal(week_weekends(missing), -1);
	assert_int_equal(access(missing, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar_walk),
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_day_of),
		cmocka_unit_test(test_days_to_end),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_parse_date_trailing_text),
		cmocka_unit_test(test_parse_date_stops_at_nul),
		cmocka_unit_test(test_put_dates),
		cmocka_unit_test(test_file_name),
		cmocka_unit_test(test_meta),
		cmocka_unit_test_setup_teardown(test_weekends_created_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weekends_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weekends_missing_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
