/* Everything collected so far, as counter files: the pending counter files
 * of DIR/local and, for the weeks already reported (whose counter files
 * 'telem report' deleted), the local reports DIR/local/local.<Week>.json,
 * each program of a report read back as one counter_data whose meta says
 * TimeBegin = Week - 7 days, TimeEnd = Week (the interval it covers) and
 * "Report: <file name>". That is what gotelemetry's view and csv read too.
 *
 * A report keeps counts, not days: the days a crash stack was first and
 * last seen are kept beside it, in DIR/local/local.<Week>.seen (JSON; not
 * ".json", which Go's uploader would take for a report to send), and put
 * back into each stack's counter_entry (first_day, last_day). */
#ifndef TELEM_HISTORY_H
#define TELEM_HISTORY_H

#include <stddef.h>

#include "countermodel.h"

/* Loads all of local_dir, counter files first (name order), then reports
 * (week order). Unreadable files are reported ("telem: <file>: <what>")
 * and left out; their names go to *bad when bad is not NULL (malloc'd).
 * Returns 0, or 1 when something was left out. A local_dir that does not
 * exist holds nothing (0). */
int history_load(const char *local_dir, struct counter_data **files, size_t *n, char ***bad, size_t *n_bad);
void history_free(struct counter_data *files, size_t n);

/* "local.YYYY-MM-DD.json" (local = 1) or "YYYY-MM-DD.json" (local = 0). */
int history_is_report_name(const char *name, int local);

/* For the report step, before the week's files are deleted: writes
 * DIR/local/local.<week>.seen from the week's files (n of them, stride
 * bytes apart). Best effort: without it, a week's stacks read as seen on
 * the week's first and last day. */
void history_keep_seen(const char *local_dir, const char *week, const struct counter_data *files, size_t n,
		       size_t stride);

#endif
