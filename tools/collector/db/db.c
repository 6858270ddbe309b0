#include "db.h"

#include <stdio.h>
#include <string.h>

#include "backend.h"

int db_spec_is_postgres(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0;
}

void db_spec_shown(const char *spec, char *out, size_t len)
{
	const char *scheme = strstr(spec, "://"), *at = NULL, *colon = NULL;
	if (db_spec_is_postgres(spec) && scheme) {
		const char *auth = scheme + 3, *end = auth + strcspn(auth, "/?#");
		for (const char *p = auth; p < end; p++)
			if (*p == '@')
				at = p;
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	}
	if (colon)
		snprintf(out, len, "%.*s:***%s", (int)(colon - spec), spec, at);
	else
		snprintf(out, len, "%s", spec);
}

struct db *db_open(const char *spec, int full_sync, char *err, size_t errlen)
{
	if (db_spec_is_postgres(spec))
		return db_postgres_open(spec, full_sync, err, errlen);
	return db_sqlite_open(spec, full_sync, err, errlen);
}

void db_close(struct db *db)
{
	if (db)
		db->ops->close(db);
}

enum db_kind db_kind(const struct db *db) { return db->ops->kind; }
const char *db_error(struct db *db) { return db->ops->error(db); }
int db_error_is_transient(struct db *db) { return db->ops->error_is_transient(db); }
int db_exec(struct db *db, const char *sql) { return db->ops->exec(db, sql); }
int db_begin(struct db *db) { return db->ops->begin(db); }
int db_commit(struct db *db) { return db->ops->exec(db, "COMMIT"); }
void db_rollback(struct db *db) { db->ops->exec(db, "ROLLBACK"); }
int db_lock_schema(struct db *db) { return db->ops->lock_schema(db); }
int db_schema_version(struct db *db, long long *version) { return db->ops->schema_version(db, version); }
int db_set_schema_version(struct db *db, long long version) { return db->ops->set_schema_version(db, version); }

struct db_stmt *db_prepare(struct db *db, const char *sql, int persistent)
{
	return db->ops->prepare(db, sql, persistent);
}

int db_param_count(struct db_stmt *st) { return st->db->ops->param_count(st); }
void db_bind_text(struct db_stmt *st, int i, const char *s, size_t len) { st->db->ops->bind_text(st, i, s, len); }
void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t len) { st->db->ops->bind_blob(st, i, p, len); }
void db_bind_int64(struct db_stmt *st, int i, int64_t v) { st->db->ops->bind_int64(st, i, v); }
void db_bind_double(struct db_stmt *st, int i, double v) { st->db->ops->bind_double(st, i, v); }
int db_step(struct db_stmt *st) { return st->db->ops->step(st); }
const char *db_text(struct db_stmt *st, int i) { return st->db->ops->text(st, i); }
size_t db_bytes(struct db_stmt *st, int i) { return st->db->ops->bytes(st, i); }
int64_t db_int64(struct db_stmt *st, int i) { return st->db->ops->int64(st, i); }
double db_double(struct db_stmt *st, int i) { return st->db->ops->dbl(st, i); }
void db_reset(struct db_stmt *st) { st->db->ops->reset(st); }

void db_finalize(struct db_stmt *st)
{
	if (st)
		st->db->ops->finalize(st);
}

int db_run(struct db_stmt *st)
{
	if (st->db->ops->run)
		return st->db->ops->run(st);
	return db_run_stepping(st);
}

int db_batch(struct db *db)
{
	return db->ops->batch ? db->ops->batch(db) : 0;
}

int db_run_stepping(struct db_stmt *st)
{
	int rc = db_step(st);
	while (rc == DB_ROW)
		rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}
