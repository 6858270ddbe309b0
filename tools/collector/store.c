#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dates.h"
#include "saturate.h"
#include "schema.sql.h"
#include "sha256.h"
#include "week.h"

enum { ST_REPORT, ST_COUNT, ST_COUNTER, ST_CHART, ST_PROGRAM, ST_VERSION, ST_STACK, ST_NAME, ST_FACET, ST_N };

static const char *const WRITE_SQL[ST_N] = {
	[ST_REPORT] = "INSERT INTO reports(hash, week, period, x, config, received, body, arch, libc, os, env, container)"
		      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"
		      " ON CONFLICT(hash) DO NOTHING RETURNING id",
	[ST_COUNT] = "INSERT INTO counts(report, week, program, version, counter, count, is_stack, goarch, goversion)"
		     " VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_COUNTER] = "INSERT INTO week_counter(program, counter, period, chart, total, reports, share)"
		       " VALUES(?,?,?,?,?,?,?) ON CONFLICT(program, counter, period) DO UPDATE SET"
		       " total = " SQL_SAT_ADD("week_counter.total", "excluded.total") ","
		       " reports = week_counter.reports + excluded.reports, share = week_counter.share + excluded.share",
	[ST_CHART] = "INSERT INTO week_chart(program, chart, period, reports) VALUES(?,?,?,1)"
		     " ON CONFLICT(program, chart, period) DO UPDATE SET reports = week_chart.reports + 1",
	[ST_PROGRAM] = "INSERT INTO week_program(program, period, reports) VALUES(?,?,1)"
		       " ON CONFLICT(program, period) DO UPDATE SET reports = week_program.reports + 1",
	[ST_VERSION] = "INSERT INTO week_version(program, period, version, reports) VALUES(?,?,?,1)"
		       " ON CONFLICT(program, period, version) DO UPDATE SET reports = week_version.reports + 1",
	[ST_STACK] = "INSERT INTO stacks(stack, program, version, total, reports, first_period, last_period)"
		     " VALUES(?,?,?,?,1,?,?) ON CONFLICT(stack, program, version) DO UPDATE SET"
		     " total = " SQL_SAT_ADD("stacks.total", "excluded.total") ", reports = stacks.reports + 1,"
		     " first_period = CASE WHEN excluded.first_period < stacks.first_period"
		     " THEN excluded.first_period ELSE stacks.first_period END,"
		     " last_period = CASE WHEN excluded.last_period > stacks.last_period"
		     " THEN excluded.last_period ELSE stacks.last_period END",
	[ST_NAME] = "INSERT INTO version_names(program, version, human) VALUES(?,?,?)"
		    " ON CONFLICT(program, version) DO UPDATE SET human = excluded.human",
	[ST_FACET] = "INSERT INTO week_facet(period, facet, value, reports) VALUES(?,?,?,1)"
		     " ON CONFLICT(period, facet, value) DO UPDATE SET reports = week_facet.reports + 1",
};

/* One connection and the write statements prepared on it. */
struct session {
	struct db *db;
	struct db_stmt *stmt[ST_N];
};

struct store {
	char *spec;
	int full_sync;
	enum db_kind kind;
	/* SQLite has one writer at a time: one connection writes, under
	 * write_lock (no SQLITE_BUSY among our own threads). PostgreSQL takes
	 * concurrent writers: each thread writes on its own connection. */
	struct session writer;
	pthread_mutex_t write_lock;
	pthread_key_t session_key; /* this thread's connection (reads, and PostgreSQL's writes) */
	pthread_mutex_t sessions_lock;
	struct session **sessions;
	size_t n_sessions;
};

static const char *const *schema_steps(enum db_kind kind)
{
	return kind == DB_POSTGRES ? POSTGRES_SCHEMA_STEPS : SQLITE_SCHEMA_STEPS;
}

static int schema_failed(struct db *db, const char *spec, char *err, size_t errlen)
{
	char shown[256];
	db_spec_shown(spec, shown, sizeof shown);
	snprintf(err, errlen, "%s: %s", shown, db_error(db));
	return -1;
}

/* Creates or upgrades the schema in one transaction, which also proves
 * that the database can be written: an unwritable file or a database that
 * is not ours is found now and not at the first upload. */
static int init_schema(struct db *db, const char *spec, char *err, size_t errlen)
{
	long long version = 0;
	char shown[256];
	db_spec_shown(spec, shown, sizeof shown);
	if (db_schema_version(db, &version) < 0)
		return schema_failed(db, spec, err, errlen);
	if (version > SCHEMA_VERSION)
		return snprintf(err, errlen, "%s: made by a newer telem-collector (schema %lld)", shown, version), -1;
	if (db_begin(db) < 0 || db_lock_schema(db) < 0)
		return schema_failed(db, spec, err, errlen);
	/* read again under the lock: another collector may have upgraded meanwhile */
	int rc = db_schema_version(db, &version);
	for (long long v = version; rc == 0 && v < SCHEMA_VERSION; v++)
		rc = db_exec(db, schema_steps(db_kind(db))[v]);
	if (rc < 0 || (version < SCHEMA_VERSION && db_set_schema_version(db, SCHEMA_VERSION) < 0) || db_commit(db) < 0) {
		schema_failed(db, spec, err, errlen);
		db_rollback(db);
		return -1;
	}
	return 0;
}

static int prepare_writes(struct session *w)
{
	for (int i = 0; i < ST_N; i++)
		if (!w->stmt[i] && !(w->stmt[i] = db_prepare(w->db, WRITE_SQL[i], 1)))
			return -1;
	return 0;
}

static void session_close(struct session *w)
{
	for (int i = 0; i < ST_N; i++)
		db_finalize(w->stmt[i]);
	db_close(w->db);
}

struct store *store_open(const char *spec, int full_sync, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof *s);
	*err = 0;
	if (!s || !(s->spec = strdup(spec))) {
		free(s);
		snprintf(err, errlen, "%s: out of memory", spec);
		return NULL;
	}
	s->full_sync = full_sync;
	pthread_mutex_init(&s->write_lock, NULL);
	pthread_mutex_init(&s->sessions_lock, NULL);
	pthread_key_create(&s->session_key, NULL);
	if (!(s->writer.db = db_open(spec, full_sync, err, errlen)) || init_schema(s->writer.db, spec, err, errlen) < 0)
		goto failed;
	s->kind = db_kind(s->writer.db);
	if (s->kind == DB_POSTGRES) {
		/* its writes go through each thread's own connection: this one made the schema, and is done */
		db_close(s->writer.db);
		s->writer.db = NULL;
	} else if (prepare_writes(&s->writer) < 0) {
		goto failed;
	}
	return s;
failed:
	if (s->writer.db && !*err)
		schema_failed(s->writer.db, spec, err, errlen);
	store_close(s);
	return NULL;
}

static void bind_text(struct db_stmt *st, int i, const char *s, size_t len)
{
	db_bind_text(st, i, s, len);
}

static size_t chart_len(const struct report_row *row)
{
	const char *colon = memchr(row->counter, ':', row->counter_len);
	return colon ? (size_t)(colon - row->counter) : row->counter_len;
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

/* Counters by program, chart, name: a chart's buckets end up together. */
static int by_chart(const void *pa, const void *pb)
{
	const struct report_row *a = *(const struct report_row *const *)pa, *b = *(const struct report_row *const *)pb;
	int c = strcmp(a->program, b->program);
	if (!c)
		c = cmp_bytes(a->counter, chart_len(a), b->counter, chart_len(b));
	return c ? c : cmp_bytes(a->counter, a->counter_len, b->counter, b->counter_len);
}

static int by_stack(const void *pa, const void *pb)
{
	const struct report_row *a = *(const struct report_row *const *)pa, *b = *(const struct report_row *const *)pb;
	int c = strcmp(a->program, b->program);
	if (!c)
		c = strcmp(a->version, b->version);
	return c ? c : cmp_bytes(a->counter, a->counter_len, b->counter, b->counter_len);
}

static int same_counter(const struct report_row *a, const struct report_row *b)
{
	return strcmp(a->program, b->program) == 0 && a->counter_len == b->counter_len &&
	       memcmp(a->counter, b->counter, a->counter_len) == 0;
}

static int same_chart(const struct report_row *a, const struct report_row *b)
{
	return strcmp(a->program, b->program) == 0 && chart_len(a) == chart_len(b) &&
	       memcmp(a->counter, b->counter, chart_len(a)) == 0;
}

/* One chart of one report: each bucket's total (versions of a program
 * merged) and share, then the chart's report count. */
static int add_chart(struct session *s, const struct report_row **rows, size_t n, const char *period)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)rows[i]->count;
	struct db_stmt *st = s->stmt[ST_COUNTER];
	for (size_t i = 0, j; i < n; i = j) {
		int64_t total = 0;
		for (j = i; j < n && same_counter(rows[i], rows[j]); j++)
			total = sat_add(total, rows[j]->count);
		bind_text(st, 1, rows[i]->program, strlen(rows[i]->program));
		bind_text(st, 2, rows[i]->counter, rows[i]->counter_len);
		bind_text(st, 3, period, DATE_LEN);
		bind_text(st, 4, rows[i]->counter, chart_len(rows[i]));
		db_bind_int64(st, 5, total);
		db_bind_int64(st, 6, total > 0);
		db_bind_double(st, 7, sum > 0 ? (double)total / sum : 0);
		if (db_run(st) < 0)
			return -1;
	}
	st = s->stmt[ST_CHART];
	bind_text(st, 1, rows[0]->program, strlen(rows[0]->program));
	bind_text(st, 2, rows[0]->counter, chart_len(rows[0]));
	bind_text(st, 3, period, DATE_LEN);
	return db_run(st);
}

static int add_stacks(struct session *s, const struct report_row **rows, size_t n, const char *period)
{
	struct db_stmt *st = s->stmt[ST_STACK];
	qsort(rows, n, sizeof *rows, by_stack);
	for (size_t i = 0, j; i < n; i = j) {
		int64_t total = 0;
		for (j = i; j < n && by_stack(&rows[i], &rows[j]) == 0; j++)
			total = sat_add(total, rows[j]->count);
		bind_text(st, 1, rows[i]->counter, rows[i]->counter_len);
		bind_text(st, 2, rows[i]->program, strlen(rows[i]->program));
		bind_text(st, 3, rows[i]->version, strlen(rows[i]->version));
		db_bind_int64(st, 4, total);
		bind_text(st, 5, period, DATE_LEN);
		bind_text(st, 6, period, DATE_LEN);
		if (db_run(st) < 0)
			return -1;
	}
	return 0;
}

static int add_counters(struct session *s, const struct report *r, const char *period)
{
	const struct report_row **counters = malloc((r->n_rows + 1) * sizeof *counters);
	const struct report_row **stacks = malloc((r->n_rows + 1) * sizeof *stacks);
	size_t nc = 0, ns = 0;
	int rc = counters && stacks ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < r->n_rows; i++) {
		if (r->rows[i].is_stack)
			stacks[ns++] = &r->rows[i];
		else
			counters[nc++] = &r->rows[i];
	}
	if (rc == 0)
		qsort(counters, nc, sizeof *counters, by_chart);
	for (size_t i = 0, j; rc == 0 && i < nc; i = j) {
		for (j = i; j < nc && same_chart(counters[i], counters[j]); j++)
			;
		rc = add_chart(s, counters + i, j - i, period);
	}
	if (rc == 0)
		rc = add_stacks(s, stacks, ns, period);
	free(counters);
	free(stacks);
	return rc;
}

static const char *member(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Reports per program and per program version: a program listed for two
 * platforms in one report is still one report. */
static int add_programs(struct session *s, const struct report *r, const char *period)
{
	json_t *programs = json_object_get(r->root, "Programs");
	size_t i, j;
	json_t *p;
	json_array_foreach(programs, i, p) {
		int seen_program = 0, seen_version = 0;
		for (j = 0; j < i; j++) {
			json_t *q = json_array_get(programs, j);
			int same = strcmp(member(p, "Program"), member(q, "Program")) == 0;
			seen_program |= same;
			seen_version |= same && strcmp(member(p, "Version"), member(q, "Version")) == 0;
		}
		struct db_stmt *st = s->stmt[ST_PROGRAM];
		bind_text(st, 1, member(p, "Program"), strlen(member(p, "Program")));
		bind_text(st, 2, period, DATE_LEN);
		if (!seen_program && db_run(st) < 0)
			return -1;
		st = s->stmt[ST_VERSION];
		bind_text(st, 1, member(p, "Program"), strlen(member(p, "Program")));
		bind_text(st, 2, period, DATE_LEN);
		bind_text(st, 3, member(p, "Version"), strlen(member(p, "Version")));
		if (!seen_version && db_run(st) < 0)
			return -1;
		const char *human = member(p, "HumanVersion");
		st = s->stmt[ST_NAME];
		bind_text(st, 1, member(p, "Program"), strlen(member(p, "Program")));
		bind_text(st, 2, member(p, "Version"), strlen(member(p, "Version")));
		/* once per version: a statement's rows may go to the database together (db_batch) */
		if (!seen_version && human && *human && (bind_text(st, 3, human, strlen(human)), db_run(st) < 0))
			return -1;
	}
	return 0;
}

/* The reporter mix: one report per week per value of each facet. */
static int add_facets(struct session *s, const struct report *r, const char *period)
{
	struct db_stmt *st = s->stmt[ST_FACET];
	for (int f = 0; f < FACET_N; f++) {
		const char *value = r->facets[f][0] ? r->facets[f] : "unknown";
		bind_text(st, 1, period, DATE_LEN);
		bind_text(st, 2, FACET_NAMES[f], strlen(FACET_NAMES[f]));
		bind_text(st, 3, value, strlen(value));
		if (db_run(st) < 0)
			return -1;
	}
	return 0;
}

static void bind_row(struct db_stmt *st, int64_t id, const struct report *r, const struct report_row *row)
{
	db_bind_int64(st, 1, id);
	bind_text(st, 2, r->week, DATE_LEN);
	bind_text(st, 3, row->program, strlen(row->program));
	bind_text(st, 4, row->version, strlen(row->version));
	bind_text(st, 5, row->counter, row->counter_len);
	db_bind_int64(st, 6, row->count);
	db_bind_int64(st, 7, row->is_stack);
	bind_text(st, 8, row->goarch, strlen(row->goarch));
	bind_text(st, 9, row->goversion, strlen(row->goversion));
}

static int add_rows(struct session *s, int64_t id, const struct report *r)
{
	for (size_t i = 0; i < r->n_rows; i++) {
		bind_row(s->stmt[ST_COUNT], id, r, &r->rows[i]);
		if (db_run(s->stmt[ST_COUNT]) < 0)
			return -1;
	}
	return 0;
}

/* The report row itself; 0 when the same body is already stored. */
static int insert_report(struct session *s, const char *body, size_t len, const struct report *r, const char *period,
			 int64_t *id)
{
	unsigned char hash[SHA256_LEN];
	sha256(body, len, hash);
	const char *config = json_string_value(json_object_get(r->root, "Config"));
	struct db_stmt *st = s->stmt[ST_REPORT];
	db_bind_blob(st, 1, hash, SHA256_LEN);
	bind_text(st, 2, r->week, DATE_LEN);
	bind_text(st, 3, period, DATE_LEN);
	db_bind_double(st, 4, r->x);
	bind_text(st, 5, config, strlen(config));
	db_bind_int64(st, 6, (int64_t)time(NULL));
	db_bind_blob(st, 7, body, len);
	for (int f = 0; f < FACET_N; f++)
		bind_text(st, 8 + f, r->facets[f], strlen(r->facets[f]));
	int rc = db_step(st); /* RETURNING id: no row when the body is already stored */
	*id = rc == DB_ROW ? db_int64(st, 0) : 0;
	if (rc == DB_ROW)
		rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* One attempt, in one transaction. */
static enum store_outcome add_once(struct session *w, const char *body, size_t len, const struct report *r,
				   const char *period)
{
	int64_t id = 0;
	if (db_begin(w->db) < 0)
		return STORE_FAILED;
	enum store_outcome out = STORE_FAILED;
	if (insert_report(w, body, len, r, period, &id) < 0)
		goto rollback;
	if (id == 0) {
		out = STORE_DUPLICATE;
		goto rollback;
	}
	if (db_batch(w->db) < 0 || add_rows(w, id, r) < 0 || add_counters(w, r, period) < 0 || add_programs(w, r, period) < 0 ||
	    add_facets(w, r, period) < 0 || db_commit(w->db) < 0)
		goto rollback;
	return STORE_ADDED;
rollback:
	db_rollback(w->db);
	return out;
}

static struct session *thread_session(struct store *s);

/* Concurrent writers on PostgreSQL may deadlock on the aggregate rows (two
 * reports listing their programs in different orders): the server aborts
 * one transaction, which then runs again. */
#define STORE_ATTEMPTS 20

enum store_outcome store_add(struct store *s, const char *body, size_t len, const struct report *r, char *err,
			     size_t errlen)
{
	char period[DATE_LEN + 1];
	struct text t = TEXT_INIT(period, sizeof period);
	week_put_date(&t, date_period(r->week_days));
	int shared = s->kind == DB_SQLITE;
	struct session *w = shared ? &s->writer : thread_session(s);
	if (!w || prepare_writes(w) < 0) {
		snprintf(err, errlen, "database: %s", w ? db_error(w->db) : "cannot connect");
		return STORE_FAILED;
	}
	if (shared)
		pthread_mutex_lock(&s->write_lock);
	enum store_outcome out = STORE_FAILED;
	for (int i = 0; i < STORE_ATTEMPTS; i++) {
		out = add_once(w, body, len, r, period);
		if (out != STORE_FAILED || !db_error_is_transient(w->db))
			break;
	}
	if (out == STORE_FAILED)
		snprintf(err, errlen, "database: %s", db_error(w->db));
	if (shared)
		pthread_mutex_unlock(&s->write_lock);
	return out;
}

static struct session *thread_session(struct store *s)
{
	struct session *w = pthread_getspecific(s->session_key);
	if (w)
		return w;
	char err[512];
	if (!(w = calloc(1, sizeof *w)) || !(w->db = db_open(s->spec, s->full_sync, err, sizeof err))) {
		free(w);
		return NULL;
	}
	pthread_mutex_lock(&s->sessions_lock);
	struct session **list = realloc(s->sessions, (s->n_sessions + 1) * sizeof *list);
	if (list) {
		s->sessions = list;
		s->sessions[s->n_sessions++] = w;
	}
	pthread_mutex_unlock(&s->sessions_lock);
	if (!list) {
		session_close(w);
		free(w);
		return NULL;
	}
	pthread_setspecific(s->session_key, w);
	return w;
}

struct db *store_reader(struct store *s)
{
	struct session *w = thread_session(s);
	return w ? w->db : NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_sessions; i++) {
		session_close(s->sessions[i]);
		free(s->sessions[i]);
	}
	/* the last connection to close checkpoints SQLite's WAL into the main file */
	session_close(&s->writer);
	pthread_key_delete(s->session_key);
	free(s->sessions);
	free(s->spec);
	free(s);
}
