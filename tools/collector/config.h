/* The published upload config (Go's UploadConfig plus "Version"): loaded
 * and checked once at start, then only read (by every request thread). */
#ifndef COLLECTOR_CONFIG_H
#define COLLECTOR_CONFIG_H

#include <stddef.h>

#include "strset.h"

struct stack_config {
	char *name;  /* the stack counter's first line, e.g. "crash/crash" */
	int depth;   /* most frames a stack may have */
};

struct program_config {
	char *name;
	char **versions; /* build-id prefixes or human versions */
	size_t n_versions;
	int any_version; /* "Versions" absent */
	struct stack_config *stacks;
	size_t n_stacks;
};

struct upload_config {
	char *version;
	char *published; /* what GET /config serves */
	size_t published_len;
	struct strset goos, goarch, goversion;
	int any_goversion; /* GoVersion absent */
	struct program_config *programs;
	size_t n_programs;
	struct strset counters; /* "<program>\n<expanded counter name>" */
};

/* Loads and checks path. On error, fills err with "PATH:LINE: what" and
 * returns -1. */
int config_load(const char *path, struct upload_config *cfg, char *err, size_t errlen);
void config_free(struct upload_config *cfg);

const struct program_config *config_program(const struct upload_config *cfg, const char *name);
/* A report's Version (a build-id) is allowed when it starts with a listed
 * build-id prefix (6 or more hex digits, the client's rule) or equals a
 * listed entry. A human version ("12.2.0") is matched by the client against
 * the package version it found next to the build-id; the report carries the
 * build-id only, so a program listing any human version cannot be checked
 * here and every version of it is allowed. */
int config_version_ok(const struct program_config *p, const char *version);
int config_counter_ok(const struct upload_config *cfg, const char *program, const char *counter, size_t len);
/* The Depth allowed for stacks named name (their first line), or -1. */
int config_stack_depth(const struct program_config *p, const char *name, size_t len);

#endif
