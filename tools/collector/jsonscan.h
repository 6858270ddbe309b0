/* What jansson does not offer: a nesting limit checked before parsing
 * (its parser recurses up to 2048 levels), and the line on which a value
 * stands, so that a bad config is reported as FILE:LINE. */
#ifndef COLLECTOR_JSONSCAN_H
#define COLLECTOR_JSONSCAN_H

#include <stddef.h>

/* 1 when arrays/objects nest deeper than limit anywhere in text (strings
 * and their escapes are skipped), else 0. Linear, no recursion. */
int json_nesting_exceeds(const char *text, size_t len, int limit);

/* One step of a path into a JSON document: a member (key) or an index. */
struct json_step {
	const char *key; /* NULL: index */
	size_t index;
};

/* The 1-based line where the value at path starts in text, which must be
 * valid JSON; where a step is not found, the line of the deepest value
 * that was. */
int json_line_of(const char *text, size_t len, const struct json_step *path, int n);

#endif
