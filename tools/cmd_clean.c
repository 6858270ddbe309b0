/* telem clean: deletes collected data; keeps mode and weekends. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

/* Removes the regular files in dir that keep() does not keep. */
static int clean_dir(const char *dir, int (*keep)(const char *name))
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : fail(dir, "cannot open directory: %s", strerror(errno));
	int status = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || (keep && keep(e->d_name)))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT && errno != EISDIR) {
			status = fail(dir, "cannot delete %s: %s", e->d_name, strerror(errno));
		}
	}
	closedir(d);
	return status;
}

static int keep_weekends(const char *name) { return strcmp(name, "weekends") == 0; }

int cmd_clean(struct cli *cli, int argc, char **argv)
{
	int first;
	int rc = simple_options(find_command("clean"), argc, argv, &first, 0, cli);
	if (rc >= 0)
		return rc;
	if (first < argc)
		return usage_error("clean", "unexpected argument '%s'", argv[first]);
	char path[1200];
	int status = clean_dir(cli->local, keep_weekends);
	snprintf(path, sizeof path, "%s/upload", cli->dir);
	status |= clean_dir(path, NULL);
	snprintf(path, sizeof path, "%s/crash/bad", cli->dir);
	status |= clean_dir(path, NULL);
	snprintf(path, sizeof path, "%s/crash", cli->dir);
	status |= clean_dir(path, NULL);
	return status;
}
