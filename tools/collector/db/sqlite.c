/* The embedded backend: one SQLite file in WAL mode, so the dashboard's
 * readers never wait for the writer. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

struct sqlite_db {
	struct db base;
	sqlite3 *conn;
	int wal;            /* the file is in WAL mode (set at the first write) */
	const char *error;  /* ours, when the failure is not SQLite's */
};

struct sqlite_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
};

static sqlite3 *conn_of(struct db *db) { return ((struct sqlite_db *)db)->conn; }
static sqlite3_stmt *st_of(struct db_stmt *st) { return ((struct sqlite_stmt *)st)->st; }

static void sq_close(struct db *db)
{
	sqlite3_close(conn_of(db));
	free(db);
}

static const char *sq_error(struct db *db)
{
	struct sqlite_db *s = (struct sqlite_db *)db;
	return s->error ? s->error : sqlite3_errmsg(s->conn);
}

static int sq_transient(struct db *db)
{
	int rc = sqlite3_errcode(conn_of(db));
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

static int sq_exec(struct db *db, const char *sql)
{
	((struct sqlite_db *)db)->error = NULL;
	return sqlite3_exec(conn_of(db), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* WAL (readers never block the writer; it stays with the file), switched
 * on at the first write rather than at open: a database the collector
 * refuses (a newer schema) is left exactly as it was. */
static int use_wal(struct sqlite_db *db)
{
	sqlite3_stmt *st;
	if (db->wal)
		return 0;
	if (sqlite3_prepare_v2(db->conn, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int step = sqlite3_step(st);
	db->wal = step == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!db->wal && step == SQLITE_ROW)
		db->error = "cannot use WAL mode";
	return db->wal ? 0 : -1;
}

/* IMMEDIATE: the write lock now, not at the first write (which could then
 * fail with SQLITE_BUSY halfway through a report). */
static int sq_begin(struct db *db)
{
	if (use_wal((struct sqlite_db *)db) < 0)
		return -1;
	return sq_exec(db, "BEGIN IMMEDIATE");
}

static int sq_lock_schema(struct db *db)
{
	(void)db; /* BEGIN IMMEDIATE already keeps other writers out */
	return 0;
}

static int pragma_int(sqlite3 *conn, const char *sql, long long *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int sq_schema_version(struct db *db, long long *version)
{
	return pragma_int(conn_of(db), "PRAGMA user_version", version);
}

static int sq_set_schema_version(struct db *db, long long version)
{
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%lld", version);
	return sq_exec(db, sql);
}

static struct db_stmt *sq_prepare(struct db *db, const char *sql, int persistent)
{
	struct sqlite_stmt *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->base.db = db;
	if (sqlite3_prepare_v3(conn_of(db), sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &s->st, NULL) !=
	    SQLITE_OK) {
		free(s);
		return NULL;
	}
	return &s->base;
}

static int sq_param_count(struct db_stmt *st) { return sqlite3_bind_parameter_count(st_of(st)); }

static void sq_bind_text(struct db_stmt *st, int i, const char *s, size_t len)
{
	sqlite3_bind_text(st_of(st), i, s, (int)len, SQLITE_STATIC);
}

static void sq_bind_blob(struct db_stmt *st, int i, const void *p, size_t len)
{
	sqlite3_bind_blob(st_of(st), i, p, (int)len, SQLITE_STATIC);
}

static void sq_bind_int64(struct db_stmt *st, int i, int64_t v) { sqlite3_bind_int64(st_of(st), i, v); }
static void sq_bind_double(struct db_stmt *st, int i, double v) { sqlite3_bind_double(st_of(st), i, v); }

static int sq_step(struct db_stmt *st)
{
	int rc = sqlite3_step(st_of(st));
	return rc == SQLITE_ROW ? DB_ROW : rc == SQLITE_DONE ? DB_DONE : DB_ERROR;
}

static const char *sq_text(struct db_stmt *st, int i) { return (const char *)sqlite3_column_text(st_of(st), i); }
static size_t sq_bytes(struct db_stmt *st, int i) { return (size_t)sqlite3_column_bytes(st_of(st), i); }
static int64_t sq_int64(struct db_stmt *st, int i) { return sqlite3_column_int64(st_of(st), i); }
static double sq_double(struct db_stmt *st, int i) { return sqlite3_column_double(st_of(st), i); }

static void sq_reset(struct db_stmt *st)
{
	sqlite3_reset(st_of(st));
	sqlite3_clear_bindings(st_of(st));
}

static void sq_finalize(struct db_stmt *st)
{
	sqlite3_finalize(st_of(st));
	free(st);
}

static const struct db_ops SQLITE_OPS = {
	.kind = DB_SQLITE,
	.close = sq_close,
	.error = sq_error,
	.error_is_transient = sq_transient,
	.exec = sq_exec,
	.begin = sq_begin,
	.lock_schema = sq_lock_schema,
	.schema_version = sq_schema_version,
	.set_schema_version = sq_set_schema_version,
	.prepare = sq_prepare,
	.param_count = sq_param_count,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_int64 = sq_bind_int64,
	.bind_double = sq_bind_double,
	.step = sq_step,
	.text = sq_text,
	.bytes = sq_bytes,
	.int64 = sq_int64,
	.dbl = sq_double,
	.reset = sq_reset,
	.finalize = sq_finalize,
};

/* The durability asked for, and the aggregate tables' pages, touched by
 * every upload, kept in memory (settings of the connection, not the file). */
static int configure(sqlite3 *conn, int full_sync, const char *path, char *err, size_t errlen)
{
	sqlite3_busy_timeout(conn, 10000); /* other processes (sqlite3, backups) may hold locks briefly */
	const char *sync = full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
	if (sqlite3_exec(conn, sync, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(conn, "PRAGMA cache_size=-65536", NULL, NULL, NULL) != SQLITE_OK)
		return snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(conn)), -1;
	return 0;
}

struct db *db_sqlite_open(const char *path, int full_sync, char *err, size_t errlen)
{
	struct sqlite_db *db = calloc(1, sizeof *db);
	if (!db) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	db->base.ops = &SQLITE_OPS;
	int rc = sqlite3_open_v2(path, &db->conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open the database: %s", path,
			 db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
		sq_close(&db->base);
		return NULL;
	}
	if (configure(db->conn, full_sync, path, err, errlen) < 0) {
		sq_close(&db->base);
		return NULL;
	}
	return &db->base;
}
