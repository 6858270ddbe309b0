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

/* The report step for the telem directory dir. cfg is the upload config in
 * force, NULL when there is none that parses: then, in mode on, weeks that
 * could be uploaded wait (their counter files are kept) until there is one.
 * Returns 0, or 1 when something went wrong (reported on stderr). */
int report_run(const char *dir, const struct upload_config *cfg, const struct report_options *o);

/* Records in DIR/local/versions.json the package version of program
 * (a counted program name) with build-id prefix buildid (12 hex digits),
 * when an executable of that name and build-id is found on PATH or in
 * /usr/lib/gcc/<target>/<version>/ and dpkg knows its package. For
 * `telem run` and the report step. */
void report_note_version(const char *dir, const char *program, const char *buildid);

#endif
