#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "query_sources.h"
#include "saturate.h"
#include "week.h"

static struct db_stmt *prepare(struct db *db, const char *sql, const char *arg)
{
	struct db_stmt *st = db_prepare(db, sql, 0);
	if (st && arg)
		db_bind_text(st, 1, arg, strlen(arg));
	return st;
}

/* ?1 = program, ?2.. = the filter's facets, as far as the statement has them. */
static struct db_stmt *prepare_for(struct db *db, const char *sql, const char *program, const struct query_filter *f)
{
	struct db_stmt *st = prepare(db, sql, program);
	int n = st ? db_param_count(st) : 0;
	for (int i = 0; f && i < FACET_N && i + 2 <= n; i++)
		if (f->value[i])
			db_bind_text(st, i + 2, f->value[i], strlen(f->value[i]));
	return st;
}

static const char *col_text(struct db_stmt *st, int i)
{
	const char *s = db_text(st, i);
	return s ? s : "";
}

static json_t *col_string(struct db_stmt *st, int i)
{
	return json_stringn(col_text(st, i), db_bytes(st, i));
}

/* Steps st to the end; NULL result (and the partial one freed) on error. */
static json_t *finish(struct db_stmt *st, int rc, json_t *result)
{
	db_finalize(st);
	if (rc != DB_DONE) {
		json_decref(result);
		return NULL;
	}
	return result;
}

json_t *query_summary(struct db *db)
{
	struct db_stmt *st = prepare(db,
				   "SELECT (SELECT count(*) FROM reports), (SELECT count(DISTINCT program) FROM week_program),"
				   " (SELECT min(period) FROM week_program), (SELECT max(period) FROM week_program)",
				   NULL);
	if (!st)
		return NULL;
	json_t *out = NULL;
	if (db_step(st) == DB_ROW)
		out = json_pack("{s:I, s:I, s:s?, s:s?}", "reports", (json_int_t)db_int64(st, 0), "programs",
				(json_int_t)db_int64(st, 1), "first_week",
				db_text(st, 2), "last_week",
				db_text(st, 3));
	db_finalize(st);
	return out;
}

static int add_versions(struct db *db, json_t *programs, json_t *by_name)
{
	struct db_stmt *st = prepare(db,
				   "SELECT v.program, v.version, sum(reports) AS n, max(m.human) FROM week_version v"
				   " LEFT JOIN version_names m ON m.program = v.program AND m.version = v.version"
				   " GROUP BY v.program, v.version ORDER BY v.program, n DESC, v.version",
				   NULL);
	if (!st)
		return -1;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *p = json_object_get(by_name, col_text(st, 0));
		if (p)
			json_array_append_new(json_object_get(p, "versions"),
					      json_pack("{s:o, s:s?, s:I}", "version", col_string(st, 1), "human",
							db_text(st, 3), "reports",
							(json_int_t)db_int64(st, 2)));
	}
	(void)programs;
	return finish(st, rc, json_true()) ? 0 : -1;
}

static int add_program_weeks(struct db *db, json_t *by_name)
{
	struct db_stmt *st = prepare(db, "SELECT program, period, reports FROM week_program ORDER BY program, period", NULL);
	if (!st)
		return -1;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *p = json_object_get(by_name, col_text(st, 0));
		if (!p)
			continue;
		json_array_append_new(json_object_get(p, "weeks"), col_string(st, 1));
		json_array_append_new(json_object_get(p, "counts"), json_integer(db_int64(st, 2)));
	}
	if (!finish(st, rc, json_true()))
		return -1;
	/* keep the last QUERY_MAX_WEEKS weeks of each program */
	const char *name;
	json_t *p;
	json_object_foreach(by_name, name, p) {
		json_t *weeks = json_object_get(p, "weeks"), *counts = json_object_get(p, "counts");
		while (json_array_size(weeks) > QUERY_MAX_WEEKS) {
			json_array_remove(weeks, 0);
			json_array_remove(counts, 0);
		}
	}
	return 0;
}

json_t *query_programs(struct db *db)
{
	struct db_stmt *st = prepare(db,
				   "SELECT program, sum(reports) AS n FROM week_program GROUP BY program"
				   " ORDER BY n DESC, program",
				   NULL);
	if (!st)
		return NULL;
	json_t *programs = json_array(), *by_name = json_object();
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *p = json_pack("{s:o, s:I, s:[], s:[], s:[]}", "program", col_string(st, 0), "reports",
				      (json_int_t)db_int64(st, 1), "weeks", "counts", "versions");
		json_array_append_new(programs, p);
		json_object_set(by_name, col_text(st, 0), p);
	}
	programs = finish(st, rc, programs);
	if (programs && (add_program_weeks(db, by_name) < 0 || add_versions(db, programs, by_name) < 0)) {
		json_decref(programs);
		programs = NULL;
	}
	json_decref(by_name);
	return programs;
}

/* The program's weeks (the last QUERY_MAX_WEEKS) and its reports per week. */
struct window {
	char (*weeks)[DATE_LEN + 1];
	size_t n;
};

static int week_index(const struct window *w, const char *period)
{
	size_t lo = 0, hi = w->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(w->weeks[mid], period);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static json_t *zeros(size_t n, int real)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, real ? json_real(0) : json_integer(0));
	return a;
}

/* "partial": one flag per week of the window (dates.h). */
static int mark_partial(struct db *db, const struct window *w, json_t *out)
{
	struct db_stmt *st = prepare(db, "SELECT min(week), max(week) FROM reports", NULL);
	if (!st)
		return -1;
	int64_t first = 0, last = 0;
	if (db_step(st) == DB_ROW && db_text(st, 0)) {
		first = week_parse_date(col_text(st, 0));
		last = week_parse_date(col_text(st, 1));
	}
	db_finalize(st);
	json_t *partial = json_array();
	for (size_t i = 0; i < w->n; i++)
		json_array_append_new(partial, json_boolean(date_period_partial(week_parse_date(w->weeks[i]), first, last,
									       date_today())));
	json_object_set_new(out, "partial", partial);
	return 0;
}

static int load_window(struct db *db, const char *program, const struct query_filter *f, const struct sources *src,
		       struct window *w, json_t *out)
{
	struct db_stmt *st = prepare_for(db, src->window, program, f);
	if (!st)
		return -1;
	json_t *weeks = json_array(), *reports = json_array();
	json_object_set_new(out, "weeks", weeks);
	json_object_set_new(out, "reports", reports);
	w->weeks = calloc(QUERY_MAX_WEEKS, sizeof *w->weeks);
	int rc = DB_DONE;
	while (w->weeks && (rc = db_step(st)) == DB_ROW && w->n < QUERY_MAX_WEEKS) {
		strncpy(w->weeks[w->n++], col_text(st, 0), DATE_LEN);
		json_array_append_new(weeks, col_string(st, 0));
		json_array_append_new(reports, json_integer(db_int64(st, 1)));
	}
	db_finalize(st);
	if (!w->weeks || (rc != DB_DONE && rc != DB_ROW))
		return -1;
	return mark_partial(db, w, out);
}

static int load_versions(struct db *db, const char *program, const struct query_filter *f, const struct sources *src,
			 const struct window *w, json_t *out)
{
	struct db_stmt *st = prepare_for(db, src->versions, program, f);
	if (!st)
		return -1;
	json_t *versions = json_array(), *v = NULL;
	json_object_set_new(out, "versions", versions);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (!v || strcmp(json_string_value(json_object_get(v, "version")), col_text(st, 0)) != 0) {
			v = json_pack("{s:o, s:s?, s:I, s:o}", "version", col_string(st, 0), "human",
				      db_text(st, 3), "total", (json_int_t)0, "reports", zeros(w->n, 0));
			json_array_append_new(versions, v);
		}
		int64_t n = db_int64(st, 2);
		json_object_set_new(v, "total", json_integer(sat_add(json_integer_value(json_object_get(v, "total")), n)));
		int i = week_index(w, col_text(st, 1));
		if (i >= 0)
			json_array_set_new(json_object_get(v, "reports"), (size_t)i, json_integer(n));
	}
	return finish(st, rc, json_true()) ? 0 : -1;
}

/* Each chart's reports per week, keyed by chart name. */
static json_t *load_chart_reports(struct db *db, const char *program, const struct query_filter *f,
				  const struct sources *src, const struct window *w)
{
	struct db_stmt *st = prepare_for(db, src->charts, program, f);
	if (!st)
		return NULL;
	json_t *charts = json_object();
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *a = json_object_get(charts, col_text(st, 0));
		if (!a) {
			a = zeros(w->n, 0);
			json_object_set_new(charts, col_text(st, 0), a);
		}
		int i = week_index(w, col_text(st, 1));
		if (i >= 0)
			json_array_set_new(a, (size_t)i, json_integer(db_int64(st, 2)));
	}
	return finish(st, rc, charts);
}

static json_t *new_bucket(struct db_stmt *st, size_t n)
{
	const char *counter = col_text(st, 0), *colon = strchr(counter, ':');
	return json_pack("{s:o, s:o, s:I, s:o, s:o, s:o}", "bucket", colon ? json_string(colon + 1) : json_null(),
			 "counter", col_string(st, 0), "total", (json_int_t)0, "counts", zeros(n, 0), "shares", zeros(n, 1),
			 "reports", zeros(n, 0));
}

/* Adds one week_counter row (counter, chart, period, total, reports, share)
 * to the chart's bucket, creating both as needed. */
static void add_counter_row(struct db_stmt *st, const struct window *w, json_t *charts, json_t *chart_reports,
			    json_t **chart, json_t **bucket)
{
	const char *name = col_text(st, 1);
	if (!*chart || strcmp(json_string_value(json_object_get(*chart, "chart")), name) != 0) {
		json_t *reports = json_object_get(chart_reports, name);
		*chart = json_pack("{s:s, s:o, s:[]}", "chart", name, "reports",
				   reports ? json_incref(reports) : zeros(w->n, 0), "buckets");
		json_array_append_new(charts, *chart);
		*bucket = NULL;
	}
	if (!*bucket || strcmp(json_string_value(json_object_get(*bucket, "counter")), col_text(st, 0)) != 0) {
		*bucket = new_bucket(st, w->n);
		json_array_append_new(json_object_get(*chart, "buckets"), *bucket);
	}
	int64_t total = db_int64(st, 3);
	json_object_set_new(*bucket, "total", json_integer(sat_add(json_integer_value(json_object_get(*bucket, "total")), total)));
	int i = week_index(w, col_text(st, 2));
	if (i < 0)
		return;
	json_array_set_new(json_object_get(*bucket, "counts"), (size_t)i, json_integer(total));
	json_array_set_new(json_object_get(*bucket, "reports"), (size_t)i, json_integer(db_int64(st, 4)));
	int64_t reporters = json_integer_value(json_array_get(json_object_get(*chart, "reports"), (size_t)i));
	double share = reporters > 0 ? db_double(st, 5) / (double)reporters : 0;
	json_array_set_new(json_object_get(*bucket, "shares"), (size_t)i, json_real(share));
}

static int load_charts(struct db *db, const char *program, const struct query_filter *f, const struct sources *src,
		       const struct window *w, json_t *out)
{
	json_t *chart_reports = load_chart_reports(db, program, f, src, w);
	struct db_stmt *st = chart_reports ? prepare_for(db, src->counters, program, f) : NULL;
	if (!st) {
		json_decref(chart_reports);
		return -1;
	}
	json_t *charts = json_array(), *chart = NULL, *bucket = NULL, *totals = json_object();
	json_object_set_new(out, "charts", charts);
	json_object_set_new(out, "totals", totals);
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		add_counter_row(st, w, charts, chart_reports, &chart, &bucket);
	json_decref(chart_reports);
	if (!finish(st, rc, json_true()))
		return -1;
	size_t i, j;
	json_t *c, *b;
	json_array_foreach(charts, i, c) json_array_foreach(json_object_get(c, "buckets"), j, b)
		json_object_set(totals, json_string_value(json_object_get(b, "counter")), json_object_get(b, "total"));
	return 0;
}

static int filtering(const struct query_filter *f)
{
	for (int i = 0; f && i < FACET_N; i++)
		if (f->value[i])
			return 1;
	return 0;
}

json_t *query_counters(struct db *db, const char *program, const struct query_filter *f)
{
	const struct sources *src = filtering(f) ? &MATCHING_ROWS : &AGGREGATES;
	json_t *out = json_pack("{s:s}", "program", program);
	struct window w = {0};
	int rc = load_window(db, program, f, src, &w, out);
	if (rc == 0 && w.n == 0) {
		free(w.weeks);
		json_decref(out);
		return json_null();
	}
	if (rc == 0)
		rc = load_versions(db, program, f, src, &w, out);
	if (rc == 0)
		rc = load_charts(db, program, f, src, &w, out);
	free(w.weeks);
	if (rc < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *new_stack(struct db_stmt *st)
{
	const char *stack = col_text(st, 0);
	size_t len = db_bytes(st, 0);
	json_t *frames = json_array();
	const char *nl = memchr(stack, '\n', len), *end = stack + len;
	for (const char *p = nl ? nl + 1 : end; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		if (e > p)
			json_array_append_new(frames, json_stringn(p, (size_t)(e - p)));
		p = e + 1;
	}
	return json_pack("{s:o, s:o, s:o, s:I, s:I, s:o, s:o, s:[]}", "stack", col_string(st, 0), "name",
			 json_stringn(stack, nl ? (size_t)(nl - stack) : len), "frames", frames, "total", (json_int_t)0,
			 "reports", (json_int_t)0, "first_week", col_string(st, 5), "last_week", col_string(st, 6),
			 "programs");
}

static void add_stack_row(struct db_stmt *st, json_t *s)
{
	json_int_t total = db_int64(st, 3), reports = db_int64(st, 4);
	json_array_append_new(json_object_get(s, "programs"),
			      json_pack("{s:o, s:o, s:s?, s:I, s:I}", "program", col_string(st, 1), "version",
					col_string(st, 2), "human", db_text(st, 7), "total", total,
					"reports", reports));
	json_object_set_new(s, "total", json_integer(sat_add(json_integer_value(json_object_get(s, "total")), total)));
	json_object_set_new(s, "reports", json_integer(sat_add(json_integer_value(json_object_get(s, "reports")), reports)));
	if (strcmp(col_text(st, 5), json_string_value(json_object_get(s, "first_week"))) < 0)
		json_object_set_new(s, "first_week", col_string(st, 5));
	if (strcmp(col_text(st, 6), json_string_value(json_object_get(s, "last_week"))) > 0)
		json_object_set_new(s, "last_week", col_string(st, 6));
}

/* Newest first (the last week seen), then the most widespread (reports),
 * then the most counted: a maintainer looks for what is breaking now. */
static int by_recency(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(y, "last_week")), json_string_value(json_object_get(x, "last_week")));
	if (c)
		return c;
	json_int_t rx = json_integer_value(json_object_get(x, "reports")), ry = json_integer_value(json_object_get(y, "reports"));
	if (rx != ry)
		return (rx < ry) - (rx > ry);
	json_int_t tx = json_integer_value(json_object_get(x, "total")), ty = json_integer_value(json_object_get(y, "total"));
	return (tx < ty) - (tx > ty);
}

json_t *query_stacks(struct db *db, const char *program, int limit)
{
	struct db_stmt *st = prepare(db,
				   "SELECT stack, s.program, s.version, total, reports, first_period, last_period, n.human"
				   " FROM stacks s LEFT JOIN version_names n ON n.program = s.program AND n.version = s.version"
				   " WHERE ?1 IS NULL OR s.program = ?1 ORDER BY stack, total DESC, s.program, s.version",
				   program);
	if (!st)
		return NULL;
	json_t *all = json_array(), *s = NULL;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (!s || strcmp(json_string_value(json_object_get(s, "stack")), col_text(st, 0)) != 0) {
			s = new_stack(st);
			json_array_append_new(all, s);
		}
		add_stack_row(st, s);
	}
	if (!(all = finish(st, rc, all)))
		return NULL;
	size_t n = json_array_size(all);
	json_t **items = malloc((n + 1) * sizeof *items);
	json_t *ranked = json_array();
	for (size_t i = 0; items && i < n; i++)
		items[i] = json_array_get(all, i);
	if (items)
		qsort(items, n, sizeof *items, by_recency);
	for (size_t i = 0; items && i < n && (int)i < limit; i++)
		json_array_append(ranked, items[i]);
	free(items);
	json_decref(all);
	return ranked;
}

json_t *query_facets(struct db *db)
{
	json_t *out = json_object();
	struct window w = {0};
	struct db_stmt *st = prepare(db,
				   "SELECT period FROM (SELECT DISTINCT period FROM week_facet ORDER BY period DESC LIMIT "
				   QUERY_MAX_WEEKS_TEXT ") AS w ORDER BY period",
				   NULL);
	int rc = st ? DB_DONE : DB_ERROR;
	json_t *weeks = json_array(), *facets = json_object();
	json_object_set_new(out, "weeks", weeks);
	json_object_set_new(out, "facets", facets);
	w.weeks = calloc(QUERY_MAX_WEEKS, sizeof *w.weeks);
	while (st && w.weeks && (rc = db_step(st)) == DB_ROW && w.n < QUERY_MAX_WEEKS) {
		strncpy(w.weeks[w.n++], col_text(st, 0), DATE_LEN);
		json_array_append_new(weeks, col_string(st, 0));
	}
	db_finalize(st);
	if (!w.weeks || rc != DB_DONE || mark_partial(db, &w, out) < 0 ||
	    !(st = prepare(db, "SELECT facet, value, period, reports FROM week_facet ORDER BY facet, value", NULL))) {
		free(w.weeks);
		json_decref(out);
		return NULL;
	}
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *facet = json_object_get(facets, col_text(st, 0));
		if (!facet)
			json_object_set_new(facets, col_text(st, 0), facet = json_object());
		json_t *values = json_object_get(facet, col_text(st, 1));
		if (!values)
			json_object_set_new(facet, col_text(st, 1), values = zeros(w.n, 0));
		int i = week_index(&w, col_text(st, 2));
		if (i >= 0)
			json_array_set_new(values, (size_t)i, json_integer(db_int64(st, 3)));
	}
	free(w.weeks);
	return finish(st, rc, out);
}
