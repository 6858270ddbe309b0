/* One database connection, SQLite or PostgreSQL, behind the few calls the
 * collector makes: prepared statements with numbered parameters (?1, ?2 or
 * bare ?; written the SQLite way and rewritten to $1, $2 for PostgreSQL),
 * rows stepped one at a time, columns read as text or numbers. The SQL the
 * collector writes is the part both dialects share; what differs (types,
 * schema versioning, locking, durability) is each backend's own. */
#ifndef COLLECTOR_DB_H
#define COLLECTOR_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

enum db_kind { DB_SQLITE, DB_POSTGRES };

enum db_step { DB_ERROR = -1, DB_DONE = 0, DB_ROW = 1 };

/* A postgresql:// (or postgres://) URL names a PostgreSQL database; anything
 * else is a SQLite file. */
int db_spec_is_postgres(const char *spec);
/* The spec as it may be shown in a message or a log: a URL's password
 * replaced by "***". */
void db_spec_shown(const char *spec, char *out, size_t len);

/* Opens (SQLite: creating the file when missing). full_sync: every commit
 * reaches the disk before it is answered (SQLite synchronous=FULL,
 * PostgreSQL synchronous_commit=on); else a commit survives the collector's
 * death but not the machine's (synchronous=NORMAL in WAL mode,
 * synchronous_commit=off). NULL and err filled on failure. */
struct db *db_open(const char *spec, int full_sync, char *err, size_t errlen);
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);
/* The last error on this connection, for a message. */
const char *db_error(struct db *db);
/* The last error was one worth retrying the whole transaction for (a
 * deadlock or serialization failure between concurrent writers). */
int db_error_is_transient(struct db *db);

/* Runs SQL that returns nothing (several statements allowed). */
int db_exec(struct db *db, const char *sql);
/* BEGIN that takes the write lock at once (SQLite IMMEDIATE). */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* The schema version the database records (0: none yet), read and set in
 * the current transaction; db_lock_schema makes concurrent upgraders take
 * turns until the transaction ends. */
int db_lock_schema(struct db *db);
int db_schema_version(struct db *db, long long *version);
int db_set_schema_version(struct db *db, long long version);

/* persistent: kept for the life of the connection and run often. */
struct db_stmt *db_prepare(struct db *db, const char *sql, int persistent);
/* The highest parameter number the statement uses. */
int db_param_count(struct db_stmt *st);
/* Parameters are numbered from 1; one not bound is NULL. The bytes given
 * must stay valid until the statement is stepped. */
void db_bind_text(struct db_stmt *st, int i, const char *s, size_t len);
void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t len);
void db_bind_int64(struct db_stmt *st, int i, int64_t v);
void db_bind_double(struct db_stmt *st, int i, double v);
int db_step(struct db_stmt *st);
/* Runs a statement that returns no rows (or whose rows are not read) and
 * resets it: 0 or -1. */
int db_run(struct db_stmt *st);
/* Inside a transaction: from here to its end, db_run may send statements
 * without waiting for their answers (PostgreSQL's pipeline mode), and an
 * error shows at the latest in db_commit. */
int db_batch(struct db *db);
/* Columns of the current row, numbered from 0. db_text is NULL for NULL. */
const char *db_text(struct db_stmt *st, int i);
size_t db_bytes(struct db_stmt *st, int i);
int64_t db_int64(struct db_stmt *st, int i);
double db_double(struct db_stmt *st, int i);
/* Back to before the first step, parameters unbound. */
void db_reset(struct db_stmt *st);
void db_finalize(struct db_stmt *st);

#endif
