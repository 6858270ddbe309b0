/* shim/beneath.c: opening beneath a directory descriptor, no symlink
 * followed on any component, with openat2 and with the fallback walk
 * (kernels before 5.6), which must refuse exactly the same things. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s/test_beneath.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	char p[512];
	snprintf(p, sizeof p, "%s/local", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/local/file", dir);
	close(open(p, O_WRONLY | O_CREAT, 0600));
	snprintf(p, sizeof p, "%s/linkdir", dir);
	symlink("local", p);
	snprintf(p, sizeof p, "%s/local/linkfile", dir);
	symlink("file", p);
	snprintf(p, sizeof p, "%s/cwd", dir);
	symlink("/proc/self/cwd", p);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void check_both(void)
{
	int d = open(dir, O_PATH | O_DIRECTORY);
	assert_true(d >= 0);
	int fd = beneath_open(d, "local/file", O_RDONLY | O_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(beneath_file_ok(&st, geteuid()), 0);
	close(fd);
	assert_int_equal(beneath_open(d, "linkdir/file", O_RDONLY, 0), -ELOOP);   /* a directory link */
	assert_int_equal(beneath_open(d, "local/linkfile", O_RDONLY, 0), -ELOOP); /* the last component */
	assert_int_equal(beneath_open(d, "cwd/x", O_RDONLY, 0), -ELOOP);           /* a magic link */
	assert_int_equal(beneath_open(d, "cwd/new", O_WRONLY | O_CREAT, 0600), -ELOOP);
	assert_true(beneath_open(d, "../x", O_RDONLY, 0) < 0);                      /* never above dirfd */
	assert_int_equal(beneath_open(d, "local/missing", O_RDONLY, 0), -ENOENT);
	fd = beneath_open(d, "local/new", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(beneath_open(d, "local/new", O_WRONLY | O_CREAT | O_EXCL, 0600), -EEXIST);
	assert_int_equal(beneath_mkdir(d, "linkdir/sub"), -ELOOP);
	assert_int_equal(beneath_mkdir(d, "local/sub"), 0);
	assert_int_equal(beneath_mkdir(d, "local/sub"), -EEXIST);
	int dfd = beneath_open(d, "local", O_RDONLY | O_DIRECTORY, 0);
	assert_true(dfd >= 0);
	assert_int_equal(fstat(dfd, &st), 0);
	assert_int_equal(beneath_file_ok(&st, geteuid()), -EPERM); /* a directory is not a file */
	close(dfd);
	close(d);
	char p[512];
	snprintf(p, sizeof p, "%s/local/new", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/local/sub", dir);
	rmdir(p);
}

static void test_openat2(void **state)
{
	(void)state;
	beneath_use_walk(0);
	check_both();
}

static void test_walk(void **state)
{
	(void)state;
	beneath_use_walk(1);
	check_both();
	beneath_use_walk(0);
}

static void test_owner(void **state)
{
	(void)state;
	struct stat st = {.st_mode = S_IFREG | 0600, .st_uid = 1234};
	assert_int_equal(beneath_file_ok(&st, 1234), 0);
	assert_int_equal(beneath_file_ok(&st, 99), -EPERM);
	st.st_uid = 0; /* root's files are trusted, as ~/.ssh's rules have it */
	assert_int_equal(beneath_file_ok(&st, 99), 0);
	st.st_mode = S_IFIFO | 0600;
	assert_int_equal(beneath_file_ok(&st, 0), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_openat2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test(test_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
