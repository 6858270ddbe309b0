/* Names that a rebuilt program gives its own counters (include/telem/counter.h),
 * checked by the shim before anything is written and again by telem when a
 * bug record is ingested. The privacy rules are the shim's: a name is the
 * program author's constant, never data; anything that looks like a path,
 * or has an over-long part, is refused whole (not cut, not rewritten). */
#ifndef TELEM_COUNTERNAME_H
#define TELEM_COUNTERNAME_H

#include <stddef.h>

/* The caller's part of a name, without the "<program>/" the shim puts first. */
#define COUNTER_NAME_MAX 128
/* A part: the text between two '/' or ':' (Go's chart:bucket convention). */
#define COUNTER_PART_MAX 40

/* 0 when name[0..len) may be counted; otherwise a short reason (static text).
 * Rules: 1..COUNTER_NAME_MAX bytes of [A-Za-z0-9] and "-_.+,<>=@", parts
 * separated by '/' or ':'; every part non-empty, at most COUNTER_PART_MAX
 * bytes, not starting with '.'; at most 4 '/'-separated parts; a '.' only
 * after the part's first ':' (a bucket such as "version:1.2", never a file
 * name such as "main.c"); the first part is not one of the shim's own
 * counters (invocations, flag, exit, wall, cpu, maxrss, signal...).
 * Async-signal-safe, no libc. */
const char *counter_name_refused(const char *name, size_t len);

#endif
