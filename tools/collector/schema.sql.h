/* The database schema, versioned (SQLite's PRAGMA user_version,
 * PostgreSQL's table telem_schema; db.h): step i
 * takes a database of version i to version i + 1, so a new collector
 * upgrades an old database in place, inside one transaction, and an old
 * collector refuses a newer one. The aggregate tables are kept in the same
 * transaction as the rows they summarize, so the dashboard never has to
 * scan the rows. A "period" is the Monday of the dashboard week a report is
 * charted in (dates.h). */
#ifndef COLLECTOR_SCHEMA_SQL_H
#define COLLECTOR_SCHEMA_SQL_H

#define SCHEMA_VERSION 2
static const char *const SQLITE_SCHEMA_STEPS[SCHEMA_VERSION] = {
	/* 0 -> 1 */
	"CREATE TABLE IF NOT EXISTS reports("
	" id INTEGER PRIMARY KEY,"
	" hash BLOB NOT NULL UNIQUE," /* SHA-256 of the body: the same report is stored once */
	" week TEXT NOT NULL, period TEXT NOT NULL, x REAL NOT NULL, config TEXT NOT NULL,"
	" received INTEGER NOT NULL," /* Unix seconds */
	" body BLOB NOT NULL);"       /* exactly the bytes that were posted */
	"CREATE TABLE IF NOT EXISTS counts("
	" report INTEGER NOT NULL REFERENCES reports(id),"
	" week TEXT NOT NULL, program TEXT NOT NULL, version TEXT NOT NULL,"
	" counter TEXT NOT NULL, count INTEGER NOT NULL, is_stack INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS week_program("
	" program TEXT NOT NULL, period TEXT NOT NULL, reports INTEGER NOT NULL,"
	" PRIMARY KEY(program, period)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS week_version("
	" program TEXT NOT NULL, period TEXT NOT NULL, version TEXT NOT NULL, reports INTEGER NOT NULL,"
	" PRIMARY KEY(program, period, version)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS week_chart("
	" program TEXT NOT NULL, chart TEXT NOT NULL, period TEXT NOT NULL, reports INTEGER NOT NULL,"
	" PRIMARY KEY(program, chart, period)) WITHOUT ROWID;"
	/* share: the sum over reports of this bucket's fraction of its chart
	 * in that report; share / week_chart.reports is the bucket's mean
	 * share across reporters, which a few heavy users cannot dominate.
	 * reports: the reports in which the bucket is counted (count > 0). */
	"CREATE TABLE IF NOT EXISTS week_counter("
	" program TEXT NOT NULL, counter TEXT NOT NULL, period TEXT NOT NULL, chart TEXT NOT NULL,"
	" total INTEGER NOT NULL, reports INTEGER NOT NULL, share REAL NOT NULL,"
	" PRIMARY KEY(program, counter, period)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS stacks("
	" stack TEXT NOT NULL, program TEXT NOT NULL, version TEXT NOT NULL,"
	" total INTEGER NOT NULL, reports INTEGER NOT NULL, first_period TEXT NOT NULL, last_period TEXT NOT NULL,"
	" PRIMARY KEY(stack, program, version)) WITHOUT ROWID;",
	/* 1 -> 2: who reports (the sample-bias lens) and human versions. The
	 * facets of a report come from its "telem" program's counters
	 * (telem/arch:, telem/libc:, telem/os:, telem/env:, telem/container:),
	 * arch and libc else from its first program's GOARCH and GoVersion. */
	"ALTER TABLE reports ADD COLUMN arch TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE reports ADD COLUMN libc TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE reports ADD COLUMN os TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE reports ADD COLUMN env TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE reports ADD COLUMN container TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE counts ADD COLUMN goarch TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE counts ADD COLUMN goversion TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX IF NOT EXISTS reports_week ON reports(week);" /* partial weeks: the first and last Week */
	"CREATE TABLE IF NOT EXISTS version_names("
	" program TEXT NOT NULL, version TEXT NOT NULL, human TEXT NOT NULL,"
	" PRIMARY KEY(program, version)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS week_facet("
	" period TEXT NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL, reports INTEGER NOT NULL,"
	" PRIMARY KEY(period, facet, value)) WITHOUT ROWID;",
};

/* The same tables in PostgreSQL's types: 64-bit integers throughout (an
 * INTEGER there is 32 bits), DOUBLE PRECISION (its REAL is 32 bits), BYTEA,
 * and text compared byte by byte (COLLATE "C"), so that both backends sort
 * and group alike whatever the database's locale. */
#define PG_TEXT "TEXT COLLATE \"C\" NOT NULL"
static const char *const POSTGRES_SCHEMA_STEPS[SCHEMA_VERSION] = {
	/* 0 -> 1 */
	"CREATE TABLE IF NOT EXISTS reports("
	" id BIGSERIAL PRIMARY KEY, hash BYTEA NOT NULL UNIQUE,"
	" week " PG_TEXT ", period " PG_TEXT ", x DOUBLE PRECISION NOT NULL, config " PG_TEXT ","
	" received BIGINT NOT NULL, body BYTEA NOT NULL);"
	"CREATE TABLE IF NOT EXISTS counts("
	" report BIGINT NOT NULL REFERENCES reports(id),"
	" week " PG_TEXT ", program " PG_TEXT ", version " PG_TEXT ","
	" counter " PG_TEXT ", count BIGINT NOT NULL, is_stack BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS week_program("
	" program " PG_TEXT ", period " PG_TEXT ", reports BIGINT NOT NULL, PRIMARY KEY(program, period));"
	"CREATE TABLE IF NOT EXISTS week_version("
	" program " PG_TEXT ", period " PG_TEXT ", version " PG_TEXT ", reports BIGINT NOT NULL,"
	" PRIMARY KEY(program, period, version));"
	"CREATE TABLE IF NOT EXISTS week_chart("
	" program " PG_TEXT ", chart " PG_TEXT ", period " PG_TEXT ", reports BIGINT NOT NULL,"
	" PRIMARY KEY(program, chart, period));"
	"CREATE TABLE IF NOT EXISTS week_counter("
	" program " PG_TEXT ", counter " PG_TEXT ", period " PG_TEXT ", chart " PG_TEXT ","
	" total BIGINT NOT NULL, reports BIGINT NOT NULL, share DOUBLE PRECISION NOT NULL,"
	" PRIMARY KEY(program, counter, period));"
	"CREATE TABLE IF NOT EXISTS stacks("
	" stack " PG_TEXT ", program " PG_TEXT ", version " PG_TEXT ","
	" total BIGINT NOT NULL, reports BIGINT NOT NULL, first_period " PG_TEXT ", last_period " PG_TEXT ","
	" PRIMARY KEY(stack, program, version));",
	/* 1 -> 2; instr(): SQLite's name for strpos, used by the filtered queries */
	"ALTER TABLE reports ADD COLUMN IF NOT EXISTS arch " PG_TEXT " DEFAULT '';"
	"ALTER TABLE reports ADD COLUMN IF NOT EXISTS libc " PG_TEXT " DEFAULT '';"
	"ALTER TABLE reports ADD COLUMN IF NOT EXISTS os " PG_TEXT " DEFAULT '';"
	"ALTER TABLE reports ADD COLUMN IF NOT EXISTS env " PG_TEXT " DEFAULT '';"
	"ALTER TABLE reports ADD COLUMN IF NOT EXISTS container " PG_TEXT " DEFAULT '';"
	"ALTER TABLE counts ADD COLUMN IF NOT EXISTS goarch " PG_TEXT " DEFAULT '';"
	"ALTER TABLE counts ADD COLUMN IF NOT EXISTS goversion " PG_TEXT " DEFAULT '';"
	"CREATE INDEX IF NOT EXISTS reports_week ON reports(week);"
	"CREATE TABLE IF NOT EXISTS version_names("
	" program " PG_TEXT ", version " PG_TEXT ", human " PG_TEXT ", PRIMARY KEY(program, version));"
	"CREATE TABLE IF NOT EXISTS week_facet("
	" period " PG_TEXT ", facet " PG_TEXT ", value " PG_TEXT ", reports BIGINT NOT NULL,"
	" PRIMARY KEY(period, facet, value));"
	"CREATE OR REPLACE FUNCTION instr(text, text) RETURNS integer AS 'SELECT strpos($1, $2)'"
	" LANGUAGE sql IMMUTABLE STRICT;",
};

#endif
