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
 *                  "Stacks": [{"Name": "crash/crash", "Rate": 1, "Depth": 16}],
 *                  "Modules": ["libplug.so"]}]}     optional: see placeholder.h
 *
 * One parser for the client (telem) and the server (telem-collector), so
 * that a config one accepts the other accepts too. It is strict: unknown
 * fields are errors (a typo such as "Counter" must not silently allow
 * nothing); GOOS, GOARCH and Programs are required; names are non-empty
 * without blanks; rates are from 0 to 1; a stack's Depth, when given, is
 * from 0 to 1024; a program is listed once. Version is optional: Go's
 * published config has none, and is then named by its content
 * ("v0.0.0-h<16 hex>", the same for collector and clients). Counter names
 * expand Go's "chart:{a,b}" into "chart:a" and "chart:b". */
#ifndef TELEM_CONFIG_H
#define TELEM_CONFIG_H

#include <stddef.h>

struct config_rate {
	char *name;   /* expanded counter name, or a stack's first line */
	double rate;  /* included iff the report's X < rate */
	int depth;    /* stacks: Go's Depth (0..1024, 0 = not given); counters: 0 */
	size_t seq;   /* position in its list: the last of equal names wins */
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
	char **modules; /* "Modules": module names uploaded as they are (placeholder.h) */
	size_t n_modules;
};

struct upload_config {
	char *version; /* its Version, or one derived from its content */
	char **goos, **goarch, **goversion;
	size_t n_goos, n_goarch, n_goversion;
	int any_goversion;
	double sample_rate; /* absent: 0, no sampling (Go's zero value) */
	struct config_program *programs;
	size_t n_programs;
};

/* Why a config was refused: the line of the offending value and
 * "<path>: <what>" (e.g. "Programs[1].Counter: unknown field"), or
 * jansson's message for text that is not JSON. */
struct config_error {
	int line;
	char text[512];
};

/* Parses and checks a config's text. Returns 0, or -1 with *err filled and
 * *c left empty. */
int config_check(const char *text, size_t len, struct upload_config *c, struct config_error *err);

/* The whole file at path (NUL-terminated), or NULL with errno set. */
char *config_read_file(const char *path, size_t *len);

/* config_check for the telem tools: errors are printed (unless quiet) as
 * "telem: <source>:<line>: <what>", <what> starting with the field's path
 * for a bad field. Returns 0 or -1. */
int config_parse(const char *text, size_t len, const char *source, int quiet, struct upload_config *c);

/* The config in force for the telem directory: DIR/upload.config.json (the
 * local override) if it exists, else DIR/config.cache.json (the last one
 * fetched). Returns 0; 1 when there is none; -1 when it does not parse. */
int config_load(const char *dir, int quiet, struct upload_config *c);

void config_free(struct upload_config *c);

/* The rule for the program named name, or NULL. */
const struct config_program *config_find_program(const struct upload_config *c, const char *name);
/* Whether the platform, and the runtime (GoVersion), are listed. */
int config_allows_platform(const struct upload_config *c, const char *goos, const char *goarch);
int config_allows_goversion(const struct upload_config *c, const char *goversion);

/* What Go's uploader selects (x/telemetry internal/upload/reports.go):
 * config_match_program: the program rule for this identity, or NULL: its
 * GoVersion and Version listed (an absent list lists nothing), GOOS and
 * GOARCH not looked at. A Versions entry is a version (Go's rule, exact),
 * or telem's: a build-id prefix of 6+ hex digits, or the package version
 * human (may be NULL; "12.2.0" matches Debian's "12.2.0-14").
 * config_uploadable: the report is sampled in (SampleRate 0: always, else
 * X <= SampleRate). config_uploads_counter/stack: listed and X <= its rate
 * (a stack by its first line, kept whole whatever its Depth). */
const struct config_program *config_match_program(const struct upload_config *c, const char *program,
						   const char *version, const char *human, const char *goversion);
int config_uploadable(const struct upload_config *c, double x);
int config_uploads_counter(const struct config_program *p, const char *name, size_t len, double x);
int config_uploads_stack(const struct config_program *p, const char *name, size_t len, double x);

/* The rule for a counter name, or a stack's first line; NULL when absent. */
const struct config_rate *config_counter(const struct config_program *p, const char *name, size_t len);
const struct config_rate *config_stack(const struct config_program *p, const char *first_line, size_t len);

#endif
