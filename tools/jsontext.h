/* What jansson does not offer about JSON text: the line of a value reached
 * by a path of members and indexes (for FILE:LINE errors), the member of an
 * object that a schema does not allow, and a nesting limit checked before
 * parsing (jansson's parser recurses up to 2048 levels). Shared by telem and
 * the collector. */
#ifndef TELEM_JSONTEXT_H
#define TELEM_JSONTEXT_H

#include <jansson.h>
#include <stddef.h>

/* One step of a path into a JSON document: a member (key) or an index. */
struct json_step {
	const char *key; /* NULL: index */
	size_t index;
};

/* The line (from 1) of the value at path[0..n) in text, which jansson has
 * already accepted; where the path stops matching, the deepest value found. */
int json_line_of(const char *text, size_t len, const struct json_step *path, int n);

/* The first member of obj not in allowed (NULL-terminated), or NULL: a typo
 * such as "Counter" must be an error, not silently nothing. */
const char *json_unknown_member(json_t *obj, const char *const *allowed);

/* 1 when arrays/objects nest deeper than limit anywhere in text (strings
 * and their escapes are skipped), else 0. Linear, no recursion. */
int json_nesting_exceeds(const char *text, size_t len, int limit);

#endif
