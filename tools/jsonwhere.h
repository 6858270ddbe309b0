/* Where things are in a JSON document: the line of a value reached by a
 * path of members and indexes (for FILE:LINE errors), and the member of an
 * object that a schema does not allow. Shared by telem and the collector. */
#ifndef TELEM_JSONWHERE_H
#define TELEM_JSONWHERE_H

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

#endif
