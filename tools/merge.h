/* Adding one directory's counters into another's (telem run's private
 * directory into the user's). */
#ifndef TELEM_MERGE_H
#define TELEM_MERGE_H

/* Adds every counter of every counter file in src_local into the file of the
 * same name in dst_local, creating it with the same header when missing
 * (but the TimeEnd of dst_local's weekday: one weekday per directory).
 * Errors are reported; returns 0 or 1. */
int merge_counters(const char *src_local, const char *dst_local);

/* The weekday of dst_local (DIR/local/weekends), made first when missing:
 * src_local's when it has one, else a random one. 0..6, or -1. */
int merge_weekday(const char *src_local, const char *dst_local);

#endif
