/* The collector's SQLite database (one file, WAL): every accepted report's
 * exact body, its rows, and per-week aggregates the dashboard reads. */
#ifndef COLLECTOR_STORE_H
#define COLLECTOR_STORE_H

#include <sqlite3.h>
#include <stddef.h>

#include "report.h"

struct store;

/* Opens (creating when missing) and checks that the file can be written.
 * full_sync: fsync every commit (survives power loss), not just a crash of
 * the process. NULL and err filled on failure. */
struct store *store_open(const char *path, int full_sync, char *err, size_t errlen);

enum store_outcome {
	STORE_ADDED,
	STORE_DUPLICATE, /* the same body was stored before: nothing changed */
	STORE_FAILED,
};

/* Stores body and r's rows, and updates the aggregates, in one transaction.
 * Thread-safe (writers take turns). */
enum store_outcome store_add(struct store *s, const char *body, size_t len, const struct report *r, char *err,
			     size_t errlen);

/* This thread's read connection (opened on first use; closed by store_close). */
sqlite3 *store_reader(struct store *s);

/* After every thread that used the store has stopped. */
void store_close(struct store *s);

#endif
