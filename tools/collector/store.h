/* The collector's database (a SQLite file, or PostgreSQL shared by several
 * collectors; db/db.h): every accepted report's exact body, its rows, and
 * per-week aggregates the dashboard reads. */
#ifndef COLLECTOR_STORE_H
#define COLLECTOR_STORE_H

#include <stddef.h>

#include "db/db.h"
#include "report.h"

struct store;

/* Opens (creating a SQLite file when missing), creates or upgrades the
 * schema, and so checks that the database can be written.
 * full_sync: fsync every commit (survives power loss), not just a crash of
 * the process. NULL and err filled on failure. */
struct store *store_open(const char *path, int full_sync, char *err, size_t errlen);

enum store_outcome {
	STORE_ADDED,
	STORE_DUPLICATE, /* the same body was stored before: nothing changed */
	STORE_FAILED,
};

/* Stores body and r's rows, and updates the aggregates, in one transaction.
 * Thread-safe (SQLite: writers take turns; PostgreSQL: each thread writes
 * on its own connection, and other collectors may write at once). */
enum store_outcome store_add(struct store *s, const char *body, size_t len, const struct report *r, char *err,
			     size_t errlen);

/* This thread's read connection (opened on first use; closed by store_close). */
struct db *store_reader(struct store *s);

/* After every thread that used the store has stopped. */
void store_close(struct store *s);

#endif
