/* The versions cache (report_versions.h). Counter files are untrusted: a
 * program name becomes a file name only when it is a plain name, and dpkg
 * is run without a shell, without the preload, with a fixed PATH. */
#define _GNU_SOURCE
#include "report_versions.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <libelf.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#define DPKG_QUERY "/usr/bin/dpkg-query"
#define MAX_OUTPUT (4 << 20)

struct wanted {
	char buildid[13];
	char *exe;     /* resolved path of the executable */
	char *package; /* from dpkg-query -S */
};

struct versions {
	char path[1200];
	json_t *map; /* build-id -> version; "" = found, but no package owns it */
	int dirty;
	char **dirs;
	size_t n_dirs;
	int have_dirs;
	struct wanted *want;
	size_t n_want;
};

struct versions *versions_open(const char *local)
{
	struct versions *v = calloc(1, sizeof *v);
	snprintf(v->path, sizeof v->path, "%s/versions.json", local);
	v->map = json_load_file(v->path, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(v->map)) { /* missing or damaged: it is only a cache */
		json_decref(v->map);
		v->map = json_object();
	}
	return v;
}

static void add_dir(struct versions *v, const char *dir, size_t len)
{
	if (len == 0 || dir[0] != '/')
		return; /* a relative PATH entry depends on where telem runs */
	v->dirs = realloc(v->dirs, (v->n_dirs + 1) * sizeof *v->dirs);
	v->dirs[v->n_dirs++] = strndup(dir, len);
}

static void find_dirs(struct versions *v)
{
	v->have_dirs = 1;
	const char *path = getenv("PATH");
	for (const char *p = path ? path : ""; *p;) {
		const char *colon = strchrnul(p, ':');
		add_dir(v, p, (size_t)(colon - p));
		p = *colon ? colon + 1 : colon;
	}
	glob_t g;
	if (glob("/usr/lib/gcc/*/*/", GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			add_dir(v, g.gl_pathv[i], strlen(g.gl_pathv[i]));
		globfree(&g);
	}
}

static int build_id_is(const char *path, const char *want)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	int same = 0;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *id;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
	if (n >= 6) {
		char hex[13];
		for (int i = 0; i < 6; i++)
			snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *)id)[i]);
		same = strcmp(hex, want) == 0;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return same;
}

static int plain_name(const char *s)
{
	return s[0] && s[0] != '.' && !strchr(s, '/') && strlen(s) < 256;
}

void versions_want(struct versions *v, const char *program, const char *buildid)
{
	if (json_object_get(v->map, buildid))
		return;
	if (!plain_name(program) || strlen(buildid) != 12 || strspn(buildid, "0123456789abcdef") != 12)
		return; /* counter files are untrusted: no paths from them */
	for (size_t i = 0; i < v->n_want; i++)
		if (strcmp(v->want[i].buildid, buildid) == 0)
			return;
	if (!v->have_dirs)
		find_dirs(v);
	for (size_t i = 0; i < v->n_dirs; i++) {
		char exe[4096], real[4096];
		snprintf(exe, sizeof exe, "%s/%s", v->dirs[i], program);
		if (access(exe, X_OK) < 0 || !build_id_is(exe, buildid) || !realpath(exe, real))
			continue;
		v->want = realloc(v->want, (v->n_want + 1) * sizeof *v->want);
		struct wanted *w = &v->want[v->n_want++];
		*w = (struct wanted){.exe = strdup(real)};
		memcpy(w->buildid, buildid, 13);
		return;
	}
	/* not found: not remembered, perhaps found next time from another PATH */
}

/* Runs argv (no shell, no preload); its whole output, malloc'd. */
static char *run_output(char *const argv[])
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *env[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	ssize_t r;
	while (rc == 0 && out && (r = read(pipefd[0], out + len, cap - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		len += (size_t)r;
		if (len + 1 == cap && cap < MAX_OUTPUT)
			out = realloc(out, cap *= 2);
		else if (len + 1 == cap)
			break; /* too much: what there is will do */
	}
	close(pipefd[0]);
	if (rc == 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (out)
		out[len] = 0;
	return out;
}

/* "usr/bin/dash" is "/bin/dash" to dpkg on a merged-/usr system. */
static const char *unmerged(const char *path) { return strncmp(path, "/usr/", 5) == 0 ? path + 4 : NULL; }

/* dpkg-query -S: "pkg[:arch][, pkg2...]: /path" lines, diversions skipped. */
static void find_packages(struct versions *v)
{
	char **argv = calloc(2 * v->n_want + 3, sizeof *argv);
	size_t n = 0;
	argv[n++] = DPKG_QUERY;
	argv[n++] = "-S";
	for (size_t i = 0; i < v->n_want; i++) {
		argv[n++] = v->want[i].exe;
		if (unmerged(v->want[i].exe))
			argv[n++] = (char *)unmerged(v->want[i].exe);
	}
	char *out = run_output(argv);
	for (char *line = out, *next; line && *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		char *sep = strstr(line, ": ");
		if (!sep || strncmp(line, "diversion ", 10) == 0)
			continue;
		*sep = 0;
		line[strcspn(line, ",:")] = 0; /* the first package, without its arch */
		for (size_t i = 0; i < v->n_want; i++) {
			const char *exe = v->want[i].exe, *alt = unmerged(exe);
			if (!v->want[i].package && (strcmp(sep + 2, exe) == 0 || (alt && strcmp(sep + 2, alt) == 0)))
				v->want[i].package = strdup(line);
		}
	}
	free(out);
	free(argv);
}

/* dpkg-query -W: "pkg\tversion" lines, into the map. */
static void find_versions(struct versions *v)
{
	char **argv = calloc(v->n_want + 5, sizeof *argv);
	size_t n = 0;
	argv[n++] = DPKG_QUERY;
	argv[n++] = "-W";
	argv[n++] = "-f";
	argv[n++] = "${Package}\t${Version}\n";
	for (size_t i = 0; i < v->n_want; i++)
		if (v->want[i].package)
			argv[n++] = v->want[i].package;
	char *out = n > 4 ? run_output(argv) : NULL;
	for (char *line = out, *next; line && *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		char *tab = strchr(line, '\t');
		if (!tab || !tab[1])
			continue;
		*tab = 0;
		for (size_t i = 0; i < v->n_want; i++)
			if (v->want[i].package && strcmp(v->want[i].package, line) == 0)
				json_object_set_new(v->map, v->want[i].buildid, json_string(tab + 1));
	}
	free(out);
	free(argv);
}

void versions_resolve(struct versions *v)
{
	if (v->n_want == 0)
		return;
	if (access(DPKG_QUERY, X_OK) == 0) {
		find_packages(v);
		find_versions(v);
	}
	for (size_t i = 0; i < v->n_want; i++) {
		if (!json_object_get(v->map, v->want[i].buildid))
			json_object_set_new(v->map, v->want[i].buildid, json_string(""));
		free(v->want[i].exe);
		free(v->want[i].package);
	}
	free(v->want);
	v->want = NULL;
	v->n_want = 0;
	v->dirty = 1;
}

const char *versions_get(const struct versions *v, const char *buildid)
{
	const char *s = json_string_value(json_object_get(v->map, buildid));
	return s && s[0] ? s : NULL;
}

void versions_close(struct versions *v)
{
	if (!v)
		return;
	versions_resolve(v);
	if (v->dirty) {
		char *text = json_dumps(v->map, JSON_SORT_KEYS | JSON_INDENT(1));
		if (text && write_file_atomic(v->path, text, strlen(text), 0644) < 0)
			fail(v->path, "cannot write: %s", strerror(errno));
		free(text);
	}
	for (size_t i = 0; i < v->n_dirs; i++)
		free(v->dirs[i]);
	free(v->dirs);
	json_decref(v->map);
	free(v);
}

void report_note_version(const char *dir, const char *program, const char *buildid)
{
	char local[1100];
	snprintf(local, sizeof local, "%s/local", dir);
	struct versions *v = versions_open(local);
	versions_want(v, program, buildid);
	versions_close(v);
}
