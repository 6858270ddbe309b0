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
		      " ON CONFLICT(hash) DO NOTHING",
	[ST_COUNT] = "INSERT INTO counts(report, week, program, version, counter, count, is_stack, goarch, goversion)"
		     " VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_COUNTER] = "INSERT INTO week_counter(program, counter, period, chart, total, reports, share)"
		       " VALUES(?,?,?,?,?,?,?) ON CONFLICT(program, counter, period) DO UPDATE SET"
		       " total = " SQL_SAT_ADD("total", "excluded.total") ", reports = reports + excluded.reports,"
		       " share = share + excluded.share",
	[ST_CHART] = "INSERT INTO week_chart(program, chart, period, reports) VALUES(?,?,?,1)"
		     " ON CONFLICT(program, chart, period) DO UPDATE SET reports = reports + 1",
	[ST_PROGRAM] = "INSERT INTO week_program(program, period, reports) VALUES(?,?,1)"
		       " ON CONFLICT(program, period) DO UPDATE SET reports = reports + 1",
	[ST_VERSION] = "INSERT INTO week_version(program, period, version, reports) VALUES(?,?,?,1)"
		       " ON CONFLICT(program, period, version) DO UPDATE SET reports = reports + 1",
	[ST_STACK] = "INSERT INTO stacks(stack, program, version, total, reports, first_period, last_period)"
		     " VALUES(?,?,?,?,1,?,?) ON CONFLICT(stack, program, version) DO UPDATE SET"
		     " total = " SQL_SAT_ADD("total", "excluded.total") ", reports = reports + 1,"
		     " first_period = min(first_period, excluded.first_period),"
		     " last_period = max(last_period, excluded.last_period)",
	[ST_NAME] = "INSERT INTO version_names(program, version, human) VALUES(?,?,?)"
		    " ON CONFLICT(program, version) DO UPDATE SET human = excluded.human",
	[ST_FACET] = "INSERT INTO week_facet(period, facet, value, reports) VALUES(?,?,?,1)"
		     " ON CONFLICT(period, facet, value) DO UPDATE SET reports = reports + 1",
};

struct store {
	char *path;
	sqlite3 *writer;
	sqlite3_stmt *stmt[ST_N];
	pthread_mutex_t write_lock; /* one writer at a time: no SQLITE_BUSY among our own threads */
	pthread_key_t reader_key;
	pthread_mutex_t readers_lock;
	sqlite3 **readers;
	size_t n_readers;
};

static int open_db(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open the database: %s", path,
			 *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, 10000); /* other processes (sqlite3, backups) may hold locks briefly */
	return 0;
}

static int exec(sqlite3 *db, const char *sql, const char *path, char *err, size_t errlen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
	return -1;
}

static int pragma_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* WAL, the schema, and a first write: an unwritable file or directory, or a
 * file that is not a database, is found now and not at the first upload. */
static int init_writer(struct store *s, int full_sync, char *err, size_t errlen)
{
	sqlite3 *db = s->writer;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
		return snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(db)), -1;
	int step = sqlite3_step(st);
	int wal = step == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	if (!wal)
		snprintf(err, errlen, "%s: cannot use WAL mode: %s", s->path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (!wal)
		return -1;
	if (exec(db, full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", s->path, err, errlen) < 0)
		return -1;
	/* the aggregate tables' pages are touched by every upload: keep them in memory */
	if (exec(db, "PRAGMA cache_size=-65536", s->path, err, errlen) < 0)
		return -1;
	long long version = 0;
	if (pragma_int(db, "PRAGMA user_version", &version) < 0)
		return snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(db)), -1;
	if (version > SCHEMA_VERSION)
		return snprintf(err, errlen, "%s: made by a newer telem-collector (schema %lld)", s->path, version), -1;
	if (exec(db, "BEGIN IMMEDIATE", s->path, err, errlen) < 0)
		return -1;
	/* read again under the lock: another collector may have upgraded meanwhile */
	int rc = pragma_int(db, "PRAGMA user_version", &version);
	for (long long v = version; rc == 0 && v < SCHEMA_VERSION; v++)
		rc = exec(db, SCHEMA_STEPS[v], s->path, err, errlen);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d", SCHEMA_VERSION);
	if (rc < 0 || exec(db, sql, s->path, err, errlen) < 0 || exec(db, "COMMIT", s->path, err, errlen) < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	for (int i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v3(db, WRITE_SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL) != SQLITE_OK)
			return snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(db)), -1;
	return 0;
}

struct store *store_open(const char *path, int full_sync, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof *s);
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	pthread_mutex_init(&s->write_lock, NULL);
	pthread_mutex_init(&s->readers_lock, NULL);
	pthread_key_create(&s->reader_key, NULL);
	if (open_db(path, &s->writer, err, errlen) < 0 || init_writer(s, full_sync, err, errlen) < 0) {
		store_close(s);
		return NULL;
	}
	return s;
}

/* Runs a bound statement that returns no rows, and resets it. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s, size_t len)
{
	sqlite3_bind_text(st, i, s, (int)len, SQLITE_STATIC);
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
static int add_chart(struct store *s, const struct report_row **rows, size_t n, const char *period)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)rows[i]->count;
	sqlite3_stmt *st = s->stmt[ST_COUNTER];
	for (size_t i = 0, j; i < n; i = j) {
		int64_t total = 0;
		for (j = i; j < n && same_counter(rows[i], rows[j]); j++)
			total = sat_add(total, rows[j]->count);
		bind_text(st, 1, rows[i]->program, strlen(rows[i]->program));
		bind_text(st, 2, rows[i]->counter, rows[i]->counter_len);
		bind_text(st, 3, period, DATE_LEN);
		bind_text(st, 4, rows[i]->counter, chart_len(rows[i]));
		sqlite3_bind_int64(st, 5, total);
		sqlite3_bind_int(st, 6, total > 0);
		sqlite3_bind_double(st, 7, sum > 0 ? (double)total / sum : 0);
		if (run(st) < 0)
			return -1;
	}
	st = s->stmt[ST_CHART];
	bind_text(st, 1, rows[0]->program, strlen(rows[0]->program));
	bind_text(st, 2, rows[0]->counter, chart_len(rows[0]));
	bind_text(st, 3, period, DATE_LEN);
	return run(st);
}

static int add_stacks(struct store *s, const struct report_row **rows, size_t n, const char *period)
{
	sqlite3_stmt *st = s->stmt[ST_STACK];
	qsort(rows, n, sizeof *rows, by_stack);
	for (size_t i = 0, j; i < n; i = j) {
		int64_t total = 0;
		for (j = i; j < n && by_stack(&rows[i], &rows[j]) == 0; j++)
			total = sat_add(total, rows[j]->count);
		bind_text(st, 1, rows[i]->counter, rows[i]->counter_len);
		bind_text(st, 2, rows[i]->program, strlen(rows[i]->program));
		bind_text(st, 3, rows[i]->version, strlen(rows[i]->version));
		sqlite3_bind_int64(st, 4, total);
		bind_text(st, 5, period, DATE_LEN);
		bind_text(st, 6, period, DATE_LEN);
		if (run(st) < 0)
			return -1;
	}
	return 0;
}

static int add_counters(struct store *s, const struct report *r, const char *period)
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
static int add_programs(struct store *s, const struct report *r, const char *period)
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
		sqlite3_stmt *st = s->stmt[ST_PROGRAM];
		bind_text(st, 1, member(p, "Program"), strlen(member(p, "Program")));
		bind_text(st, 2, period, DATE_LEN);
		if (!seen_program && run(st) < 0)
			return -1;
		st = s->stmt[ST_VERSION];
		bind_text(st, 1, member(p, "Program"), strlen(member(p, "Program")));
		bind_text(st, 2, period, DATE_LEN);
		bind_text(st, 3, member(p, "Version"), strlen(member(p, "Version")));
		if (!seen_version && run(st) < 0)
			return -1;
		const char *human = member(p, "HumanVersion");
		st = s->stmt[ST_NAME];
		bind_text(st, 1, member(p, "Program"), strlen(member(p, "Program")));
		bind_text(st, 2, member(p, "Version"), strlen(member(p, "Version")));
		if (human && *human && (bind_text(st, 3, human, strlen(human)), run(st) < 0))
			return -1;
	}
	return 0;
}

/* The reporter mix: one report per week per value of each facet. */
static int add_facets(struct store *s, const struct report *r, const char *period)
{
	sqlite3_stmt *st = s->stmt[ST_FACET];
	for (int f = 0; f < FACET_N; f++) {
		const char *value = r->facets[f][0] ? r->facets[f] : "unknown";
		bind_text(st, 1, period, DATE_LEN);
		bind_text(st, 2, FACET_NAMES[f], strlen(FACET_NAMES[f]));
		bind_text(st, 3, value, strlen(value));
		if (run(st) < 0)
			return -1;
	}
	return 0;
}

static void bind_row(sqlite3_stmt *st, sqlite3_int64 id, const struct report *r, const struct report_row *row)
{
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, r->week, DATE_LEN);
	bind_text(st, 3, row->program, strlen(row->program));
	bind_text(st, 4, row->version, strlen(row->version));
	bind_text(st, 5, row->counter, row->counter_len);
	sqlite3_bind_int64(st, 6, row->count);
	sqlite3_bind_int(st, 7, row->is_stack);
	bind_text(st, 8, row->goarch, strlen(row->goarch));
	bind_text(st, 9, row->goversion, strlen(row->goversion));
}

static int add_rows(struct store *s, sqlite3_int64 id, const struct report *r)
{
	for (size_t i = 0; i < r->n_rows; i++) {
		bind_row(s->stmt[ST_COUNT], id, r, &r->rows[i]);
		if (run(s->stmt[ST_COUNT]) < 0)
			return -1;
	}
	return 0;
}

/* The report row itself; 0 when the same body is already stored. */
static int insert_report(struct store *s, const char *body, size_t len, const struct report *r, const char *period,
			 sqlite3_int64 *id)
{
	unsigned char hash[SHA256_LEN];
	sha256(body, len, hash);
	const char *config = json_string_value(json_object_get(r->root, "Config"));
	sqlite3_stmt *st = s->stmt[ST_REPORT];
	sqlite3_bind_blob(st, 1, hash, SHA256_LEN, SQLITE_STATIC);
	bind_text(st, 2, r->week, DATE_LEN);
	bind_text(st, 3, period, DATE_LEN);
	sqlite3_bind_double(st, 4, r->x);
	bind_text(st, 5, config, strlen(config));
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	sqlite3_bind_blob(st, 7, body, (int)len, SQLITE_STATIC);
	for (int f = 0; f < FACET_N; f++)
		bind_text(st, 8 + f, r->facets[f], strlen(r->facets[f]));
	if (run(st) < 0)
		return -1;
	*id = sqlite3_changes(s->writer) ? sqlite3_last_insert_rowid(s->writer) : 0;
	return 0;
}

enum store_outcome store_add(struct store *s, const char *body, size_t len, const struct report *r, char *err,
			     size_t errlen)
{
	char period[DATE_LEN + 1];
	struct text t = TEXT_INIT(period, sizeof period);
	week_put_date(&t, date_period(r->week_days));
	enum store_outcome out = STORE_FAILED;
	sqlite3_int64 id = 0;
	pthread_mutex_lock(&s->write_lock);
	if (sqlite3_exec(s->writer, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto failed;
	if (insert_report(s, body, len, r, period, &id) < 0)
		goto rollback;
	if (id == 0) {
		out = STORE_DUPLICATE;
		goto rollback;
	}
	if (add_rows(s, id, r) < 0 || add_counters(s, r, period) < 0 || add_programs(s, r, period) < 0 ||
	    add_facets(s, r, period) < 0)
		goto rollback;
	if (sqlite3_exec(s->writer, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	pthread_mutex_unlock(&s->write_lock);
	return STORE_ADDED;
rollback:
	if (out == STORE_FAILED)
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->writer));
	sqlite3_exec(s->writer, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->write_lock);
	return out;
failed:
	snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->writer));
	pthread_mutex_unlock(&s->write_lock);
	return out;
}

sqlite3 *store_reader(struct store *s)
{
	sqlite3 *db = pthread_getspecific(s->reader_key);
	if (db)
		return db;
	char err[256];
	if (open_db(s->path, &db, err, sizeof err) < 0)
		return NULL;
	pthread_mutex_lock(&s->readers_lock);
	sqlite3 **list = realloc(s->readers, (s->n_readers + 1) * sizeof *list);
	if (list) {
		s->readers = list;
		s->readers[s->n_readers++] = db;
	}
	pthread_mutex_unlock(&s->readers_lock);
	if (!list) {
		sqlite3_close(db);
		return NULL;
	}
	pthread_setspecific(s->reader_key, db);
	return db;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_readers; i++)
		sqlite3_close(s->readers[i]);
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(s->stmt[i]);
	/* the last connection to close checkpoints the WAL into the main file */
	sqlite3_close(s->writer);
	pthread_key_delete(s->reader_key);
	free(s->readers);
	free(s->path);
	free(s);
}
