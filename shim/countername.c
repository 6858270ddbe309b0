/* The privacy rules for counter names chosen by a rebuilt program. */
#include "countername.h"

#include "bytes.h"

/* First parts that the shim counts itself: a program may not add to them. */
static const char reserved[] = "invocations\0flag\0exit\0wall\0wall-ms\0cpu\0cpu-ms\0maxrss\0signal\0"
			       "crash\0";

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.' || c == '+' || c == ',' || c == '<' || c == '>' || c == '=' || c == '@';
}

static int is_reserved(const char *part, size_t n)
{
	for (const char *r = reserved; *r; r = list_next(r))
		if (bytes_len(r) == n && bytes_equal(r, part, n))
			return 1;
	return 0;
}

const char *counter_name_refused(const char *name, size_t len)
{
	if (len == 0 || len > COUNTER_NAME_MAX)
		return "empty or longer than 128 bytes";
	size_t part = 0, first_len = 0;
	int slashes = 0, bucket = 0; /* bucket: a ':' was seen in this '/'-part */
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? name[i] : '/';
		if (c == '/' || c == ':') {
			if (part == 0)
				return "an empty part (a path?)";
			if (!first_len)
				first_len = i;
			if (c == '/' && ++slashes > 4)
				return "more than 4 '/'-separated parts (a path?)";
			bucket = c == ':' || (bucket && c != '/');
			part = 0;
			continue;
		}
		if (!name_char(c))
			return "a character outside [A-Za-z0-9-_.+,<>=@/:]";
		if (c == '.' && (part == 0 || !bucket))
			return "a '.' outside a bucket (a file name?)";
		if (++part > COUNTER_PART_MAX)
			return "a part longer than 40 bytes";
	}
	if (is_reserved(name, first_len))
		return "one of the shim's own counters";
	return 0;
}
