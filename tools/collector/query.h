/* What the dashboard and the /api/ endpoints show, read from the aggregate tables and
 * built as JSON: the dashboard renders these very objects, so the page and
 * the API cannot disagree. NULL on a database error. */
#ifndef COLLECTOR_QUERY_H
#define COLLECTOR_QUERY_H

#include <jansson.h>
#include "db/db.h"

#include "report.h"

/* Only the reports whose facets (report.h) have these values; NULL: any. */
struct query_filter {
	const char *value[FACET_N];
};

#define QUERY_MAX_WEEKS 52
#define QUERY_MAX_WEEKS_TEXT "52"

/* {"reports", "programs", "first_week", "last_week"} */
json_t *query_summary(struct db *db);
/* [{"program", "reports", "weeks": [..], "counts": [reports per week],
 *   "versions": [{"version", "reports"}]}], most reports first. */
json_t *query_programs(struct db *db);
/* {"program", "weeks", "partial": [bool..], "reports",
 *  "versions": [{"version", "human"?, "total", "reports": [..]}],
 *  "charts": [{"chart", "reports": [..], "buckets": [{"bucket", "counter",
 *  "total", "counts": [..], "shares": [..], "reports": [..]}]}],
 *  "totals": {counter: total}}
 * over the program's last QUERY_MAX_WEEKS weeks ("totals": all weeks);
 * JSON null when no report has the program. filter NULL (or all NULL):
 * from the aggregate tables; else from the matching reports' rows. */
json_t *query_counters(struct db *db, const char *program, const struct query_filter *filter);
/* [{"stack", "name", "frames": [..], "total", "reports", "first_week",
 *   "last_week", "programs": [{"program", "version", "total", "reports"}]}],
 * newest (last_week) first, then most reports, at most limit; program NULL = all. */
json_t *query_stacks(struct db *db, const char *program, int limit);
/* Who reports, per week: {"weeks": [..], "partial": [..], "facets": {facet:
 * {value: [reports per week]}}} over the last QUERY_MAX_WEEKS weeks. */
json_t *query_facets(struct db *db);

#endif
