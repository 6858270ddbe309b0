/* One uploaded report: parsed with jansson, checked against the published
 * config, and flattened into rows for the store. */
#ifndef COLLECTOR_REPORT_H
#define COLLECTOR_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define REPORT_MAX_NESTING 8 /* a report nests 4 deep: {Programs:[{Counters:{...}}]} */

struct report_row {
	const char *program, *version, *counter; /* owned by the report's JSON */
	const char *goarch, *goversion;
	size_t counter_len;
	int64_t count;
	int is_stack;
};

/* Who reports (the sample-bias lens): facets of the reporting machine, from
 * the report's "telem" program (counters telem/<facet>:<value>, written by
 * telem's tools/facts.c when the config names them); arch and libc default
 * to the first program's GOARCH and GoVersion. "" when unknown. */
enum { FACET_ARCH, FACET_LIBC, FACET_OS, FACET_ENV, FACET_CONTAINER, FACET_N };
extern const char *const FACET_NAMES[FACET_N];
#define FACET_MAX 40

struct report {
	json_t *root;
	const char *week;
	int64_t week_days;
	double x;
	char facets[FACET_N][FACET_MAX + 1];
	struct report_row *rows;
	size_t n_rows;
};

/* Checks body against cfg and the date of the request path. 0 and *r
 * filled, or -1 with a one-line reason in why. */
int report_check(const char *body, size_t len, const char *path_date, const struct upload_config *cfg,
		 struct report *r, char *why, size_t whylen);
void report_free(struct report *r);

#endif
