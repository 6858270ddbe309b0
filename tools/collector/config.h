/* The published upload config: parsed and checked by the one parser the
 * telem tools use too (tools/config.h), once at start, then only read (by
 * every request thread). What is the collector's own: the file's
 * FILE:LINE errors, the required Version, the text GET /config serves, and
 * the server's reading of a program's Versions. */
#ifndef COLLECTOR_CONFIG_H
#define COLLECTOR_CONFIG_H

#include <stddef.h>

#include "../config.h"

struct served_config {
	struct upload_config rules;
	char *published; /* what GET /config serves */
	size_t published_len;
};

/* Loads and checks path. On error, fills err with "PATH:LINE: what" and
 * returns -1. */
int served_config_load(const char *path, struct served_config *cfg, char *err, size_t errlen);
void served_config_free(struct served_config *cfg);

/* A report's Version (a build-id) is allowed when it starts with a listed
 * build-id prefix (6 or more hex digits, the client's rule) or equals a
 * listed entry. A human version ("12.2.0") is matched by the client against
 * the package version it found next to the build-id; the report carries the
 * build-id only, so a program listing any human version cannot be checked
 * here and every version of it is allowed. */
int config_version_ok(const struct config_program *p, const char *version);
/* Whether program's rule lists counter (whatever its Rate). */
int config_counter_ok(const struct upload_config *cfg, const char *program, const char *counter, size_t len);
/* The Depth allowed for stacks named name (their first line), or -1. */
int config_stack_depth(const struct config_program *p, const char *name, size_t len);

#endif
