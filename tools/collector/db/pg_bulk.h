/* The bulk form of a PostgreSQL INSERT: the rows of many runs of
 *   INSERT INTO t(a, b, c) VALUES($1, $2, 1) ON CONFLICT ...
 * sent as one command whose only parameter is a JSON array of rows,
 *   INSERT INTO t(a, b, c) SELECT (r->>0)::text, (r->>1)::bigint, 1
 *   FROM jsonb_array_elements($1::jsonb) AS r ON CONFLICT ...
 * so that a report's hundreds of rows cost the server a handful of
 * commands. Rows of one command must not conflict with each other (an
 * upsert affects a row once per command): the collector merges them first. */
#ifndef COLLECTOR_DB_PG_BULK_H
#define COLLECTOR_DB_PG_BULK_H

#include <libpq-fe.h>

/* sql: with $1..$n, each of the type the server inferred (types). NULL
 * when the statement has no bulk form (no VALUES list, or a parameter of a
 * type other than text, bigint, integer or double precision). malloc'd. */
char *pg_bulk_sql(const char *sql, const Oid *types, int n);

#endif
