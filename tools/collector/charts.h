/* One program's charts on the dashboard, from query_counters' JSON, in the
 * terms a toolchain maintainer publishes: invocations and reporting
 * machines per week; flags (not exclusive: one invocation carries many) as
 * the share of reports that used each and the share of invocations that
 * carried it; exclusive charts (exit codes, time and memory buckets) as
 * shares per week plus a table in which a rare bucket keeps its exact
 * count and is highlighted (29 internal compiler errors among 80,000 runs
 * must stand out, not vanish at "0.0%"), and non-zero exits on a scale of
 * their own; versions by human version where the reports name one. Weeks
 * that are partial (dates.h) are drawn hatched and left out of the shares
 * over the window. */
#ifndef COLLECTOR_CHARTS_H
#define COLLECTOR_CHARTS_H

#include <jansson.h>

#include "buf.h"

/* counters: query_counters' object for program. */
void charts_program(struct buf *b, json_t *counters, const char *program);

/* Shared with the rest of the page. */
json_int_t charts_jint(json_t *o, const char *key);
const char *charts_jstr(json_t *o, const char *key);
/* "12.2.0-14" where a report named the build's human version, else the build-id. */
const char *charts_version_label(json_t *v);
/* A share as text with enough digits that a rare bucket is not "0.0%". */
void charts_percent(char out[32], double share);

#endif
