/* What jansson does not offer about JSON text (jsontext.h). */
#include "jsontext.h"

#include <string.h>

/* The line on which a value stands, for FILE:LINE errors. The walker
 * trusts its input: jansson has already accepted it. */
struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && strchr(" \t\r\n", *c->p) && *c->p)
		c->p++;
}

static void skip_string(struct cursor *c)
{
	for (c->p++; c->p < c->end && *c->p != '"'; c->p++)
		if (*c->p == '\\')
			c->p++;
	c->p++;
}

static void skip_value(struct cursor *c)
{
	skip_ws(c);
	if (c->p >= c->end)
		return;
	if (*c->p == '"') {
		skip_string(c);
		return;
	}
	if (*c->p != '[' && *c->p != '{') {
		while (c->p < c->end && !strchr(",]} \t\r\n", *c->p))
			c->p++;
		return;
	}
	int depth = 0;
	do {
		if (*c->p == '"') {
			skip_string(c);
			continue;
		}
		if (*c->p == '[' || *c->p == '{')
			depth++;
		else if (*c->p == ']' || *c->p == '}')
			depth--;
		c->p++;
	} while (depth > 0 && c->p < c->end);
}

/* Past a member's value or an element and its ','; 0 at the container's end. */
static int skip_item(struct cursor *c)
{
	skip_value(c);
	skip_ws(c);
	if (c->p >= c->end || *c->p != ',')
		return 0;
	c->p++;
	return 1;
}

/* From an object's '{' to the value of member key; 0 when absent. */
static int enter_member(struct cursor *c, const char *key)
{
	size_t klen = strlen(key);
	c->p++;
	for (;;) {
		skip_ws(c);
		if (c->p >= c->end || *c->p != '"')
			return 0;
		const char *name = c->p + 1;
		skip_string(c);
		int match = (size_t)(c->p - 1 - name) == klen && memcmp(name, key, klen) == 0;
		skip_ws(c);
		c->p++; /* ':' */
		skip_ws(c);
		if (match)
			return 1;
		if (!skip_item(c))
			return 0;
	}
}

/* From an array's '[' to element index; 0 when absent. */
static int enter_index(struct cursor *c, size_t index)
{
	c->p++;
	for (size_t i = 0;; i++) {
		skip_ws(c);
		if (c->p >= c->end || *c->p == ']')
			return 0;
		if (i == index)
			return 1;
		if (!skip_item(c))
			return 0;
	}
}

static int line_at(const char *text, const char *p)
{
	int line = 1;
	for (const char *q = text; q < p; q++)
		line += *q == '\n';
	return line;
}

int json_line_of(const char *text, size_t len, const struct json_step *path, int n)
{
	struct cursor c = {text, text + len};
	skip_ws(&c);
	const char *found = c.p;
	for (int i = 0; i < n && c.p < c.end; i++) {
		struct cursor next = c;
		int ok = path[i].key ? *c.p == '{' && enter_member(&next, path[i].key)
				     : *c.p == '[' && enter_index(&next, path[i].index);
		if (!ok)
			break;
		c = next;
		found = c.p;
	}
	return line_at(text, found < c.end ? found : c.end);
}

/* Every member of obj must be one of allowed (NULL-terminated): a typo such
 * as "Counter" must not silently allow nothing. */
const char *json_unknown_member(json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, key) != 0)
			a++;
		if (!*a)
			return key;
	}
	return NULL;
}

int json_nesting_exceeds(const char *text, size_t len, int limit)
{
	int depth = 0, in_string = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++; /* the escaped character cannot end the string */
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > limit)
				return 1;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}
