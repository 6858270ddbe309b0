#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "../jsontext.h"
#include "week.h"

struct check {
	const struct upload_config *cfg;
	struct report *r;
	char *why;
	size_t whylen;
	size_t rows_cap;
	const char *goarch, *goversion; /* of the program being checked */
};

const char *const FACET_NAMES[FACET_N] = {"arch", "libc", "os", "env", "container"};

static int reject(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reject(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A name from the report, made fit for a one-line reason: newlines shown
 * as \n, control bytes as ?, at most 120 bytes. */
static const char *quote(const char *s, size_t len, char out[160])
{
	size_t o = 0;
	for (size_t i = 0; i < len && o < 150; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
		if (o >= 120 && i + 1 < len) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
	}
	out[o] = '\0';
	return out;
}

static int only_members(struct check *c, json_t *obj, const char *const *allowed, const char *where)
{
	const char *key = json_unknown_member(obj, allowed);
	char q[160];
	return key ? reject(c, "unknown field \"%s\" in %s", quote(key, strlen(key), q), where) : 0;
}

static const char *string_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int add_row(struct check *c, const struct report_row *row)
{
	struct report *r = c->r;
	if (r->n_rows == c->rows_cap) {
		size_t cap = c->rows_cap ? c->rows_cap * 2 : 64;
		struct report_row *rows = realloc(r->rows, cap * sizeof *rows);
		if (!rows)
			return reject(c, "out of memory");
		r->rows = rows;
		c->rows_cap = cap;
	}
	r->rows[r->n_rows++] = *row;
	return 0;
}

static int count_value(struct check *c, json_t *v, const char *name, size_t len, int64_t *out)
{
	char q[160];
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return reject(c, "count of \"%s\" is not a non-negative integer", quote(name, len, q));
	*out = json_integer_value(v);
	return 0;
}


static int check_counters(struct check *c, json_t *prog, const char *program, const char *version)
{
	json_t *counters = json_object_get(prog, "Counters");
	if (json_is_null(counters) || !counters)
		return 0;
	if (!json_is_object(counters))
		return reject(c, "Counters of %s is not an object", program);
	const char *name;
	size_t len;
	json_t *v;
	char q[160];
	json_object_keylen_foreach(counters, name, len, v) {
		struct report_row row = {.program = program, .version = version, .counter = name, .counter_len = len,
					 .goarch = c->goarch, .goversion = c->goversion};
		if (memchr(name, '\n', len))
			return reject(c, "counter \"%s\" of %s is a stack: stacks go in Stacks", quote(name, len, q), program);
		if (!config_counter_ok(c->cfg, program, name, len))
			return reject(c, "counter \"%s\" of %s is not in config %s", quote(name, len, q), program,
				      c->cfg->version);
		if (count_value(c, v, name, len, &row.count) < 0 || add_row(c, &row) < 0)
			return -1;
	}
	return 0;
}

static int check_stacks(struct check *c, json_t *prog, const struct config_program *pc, const char *version)
{
	json_t *stacks = json_object_get(prog, "Stacks");
	if (json_is_null(stacks) || !stacks)
		return 0;
	if (!json_is_object(stacks))
		return reject(c, "Stacks of %s is not an object", pc->name);
	const char *name;
	size_t len;
	json_t *v;
	char q[160];
	json_object_keylen_foreach(stacks, name, len, v) {
		struct report_row row = {.program = pc->name, .version = version, .counter = name, .counter_len = len,
					 .goarch = c->goarch, .goversion = c->goversion, .is_stack = 1};
		const char *nl = memchr(name, '\n', len);
		if (!nl)
			return reject(c, "stack \"%s\" of %s has no frames", quote(name, len, q), pc->name);
		/* Listed by its first line; kept whole whatever its Depth, as Go's
		 * uploader sends it and Go's server accepts it. */
		if (config_stack_depth(pc, name, (size_t)(nl - name)) < 0)
			return reject(c, "stack \"%s\" of %s is not in config %s", quote(name, (size_t)(nl - name), q),
				      pc->name, c->cfg->version);
		if (count_value(c, v, name, len, &row.count) < 0 || add_row(c, &row) < 0)
			return -1;
	}
	return 0;
}

/* Reports merge programs by (Program, Version, GoVersion, GOOS, GOARCH). */
static int same_build(json_t *a, json_t *b)
{
	static const char *const keys[] = {"Program", "Version", "GoVersion", "GOOS", "GOARCH"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const char *x = string_member(a, keys[i]), *y = string_member(b, keys[i]);
		if (!x || !y || strcmp(x, y) != 0)
			return 0;
	}
	return 1;
}

/* A package version such as "2.40-2": shown on the dashboard, so no
 * control bytes, and short. */
static int printable_string(json_t *v, size_t max)
{
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0;
	if (!s || n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int check_program(struct check *c, json_t *prog)
{
	static const char *const fields[] = {"Program", "Version", "GoVersion", "GOOS",        "GOARCH",
					     "Counters", "Stacks",  "HumanVersion", NULL};
	if (!json_is_object(prog))
		return reject(c, "a Programs entry is not an object");
	if (only_members(c, prog, fields, "a program") < 0)
		return -1;
	const char *program = string_member(prog, "Program"), *version = string_member(prog, "Version");
	const char *gov = string_member(prog, "GoVersion"), *goos = string_member(prog, "GOOS");
	const char *goarch = string_member(prog, "GOARCH");
	if (!program || !version || !gov || !goos || !goarch)
		return reject(c, "a program lacks one of Program, Version, GoVersion, GOOS, GOARCH (strings)");
	const struct config_program *pc = config_find_program(c->cfg, program);
	char q[160];
	if (!pc)
		return reject(c, "program \"%s\" is not in config %s", quote(program, strlen(program), q), c->cfg->version);
	if (!config_version_ok(pc, version))
		return reject(c, "version \"%s\" of %s is not in config %s", quote(version, strlen(version), q), program,
			      c->cfg->version);
	if (!config_allows_platform(c->cfg, goos, goarch))
		return reject(c, "platform %s/%s of %s is not in config %s", quote(goos, strlen(goos), q), goarch, program,
			      c->cfg->version);
	if (!config_allows_goversion(c->cfg, gov))
		return reject(c, "GoVersion \"%s\" of %s is not in config %s", quote(gov, strlen(gov), q), program,
			      c->cfg->version);
	json_t *human = json_object_get(prog, "HumanVersion");
	if (human && !printable_string(human, 64))
		return reject(c, "HumanVersion of %s is not a short printable string", program);
	c->goarch = goarch;
	c->goversion = gov;
	return check_counters(c, prog, pc->name, version) < 0 ? -1 : check_stacks(c, prog, pc, version);
}

static int check_programs(struct check *c, json_t *programs)
{
	if (json_is_null(programs))
		return 0;
	if (!json_is_array(programs))
		return reject(c, "Programs is not an array");
	size_t i;
	json_t *prog;
	json_array_foreach(programs, i, prog) {
		if (check_program(c, prog) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (same_build(json_array_get(programs, j), prog))
				return reject(c, "program %s %s appears twice: reports merge programs by build",
					      string_member(prog, "Program"), string_member(prog, "Version"));
	}
	return 0;
}

static int check_header(struct check *c, json_t *root, const char *path_date)
{
	static const char *const fields[] = {"Week", "LastWeek", "X", "Programs", "Config", NULL};
	if (!json_is_object(root))
		return reject(c, "the report is not a JSON object");
	if (only_members(c, root, fields, "the report") < 0)
		return -1;
	const char *week = string_member(root, "Week"), *last = string_member(root, "LastWeek");
	const char *config = string_member(root, "Config");
	json_t *x = json_object_get(root, "X");
	char q[160];
	if (!week || week_parse_date(week) < 0)
		return reject(c, "Week is not a valid YYYY-MM-DD date");
	if (strcmp(week, path_date) != 0)
		return reject(c, "Week %s differs from the date in the path", week);
	if (!last || (last[0] && week_parse_date(last) < 0))
		return reject(c, "LastWeek is not a valid YYYY-MM-DD date (or \"\")");
	if (!json_is_number(x) || !(json_number_value(x) > 0 && json_number_value(x) < 1))
		return reject(c, "X is not a number strictly between 0 and 1");
	if (!config)
		return reject(c, "Config is missing");
	if (strcmp(config, c->cfg->version) != 0)
		return reject(c, "Config \"%s\" is not the published config %s", quote(config, strlen(config), q),
			      c->cfg->version);
	if (!json_object_get(root, "Programs"))
		return reject(c, "Programs is missing");
	c->r->week = week;
	c->r->week_days = week_parse_date(week);
	c->r->x = json_number_value(x);
	return 0;
}

/* Facets from the "telem" program's counters telem/<facet>:<value> (the
 * first counted value of each wins), arch and libc else from the first
 * program. Values are names the config allowed, so they are public. */
static void find_facets(struct report *r)
{
	json_t *programs = json_object_get(r->root, "Programs");
	size_t i;
	json_t *p;
	json_array_foreach(programs, i, p) {
		const char *name;
		json_t *v;
		if (strcmp(string_member(p, "Program"), "telem") != 0)
			continue;
		json_object_foreach(json_object_get(p, "Counters"), name, v) {
			for (int f = 0; f < FACET_N; f++) {
				size_t n = strlen(FACET_NAMES[f]);
				if (strncmp(name, "telem/", 6) || strncmp(name + 6, FACET_NAMES[f], n) || name[6 + n] != ':' ||
				    json_integer_value(v) <= 0 || r->facets[f][0])
					continue;
				snprintf(r->facets[f], sizeof r->facets[f], "%s", name + 7 + n);
			}
		}
	}
	json_t *first = json_array_get(programs, 0);
	if (first && !r->facets[FACET_ARCH][0])
		snprintf(r->facets[FACET_ARCH], sizeof r->facets[FACET_ARCH], "%s", string_member(first, "GOARCH"));
	if (first && !r->facets[FACET_LIBC][0])
		snprintf(r->facets[FACET_LIBC], sizeof r->facets[FACET_LIBC], "%s", string_member(first, "GoVersion"));
}

int report_check(const char *body, size_t len, const char *path_date, const struct upload_config *cfg,
		 struct report *r, char *why, size_t whylen)
{
	struct check c = {cfg, r, why, whylen, 0, NULL, NULL};
	memset(r, 0, sizeof *r);
	if (week_parse_date(path_date) < 0)
		return reject(&c, "the path's date is not a valid YYYY-MM-DD date");
	if (json_nesting_exceeds(body, len, REPORT_MAX_NESTING))
		return reject(&c, "JSON nested deeper than %d levels", REPORT_MAX_NESTING);
	json_error_t err;
	r->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (!r->root)
		return reject(&c, "invalid JSON at line %d column %d: %s", err.line, err.column, err.text);
	if (check_header(&c, r->root, path_date) < 0 || check_programs(&c, json_object_get(r->root, "Programs")) < 0) {
		report_free(r);
		return -1;
	}
	find_facets(r);
	return 0;
}

void report_free(struct report *r)
{
	json_decref(r->root);
	free(r->rows);
	memset(r, 0, sizeof *r);
}
