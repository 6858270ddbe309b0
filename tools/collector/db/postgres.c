/* The scale-out backend: a PostgreSQL database shared by any number of
 * collector processes (libpq). Parameters travel in binary (text as its
 * bytes, numbers in network order), so nothing needs quoting or a
 * terminating NUL; results come back as text. A report's hundreds of
 * rows go in one pipeline (db_batch), and the rows of one statement in one
 * command (bulk.c): a handful of commands and one round trip per report. A connection lost (the server restarted) is reopened at the next
 * transaction, and its statements prepared again. */
#include <endian.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "pg_bulk.h"

/* pg_type OIDs of the parameter types we send */
enum { OID_BYTEA = 17, OID_INT8 = 20, OID_TEXT = 25, OID_FLOAT8 = 701 };

/* Any constant of ours: concurrent collectors upgrading one schema take turns. */
#define SCHEMA_LOCK_KEY 0x74656c656dLL /* "telem" */

struct pg_db {
	struct db base;
	PGconn *conn;
	char error[512];
	char sqlstate[6];
	unsigned next_name;
	int full_sync;
	struct pg_stmt **persistent; /* prepared on the connection, again after a reconnect */
	size_t n_persistent;
	struct pg_stmt **gathering; /* statements with rows gathered for one bulk command */
	size_t n_gathering;
	int pipelining;   /* between db_batch and the transaction's end */
	size_t in_flight; /* commands sent in the pipeline whose results are not read yet */
	int pipeline_failed;
};

struct pg_stmt {
	struct db_stmt base;
	char *sql; /* with $1, $2 */
	int persistent;
	char name[24];
	int n;
	Oid *types;
	const char **values;
	int *lengths, *formats;
	uint64_t *numbers; /* the network-order bytes of numeric parameters */
	PGresult *res;
	int row, rows;
	/* the bulk form (persistent INSERT ... VALUES only): the same statement
	 * for every row of a JSON array, and the rows gathered for it */
	char bulk_name[28];
	int has_bulk;
	json_t *gathered;
};

static struct pg_db *pg_of(struct db *db) { return (struct pg_db *)db; }
static struct pg_stmt *stmt_of(struct db_stmt *st) { return (struct pg_stmt *)st; }

static void quiet(void *arg, const char *message)
{
	(void)arg; /* NOTICEs ("relation already exists, skipping") are not ours to print */
	(void)message;
}

/* libpq's messages end with a newline and may span lines: one line kept. */
static void set_error(struct pg_db *db, const char *message, const char *sqlstate)
{
	snprintf(db->error, sizeof db->error, "%s", message && *message ? message : "unknown PostgreSQL error");
	db->error[strcspn(db->error, "\n")] = 0;
	snprintf(db->sqlstate, sizeof db->sqlstate, "%s", sqlstate ? sqlstate : "");
}

/* 0 when res is a success; else the error noted, res freed. */
static int check(struct pg_db *db, PGresult *res)
{
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	set_error(db, res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn),
		  res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
	PQclear(res);
	return -1;
}

static void pg_close(struct db *d)
{
	PQfinish(pg_of(d)->conn);
	free(pg_of(d)->persistent);
	free(pg_of(d)->gathering);
	free(d);
}

static const char *pg_error(struct db *d) { return pg_of(d)->error; }

/* serialization_failure, deadlock_detected: another writer won; the whole
 * transaction can simply run again. */
static int pg_transient(struct db *d)
{
	const char *s = pg_of(d)->sqlstate;
	return strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0;
}

static int end_pipeline(struct pg_db *db);
static int send_in_pipeline(struct pg_db *db, struct pg_stmt *s);
static int send_gathered(struct pg_db *db);

static int pg_exec(struct db *d, const char *sql)
{
	struct pg_db *db = pg_of(d);
	if (db->pipelining) {
		/* COMMIT goes last in the pipeline; ROLLBACK after it has ended */
		int commit = strcmp(sql, "COMMIT") == 0;
		struct pg_stmt commit_stmt = {.sql = (char *)"COMMIT"};
		if (!commit)
			db->pipeline_failed = 1; /* nothing gathered is sent */
		int failed = send_gathered(db) < 0 || (commit && send_in_pipeline(db, &commit_stmt) < 0);
		if (end_pipeline(db) < 0 || failed)
			return commit ? -1 : pg_exec(d, sql);
		if (commit)
			return 0;
	}
	PGresult *res = PQexec(db->conn, sql);
	if (check(db, res) < 0)
		return -1;
	PQclear(res);
	return 0;
}

static int session_settings(struct pg_db *db, int full_sync)
{
	PQsetNoticeProcessor(db->conn, quiet, NULL);
	/* off: a commit is answered before its WAL is flushed; the collector
	 * dying loses nothing, the server dying loses at most a fraction of a second */
	return pg_exec(&db->base, full_sync ? "SET synchronous_commit = on" : "SET synchronous_commit = off");
}

static int prepare_on_server(struct pg_db *db, struct pg_stmt *s);
static int prepare_bulk(struct pg_db *db, struct pg_stmt *s);

static int pg_begin(struct db *d)
{
	struct pg_db *db = pg_of(d);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		PQreset(db->conn);
		if (PQstatus(db->conn) != CONNECTION_OK) {
			set_error(db, PQerrorMessage(db->conn), NULL);
			return -1;
		}
		if (session_settings(db, db->full_sync) < 0)
			return -1;
		for (size_t i = 0; i < db->n_persistent; i++)
			if (prepare_on_server(db, db->persistent[i]) < 0)
				return -1;
	}
	return pg_exec(d, "BEGIN");
}

static int pg_lock_schema(struct db *d)
{
	char sql[80];
	snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%lld)", SCHEMA_LOCK_KEY);
	return pg_exec(d, sql);
}

/* The first value of a one-row query, as text; NULL on error. */
static PGresult *one_value(struct pg_db *db, const char *sql)
{
	PGresult *res = PQexec(db->conn, sql);
	if (check(db, res) < 0)
		return NULL;
	if (PQntuples(res) != 1) {
		set_error(db, "unexpected result", NULL);
		PQclear(res);
		return NULL;
	}
	return res;
}

static int pg_schema_version(struct db *d, long long *version)
{
	struct pg_db *db = pg_of(d);
	PGresult *res = one_value(db, "SELECT to_regclass('telem_schema') IS NOT NULL");
	if (!res)
		return -1;
	int exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	*version = 0;
	if (!exists)
		return 0;
	if (!(res = one_value(db, "SELECT coalesce(max(version), 0) FROM telem_schema")))
		return -1;
	*version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

static int pg_set_schema_version(struct db *d, long long version)
{
	char sql[200];
	snprintf(sql, sizeof sql,
		 "CREATE TABLE IF NOT EXISTS telem_schema(version BIGINT NOT NULL);"
		 " DELETE FROM telem_schema; INSERT INTO telem_schema VALUES(%lld)",
		 version);
	return pg_exec(d, sql);
}

/* ?N becomes $N, a bare ? the next number (SQLite's rule); quoted text is
 * left alone. n: the highest number used. */
static char *translate(const char *sql, int *n)
{
	size_t len = strlen(sql);
	char *out = malloc(len * 2 + 1), *o = out;
	int quoted = 0, highest = 0;
	if (!out)
		return NULL;
	for (const char *p = sql; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (quoted || *p != '?') {
			*o++ = *p;
			continue;
		}
		int k;
		if (p[1] >= '0' && p[1] <= '9') {
			char *end;
			k = (int)strtol(p + 1, &end, 10);
			p = end - 1;
		} else {
			k = highest + 1;
		}
		if (k > highest)
			highest = k;
		o += sprintf(o, "$%d", k);
	}
	*o = 0;
	*n = highest;
	return out;
}

static struct db_stmt *pg_prepare(struct db *d, const char *sql, int persistent)
{
	struct pg_db *db = pg_of(d);
	struct pg_stmt *s = calloc(1, sizeof *s);
	if (!s || !(s->sql = translate(sql, &s->n))) {
		free(s);
		set_error(db, "out of memory", NULL);
		return NULL;
	}
	s->base.db = d;
	s->persistent = persistent;
	snprintf(s->name, sizeof s->name, "telem%u", db->next_name++);
	size_t n = (size_t)s->n + 1;
	s->types = calloc(n, sizeof *s->types);
	s->values = calloc(n, sizeof *s->values);
	s->lengths = calloc(n, sizeof *s->lengths);
	s->formats = calloc(n, sizeof *s->formats);
	s->numbers = calloc(n, sizeof *s->numbers);
	if (!s->types || !s->values || !s->lengths || !s->formats || !s->numbers) {
		set_error(db, "out of memory", NULL);
		d->ops->finalize(&s->base);
		return NULL;
	}
	d->ops->reset(&s->base);
	if (persistent) {
		struct pg_stmt **list = realloc(db->persistent, (db->n_persistent + 1) * sizeof *list);
		if (!list || prepare_on_server(db, s) < 0) {
			if (list)
				db->persistent = list;
			else
				set_error(db, "out of memory", NULL);
			d->ops->finalize(&s->base);
			return NULL;
		}
		db->persistent = list;
		db->persistent[db->n_persistent++] = s;
	}
	return &s->base;
}

static int pg_param_count(struct db_stmt *st) { return stmt_of(st)->n; }

static void bind(struct pg_stmt *s, int i, Oid type, const void *p, size_t len)
{
	if (i < 1 || i > s->n)
		return;
	s->types[i - 1] = type;
	s->values[i - 1] = p;
	s->lengths[i - 1] = (int)len;
	s->formats[i - 1] = 1;
}

static void pg_bind_text(struct db_stmt *st, int i, const char *p, size_t len)
{
	bind(stmt_of(st), i, OID_TEXT, p ? p : "", len);
}

static void pg_bind_blob(struct db_stmt *st, int i, const void *p, size_t len)
{
	bind(stmt_of(st), i, OID_BYTEA, p, len);
}

static void pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	struct pg_stmt *s = stmt_of(st);
	if (i < 1 || i > s->n)
		return;
	s->numbers[i - 1] = htobe64((uint64_t)v);
	bind(s, i, OID_INT8, &s->numbers[i - 1], 8);
}

static void pg_bind_double(struct db_stmt *st, int i, double v)
{
	struct pg_stmt *s = stmt_of(st);
	if (i < 1 || i > s->n)
		return;
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	s->numbers[i - 1] = htobe64(bits);
	bind(s, i, OID_FLOAT8, &s->numbers[i - 1], 8);
}

static PGresult *execute(struct pg_db *db, struct pg_stmt *s)
{
	if (!s->persistent)
		return PQexecParams(db->conn, s->sql, s->n, s->types, s->values, s->lengths, s->formats, 0);
	return PQexecPrepared(db->conn, s->name, s->n, s->values, s->lengths, s->formats, 0);
}

/* The statement's bulk form (pg_bulk.h), built from the parameter types
 * the server inferred; a statement without one is sent row by row. */
static int prepare_bulk(struct pg_db *db, struct pg_stmt *s)
{
	PGresult *res = PQdescribePrepared(db->conn, s->name);
	if (check(db, res) < 0)
		return -1;
	Oid *types = calloc((size_t)s->n + 1, sizeof *types);
	for (int i = 0; types && i < s->n; i++)
		types[i] = PQparamtype(res, i);
	PQclear(res);
	char *sql = types ? pg_bulk_sql(s->sql, types, s->n) : NULL;
	free(types);
	s->has_bulk = 0;
	if (!sql)
		return 0;
	snprintf(s->bulk_name, sizeof s->bulk_name, "%sb", s->name);
	res = PQprepare(db->conn, s->bulk_name, sql, 1, NULL);
	free(sql);
	if (check(db, res) < 0)
		return -1;
	PQclear(res);
	s->has_bulk = 1;
	return 0;
}

/* Parsed once per connection, the parameter types the server's: a
 * persistent statement's parameters are all column values, whose types the
 * server knows (and the binary values we send are of exactly those types). */
static int prepare_on_server(struct pg_db *db, struct pg_stmt *s)
{
	PGresult *res = PQprepare(db->conn, s->name, s->sql, s->n, NULL);
	if (check(db, res) < 0)
		return -1;
	PQclear(res);
	return prepare_bulk(db, s);
}

/* Reads the results of the commands in flight (each a result, then NULL);
 * the first error is kept (those after it are PGRES_PIPELINE_ABORTED). */
static void read_in_flight(struct pg_db *db)
{
	for (; db->in_flight > 0; db->in_flight--) {
		PGresult *res;
		while ((res = PQgetResult(db->conn))) {
			ExecStatusType st = PQresultStatus(res);
			if (st == PGRES_PIPELINE_ABORTED) {
				db->pipeline_failed = 1;
				PQclear(res);
			} else if (check(db, res) < 0) {
				db->pipeline_failed = 1; /* check noted the error and freed res */
			} else {
				PQclear(res);
			}
		}
		if (PQstatus(db->conn) != CONNECTION_OK) {
			set_error(db, PQerrorMessage(db->conn), NULL);
			db->pipeline_failed = 1;
			db->in_flight = 0;
			return;
		}
	}
}

/* Ends the pipeline: a sync, every result read; 0 when all succeeded. */
static int end_pipeline(struct pg_db *db)
{
	if (!db->pipelining)
		return 0;
	if (PQpipelineSync(db->conn) != 1) {
		set_error(db, PQerrorMessage(db->conn), NULL);
		db->pipeline_failed = 1;
	}
	read_in_flight(db);
	PGresult *res = PQstatus(db->conn) == CONNECTION_OK ? PQgetResult(db->conn) : NULL;
	if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		db->pipeline_failed = 1;
	PQclear(res);
	PQexitPipelineMode(db->conn);
	db->pipelining = 0;
	int failed = db->pipeline_failed;
	db->pipeline_failed = 0;
	return failed ? -1 : 0;
}

/* The server buffers its answers until asked to flush: past this many
 * commands in flight, they are read, so that neither side's socket buffer
 * fills while the other waits (a report of thousands of rows). */
#define PIPELINE_WINDOW 256

static int send_in_pipeline(struct pg_db *db, struct pg_stmt *s)
{
	int sent = s->persistent ? PQsendQueryPrepared(db->conn, s->name, s->n, s->values, s->lengths, s->formats, 0)
				 : PQsendQueryParams(db->conn, s->sql, s->n, s->types, s->values, s->lengths, s->formats, 0);
	if (sent != 1) {
		set_error(db, PQerrorMessage(db->conn), NULL);
		db->pipeline_failed = 1;
		return -1;
	}
	if (++db->in_flight >= PIPELINE_WINDOW) {
		if (PQsendFlushRequest(db->conn) != 1 || PQflush(db->conn) != 0) {
			set_error(db, PQerrorMessage(db->conn), NULL);
			db->pipeline_failed = 1;
			return -1;
		}
		read_in_flight(db);
	}
	return db->pipeline_failed ? -1 : 0;
}

static int pg_batch(struct db *d)
{
	struct pg_db *db = pg_of(d);
	if (db->pipelining)
		return 0;
	if (PQenterPipelineMode(db->conn) != 1) {
		set_error(db, PQerrorMessage(db->conn), NULL);
		return -1;
	}
	db->pipelining = 1;
	db->in_flight = 0;
	db->pipeline_failed = 0;
	return 0;
}

static void pg_reset(struct db_stmt *st);

/* The bound parameters as one JSON row; NULL when one cannot be (text
 * that is not UTF-8, a blob). */
static json_t *row_of(struct pg_stmt *s)
{
	json_t *row = json_array();
	for (int i = 0; row && i < s->n; i++) {
		json_t *v = NULL;
		uint64_t bits;
		double d;
		if (!s->values[i]) {
			v = json_null();
		} else if (s->types[i] == OID_TEXT) {
			v = json_stringn(s->values[i], (size_t)s->lengths[i]);
		} else if (s->types[i] == OID_INT8 || s->types[i] == OID_FLOAT8) {
			memcpy(&bits, s->values[i], 8);
			bits = be64toh(bits);
			memcpy(&d, &bits, 8);
			v = s->types[i] == OID_INT8 ? json_integer((json_int_t)bits) : json_real(d);
		}
		if (!v || json_array_append_new(row, v) < 0) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

/* Keeps the row for the statement's bulk command; 0 when kept. */
static int gather(struct pg_db *db, struct pg_stmt *s)
{
	json_t *row = s->has_bulk ? row_of(s) : NULL;
	if (!row)
		return -1;
	if (!s->gathered) {
		struct pg_stmt **list = realloc(db->gathering, (db->n_gathering + 1) * sizeof *list);
		if (!list || !(s->gathered = json_array())) {
			if (list)
				db->gathering = list;
			json_decref(row);
			return -1;
		}
		db->gathering = list;
		db->gathering[db->n_gathering++] = s;
	}
	return json_array_append_new(s->gathered, row);
}

/* Each statement's gathered rows as one command, into the pipeline. */
static int send_gathered(struct pg_db *db)
{
	int rc = db->pipeline_failed ? -1 : 0;
	for (size_t i = 0; i < db->n_gathering; i++) {
		struct pg_stmt *s = db->gathering[i];
		char *rows = rc == 0 ? json_dumps(s->gathered, JSON_COMPACT) : NULL;
		const char *values[1] = {rows};
		if (rc == 0 && (!rows || PQsendQueryPrepared(db->conn, s->bulk_name, 1, values, NULL, NULL, 0) != 1)) {
			set_error(db, rows ? PQerrorMessage(db->conn) : "out of memory", NULL);
			db->pipeline_failed = 1;
			rc = -1;
		} else if (rc == 0) {
			db->in_flight++;
		}
		free(rows);
		json_decref(s->gathered);
		s->gathered = NULL;
	}
	db->n_gathering = 0;
	return rc;
}

/* In a pipeline: gathered into its statement's bulk command, or sent;
 * the result read later (at the latest at COMMIT). */
static int pg_run(struct db_stmt *st)
{
	struct pg_db *db = pg_of(st->db);
	if (!db->pipelining)
		return db_run_stepping(st);
	int rc = gather(db, stmt_of(st)) == 0 ? 0 : send_in_pipeline(db, stmt_of(st));
	pg_reset(st);
	return rc;
}

static int pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = stmt_of(st);
	struct pg_db *db = pg_of(st->db);
	if (!s->res) {
		PGresult *res = execute(db, s);
		if (!res || check(db, res) < 0)
			return DB_ERROR;
		s->res = res;
		s->row = -1;
		s->rows = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	}
	if (s->row + 1 >= s->rows) {
		s->row = s->rows;
		return DB_DONE;
	}
	s->row++;
	return DB_ROW;
}

static const char *pg_text(struct db_stmt *st, int i)
{
	struct pg_stmt *s = stmt_of(st);
	return PQgetisnull(s->res, s->row, i) ? NULL : PQgetvalue(s->res, s->row, i);
}

static size_t pg_bytes(struct db_stmt *st, int i)
{
	struct pg_stmt *s = stmt_of(st);
	return (size_t)PQgetlength(s->res, s->row, i);
}

/* An aggregate over BIGINT is NUMERIC in PostgreSQL: one beyond 2^63-1
 * saturates, as counts do (saturate.h). */
static int64_t pg_integer(struct db_stmt *st, int i)
{
	const char *v = pg_text(st, i);
	return v ? strtoll(v, NULL, 10) : 0;
}

static double pg_double(struct db_stmt *st, int i)
{
	const char *v = pg_text(st, i);
	return v ? strtod(v, NULL) : 0;
}

static void pg_reset(struct db_stmt *st)
{
	struct pg_stmt *s = stmt_of(st);
	PQclear(s->res);
	s->res = NULL;
	for (int i = 0; i < s->n; i++) {
		s->types[i] = OID_TEXT; /* an unbound parameter: NULL text (the only kind we leave NULL) */
		s->values[i] = NULL;
		s->lengths[i] = 0;
		s->formats[i] = 0;
	}
}

static void pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *s = stmt_of(st);
	struct pg_db *db = pg_of(st->db);
	PQclear(s->res);
	json_decref(s->gathered);
	for (size_t i = 0; i < db->n_persistent; i++)
		if (db->persistent[i] == s)
			db->persistent[i] = db->persistent[--db->n_persistent];
	/* a persistent statement lives as long as the connection: db_close ends both */
	free(s->sql);
	free(s->types);
	free(s->values);
	free(s->lengths);
	free(s->formats);
	free(s->numbers);
	free(s);
}

static const struct db_ops POSTGRES_OPS = {
	.kind = DB_POSTGRES,
	.close = pg_close,
	.error = pg_error,
	.error_is_transient = pg_transient,
	.exec = pg_exec,
	.begin = pg_begin,
	.lock_schema = pg_lock_schema,
	.schema_version = pg_schema_version,
	.set_schema_version = pg_set_schema_version,
	.prepare = pg_prepare,
	.param_count = pg_param_count,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_int64 = pg_bind_int64,
	.bind_double = pg_bind_double,
	.step = pg_step,
	.run = pg_run,
	.batch = pg_batch,
	.text = pg_text,
	.bytes = pg_bytes,
	.int64 = pg_integer,
	.dbl = pg_double,
	.reset = pg_reset,
	.finalize = pg_finalize,
};

struct db *db_postgres_open(const char *url, int full_sync, char *err, size_t errlen)
{
	struct pg_db *db = calloc(1, sizeof *db);
	char shown[256];
	db_spec_shown(url, shown, sizeof shown);
	if (!db) {
		snprintf(err, errlen, "%s: out of memory", shown);
		return NULL;
	}
	db->base.ops = &POSTGRES_OPS;
	db->full_sync = full_sync;
	db->conn = PQconnectdb(url);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		set_error(db, PQerrorMessage(db->conn), NULL);
		snprintf(err, errlen, "%s: cannot connect to the database: %s", shown, db->error);
		pg_close(&db->base);
		return NULL;
	}
	if (session_settings(db, full_sync) < 0) {
		snprintf(err, errlen, "%s: %s", shown, db->error);
		pg_close(&db->base);
		return NULL;
	}
	return &db->base;
}
