#include "pg_bulk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cast_for(Oid type)
{
	switch (type) {
	case 25: return "text";
	case 20: return "bigint";
	case 23: return "integer";
	case 701: return "double precision";
	default: return NULL;
	}
}

/* The end of the parenthesized list starting at open, or NULL. */
static const char *closing(const char *open)
{
	int depth = 0, quoted = 0;
	for (const char *p = open; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '(')
			depth++;
		else if (!quoted && *p == ')' && --depth == 0)
			return p;
	}
	return NULL;
}

/* One item of the VALUES list into out: a parameter becomes its JSON
 * element, cast; anything else (a constant) stays. -1: no bulk form. */
static int put_item(char *out, size_t cap, const char *item, size_t len, const Oid *types, int n)
{
	while (len && *item == ' ')
		item++, len--;
	while (len && item[len - 1] == ' ')
		len--;
	if (len < 2 || item[0] != '$')
		return snprintf(out, cap, "%.*s", (int)len, item);
	char *end;
	long k = strtol(item + 1, &end, 10);
	const char *cast = k >= 1 && k <= n && end == item + len ? cast_for(types[k - 1]) : NULL;
	if (!cast)
		return -1;
	return snprintf(out, cap, "(r->>%ld)::%s", k - 1, cast);
}

char *pg_bulk_sql(const char *sql, const Oid *types, int n)
{
	const char *values = strstr(sql, "VALUES(");
	const char *open = values ? values + 6 : NULL, *close = open ? closing(open) : NULL;
	if (!close)
		return NULL;
	size_t cap = strlen(sql) + (size_t)n * 40 + 128, used;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	used = (size_t)snprintf(out, cap, "%.*sSELECT ", (int)(values - sql), sql);
	for (const char *item = open + 1; item < close;) {
		const char *comma = item;
		int depth = 0;
		while (comma < close && (depth || *comma != ',')) {
			depth += (*comma == '(') - (*comma == ')');
			comma++;
		}
		if (item > open + 1)
			used += (size_t)snprintf(out + used, cap - used, ", ");
		int w = put_item(out + used, cap - used, item, (size_t)(comma - item), types, n);
		if (w < 0 || (size_t)w >= cap - used) {
			free(out);
			return NULL;
		}
		used += (size_t)w;
		item = comma + 1;
	}
	snprintf(out + used, cap - used, " FROM jsonb_array_elements($1::jsonb) AS r%s", close + 1);
	return out;
}
