/* What each backend (sqlite.c, postgres.c) provides behind db.h: its
 * connection and statement structs start with these, and db.c forwards
 * every call through the table. */
#ifndef COLLECTOR_DB_BACKEND_H
#define COLLECTOR_DB_BACKEND_H

#include "db.h"

struct db_ops {
	enum db_kind kind;
	void (*close)(struct db *db);
	const char *(*error)(struct db *db);
	int (*error_is_transient)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*begin)(struct db *db);
	int (*lock_schema)(struct db *db);
	int (*schema_version)(struct db *db, long long *version);
	int (*set_schema_version)(struct db *db, long long version);
	struct db_stmt *(*prepare)(struct db *db, const char *sql, int persistent);
	int (*param_count)(struct db_stmt *st);
	void (*bind_text)(struct db_stmt *st, int i, const char *s, size_t len);
	void (*bind_blob)(struct db_stmt *st, int i, const void *p, size_t len);
	void (*bind_int64)(struct db_stmt *st, int i, int64_t v);
	void (*bind_double)(struct db_stmt *st, int i, double v);
	int (*step)(struct db_stmt *st);
	int (*run)(struct db_stmt *st);   /* NULL: step to the end, reset */
	int (*batch)(struct db *db);      /* NULL: nothing to do */
	const char *(*text)(struct db_stmt *st, int i);
	size_t (*bytes)(struct db_stmt *st, int i);
	int64_t (*int64)(struct db_stmt *st, int i);
	double (*dbl)(struct db_stmt *st, int i);
	void (*reset)(struct db_stmt *st);
	void (*finalize)(struct db_stmt *st);
};

struct db {
	const struct db_ops *ops;
};

struct db_stmt {
	struct db *db;
};

/* db_run by stepping: for the backends' own run. */
int db_run_stepping(struct db_stmt *st);

struct db *db_sqlite_open(const char *path, int full_sync, char *err, size_t errlen);
struct db *db_postgres_open(const char *url, int full_sync, char *err, size_t errlen);

#endif
