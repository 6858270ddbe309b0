/* Bug records (CRASH_BUG, shim/crashrecord.h): taken by a rebuilt program's
 * telem_stack_inc (include/telem/counter.h), ingested like crash records,
 * but named after the program's own counter instead of crash/crash. */
#ifndef TELEM_INGEST_BUG_H
#define TELEM_INGEST_BUG_H

#include <stddef.h>

/* For a CRASH_BUG record already checked by crash_record_check: the record's
 * fault_addr must be the offset of a record in its counter file (<dir>/local/
 * <counter_file>) whose name is "<program>/<name>", <name> allowed by
 * shim/countername.h. Returns 0 (also for any other kind), or -1 with why. */
int bug_record_check(const char *dir, const unsigned char *data, char *why, size_t why_cap);

/* name (len bytes, CF_MAX_NAME + 1 room), as crash_record_stack_name made it:
 * for a CRASH_BUG record its first line becomes the bug counter's name, with
 * Go's truncation rule. Returns the new length; other kinds: len. */
size_t bug_stack_name(const char *dir, const unsigned char *data, char *name, size_t len);

#endif
