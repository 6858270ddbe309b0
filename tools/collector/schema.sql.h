/* The database schema, version 1 (PRAGMA user_version). The aggregate
 * tables are kept in the same transaction as the rows they summarize, so
 * the dashboard never has to scan the rows. A "period" is the Monday of
 * the dashboard week a report is charted in (dates.h). */
#define SCHEMA_VERSION 1
static const char SCHEMA_SQL[] =
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
	 * share across reporters, which a few heavy users cannot dominate. */
	"CREATE TABLE IF NOT EXISTS week_counter("
	" program TEXT NOT NULL, counter TEXT NOT NULL, period TEXT NOT NULL, chart TEXT NOT NULL,"
	" total INTEGER NOT NULL, reports INTEGER NOT NULL, share REAL NOT NULL,"
	" PRIMARY KEY(program, counter, period)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS stacks("
	" stack TEXT NOT NULL, program TEXT NOT NULL, version TEXT NOT NULL,"
	" total INTEGER NOT NULL, reports INTEGER NOT NULL, first_period TEXT NOT NULL, last_period TEXT NOT NULL,"
	" PRIMARY KEY(stack, program, version)) WITHOUT ROWID;";
