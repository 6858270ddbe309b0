/* The report step (report.h), in Go's order (x/telemetry
 * internal/upload/reports.go): find the weeks that are over, merge each
 * week's files by program identity, write the filtered report and the local
 * one (temporary file, fsync, rename), and only then delete the week's
 * counter files. The JSON is report_json.c's, the package versions
 * report_versions.c's. */
#define _GNU_SOURCE
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "counterfile.h"
#include "countermodel.h"
#include "history.h"
#include "facts.h"
#include "mode.h"
#include "placeholder.h"
#include "privdir.h"
#include "report_json.h"
#include "report_versions.h"
#include "stackmodules.h"
#include "week.h"

struct week_file {
	struct counter_data d;
	int64_t begin, end, key;
};

struct run {
	const char *dir;
	char local[1100], upload[1100];
	const struct config_source *src;
	struct upload_config cfg;
	int cfg_state; /* 0 = not asked for yet, 1 = loaded, -1 = none */
	const struct report_options *o;
	int64_t today, asof;
	enum telem_mode mode;
	char last_week[11];
	struct versions *versions;
	int status;
};

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

/* The upload config, loaded the first time a week could be uploaded. */
static const struct upload_config *config(struct run *run)
{
	if (run->cfg_state == 0) {
		int rc = run->src ? run->src->load(run->src->arg, &run->cfg) : 1;
		run->cfg_state = rc == 0 ? 1 : -1;
		if (rc < 0)
			run->status = 1;
	}
	return run->cfg_state == 1 ? &run->cfg : NULL;
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
		p->human = versions_get(run->versions, p->version);
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

/* Go's rules (config.h): a counter or stack is kept, whole, when listed
 * and X <= its rate. */

/* Stack names made for the upload (placeholder.h), freed once it is written. */
static char **made_names;
static size_t n_made_names;

static void free_made_names(void)
{
	for (size_t i = 0; i < n_made_names; i++)
		free(made_names[i]);
	free(made_names);
	made_names = NULL;
	n_made_names = 0;
}

/* The stack as it may be uploaded: other modules' frames as placeholders. */
static struct rcount upload_stack(const struct rcount *s, const char *program, const struct config_program *rule,
				  json_t *modules)
{
	size_t len;
	char *name = placeholder_stack(s->name, s->len, program, rule, modules, &len);
	char **grown = name ? realloc(made_names, (n_made_names + 1) * sizeof *grown) : NULL;
	if (!grown) {
		free(name);
		return *s;
	}
	made_names = grown;
	made_names[n_made_names++] = name;
	return (struct rcount){name, len, s->count};
}

static void filter_program(const struct rprogram *p, const struct config_program *rule, double x,
			   struct rprogram *q, json_t *modules)
{
	*q = *p;
	q->human = NULL;
	q->counters = calloc(p->n_counters + 1, sizeof *q->counters);
	q->stacks = calloc(p->n_stacks + 1, sizeof *q->stacks);
	q->n_counters = q->n_stacks = 0;
	for (size_t i = 0; i < p->n_counters; i++)
		if (config_uploads_counter(rule, p->counters[i].name, p->counters[i].len, x))
			q->counters[q->n_counters++] = p->counters[i];
	for (size_t i = 0; i < p->n_stacks; i++)
		if (config_uploads_stack(rule, p->stacks[i].name, p->stacks[i].len, x))
			q->stacks[q->n_stacks++] = upload_stack(&p->stacks[i], p->program, rule, modules);
	sort_combine(q->stacks, &q->n_stacks); /* placeholders may make stacks equal */
}

/* Go's createReport, part 2: the programs, counters and stacks the config names. */
static void filter_report(const struct report *all, const struct upload_config *cfg, struct report *out,
			  json_t *modules)
{
	*out = *all;
	out->programs = NULL;
	out->n = 0;
	out->partial = 0;
	for (size_t i = 0; i < all->n; i++) {
		const struct rprogram *p = &all->programs[i];
		const struct config_program *rule =
			config_match_program(cfg, p->program, p->version, p->human, p->goversion);
		if (!rule)
			continue;
		out->programs = realloc(out->programs, (out->n + 1) * sizeof *out->programs);
		filter_program(p, rule, all->x, &out->programs[out->n++], modules);
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
	int rc = write_file_atomic(path, json, len, 0600);
	if (rc < 0)
		run->status = fail(path, "cannot write the report: %s", strerror(errno));
	free(json);
	return rc;
}

static void delete_files(struct run *run, struct week_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (privdir_unlink(f[i].d.path) < 0 && errno != ENOENT)
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
static int write_week(struct run *run, struct report *all, const struct upload_config *cfg, const char *why)
{
	struct report up;
	int upload = cfg && config_uploadable(cfg, all->x);
	if (upload) {
		json_t *modules = stack_modules_load(run->dir);
		filter_report(all, cfg, &up, modules);
		int rc = write_report(run, &up, "", 0);
		free_programs(&up);
		free_made_names();
		json_decref(modules);
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
		note(run, "; nothing to upload: %s\n", why ? why : "not sampled (X > SampleRate)");
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
	const struct upload_config *cfg = why ? NULL : config(run);
	if (!why && !cfg) {
		note(run, "%s: waiting for an upload config that parses; counter files kept\n", r.week);
		return;
	}
	memcpy(r.last_week, run->last_week, 11);
	r.config = cfg ? cfg->version : "";
	r.x = random_x();
	build_report(run, &r, f, n);
	history_keep_seen(run->local, r.week, &f->d, n, sizeof *f); /* the stacks' days, which a report drops */
	facts_add(&r, cfg); /* reporter facts, when the config names program "telem" */
	if (write_week(run, &r, cfg, why) == 0)
		delete_files(run, f, n);
	free_programs(&r);
}

/* ---- finding the weeks ---- */

/* A counter file shorter than 16 KiB: its creator died mid-way, and its
 * header may be incomplete. It holds no counts; like Go's uploader, drop it
 * once its week is surely over (TimeEnd is at most 7 days after the date
 * in its name), and until then leave it to the shim, which completes it.
 * Returns 1 when path was such a file. */
static int short_file(struct run *run, const char *path, const char *name)
{
	struct stat st;
	size_t n = strlen(name);
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size >= CF_PAGE || n < 19)
		return 0;
	char date[11];
	memcpy(date, name + n - 19, 10);
	date[10] = 0;
	int64_t begin = week_parse_date(date);
	if (begin < 0 || begin + 7 > run->today)
		return 1;
	if (privdir_unlink(path) < 0 && errno != ENOENT)
		run->status = fail(path, "cannot delete: %s", strerror(errno));
	else
		note(run, "telem: %s: removed with its week: truncated (%lld bytes), no counts in it\n", path,
		     (long long)st.st_size);
	return 1;
}

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
		if (short_file(run, path, names[i]))
			continue;
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

int report_run(const char *dir, const struct config_source *src, const struct report_options *o)
{
	struct run run = {.dir = dir, .src = src, .o = o, .today = today_days()};
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
	for (size_t i = 0; i < n; i++) {
		const char *program = counter_data_meta(&f[i].d, "Program"), *version = counter_data_meta(&f[i].d, "Version");
		if (program && version)
			versions_want(run.versions, program, version);
	}
	if (n)
		versions_resolve(run.versions); /* one dpkg-query for all programs */
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && f[j].key == f[i].key;)
			j++;
		report_week(&run, f + i, j - i);
	}
	for (size_t i = 0; i < n; i++)
		counter_data_free(&f[i].d);
	free(f);
	versions_close(run.versions);
	if (run.cfg_state == 1)
		config_free(&run.cfg);
	return run.status;
}

