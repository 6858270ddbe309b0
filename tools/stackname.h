/* Go's compressed stack names: a frame line "<path>.<rest>" whose path is
 * a single '"' (a ditto mark) means the previous frame's package path
 * (x/telemetry internal/counter/stackcounter.go, EncodeStack/DecodeStack).
 * Go's reader expands them; so does every telem reader (countermodel.c). */
#ifndef TELEM_STACKNAME_H
#define TELEM_STACKNAME_H

#include <stddef.h>

/* The expanded name (malloc'd, *out_len its length), or NULL when name has
 * nothing to expand (or memory ran out: then the name is shown as stored). */
char *stack_name_decode(const char *name, size_t len, size_t *out_len);

#endif
