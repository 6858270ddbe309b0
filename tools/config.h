/* The upload config: which programs, counters and stacks may leave the
 * machine, and at which rates. Go's UploadConfig (x/telemetry types.go)
 * plus our "Version":
 *
 *   {"Version": "v1", "GOOS": ["linux"], "GOARCH": ["amd64"],
 *    "GoVersion": ["glibc2.36"],                 optional: absent = any
 *    "SampleRate": 1.0,                          optional: absent = 1
 *    "Programs": [{"Name": "gcc",
 *                  "Versions": ["fe89f8172cfb", "12.2.0"],   absent = any
 *                  "Counters": [{"Name": "gcc/flag:{-O0,-O2}", "Rate": 1}],
 *                  "Stacks": [{"Name": "crash/crash", "Rate": 1, "Depth": 16}]}]}
 *
 * GOOS and GOARCH are required lists: a config without them allows nothing.
 * Counter names expand Go's "chart:{a,b}" into "chart:a" and "chart:b". */
#ifndef TELEM_CONFIG_H
#define TELEM_CONFIG_H

#include <stddef.h>

struct config_rate {
	char *name;   /* expanded counter name, or a stack's first line */
	double rate;  /* included iff the report's X < rate */
	int depth;    /* stacks: frames kept, 0 = all */
};

struct config_program {
	char *name;
	char **versions; /* build-id prefixes or human versions */
	size_t n_versions;
	int any_version; /* "Versions" absent */
	struct config_rate *counters; /* sorted by name, unique */
	size_t n_counters;
	struct config_rate *stacks;
	size_t n_stacks;
};

struct upload_config {
	char *version; /* "" when the config has none */
	char **goos, **goarch, **goversion;
	size_t n_goos, n_goarch, n_goversion;
	int any_goversion;
	double sample_rate;
	struct config_program *programs;
	size_t n_programs;
};

/* Parses a config's text. source names it in errors: "telem: <source>:<line>:
 * <what>" for bad JSON, "telem: <source>: <field>: <what>" for a bad field.
 * Returns 0, or -1 (after printing unless quiet) with *c left empty. */
int config_parse(const char *text, size_t len, const char *source, int quiet, struct upload_config *c);

/* The config in force for the telem directory: DIR/upload.config.json (the
 * local override) if it exists, else DIR/config.cache.json (the last one
 * fetched). Returns 0; 1 when there is none; -1 when it does not parse. */
int config_load(const char *dir, int quiet, struct upload_config *c);

void config_free(struct upload_config *c);

/* The program rule allowing this program identity, or NULL. human is the
 * program's package version when known (may be NULL). */
const struct config_program *config_match_program(const struct upload_config *c, const char *program,
						   const char *version, const char *human, const char *goversion,
						   const char *goos, const char *goarch);

/* The rule for a counter name, or a stack's first line; NULL when absent. */
const struct config_rate *config_counter(const struct config_program *p, const char *name, size_t len);
const struct config_rate *config_stack(const struct config_program *p, const char *first_line, size_t len);

/* Go's bucket expansion: "chart:{a,b}" -> "chart:a", "chart:b"; a name
 * without "{" is itself. Returns the number of names (malloc'd into *out),
 * or -1 when the braces are malformed. */
int config_expand(const char *name, char ***out);

#endif
