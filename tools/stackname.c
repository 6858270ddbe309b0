/* Go's DecodeStack, line for line: each line is cut at its last '.'; a
 * path that is exactly '"' is replaced by the last real path and its dot;
 * a line without a dot, or starting with one, is left as it is. Telem's
 * own frames never start with '"', so they pass unchanged. */
#include "stackname.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *last_dot(const char *s, size_t n)
{
	for (size_t i = n; i-- > 0;)
		if (s[i] == '.')
			return s + i;
	return NULL;
}

char *stack_name_decode(const char *name, size_t len, size_t *out_len)
{
	if (!memchr(name, '\n', len) || !memchr(name, '"', len))
		return NULL;
	/* Each ditto line grows by at most the longest path: bounded by len per line. */
	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += name[i] == '\n';
	if (lines > (SIZE_MAX - len - 1) / (len + 1))
		return NULL;
	char *out = malloc(len + lines * (len + 1) + 1);
	if (!out)
		return NULL;
	const char *path = NULL; /* the last real path, its dot included */
	size_t path_len = 0, n = 0, expanded = 0;
	for (const char *p = name, *end = name + len; p <= end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *dot = last_dot(p, (size_t)(line_end - p));
		if (dot && dot - p == 1 && p[0] == '"') {
			memcpy(out + n, path ? path : "", path_len);
			n += path_len;
			memcpy(out + n, dot + 1, (size_t)(line_end - dot - 1));
			n += (size_t)(line_end - dot - 1);
			expanded = 1;
		} else {
			if (dot && dot > p) {
				path = p;
				path_len = (size_t)(dot - p) + 1;
			}
			memcpy(out + n, p, (size_t)(line_end - p));
			n += (size_t)(line_end - p);
		}
		if (!nl)
			break;
		out[n++] = '\n';
		p = nl + 1;
	}
	if (!expanded) {
		free(out);
		return NULL;
	}
	out[n] = 0;
	*out_len = n;
	return out;
}
