/* GET /: one self-contained page (inline CSS and SVG, no script, nothing
 * fetched) in the manner of telemetry.go.dev: programs with their reports
 * per week, the selected program's charts, and the crash stacks. */
#ifndef COLLECTOR_DASHBOARD_H
#define COLLECTOR_DASHBOARD_H

#include "db/db.h"
#include <stddef.h>

#include "config.h"
#include "query.h"

/* The page for program (NULL: the first program of the config that has
 * reports), its charts filtered by reporter facets (filter); host: the Host the client asked for, named in the empty page's
 * client lines. malloc'd, NULL on a database error. */
char *dashboard_render(struct db *db, const struct upload_config *cfg, const char *program,
		       const struct query_filter *filter, const char *host, size_t *len);
/* The Content-Security-Policy of the page: nothing but its own inline style. */
const char *dashboard_csp(void);

#endif
