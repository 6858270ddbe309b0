/* Weekly reports (Go's x/telemetry internal/upload/reports.go): the counter
 * files of every week that is over become DIR/local/local.<Week>.json
 * (everything, for the user) and, in mode on, DIR/local/<Week>.json (only
 * what the upload config allows, to be uploaded). Week is the files'
 * TimeEnd date. Both are Go's Report JSON, byte for byte as Go's
 * json.MarshalIndent(report, "", " ") writes it; the local copy adds
 * "HumanVersion" to a program whose package version is known, and
 * "Partial": true to a report of a week that is not over (--now). */
#ifndef TELEM_REPORT_H
#define TELEM_REPORT_H

#include <stddef.h>

#include "config.h"

#define REPORT_MAX_AGE_DAYS 21

struct report_options {
	int now;   /* also the week so far, as a partial report named by today */
	int quiet; /* no output at all (the background uploader) */
};

/* Where the report step gets the upload config: asked at most once, and only
 * when a week could be uploaded, so that nothing (not even fetching a
 * config) happens for nothing. load returns 0 with *cfg filled, 1 when there
 * is no config, -1 when it does not parse (reported). */
struct config_source {
	int (*load)(void *arg, struct upload_config *cfg);
	void *arg;
};

/* The report step for the telem directory dir. Without a config (src NULL,
 * or none that parses), weeks that could be uploaded wait, their counter
 * files kept, until there is one. Returns 0, or 1 when something went wrong
 * (reported on stderr). */
int report_run(const char *dir, const struct config_source *src, const struct report_options *o);

#endif
