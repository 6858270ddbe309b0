/* Loading what telem view shows (view_model.h): every counter file once,
 * its counters added into per-program series (one count per report week),
 * looked up through a hash table so a year of data (a thousand files,
 * two hundred thousand counters) loads in a fraction of a second. */
#define _GNU_SOURCE
#include "view_model.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "counterfile.h"
#include "countermodel.h"
#include "history.h"
#include "week.h"

struct loaded {
	struct counter_data d;
	int64_t end;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort(); /* a viewer out of memory has nothing better to do */
	return p;
}

/* Saturated at INT64_MAX: the one rule for large counts (count_shown). */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? INT64_MAX : count_shown(a + b);
}

int64_t vm_time_end_day(const char *time_end)
{
	char date[11];
	if (!time_end || strlen(time_end) < 10)
		return -1;
	memcpy(date, time_end, 10);
	date[10] = 0;
	return week_parse_date(date);
}

static int cmp_day(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The charted weeks: every distinct TimeEnd, with the weeks between them
 * that have no data filled in (a gap in use shows as a gap), then the
 * latest VM_MAX_WEEKS only. */
static void choose_weeks(struct view_model *m, const struct loaded *f, size_t n)
{
	int64_t *days = xrealloc(NULL, n * sizeof *days);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		days[k++] = f[i].end;
	qsort(days, k, sizeof *days, cmp_day);
	size_t distinct = 0;
	for (size_t i = 0; i < k; i++)
		if (distinct == 0 || days[distinct - 1] != days[i])
			days[distinct++] = days[i];
	size_t cap = distinct * 2 + 8, w = 0;
	int64_t *weeks = xrealloc(NULL, cap * sizeof *weeks);
	for (size_t i = 0; i < distinct; i++) {
		if (i > 0 && days[i] - days[i - 1] <= 7 * VM_MAX_WEEKS)
			for (int64_t d = days[i - 1] + 7; days[i] - d >= 7; d += 7) {
				if (w + 1 >= cap)
					weeks = xrealloc(weeks, (cap *= 2) * sizeof *weeks);
				weeks[w++] = d;
			}
		if (w + 1 >= cap)
			weeks = xrealloc(weeks, (cap *= 2) * sizeof *weeks);
		weeks[w++] = days[i];
	}
	size_t drop = w > VM_MAX_WEEKS ? w - VM_MAX_WEEKS : 0;
	for (size_t i = 0; i < distinct; i++)
		m->weeks_older += drop && days[i] < weeks[drop];
	memmove(weeks, weeks + drop, (w - drop) * sizeof *weeks);
	m->weeks = weeks;
	m->n_weeks = w - drop;
	free(days);
}

/* Index of the charted week ending on end, -1 when it is older. */
static long week_index(const struct view_model *m, int64_t end)
{
	size_t lo = 0, hi = m->n_weeks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->weeks[mid] < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n_weeks && m->weeks[lo] == end ? (long)lo : -1;
}

static struct vm_program *program_entry(struct view_model *m, const char *name)
{
	for (size_t i = m->n_programs; i-- > 0;) /* files come sorted: the last one is the likely one */
		if (strcmp(m->programs[i].name, name) == 0)
			return &m->programs[i];
	m->programs = xrealloc(m->programs, (m->n_programs + 1) * sizeof *m->programs);
	struct vm_program *p = &m->programs[m->n_programs++];
	memset(p, 0, sizeof *p);
	p->name = strdup(name);
	p->first_week = INT64_MAX;
	p->last_week = INT64_MIN;
	return p;
}

static const char *meta_or(const struct counter_data *d, const char *key)
{
	const char *v = counter_data_meta(d, key);
	return v ? v : "";
}

static void add_identity(struct vm_program *p, const struct counter_data *d)
{
	const char *v = meta_or(d, "Version"), *r = meta_or(d, "GoVersion");
	const char *os = meta_or(d, "GOOS"), *arch = meta_or(d, "GOARCH");
	for (size_t i = 0; i < p->n_ids; i++)
		if (!strcmp(p->ids[i].version, v) && !strcmp(p->ids[i].runtime, r) && !strcmp(p->ids[i].goos, os) &&
		    !strcmp(p->ids[i].goarch, arch))
			return;
	p->ids = xrealloc(p->ids, (p->n_ids + 1) * sizeof *p->ids);
	p->ids[p->n_ids++] = (struct vm_identity){strdup(v), strdup(r), strdup(os), strdup(arch)};
}

static size_t group_entry(struct vm_program *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->n_groups; i++)
		if (strlen(p->groups[i].name) == len && memcmp(p->groups[i].name, name, len) == 0)
			return i;
	p->groups = xrealloc(p->groups, (p->n_groups + 1) * sizeof *p->groups);
	p->groups[p->n_groups] = (struct vm_group){strndup(name, len), NULL, 0};
	return p->n_groups++;
}

/* Chart and bucket of a new series, Go's way: "<prog>/chart:bucket"; a
 * name without ':' is a chart of its own; stacks chart by first line. */
static void place_series(struct vm_program *p, struct vm_series *s)
{
	if (s->is_stack) {
		s->bucket = s->key;
		s->bucket_len = s->key_len;
		s->group = group_entry(p, "crash", 5);
		return;
	}
	size_t plen = strlen(p->name);
	const char *rest = s->key, *end = s->key + s->key_len;
	if (s->key_len > plen + 1 && memcmp(s->key, p->name, plen) == 0 && s->key[plen] == '/')
		rest += plen + 1;
	const char *colon = memchr(rest, ':', (size_t)(end - rest));
	s->bucket = colon ? colon + 1 : rest;
	s->bucket_len = (size_t)(end - s->bucket);
	s->group = group_entry(p, rest, (size_t)((colon ? colon : end) - rest));
}

static void index_grow(struct vm_program *p)
{
	size_t cap = p->index_cap ? p->index_cap * 2 : 256;
	uint32_t *idx = calloc(cap, sizeof *idx);
	if (!idx)
		abort();
	for (size_t i = 0; i < p->n_series; i++) {
		size_t h = cf_hash(p->series[i].key, p->series[i].key_len) & (cap - 1);
		while (idx[h])
			h = (h + 1) & (cap - 1);
		idx[h] = (uint32_t)i + 1;
	}
	free(p->index);
	p->index = idx;
	p->index_cap = cap;
}

static struct vm_series *series_entry(const struct view_model *m, struct vm_program *p, const char *key,
				      size_t len, int is_stack)
{
	if ((p->n_series + 1) * 2 > p->index_cap)
		index_grow(p);
	size_t h = cf_hash(key, len) & (p->index_cap - 1);
	for (; p->index[h]; h = (h + 1) & (p->index_cap - 1)) {
		struct vm_series *s = &p->series[p->index[h] - 1];
		if (s->key_len == len && s->is_stack == is_stack && memcmp(s->key, key, len) == 0)
			return s;
	}
	if (p->n_series == p->cap_series) {
		p->cap_series = p->cap_series ? p->cap_series * 2 : 64;
		p->series = xrealloc(p->series, p->cap_series * sizeof *p->series);
	}
	p->index[h] = (uint32_t)p->n_series + 1;
	struct vm_series *s = &p->series[p->n_series++];
	memset(s, 0, sizeof *s);
	s->key = strndup(key, len);
	s->key_len = len;
	s->is_stack = is_stack;
	s->weeks = calloc(m->n_weeks ? m->n_weeks : 1, sizeof *s->weeks);
	if (!s->key || !s->weeks)
		abort();
	place_series(p, s);
	return s;
}

static void add_stack(struct vm_program *p, const struct counter_entry *c, const char *version, int64_t end)
{
	struct vm_stack *st = NULL;
	for (size_t i = 0; i < p->n_stacks && !st; i++)
		if (p->stacks[i].len == c->len && !memcmp(p->stacks[i].name, c->name, c->len) &&
		    !strcmp(p->stacks[i].version, version))
			st = &p->stacks[i];
	if (!st) {
		if (p->n_stacks == VM_MAX_STACKS) {
			p->stacks_dropped++;
			return;
		}
		p->stacks = xrealloc(p->stacks, (p->n_stacks + 1) * sizeof *p->stacks);
		st = &p->stacks[p->n_stacks++];
		*st = (struct vm_stack){xrealloc(NULL, c->len + 1), c->len, strdup(version), 0, end, end};
		memcpy(st->name, c->name, c->len);
		st->name[c->len] = 0;
	}
	st->count = add_sat(st->count, c->count);
	st->first_week = end < st->first_week ? end : st->first_week;
	st->last_week = end > st->last_week ? end : st->last_week;
}

static void add_file(struct view_model *m, const struct loaded *f)
{
	struct vm_program *p = program_entry(m, meta_or(&f->d, "Program"));
	long w = week_index(m, f->end);
	add_identity(p, &f->d);
	p->first_week = f->end < p->first_week ? f->end : p->first_week;
	p->last_week = f->end > p->last_week ? f->end : p->last_week;
	for (size_t i = 0; i < f->d.n; i++) {
		const struct counter_entry *c = &f->d.counters[i];
		const char *nl = memchr(c->name, '\n', c->len);
		struct vm_series *s = series_entry(m, p, c->name, nl ? (size_t)(nl - c->name) : c->len, nl != NULL);
		s->total = add_sat(s->total, c->count);
		if (w >= 0)
			s->weeks[w] = add_sat(s->weeks[w], c->count);
		if (nl)
			add_stack(p, c, meta_or(&f->d, "Version"), f->end);
	}
}

/* The programs table's figures, from the counters the shim writes. */
static void tally(struct vm_program *p, const struct vm_series *s)
{
	size_t plen = strlen(p->name);
	if (s->is_stack) {
		if (strcmp(s->key, "crash/ice") == 0) /* an ICE exits without a signal */
			p->crashes = add_sat(p->crashes, s->total);
		return;
	}
	if (s->key_len <= plen + 1 || memcmp(s->key, p->name, plen) != 0 || s->key[plen] != '/')
		return;
	const char *w = s->key + plen + 1;
	if (strcmp(w, "invocations") == 0)
		p->runs = add_sat(p->runs, s->total);
	if (strncmp(w, "exit:", 5) == 0 || strncmp(w, "signal:", 7) == 0)
		p->ends = add_sat(p->ends, s->total);
	if (strncmp(w, "exit:", 5) == 0 && strcmp(w + 5, "0") != 0)
		p->failures = add_sat(p->failures, s->total);
	else if (strncmp(w, "signal:", 7) == 0)
		p->crashes = add_sat(p->crashes, s->total);
	else if (strcmp(w, "wall-us") == 0)
		p->wall_us = add_sat(p->wall_us, s->total);
	else if (strcmp(w, "cpu-us") == 0)
		p->cpu_us = add_sat(p->cpu_us, s->total);
	else if (strcmp(w, "wall-ms") == 0) /* older shims' sums */
		p->wall_us = add_sat(p->wall_us, s->total > UINT64_MAX / 1000 ? UINT64_MAX : s->total * 1000);
	else if (strcmp(w, "cpu-ms") == 0)
		p->cpu_us = add_sat(p->cpu_us, s->total > UINT64_MAX / 1000 ? UINT64_MAX : s->total * 1000);
}

/* Charts in the order a reader looks for them; others alphabetically after. */
static int group_rank(const char *name)
{
	static const char *const order[] = {"invocations", "exit", "signal", "crash", "wall", "wall-us",
					    "cpu", "cpu-us", "maxrss", "flag"};
	for (size_t i = 0; i < sizeof order / sizeof *order; i++)
		if (strcmp(name, order[i]) == 0)
			return (int)i;
	return 100;
}

static int by_group(const void *a, const void *b, void *groups)
{
	const struct vm_group *x = &((struct vm_group *)groups)[*(const size_t *)a];
	const struct vm_group *y = &((struct vm_group *)groups)[*(const size_t *)b];
	int rx = group_rank(x->name), ry = group_rank(y->name);
	return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

static int by_program(const void *a, const void *b)
{
	return strcmp(((const struct vm_program *)a)->name, ((const struct vm_program *)b)->name);
}

/* Orders the groups, then gives each its series (in key order). */
static void finish_program(struct vm_program *p)
{
	for (size_t i = 0; i < p->n_series; i++)
		tally(p, &p->series[i]);
	size_t *order = xrealloc(NULL, p->n_groups * sizeof *order), *where = xrealloc(NULL, p->n_groups * sizeof *where);
	struct vm_group *sorted = xrealloc(NULL, p->n_groups * sizeof *sorted);
	for (size_t g = 0; g < p->n_groups; g++)
		order[g] = g;
	qsort_r(order, p->n_groups, sizeof *order, by_group, p->groups);
	for (size_t g = 0; g < p->n_groups; g++) {
		sorted[g] = p->groups[order[g]];
		where[order[g]] = g;
	}
	free(p->groups);
	p->groups = sorted;
	for (size_t i = 0; i < p->n_series; i++) {
		struct vm_group *g = &p->groups[p->series[i].group = where[p->series[i].group]];
		g->series = xrealloc(g->series, (g->n_series + 1) * sizeof *g->series);
		g->series[g->n_series++] = i;
	}
	free(order);
	free(where);
}

static int load_files(struct view_model *m, const char *local_dir, struct loaded **out, size_t *n)
{
	struct counter_data *data;
	size_t count;
	*n = 0;
	/* Counter files and local reports: the weeks already reported too. */
	int status = history_load(local_dir, &data, &count, &m->bad, &m->n_bad);
	*out = xrealloc(NULL, count * sizeof **out);
	for (size_t i = 0; i < count; i++) {
		struct loaded *f = &(*out)[*n];
		f->d = data[i];
		if ((f->end = vm_time_end_day(counter_data_meta(&f->d, "TimeEnd"))) < 0) {
			fail(f->d.path, "no valid TimeEnd in its meta");
			const char *slash = strrchr(f->d.path, '/');
			m->bad = xrealloc(m->bad, (m->n_bad + 1) * sizeof *m->bad);
			m->bad[m->n_bad++] = strdup(slash ? slash + 1 : f->d.path);
			counter_data_free(&f->d);
			status = 1;
			continue;
		}
		(*n)++;
	}
	free(data); /* the contents moved into *out */
	return status;
}

int view_model_load(struct view_model *m, const char *local_dir, int64_t today)
{
	memset(m, 0, sizeof *m);
	m->today = today;
	struct loaded *files;
	size_t n;
	int status = load_files(m, local_dir, &files, &n);
	choose_weeks(m, files, n);
	for (size_t i = 0; i < n; i++) {
		add_file(m, &files[i]);
		if (counter_data_meta(&files[i].d, "Report"))
			m->n_reported++;
		else
			m->n_files++;
		counter_data_free(&files[i].d);
	}
	free(files);
	for (size_t i = 0; i < m->n_programs; i++)
		finish_program(&m->programs[i]);
	if (m->n_programs)
		qsort(m->programs, m->n_programs, sizeof *m->programs, by_program);
	return status;
}

static void free_program(struct vm_program *p)
{
	for (size_t i = 0; i < p->n_series; i++) {
		free(p->series[i].key);
		free(p->series[i].weeks);
	}
	for (size_t i = 0; i < p->n_groups; i++) {
		free(p->groups[i].name);
		free(p->groups[i].series);
	}
	for (size_t i = 0; i < p->n_stacks; i++) {
		free(p->stacks[i].name);
		free(p->stacks[i].version);
	}
	for (size_t i = 0; i < p->n_ids; i++) {
		free(p->ids[i].version);
		free(p->ids[i].runtime);
		free(p->ids[i].goos);
		free(p->ids[i].goarch);
	}
	free(p->ids);
	free(p->series);
	free(p->index);
	free(p->groups);
	free(p->stacks);
	free(p->name);
}

void view_model_free(struct view_model *m)
{
	for (size_t i = 0; i < m->n_programs; i++)
		free_program(&m->programs[i]);
	free(m->programs);
	free(m->weeks);
	free_list(m->bad, m->n_bad);
	memset(m, 0, sizeof *m);
}

/* One report file: its Week and how many program entries it has. */
static void read_report(const char *local_dir, struct view_report *r)
{
	char path[4096];
	size_t len;
	snprintf(path, sizeof path, "%s/%s", local_dir, r->name);
	char *text = read_file(path, &len);
	if (!text) {
		r->problem = strdup(strerror(errno));
		return;
	}
	json_error_t err;
	json_t *root = json_loadb(text, len, 0, &err);
	free(text);
	json_t *week = json_object_get(root, "Week");
	if (!root || !json_is_string(week)) {
		r->problem = strdup(root ? "no \"Week\": not a report" : err.text);
	} else {
		r->week = strdup(json_string_value(week));
		r->programs = json_array_size(json_object_get(root, "Programs"));
	}
	json_decref(root);
}

static int newest_first(const void *a, const void *b)
{
	const struct view_report *x = a, *y = b;
	int c = strcmp(y->week ? y->week : "", x->week ? x->week : "");
	return c ? c : strcmp(x->name, y->name);
}

int view_reports_load(const char *local_dir, struct view_report **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(local_dir);
	if (!d)
		return errno == ENOENT ? 0 : fail(local_dir, "cannot list reports: %s", strerror(errno));
	struct dirent *e;
	int status = 0;
	while ((e = readdir(d))) {
		/* Reports only: versions.json and the like are telem's own files. */
		if (!history_is_report_name(e->d_name, 1) && !history_is_report_name(e->d_name, 0))
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		struct view_report *r = &(*out)[(*n)++];
		*r = (struct view_report){strdup(e->d_name), NULL, 0, NULL};
		read_report(local_dir, r);
		if (r->problem) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", local_dir, r->name);
			status = fail(path, "not a valid report: %s", r->problem);
		}
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof **out, newest_first);
	return status;
}

void view_reports_free(struct view_report *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].name);
		free(r[i].week);
		free(r[i].problem);
	}
	free(r);
}
