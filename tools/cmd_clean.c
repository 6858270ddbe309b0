/* telem clean: deletes collected data; keeps mode and weekends.
 *
 * Only files it recognizes by name (counter files, reports, uploaded
 * copies, crash records), only regular ones, each removed beneath the
 * telem directory's descriptor with no symlink followed: a local/ or
 * crash/ that is a link to somebody's home is left alone, and said so. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "cli.h"
#include "commands.h"
#include "week.h"

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* "YYYY-MM-DD" followed by exactly rest. */
static int dated(const char *s, const char *rest)
{
	char date[11];
	if (strlen(s) != 10 + strlen(rest) || strcmp(s + 10, rest) != 0)
		return 0;
	memcpy(date, s, 10);
	date[10] = 0;
	return week_parse_date(date) >= 0;
}

static const char *digits(const char *s)
{
	const char *p = s;
	while (isdigit((unsigned char)*p))
		p++;
	return p > s ? p : NULL;
}

static int is_local_data(const char *n)
{
	return (ends_with(n, ".v1.count") && n[0] != '.') || dated(n, ".json") ||
	       (strncmp(n, "local.", 6) == 0 && dated(n + 6, ".json")) || strcmp(n, "versions.json") == 0 ||
	       strcmp(n, "upload.token") == 0;
}

static int is_upload_copy(const char *n) { return dated(n, ".json"); }

/* "<n>.rec", and in crash/bad also "<n>.rec.<time>-<i>" (ingest's names). */
static int is_record(const char *n)
{
	const char *p = digits(n);
	return p && strcmp(p, ".rec") == 0;
}

static int is_bad_record(const char *n)
{
	const char *p = digits(n);
	if (!p || strncmp(p, ".rec", 4) != 0)
		return 0;
	if (!p[4])
		return 1;
	if (p[4] != '.' || !(p = digits(p + 5)) || *p != '-' || !(p = digits(p + 1)))
		return 0;
	return *p == 0;
}

struct clean {
	int rootfd, dry_run, status;
	const char *dir;
	unsigned long removed;
};

static void clean_dir(struct clean *c, const char *sub, int (*recognized)(const char *name))
{
	char where[1300];
	snprintf(where, sizeof where, "%s/%s", c->dir, sub);
	int fd = beneath_open(c->rootfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd == -ENOENT)
		return;
	if (fd < 0) {
		c->status = fail(where, fd == -ELOOP || fd == -ENOTDIR
						? "not a directory of the telem directory (a symlink?): left alone"
						: "cannot open directory: %s", strerror(-fd));
		return;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		c->status = fail(where, "cannot read directory: %s", strerror(errno));
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		if (!recognized(e->d_name) || fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (!c->dry_run && unlinkat(fd, e->d_name, 0) < 0) {
			if (errno != ENOENT)
				c->status = fail(where, "cannot delete %s: %s", e->d_name, strerror(errno));
			continue;
		}
		printf("%s %s/%s\n", c->dry_run ? "would remove" : "removed", where, e->d_name);
		c->removed++;
	}
	closedir(d);
}

int cmd_clean(struct cli *cli, int argc, char **argv)
{
	struct clean c = {.dir = cli->dir};
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(find_command("clean")->usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0)
			c.dry_run = 1;
		else if (argv[i][0] == '-')
			return usage_error("clean", "unknown option '%s'", argv[i]);
		else
			return usage_error("clean", "unexpected argument '%s'", argv[i]);
	}
	c.rootfd = open(cli->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0) {
		if (errno != ENOENT)
			return fail(cli->dir, "cannot open directory: %s", strerror(errno));
	} else {
		clean_dir(&c, "local", is_local_data);
		clean_dir(&c, "upload", is_upload_copy);
		clean_dir(&c, "crash/bad", is_bad_record);
		clean_dir(&c, "crash", is_record);
		close(c.rootfd);
	}
	if (c.removed)
		printf("telem: %s %lu file%s\n", c.dry_run ? "would remove" : "removed", c.removed, c.removed == 1 ? "" : "s");
	else
		printf("telem: nothing to remove in %s\n", cli->dir);
	return c.status;
}
