/* Counter files and local reports read as one history (history.h). */
#define _GNU_SOURCE
#include "history.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "week.h"

struct list {
	struct counter_data *d;
	size_t n;
	char **bad;
	size_t n_bad;
	int status;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

int history_is_report_name(const char *name, int local)
{
	size_t skip = local ? 6 : 0;
	char date[11];
	if (strlen(name) != skip + 15 || (local && strncmp(name, "local.", 6) != 0) ||
	    strcmp(name + skip + 10, ".json") != 0)
		return 0;
	memcpy(date, name + skip, 10);
	date[10] = 0;
	return week_parse_date(date) >= 0;
}

static void note_bad(struct list *l, const char *name)
{
	l->bad = xrealloc(l->bad, (l->n_bad + 1) * sizeof *l->bad);
	l->bad[l->n_bad++] = strdup(name);
	l->status = 1;
}

static struct counter_data *new_data(struct list *l)
{
	l->d = xrealloc(l->d, (l->n + 1) * sizeof *l->d);
	memset(&l->d[l->n], 0, sizeof *l->d);
	return &l->d[l->n++];
}

static void add_meta(struct counter_data *d, const char *key, const char *value)
{
	d->meta = xrealloc(d->meta, (d->n_meta + 1) * sizeof *d->meta);
	d->meta[d->n_meta++] = (struct meta_pair){strdup(key), strdup(value ? value : "")};
}

static void date_text(char out[21], int64_t days, int midnight)
{
	struct text t = TEXT_INIT(out, 21);
	if (midnight)
		week_put_midnight(&t, days);
	else
		week_put_date(&t, days);
	out[midnight ? 20 : 10] = 0;
}

/* ---- the seen file beside a report ---- */

/* The entry of the seen list for a stack of program/version, or NULL. */
static json_t *seen_entry(json_t *list, const char *program, const char *version, const char *stack)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *p = json_string_value(json_object_get(e, "Program"));
		const char *v = json_string_value(json_object_get(e, "Version"));
		const char *s = json_string_value(json_object_get(e, "Stack"));
		if (p && v && s && !strcmp(p, program) && !strcmp(v, version) && !strcmp(s, stack))
			return e;
	}
	return NULL;
}

static void copy_day(char out[11], json_t *value, const char *fallback)
{
	const char *s = json_string_value(value);
	snprintf(out, 11, "%s", s && strlen(s) == 10 && week_parse_date(s) >= 0 ? s : fallback);
}

static json_t *load_seen(const char *local_dir, const char *week)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/local.%s.seen", local_dir, week);
	return json_load_file(path, 0, NULL); /* missing or broken: days from the week */
}

/* ---- a report read back as counter files ---- */

static int by_name(const void *a, const void *b)
{
	const struct counter_entry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void add_counts(struct counter_data *d, json_t *map, int stacks, json_t *seen, const char *first,
		       const char *last)
{
	const char *key;
	json_t *v;
	json_object_foreach(map, key, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			continue;
		d->counters = xrealloc(d->counters, (d->n + 1) * sizeof *d->counters);
		struct counter_entry *c = &d->counters[d->n++];
		memset(c, 0, sizeof *c);
		c->name = strdup(key);
		c->len = strlen(key);
		c->count = (uint64_t)json_integer_value(v);
		if (stacks) {
			json_t *e = seen_entry(json_object_get(seen, "Stacks"), counter_data_meta(d, "Program"), counter_data_meta(d, "Version"), key);
			copy_day(c->first_seen, json_object_get(e, "First"), first);
			copy_day(c->last_seen, json_object_get(e, "Last"), last);
		}
	}
}

static const char *member(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* One local report: a counter_data per program. Returns 0, or -1 when the
 * file is not a report (reported). */
static int load_report(struct list *l, const char *local_dir, const char *name)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", local_dir, name);
	json_error_t err;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	const char *week = json_string_value(json_object_get(root, "Week"));
	json_t *programs = json_object_get(root, "Programs");
	int64_t end = week ? week_parse_date(week) : -1;
	if (!root || end < 0 || !(json_is_array(programs) || json_is_null(programs))) {
		fail(path, "not a valid report: %s", !root ? err.text : end < 0 ? "no valid \"Week\"" : "no \"Programs\" list");
		json_decref(root);
		return -1;
	}
	char begin[21], until[21], first[21], last[21];
	date_text(begin, end - 7, 1);
	date_text(until, end, 1);
	date_text(first, end - 7, 0);
	date_text(last, end - 1, 0);
	json_t *seen = load_seen(local_dir, week);
	size_t i;
	json_t *p;
	json_array_foreach(programs, i, p) {
		struct counter_data *d = new_data(l);
		d->path = strdup(path);
		add_meta(d, "TimeBegin", begin);
		add_meta(d, "TimeEnd", until);
		static const char *const keys[] = {"Program", "Version", "GoVersion", "GOOS", "GOARCH"};
		for (size_t k = 0; k < 5; k++)
			add_meta(d, keys[k], member(p, keys[k]));
		add_meta(d, "Report", name);
		add_counts(d, json_object_get(p, "Counters"), 0, NULL, first, last);
		add_counts(d, json_object_get(p, "Stacks"), 1, seen, first, last);
		if (d->n)
			qsort(d->counters, d->n, sizeof *d->counters, by_name);
	}
	json_decref(seen);
	json_decref(root);
	return 0;
}

/* ---- the directory ---- */

static int by_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list_reports(const char *local_dir, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *dir = opendir(local_dir);
	if (!dir)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	while ((e = readdir(dir)))
		if (history_is_report_name(e->d_name, 1)) {
			*names = xrealloc(*names, (*n + 1) * sizeof **names);
			(*names)[(*n)++] = strdup(e->d_name);
		}
	closedir(dir);
	if (*n)
		qsort(*names, *n, sizeof **names, by_text);
	return 0;
}

int history_load(const char *local_dir, struct counter_data **files, size_t *n, char ***bad, size_t *n_bad)
{
	struct list l = {0};
	char **names;
	size_t count;
	if (list_counter_files(local_dir, &names, &count) < 0)
		return fail(local_dir, "cannot list: %s", strerror(errno));
	for (size_t i = 0; i < count; i++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/%s", local_dir, names[i]);
		struct counter_data *d = new_data(&l);
		if (counter_data_load(path, d) < 0) {
			l.n--;
			note_bad(&l, names[i]);
		}
	}
	free_list(names, count);
	if (list_reports(local_dir, &names, &count) == 0) {
		for (size_t i = 0; i < count; i++)
			if (load_report(&l, local_dir, names[i]) < 0)
				note_bad(&l, names[i]);
		free_list(names, count);
	}
	*files = l.d;
	*n = l.n;
	if (bad) {
		*bad = l.bad;
		*n_bad = l.n_bad;
	} else {
		free_list(l.bad, l.n_bad);
	}
	return l.status;
}

void history_free(struct counter_data *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		counter_data_free(&files[i]);
	free(files);
}

/* ---- writing the seen file ---- */

static void see(json_t *stacks, const struct counter_data *d, const struct counter_entry *c, const char *day)
{
	const char *program = counter_data_meta(d, "Program"), *version = counter_data_meta(d, "Version");
	program = program ? program : "";
	version = version ? version : "";
	char *name = strndup(c->name, c->len);
	json_t *e = seen_entry(stacks, program, version, name);
	if (!e) {
		json_array_append_new(stacks, json_pack("{s:s, s:s, s:s, s:s, s:s}", "Program", program, "Version",
							version, "Stack", name, "First", day, "Last", day));
	} else {
		if (strcmp(day, json_string_value(json_object_get(e, "First"))) < 0)
			json_object_set_new(e, "First", json_string(day));
		if (strcmp(day, json_string_value(json_object_get(e, "Last"))) > 0)
			json_object_set_new(e, "Last", json_string(day));
	}
	free(name);
}

void history_keep_seen(const char *local_dir, const char *week, const struct counter_data *files, size_t n,
		       size_t stride)
{
	json_t *stacks = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct counter_data *d = (const void *)((const char *)files + i * stride);
		const char *begin = counter_data_meta(d, "TimeBegin");
		char day[11];
		if (!begin || strlen(begin) < 10)
			continue;
		snprintf(day, sizeof day, "%.10s", begin);
		for (size_t j = 0; j < d->n; j++)
			if (memchr(d->counters[j].name, '\n', d->counters[j].len))
				see(stacks, d, &d->counters[j], day);
	}
	if (json_array_size(stacks)) {
		char path[4200];
		json_t *root = json_pack("{s:s, s:O}", "Week", week, "Stacks", stacks);
		char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		snprintf(path, sizeof path, "%s/local.%s.seen", local_dir, week);
		if (text)
			write_file_atomic(path, text, strlen(text), 0644);
		free(text);
		json_decref(root);
	}
	json_decref(stacks);
}
