/* Which counter file a process writes: dates, the weekends rule, the file
 * name and the meta text. Every process that opens today's file must
 * compute the very same meta, or Go's rule (header must match exactly)
 * makes it give up on the file. */
#ifndef TELEM_WEEK_H
#define TELEM_WEEK_H

#include <stdint.h>

#include "bytes.h"

/* Days since 1970-01-01 (UTC) for a Unix time, and back to a calendar date. */
int64_t week_day_of(int64_t unix_seconds);
void week_civil(int64_t days, int *year, int *month, int *day);
int64_t week_days_from_civil(int year, int month, int day);
int week_weekday(int64_t days); /* 0 = Sunday */

/* "YYYY-MM-DD" (10 bytes) and RFC 3339 midnight "YYYY-MM-DDT00:00:00Z" (20). */
void week_put_date(struct text *t, int64_t days);
void week_put_midnight(struct text *t, int64_t days);
/* Parses "YYYY-MM-DD"; -1 when malformed. */
int64_t week_parse_date(const char *s);

/* Days from today to the file's end: the next occurrence of weekday
 * (0..6, from the weekends file), 1 to 7 days later. */
int week_days_to_end(int64_t today, int weekday);

/* Reads <localdir>/weekends, creating it with a random weekday when missing.
 * Returns 0..6, or -1 (then nothing should be counted). */
int week_weekends(const char *localdir);
/* The same beneath localfd (the local directory's descriptor): no symlink
 * followed, a regular file owned by euid or root, created 0600. */
int week_weekends_at(int localfd, unsigned euid);

struct file_identity {
	const char *program, *version, *runtime, *goos, *goarch;
};

/* "<prog>@<version>-<runtime>-<os>-<arch>-<YYYY-MM-DD>.v1.count" */
void week_file_name(struct text *t, const struct file_identity *id, int64_t begin);
/* The same, with begin already formatted as "YYYY-MM-DD". */
void week_file_name_on(struct text *t, const struct file_identity *id, const char *date);
/* Go's meta: TimeBegin, TimeEnd, Program, Version, GoVersion, GOOS, GOARCH. */
void week_meta(struct text *t, const struct file_identity *id, int64_t begin, int64_t end);
/* The part of the meta after TimeEnd's line: Program ... GOARCH and the blank line. */
void week_meta_identity(struct text *t, const struct file_identity *id);

#endif
