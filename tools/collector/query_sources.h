/* Where query_counters reads a program's weeks, versions and charts from:
 * the aggregate tables (kept at upload time, cheap: the dashboard's first
 * page), or, when the reader filters by reporter facets (?os=alpine), the
 * stored rows of the reports that match, aggregated the same way. Both give
 * the same columns; ?1 is the program, ?2..?6 the facets arch, libc, os,
 * env, container (NULL: any). */
#ifndef COLLECTOR_QUERY_SOURCES_H
#define COLLECTOR_QUERY_SOURCES_H

#include "query.h"

struct sources {
	const char *window;   /* period, reports; the last QUERY_MAX_WEEKS, oldest first */
	const char *versions; /* version, period, reports, human */
	const char *charts;   /* chart, period, reports */
	const char *counters; /* counter, chart, period, total, reports, share */
};

static const struct sources AGGREGATES = {
	"SELECT period, reports FROM (SELECT period, reports FROM week_program WHERE program = ?1"
	" ORDER BY period DESC LIMIT " QUERY_MAX_WEEKS_TEXT ") AS w ORDER BY period",
	"SELECT v.version, period, reports, n.human FROM week_version v LEFT JOIN version_names n"
	" ON n.program = v.program AND n.version = v.version WHERE v.program = ?1 ORDER BY v.version, period",
	"SELECT chart, period, reports FROM week_chart WHERE program = ?1",
	"SELECT counter, chart, period, total, reports, share FROM week_counter WHERE program = ?1"
	" ORDER BY chart, counter, period",
};

#define MATCHING                                                                                                      \
	"WITH f AS (SELECT r.id, r.period, c.version, c.counter, c.count,"                                            \
	" CASE WHEN instr(c.counter, ':') > 0 THEN substr(c.counter, 1, instr(c.counter, ':') - 1) ELSE c.counter"   \
	" END AS chart FROM counts c JOIN reports r ON r.id = c.report WHERE c.program = ?1 AND c.is_stack = 0"       \
	" AND (?2 IS NULL OR r.arch = ?2) AND (?3 IS NULL OR r.libc = ?3) AND (?4 IS NULL OR r.os = ?4)"              \
	" AND (?5 IS NULL OR r.env = ?5) AND (?6 IS NULL OR r.container = ?6)) "

/* share: as at upload time, each bucket's fraction of its chart in its
 * report (versions merged), summed over the reports. */
static const struct sources MATCHING_ROWS = {
	MATCHING "SELECT period, reports FROM (SELECT period, count(DISTINCT id) AS reports FROM f GROUP BY period"
		 " ORDER BY period DESC LIMIT " QUERY_MAX_WEEKS_TEXT ") AS w ORDER BY period",
	MATCHING "SELECT f.version, period, count(DISTINCT id), max(n.human) FROM f LEFT JOIN version_names n"
		 " ON n.program = ?1 AND n.version = f.version GROUP BY f.version, period ORDER BY f.version, period",
	MATCHING "SELECT chart, period, count(DISTINCT id) FROM f GROUP BY chart, period",
	MATCHING ", t AS (SELECT id, period, counter, chart, sum(count) AS total FROM f"
		 " GROUP BY id, period, counter, chart),"
		 " s AS (SELECT *, total * 1.0 / nullif(sum(total) OVER (PARTITION BY id, chart), 0) AS share FROM t)"
		 " SELECT counter, chart, period, sum(total), sum(CASE WHEN total > 0 THEN 1 ELSE 0 END),"
		 " coalesce(sum(share), 0) FROM s GROUP BY counter, chart, period ORDER BY chart, counter, period",
};

#endif
