/* Counts saturate instead of wrapping, as Go's counters do (at 2^64-1 in
 * the files; here at 2^63-1, the largest count a report can carry in JSON
 * and SQL). Counts are never negative: the validator rejects them. */
#ifndef COLLECTOR_SATURATE_H
#define COLLECTOR_SATURATE_H

#include <stdint.h>

static inline int64_t sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The same in SQL, for "total = total + excluded.total" in an upsert (an
 * overflowing integer sum turns into an inexact REAL in SQLite and is an
 * error in PostgreSQL). */
#define SQL_SAT_ADD(a, b) "CASE WHEN " a " > 9223372036854775807 - " b " THEN 9223372036854775807 ELSE " a " + " b " END"

#endif
