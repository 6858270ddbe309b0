/* The report step (report.h), in Go's order: find the weeks that are over,
 * merge each week's files by program identity, write the filtered report
 * and the local one (temporary file, fsync, rename), and only then delete
 * the week's counter files. The JSON writer (Go's encoding/json rules) is at
 * the end of this file; the package versions are in report_versions below. */
#define _GNU_SOURCE
#include "report.h"

#include <dirent.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <libelf.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "countermodel.h"
#include "mode.h"
#include "week.h"

/* A counter of a report: points into a loaded counter file. */
struct rcount {
	const char *name;
	size_t len;
	uint64_t count;
};

struct rprogram {
	const char *program, *version, *goversion, *goos, *goarch;
	const char *human; /* package version, local report only */
	struct rcount *counters, *stacks;
	size_t n_counters, n_stacks;
};

struct report {
	char week[11], last_week[11];
	double x;
	const char *config;
	int partial;
	struct rprogram *programs; /* NULL with n == 0 is Go's nil slice: "null" */
	size_t n;
};

struct week_file {
	struct counter_data d;
	int64_t begin, end, key;
};

struct run {
	const char *dir;
	char local[1100], upload[1100];
	const struct upload_config *cfg;
	const struct report_options *o;
	int64_t today, asof;
	enum telem_mode mode;
	char last_week[11];
	struct versions *versions;
	int status;
};

struct versions;
static struct versions *versions_open(const char *local);
static const char *versions_get(struct versions *v, const char *program, const char *buildid);
static void versions_close(struct versions *v);
static char *report_json(const struct report *r, int local, size_t *len);

static void note(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const struct run *r, const char *fmt, ...)
{
	if (r->o->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* X: uniform in [0, 1), 53 random bits from the kernel's generator. */
static double random_x(void)
{
	uint64_t u = 0;
	size_t got = 0;
	while (got < sizeof u) {
		ssize_t n = getrandom((char *)&u + got, sizeof u - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			abort(); /* no secure randomness: sampling cannot be honest */
		got += (size_t)n;
	}
	return (double)(u >> 11) * 0x1p-53;
}

static void put_date(char out[11], int64_t days)
{
	struct text t = TEXT_INIT(out, 11);
	week_put_date(&t, days);
	out[10] = 0;
}

static int64_t meta_date(const struct counter_data *d, const char *key)
{
	const char *v = counter_data_meta(d, key);
	char date[11];
	if (!v || strlen(v) < 10)
		return -1;
	memcpy(date, v, 10);
	date[10] = 0;
	return week_parse_date(date);
}

/* Go's LastWeek: the newest "YYYY-MM-DD.json" in DIR/upload. */
static void find_last_week(const char *upload, char out[11])
{
	out[0] = 0;
	DIR *d = opendir(upload);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strlen(e->d_name) != 15 || strcmp(e->d_name + 10, ".json") != 0)
			continue;
		char date[11];
		memcpy(date, e->d_name, 10);
		date[10] = 0;
		if (week_parse_date(date) >= 0 && strcmp(date, out) > 0)
			memcpy(out, date, 11);
	}
	closedir(d);
}

/* ---- merging a week's files into programs ---- */

static int by_count_name(const void *a, const void *b)
{
	const struct rcount *x = a, *y = b;
	int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static uint64_t add_saturating(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

/* Sorts and adds up equal names (the same counter from several days). */
static void sort_combine(struct rcount *c, size_t *n)
{
	if (*n < 2)
		return;
	qsort(c, *n, sizeof *c, by_count_name);
	size_t out = 0;
	for (size_t i = 1; i < *n; i++) {
		if (c[i].len == c[out].len && memcmp(c[i].name, c[out].name, c[i].len) == 0)
			c[out].count = add_saturating(c[out].count, c[i].count);
		else
			c[++out] = c[i];
	}
	*n = out + 1;
}

static const char *meta_or_empty(const struct counter_data *d, const char *key)
{
	const char *v = counter_data_meta(d, key);
	return v ? v : "";
}

/* Go's findProgReport: one program per (Program, Version, GoVersion, GOOS, GOARCH). */
static struct rprogram *find_program(struct report *r, const struct counter_data *d)
{
	const char *id[5] = {meta_or_empty(d, "Program"), meta_or_empty(d, "Version"), meta_or_empty(d, "GoVersion"),
			     meta_or_empty(d, "GOOS"), meta_or_empty(d, "GOARCH")};
	for (size_t i = 0; i < r->n; i++) {
		struct rprogram *p = &r->programs[i];
		if (!strcmp(p->program, id[0]) && !strcmp(p->version, id[1]) && !strcmp(p->goversion, id[2]) &&
		    !strcmp(p->goos, id[3]) && !strcmp(p->goarch, id[4]))
			return p;
	}
	r->programs = realloc(r->programs, (r->n + 1) * sizeof *r->programs);
	struct rprogram *p = &r->programs[r->n++];
	*p = (struct rprogram){.program = id[0], .version = id[1], .goversion = id[2], .goos = id[3], .goarch = id[4]};
	return p;
}

static void add_file(struct report *r, const struct counter_data *d)
{
	struct rprogram *p = find_program(r, d);
	for (size_t i = 0; i < d->n; i++) {
		const struct counter_entry *e = &d->counters[i];
		int stack = memchr(e->name, '\n', e->len) != NULL;
		struct rcount **list = stack ? &p->stacks : &p->counters;
		size_t *n = stack ? &p->n_stacks : &p->n_counters;
		*list = realloc(*list, (*n + 1) * sizeof **list);
		(*list)[(*n)++] = (struct rcount){e->name, e->len, e->count};
	}
}

static void build_report(struct run *run, struct report *r, struct week_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add_file(r, &f[i].d);
	for (size_t i = 0; i < r->n; i++) {
		struct rprogram *p = &r->programs[i];
		sort_combine(p->counters, &p->n_counters);
		sort_combine(p->stacks, &p->n_stacks);
		p->human = versions_get(run->versions, p->program, p->version);
	}
}

static void free_programs(struct report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->programs[i].counters);
		free(r->programs[i].stacks);
	}
	free(r->programs);
	r->programs = NULL;
	r->n = 0;
}

/* ---- the upload config's filter ---- */

/* A stack's name cut after its first depth frames (depth 0: all). */
static size_t stack_cut(const char *name, size_t len, int depth)
{
	const char *p = name, *end = name + len;
	for (int lines = 0; depth > 0 && p < end; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		if (lines == depth)
			return (size_t)(nl - name);
		p = nl + 1;
	}
	return len;
}

static void filter_program(const struct rprogram *p, const struct config_program *rule, double x,
			   struct rprogram *q)
{
	*q = *p;
	q->human = NULL;
	q->counters = calloc(p->n_counters + 1, sizeof *q->counters);
	q->stacks = calloc(p->n_stacks + 1, sizeof *q->stacks);
	q->n_counters = q->n_stacks = 0;
	for (size_t i = 0; i < p->n_counters; i++) {
		const struct config_rate *c = config_counter(rule, p->counters[i].name, p->counters[i].len);
		if (c && x < c->rate)
			q->counters[q->n_counters++] = p->counters[i];
	}
	for (size_t i = 0; i < p->n_stacks; i++) {
		const struct rcount *s = &p->stacks[i];
		size_t first = (size_t)((const char *)memchr(s->name, '\n', s->len) - s->name);
		const struct config_rate *c = config_stack(rule, s->name, first);
		if (c && x < c->rate)
			q->stacks[q->n_stacks++] = (struct rcount){s->name, stack_cut(s->name, s->len, c->depth), s->count};
	}
	sort_combine(q->stacks, &q->n_stacks); /* cut stacks may now be equal */
}

/* Go's createReport, part 2: the programs, counters and stacks the config names. */
static void filter_report(const struct report *all, const struct upload_config *cfg, struct report *out)
{
	*out = *all;
	out->programs = NULL;
	out->n = 0;
	out->partial = 0;
	for (size_t i = 0; i < all->n; i++) {
		const struct rprogram *p = &all->programs[i];
		const struct config_program *rule =
			config_match_program(cfg, p->program, p->version, p->human, p->goversion, p->goos, p->goarch);
		if (!rule)
			continue;
		out->programs = realloc(out->programs, (out->n + 1) * sizeof *out->programs);
		filter_program(p, rule, all->x, &out->programs[out->n++]);
	}
}

/* ---- one week ---- */

static int exists(const char *dir, const char *prefix, const char *week)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/%s%s.json", dir, prefix, week);
	return access(path, F_OK) == 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_report(struct run *run, const struct report *r, const char *prefix, int local)
{
	char path[1200];
	size_t len;
	char *json = report_json(r, local, &len);
	snprintf(path, sizeof path, "%s/%s%s.json", run->local, prefix, r->week);
	int rc = write_file_atomic(path, json, len, 0644);
	if (rc < 0)
		run->status = fail(path, "cannot write the report: %s", strerror(errno));
	free(json);
	return rc;
}

static void delete_files(struct run *run, struct week_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (unlink(f[i].d.path) < 0 && errno != ENOENT)
			run->status = fail(f[i].d.path, "cannot delete: %s", strerror(errno));
}

/* Why a week's report is not uploaded, or NULL when it may be. */
static const char *not_uploaded(const struct run *run, int64_t key, int64_t begin)
{
	if (run->mode != MODE_ON)
		return run->mode == MODE_OFF ? "mode is off" : "mode is local";
	if (run->today - key > REPORT_MAX_AGE_DAYS)
		return "older than 21 days";
	/* Go's rule: nothing from the day uploading was turned on or before. */
	if (begin <= run->asof)
		return "collected before uploading was turned on";
	return NULL;
}

/* The filtered report first, the local one last: the local one's existence
 * is what says the week is done. Returns 0, or -1 (reported). */
static int write_week(struct run *run, struct report *all, const char *why)
{
	struct report up;
	int upload = !why && all->x < run->cfg->sample_rate;
	if (upload) {
		filter_report(all, run->cfg, &up);
		int rc = write_report(run, &up, "", 0);
		free_programs(&up);
		if (rc < 0)
			return -1;
	}
	if (write_report(run, all, "local.", 1) < 0)
		return -1;
	if (sync_dir(run->local) < 0) {
		run->status = fail(run->local, "cannot sync: %s", strerror(errno));
		return -1;
	}
	note(run, "%s: local/local.%s.json (%zu program%s)", all->week, all->week, all->n, all->n == 1 ? "" : "s");
	if (upload)
		note(run, "; to upload: local/%s.json\n", all->week);
	else
		note(run, "; nothing to upload: %s\n", why ? why : "not sampled (X >= SampleRate)");
	return 0;
}

static void report_week(struct run *run, struct week_file *f, size_t n)
{
	struct report r = {.partial = 0};
	int64_t begin = f[0].begin;
	for (size_t i = 0; i < n; i++) {
		begin = f[i].begin < begin ? f[i].begin : begin;
		r.partial |= f[i].end > run->today;
	}
	put_date(r.week, f[0].key);
	if (exists(run->local, "local.", r.week) || exists(run->local, "", r.week) || exists(run->upload, "", r.week)) {
		if (r.partial) {
			note(run, "%s: a report of that day exists; counters kept for the next one\n", r.week);
		} else {
			note(run, "%s: reported before; its late counter files are deleted\n", r.week);
			delete_files(run, f, n);
		}
		return;
	}
	const char *why = not_uploaded(run, f[0].key, begin);
	if (!why && !run->cfg) {
		note(run, "%s: waiting for an upload config that parses; counter files kept\n", r.week);
		return;
	}
	memcpy(r.last_week, run->last_week, 11);
	r.config = run->cfg ? run->cfg->version : "";
	r.x = random_x();
	build_report(run, &r, f, n);
	if (write_week(run, &r, why) == 0)
		delete_files(run, f, n);
	free_programs(&r);
}

/* ---- finding the weeks ---- */

/* Loads the counter files of the weeks to report, each with its key: the
 * week's TimeEnd, or today for the week so far (--now). */
static size_t load_weeks(struct run *run, struct week_file **out)
{
	char **names;
	size_t n, k = 0;
	*out = NULL;
	if (list_counter_files(run->local, &names, &n) < 0) {
		run->status = fail(run->local, "cannot list: %s", strerror(errno));
		return 0;
	}
	*out = calloc(n + 1, sizeof **out);
	for (size_t i = 0; i < n; i++) {
		char path[1400];
		struct week_file *f = &(*out)[k];
		snprintf(path, sizeof path, "%s/%s", run->local, names[i]);
		if (counter_data_load(path, &f->d) < 0) {
			run->status = 1;
			continue;
		}
		f->begin = meta_date(&f->d, "TimeBegin");
		f->end = meta_date(&f->d, "TimeEnd");
		if (f->begin < 0 || f->end < 0) {
			run->status = fail(path, "no valid TimeBegin and TimeEnd");
		} else if (f->end <= run->today || run->o->now) {
			f->key = f->end <= run->today ? f->end : run->today;
			k++;
			continue;
		}
		counter_data_free(&f->d);
	}
	free_list(names, n);
	return k;
}

/* By week, then by file name: Go reads a week's files in name order. */
static int by_key_then_path(const void *a, const void *b)
{
	const struct week_file *x = a, *y = b;
	int c = (x->key > y->key) - (x->key < y->key);
	return c ? c : strcmp(x->d.path, y->d.path);
}

int report_run(const char *dir, const struct upload_config *cfg, const struct report_options *o)
{
	struct run run = {.dir = dir, .cfg = cfg, .o = o, .today = today_days()};
	snprintf(run.local, sizeof run.local, "%s/local", dir);
	snprintf(run.upload, sizeof run.upload, "%s/upload", dir);
	run.mode = mode_read(dir, &run.asof);
	int env = mode_from_env(getenv("TELEM_MODE"));
	if (env >= 0 && run.mode == MODE_ON)
		run.mode = (enum telem_mode)env; /* the environment can only take uploading away */
	find_last_week(run.upload, run.last_week);
	struct week_file *f;
	size_t n = load_weeks(&run, &f);
	qsort(f, n, sizeof *f, by_key_then_path);
	if (n)
		run.versions = versions_open(run.local);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && f[j].key == f[i].key;)
			j++;
		report_week(&run, f + i, j - i);
	}
	for (size_t i = 0; i < n; i++)
		counter_data_free(&f[i].d);
	free(f);
	versions_close(run.versions);
	return run.status;
}

/* ---- package versions: DIR/local/versions.json, build-id -> version ---- */

struct versions {
	char path[1200];
	json_t *map; /* "" = found, but no package owns it */
	int dirty;
	char **dirs;
	size_t n_dirs;
	int have_dirs;
};

static struct versions *versions_open(const char *local)
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

/* Runs argv (no shell, no preload), returns its first output line. */
static int run_line(char *const argv[], char *out, size_t cap)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
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
	size_t len = 0;
	ssize_t r;
	while (rc == 0 && len + 1 < cap && ((r = read(pipefd[0], out + len, cap - 1 - len)) > 0 || (r < 0 && errno == EINTR)))
		len += r > 0 ? (size_t)r : 0;
	close(pipefd[0]);
	int status = 0;
	if (rc == 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	out[len] = 0;
	out[strcspn(out, "\n")] = 0;
	return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && out[0] ? 0 : -1;
}

#define DPKG_QUERY "/usr/bin/dpkg-query"

/* dpkg's package version for a file: "pkg[:arch][, pkg2]: path" -> pkg -> version. */
static int dpkg_version(const char *file, char *out, size_t cap)
{
	char line[4096];
	char *search[] = {DPKG_QUERY, "-S", (char *)file, NULL};
	if (run_line(search, line, sizeof line) < 0 || strncmp(line, "diversion", 9) == 0)
		return -1;
	line[strcspn(line, ",: ")] = 0;
	char *show[] = {DPKG_QUERY, "-W", "-f", "${Version}", line, NULL};
	return line[0] ? run_line(show, out, cap) : -1;
}

static int package_version(const char *exe, char *out, size_t cap)
{
	char real[4096];
	if (access(DPKG_QUERY, X_OK) < 0 || !realpath(exe, real))
		return -1;
	if (dpkg_version(real, out, cap) == 0)
		return 0;
	/* merged /usr: dpkg may know /usr/bin/dash as /bin/dash */
	return strncmp(real, "/usr/", 5) == 0 ? dpkg_version(real + 4, out, cap) : -1;
}

static int plain_name(const char *s)
{
	return s[0] && s[0] != '.' && !strchr(s, '/') && strlen(s) < 256;
}

static const char *versions_get(struct versions *v, const char *program, const char *buildid)
{
	json_t *known = json_object_get(v->map, buildid);
	if (json_is_string(known))
		return json_string_length(known) ? json_string_value(known) : NULL;
	if (!plain_name(program) || strlen(buildid) != 12 || strspn(buildid, "0123456789abcdef") != 12)
		return NULL; /* counter files are untrusted: no paths from them */
	if (!v->have_dirs)
		find_dirs(v);
	for (size_t i = 0; i < v->n_dirs; i++) {
		char exe[4096], version[256];
		snprintf(exe, sizeof exe, "%s/%s", v->dirs[i], program);
		if (access(exe, X_OK) < 0 || !build_id_is(exe, buildid))
			continue;
		if (package_version(exe, version, sizeof version) < 0)
			version[0] = 0;
		json_object_set_new(v->map, buildid, json_string(version));
		v->dirty = 1;
		return version[0] ? json_string_value(json_object_get(v->map, buildid)) : NULL;
	}
	return NULL; /* not found: perhaps next time, from another PATH */
}

static void versions_close(struct versions *v)
{
	if (!v)
		return;
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
	versions_get(v, program, buildid);
	versions_close(v);
}

/* ---- Go's encoding/json, as json.MarshalIndent(v, "", " ") writes it ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void put_str(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_line(struct buf *b, int level)
{
	put(b, "\n", 1);
	for (int i = 0; i < level; i++)
		put(b, " ", 1);
}

/* Length of the valid UTF-8 sequence at s (Go's utf8.DecodeRune), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *rune)
{
	unsigned char c = s[0];
	size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c < 0xC2 || c > 0xF4 || n < len)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	*rune = c & (0xFF >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if (i > 1 && (s[i] < 0x80 || s[i] > 0xBF))
			return 0;
		*rune = (*rune << 6) | (s[i] & 0x3F);
	}
	return len;
}

/* Go's escaping with escapeHTML (the default): <, >, & and U+2028/9 as
 * \u sequences, invalid UTF-8 as \ufffd. */
static void put_string(struct buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			uint32_t rune = 0;
			size_t len = utf8_len(s + i, n - i, &rune);
			if (len == 0)
				put_str(b, "\\ufffd"), len = 1;
			else if (rune == 0x2028 || rune == 0x2029)
				put_str(b, rune == 0x2028 ? "\\u2028" : "\\u2029");
			else
				put(b, str + i, len);
			i += len;
			continue;
		}
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f"
			: c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
		if (esc) {
			put_str(b, esc);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF], 0};
			put_str(b, u);
		} else {
			put(b, str + i, 1);
		}
		i++;
	}
	put(b, "\"", 1);
}

/* Go's float64 text: the shortest digits that read back as x, in %f style
 * unless |x| < 1e-6 or >= 1e21; there "1e-07" is written "1e-7". */
static void put_float(struct buf *b, double x)
{
	char e[40], digits[24];
	if (x == 0 || !isfinite(x)) {
		put_str(b, "0");
		return;
	}
	if (x < 0)
		put_str(b, "-");
	x = fabs(x);
	for (int p = 0; p < 17; p++) {
		snprintf(e, sizeof e, "%.*e", p, x);
		if (strtod(e, NULL) == x)
			break;
	}
	int nd = 0, exp;
	const char *s = e;
	for (; *s != 'e'; s++)
		if (*s != '.')
			digits[nd++] = *s;
	digits[nd] = 0;
	exp = atoi(s + 1);
	if (x < 1e-6 || x >= 1e21) {
		char out[48];
		snprintf(out, sizeof out, "%c%s%s", digits[0], nd > 1 ? "." : "", digits + 1);
		put_str(b, out);
		snprintf(out, sizeof out, exp < 0 && exp > -10 ? "e-%d" : "e%+03d", exp < 0 && exp > -10 ? -exp : exp);
		put_str(b, out);
	} else if (exp < 0) {
		put_str(b, "0.");
		for (int i = 0; i < -exp - 1; i++)
			put_str(b, "0");
		put_str(b, digits);
	} else {
		for (int i = 0; i <= exp || i < nd; i++) {
			if (i == exp + 1)
				put_str(b, ".");
			put(b, i < nd ? &digits[i] : "0", 1);
		}
	}
}

static void put_key(struct buf *b, int level, const char *key)
{
	put_line(b, level);
	put_string(b, key, strlen(key));
	put(b, ": ", 2);
}

static void put_field(struct buf *b, int level, const char *key, const char *value, int comma)
{
	put_key(b, level, key);
	put_string(b, value, strlen(value));
	if (comma)
		put(b, ",", 1);
}

/* A map[string]int64: keys in byte order (our arrays are sorted so). */
static void put_counts(struct buf *b, int level, const char *key, const struct rcount *c, size_t n, int comma)
{
	put_key(b, level, key);
	put(b, "{", 1);
	for (size_t i = 0; i < n; i++) {
		char num[24];
		put_line(b, level + 1);
		put_string(b, c[i].name, c[i].len);
		snprintf(num, sizeof num, ": %lld", (long long)(c[i].count > INT64_MAX ? INT64_MAX : c[i].count));
		put_str(b, num);
		if (i + 1 < n)
			put(b, ",", 1);
	}
	if (n)
		put_line(b, level);
	put_str(b, comma ? "}," : "}");
}

static void put_program(struct buf *b, const struct rprogram *p, int local)
{
	int human = local && p->human;
	put_line(b, 2);
	put(b, "{", 1);
	put_field(b, 3, "Program", p->program, 1);
	put_field(b, 3, "Version", p->version, 1);
	put_field(b, 3, "GoVersion", p->goversion, 1);
	put_field(b, 3, "GOOS", p->goos, 1);
	put_field(b, 3, "GOARCH", p->goarch, 1);
	put_counts(b, 3, "Counters", p->counters, p->n_counters, 1);
	put_counts(b, 3, "Stacks", p->stacks, p->n_stacks, human);
	if (human)
		put_field(b, 3, "HumanVersion", p->human, 0);
	put_line(b, 2);
	put(b, "}", 1);
}

static char *report_json(const struct report *r, int local, size_t *len)
{
	struct buf b = {0};
	put(&b, "{", 1);
	put_field(&b, 1, "Week", r->week, 1);
	put_field(&b, 1, "LastWeek", r->last_week, 1);
	put_key(&b, 1, "X");
	put_float(&b, r->x);
	put(&b, ",", 1);
	put_key(&b, 1, "Programs");
	if (!r->programs) {
		put_str(&b, "null");
	} else if (r->n == 0) {
		put_str(&b, "[]");
	} else {
		put(&b, "[", 1);
		for (size_t i = 0; i < r->n; i++) {
			put_program(&b, &r->programs[i], local);
			if (i + 1 < r->n)
				put(&b, ",", 1);
		}
		put_line(&b, 1);
		put(&b, "]", 1);
	}
	put(&b, ",", 1);
	put_field(&b, 1, "Config", r->config, local && r->partial);
	if (local && r->partial) {
		put_key(&b, 1, "Partial");
		put_str(&b, "true");
	}
	put_line(&b, 0);
	put(&b, "}", 1);
	b.p[b.len] = 0;
	*len = b.len;
	return b.p;
}
