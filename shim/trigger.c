/* Starting `telem upload` in the background, Go's way: a token file,
 * created exclusively and aged by its mtime, lets one process a day win.
 * The winner double-forks with raw system calls (no atfork handlers of the
 * host run), and the grandchild, in its own session with stdio on
 * /dev/null and no other descriptor, execs telem without LD_PRELOAD.
 * Nothing is left that the host's parent could wait for. */
#define _GNU_SOURCE
#include "trigger.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <sys/stat.h>

#include "beneath.h"
#include "bytes.h"
#include "libc.h"
#include "sys.h"

#define DAY 86400

/* telem next to this library: <x>/shim/libtelem.so -> <x>/tools/telem
 * (build tree), <prefix>/lib/telem/libtelem.so -> <prefix>/bin/telem. */
static int telem_path(char *out, size_t cap)
{
	const char *self = 0;
	for (const struct link_map *l = libc_loaded_objects(); l; l = l->l_next)
		if (l->l_ld == (const void *)_DYNAMIC)
			self = l->l_name;
	if (!self || self[0] != '/')
		return -1;
	static const char rel[] = "/../tools/telem\0/../../bin/telem\0"; /* source tree, installed */
	size_t dir = 0;
	for (size_t i = 0; self[i]; i++)
		if (self[i] == '/')
			dir = i;
	for (const char *r = rel; *r; r = list_next(r)) {
		struct text t = TEXT_INIT(out, cap);
		text_put(&t, self, dir);
		text_str(&t, r);
		if (!t.overflow && sys_call4(SYS_faccessat, AT_FDCWD, out, X_OK, 0) == 0)
			return 0;
	}
	return -1;
}

/* The grandchild: detached, then telem upload. Never returns. */
static _Noreturn void run_uploader(const char *telem_bin)
{
	int null = sys_openat(AT_FDCWD, "/dev/null", O_RDWR, 0);
	for (int fd = 0; fd < 3; fd++)
		if (null >= 0 && null != fd)
			sys_call2(SYS_dup2, null, fd);
	sys_call3(SYS_close_range, 3, ~0u, 0);
	/* The host's environment (proxies, CA bundles, HOME) without the
	 * preload, and with the directory the host counted into. */
	static char dir_env[CF_PATH_MAX + 16];
	static char *envp[512];
	struct text d = TEXT_INIT(dir_env, sizeof dir_env);
	text_lit(&d, "TELEM_DIR=");
	text_str(&d, telem.dir);
	size_t n = 0;
	envp[n++] = dir_env;
	for (char **e = telem.envp; e && *e && n < 510; e++)
		if (!str_after(*e, "LD_PRELOAD=") && !str_after(*e, "TELEM_DIR="))
			envp[n++] = *e;
	envp[n] = 0;
	char *argv[] = {"telem", "upload", "--background", 0};
	sys_call3(SYS_execve, telem_bin, argv, envp);
	for (;;)
		sys_call1(SYS_exit_group, 0);
}

static int spawn_detached(const char *telem_bin)
{
	long pid = sys_call6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		sys_call0(SYS_setsid);
		if (sys_call6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0) == 0)
			run_uploader(telem_bin);
		for (;;)
			sys_call1(SYS_exit_group, 0);
	}
	int status;
	sys_call4(SYS_wait4, pid, &status, 0, 0); /* the first child exits at once */
	return 0;
}

/* The daily check reads only the token's time (a symlinked local/ can do no
 * harm there); removing and creating it happen beneath the checked telem
 * directory, following no symlink. */
void trigger_upload(int64_t now)
{
	char token[CF_PATH_MAX + 32];
	struct text t = TEXT_INIT(token, sizeof token);
	text_str(&t, telem.dir);
	text_lit(&t, "/local/upload.token");
	if (t.overflow)
		return;
	struct stat st;
	int old = sys_call4(SYS_newfstatat, AT_FDCWD, token, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (old && st.st_mtime > now - DAY && st.st_mtime <= now + DAY)
		return; /* the common case: someone started today's upload */
	enum dir_problem why;
	int dirfd = mode_dir_open(telem.dir, telem.file.euid, &why);
	if (dirfd < 0)
		return;
	int local = beneath_open(dirfd, "local", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	sys_close(dirfd);
	if (local < 0)
		return;
	if (old)
		sys_unlinkat(local, "upload.token", 0);
	int fd = sys_openat(local, "upload.token", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			    BENEATH_FILE_MODE);
	sys_close_two(fd, local);
	if (fd < 0)
		return; /* another process won today */
	char bin[CF_PATH_MAX];
	if (telem_path(bin, sizeof bin) == 0)
		spawn_detached(bin);
}
