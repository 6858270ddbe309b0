/* Where each stack's modules were loaded from (see stackmodules.h). One
 * JSON file, updated under an exclusive lock and replaced atomically, so
 * concurrent telem commands neither lose entries nor leave half a file. */
#define _GNU_SOURCE
#include "stackmodules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Where Debian and its peers install shared libraries and programs'
 * private parts. */
static const char *const system_dirs[] = {"/lib/", "/lib64/", "/lib32/", "/usr/lib/", "/usr/lib64/",
					   "/usr/lib32/", "/usr/libexec/", "/usr/bin/", "/bin/"};

static int under_system_dir(const char *path)
{
	for (size_t i = 0; i < sizeof system_dirs / sizeof *system_dirs; i++)
		if (strncmp(path, system_dirs[i], strlen(system_dirs[i])) == 0)
			return 1;
	return 0;
}

const char *stack_module_class(const struct crash_module *m)
{
	if (m->flags & CRASH_MODULE_MAIN)
		return MODULE_PROGRAM;
	if (m->path[0] != '/') /* the kernel's vDSO (linux-vdso.so.1) */
		return strncmp(m->path, "linux-vdso.so", 13) == 0 || strncmp(m->path, "linux-gate.so", 13) == 0
			       ? MODULE_SYSTEM
			       : MODULE_OTHER;
	char real[PATH_MAX];
	struct stat st;
	/* Installed: in a system directory, also once symlinks are resolved,
	 * and writable by root alone. */
	if (!under_system_dir(m->path) || !realpath(m->path, real) || !under_system_dir(real) ||
	    stat(real, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022))
		return MODULE_OTHER;
	return MODULE_SYSTEM;
}

static void modules_path(const char *dir, char *out, size_t cap) { snprintf(out, cap, "%s/crash/modules.json", dir); }

json_t *stack_modules_load(const char *dir)
{
	char path[4096];
	modules_path(dir, path, sizeof path);
	json_t *all = json_load_file(path, 0, NULL);
	if (!json_is_object(all)) {
		json_decref(all);
		all = json_object();
	}
	return all;
}

json_t *stack_modules_find(json_t *stack, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(stack, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		if (n && strcmp(n, name) == 0)
			return e;
	}
	return NULL;
}

static void hex(const struct crash_module *m, char *out)
{
	out[0] = 0;
	for (uint32_t i = 0; i < m->build_id_len && i < sizeof m->build_id; i++)
		sprintf(out + 2 * i, "%02x", m->build_id[i]);
}

/* Adds the modules not yet listed for this stack (by name and build-id). */
static void merge(json_t *stack, const struct stack_module *mods, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char id[2 * sizeof mods[i].m->build_id + 1];
		hex(mods[i].m, id);
		size_t j;
		json_t *e;
		int known = 0;
		json_array_foreach(stack, j, e) {
			const char *en = json_string_value(json_object_get(e, "name"));
			const char *eid = json_string_value(json_object_get(e, "build_id"));
			known |= en && eid && strcmp(en, mods[i].name) == 0 && strcmp(eid, id) == 0;
		}
		if (!known)
			json_array_append_new(stack, json_pack("{s:s, s:s, s:s, s:s}", "name", mods[i].name, "path",
							       mods[i].m->path, "build_id", id, "class",
							       stack_module_class(mods[i].m)));
	}
}

static int save(json_t *all, const char *path)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (json_dump_file(all, tmp, JSON_COMPACT) < 0 || chmod(tmp, 0600) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int stack_modules_add(const char *dir, const char *name, size_t len, const struct stack_module *mods, size_t n)
{
	char path[4096], lock[4200];
	modules_path(dir, path, sizeof path);
	snprintf(lock, sizeof lock, "%s.lock", path);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		if (fd >= 0)
			close(fd);
		return fail(lock, "cannot lock: %s", strerror(errno));
	}
	json_t *all = stack_modules_load(dir);
	char *key = strndup(name, len);
	json_t *stack = key ? json_object_get(all, key) : NULL;
	int rc = 0;
	if (key && !stack && json_object_size(all) < STACK_MODULES_MAX) {
		stack = json_array();
		json_object_set_new(all, key, stack);
	}
	if (json_is_array(stack)) {
		merge(stack, mods, n);
		if (save(all, path) < 0)
			rc = fail(path, "cannot write: %s", strerror(errno));
	}
	free(key);
	json_decref(all);
	close(fd);
	return rc;
}
