/* The upload config (config.h): parsed with jansson, checked field by field,
 * counter names expanded and sorted so a report's counters are looked up by
 * binary search. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Where a field error is: "Programs[2].Counters[0]". */
struct where {
	const char *source;
	int quiet;
	char path[128];
};

static int field_error(const struct where *w, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int field_error(const struct where *w, const char *field, const char *fmt, ...)
{
	if (w->quiet)
		return -1;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int dot = w->path[0] && field[0];
	if (w->path[0] || field[0])
		fail(w->source, "%s%s%s: %s", w->path, dot ? "." : "", field, msg);
	else
		fail(w->source, "%s", msg);
	return -1;
}

/* An optional list of strings: absent or null gives *any = 1. */
static int string_list(const struct where *w, json_t *obj, const char *field, char ***out, size_t *n, int *any)
{
	json_t *a = json_object_get(obj, field);
	*out = NULL;
	*n = 0;
	if (any)
		*any = !a || json_is_null(a);
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return field_error(w, field, "not a list of strings");
	*out = calloc(json_array_size(a) + 1, sizeof **out);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *s = json_array_get(a, i);
		if (!json_is_string(s))
			return field_error(w, field, "item %zu is not a string", i);
		(*out)[(*n)++] = strdup(json_string_value(s));
	}
	return 0;
}

static void free_strings(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

int config_expand(const char *name, char ***out)
{
	const char *open = strchr(name, '{');
	size_t len = strlen(name);
	if (!open) {
		*out = calloc(1, sizeof **out);
		(*out)[0] = strdup(name);
		return 1;
	}
	/* Go's rule: one group of buckets, closing the name. */
	if (len < 2 || name[len - 1] != '}' || strchr(open + 1, '{') || memchr(open, '}', len - 1 - (size_t)(open - name)))
		return -1;
	size_t prefix = (size_t)(open - name), n = 1;
	for (const char *p = open; *p; p++)
		n += *p == ',';
	*out = calloc(n, sizeof **out);
	const char *item = open + 1;
	for (size_t i = 0; i < n; i++) {
		const char *end = strchr(item, ',');
		if (!end)
			end = name + len - 1;
		if (asprintf(&(*out)[i], "%.*s%.*s", (int)prefix, name, (int)(end - item), item) < 0)
			abort();
		item = end + 1;
	}
	return (int)n;
}

static int by_rate_name(const void *a, const void *b)
{
	return strcmp(((const struct config_rate *)a)->name, ((const struct config_rate *)b)->name);
}

/* Sorts and removes duplicate names, keeping the highest rate. */
static void sort_unique(struct config_rate *r, size_t *n)
{
	if (*n == 0)
		return;
	qsort(r, *n, sizeof *r, by_rate_name);
	size_t out = 0;
	for (size_t i = 1; i < *n; i++) {
		if (strcmp(r[out].name, r[i].name) == 0) {
			if (r[i].rate > r[out].rate)
				r[out].rate = r[i].rate;
			if (r[i].depth == 0 || (r[out].depth && r[i].depth > r[out].depth))
				r[out].depth = r[i].depth;
			free(r[i].name);
		} else {
			r[++out] = r[i];
		}
	}
	*n = out + 1;
}

/* One {"Name", "Rate", "Depth"} item, expanded (counters) or not (stacks). */
static int rate_item(const struct where *w, const char *field, size_t i, json_t *o, int expand,
		     struct config_rate **r, size_t *n)
{
	json_t *name = json_object_get(o, "Name"), *rate = json_object_get(o, "Rate");
	json_t *depth = json_object_get(o, "Depth");
	if (!json_is_object(o))
		return field_error(w, field, "item %zu is not an object", i);
	if (!json_is_string(name))
		return field_error(w, field, "item %zu: Name is missing or not a string", i);
	if (rate && !json_is_number(rate) && !json_is_null(rate))
		return field_error(w, field, "item %zu: Rate is not a number", i);
	if (depth && !json_is_integer(depth) && !json_is_null(depth))
		return field_error(w, field, "item %zu: Depth is not an integer", i);
	if (json_is_integer(depth) && json_integer_value(depth) < 0)
		return field_error(w, field, "item %zu: Depth is negative", i);
	char **names;
	int k = expand ? config_expand(json_string_value(name), &names) : -2;
	if (k == -1)
		return field_error(w, field, "item %zu: malformed buckets in \"%s\"", i, json_string_value(name));
	if (k == -2) {
		names = calloc(1, sizeof *names);
		names[0] = strdup(json_string_value(name));
		k = 1;
	}
	*r = realloc(*r, (*n + (size_t)k) * sizeof **r);
	for (int j = 0; j < k; j++)
		(*r)[(*n)++] = (struct config_rate){names[j], json_is_number(rate) ? json_number_value(rate) : 0,
						    json_is_integer(depth) ? (int)json_integer_value(depth) : 0};
	free(names);
	return 0;
}

static int rate_list(const struct where *w, json_t *prog, const char *field, int expand, struct config_rate **r,
		     size_t *n)
{
	json_t *a = json_object_get(prog, field);
	*r = NULL;
	*n = 0;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return field_error(w, field, "not a list");
	for (size_t i = 0; i < json_array_size(a); i++)
		if (rate_item(w, field, i, json_array_get(a, i), expand, r, n) < 0)
			return -1;
	sort_unique(*r, n);
	return 0;
}

static int program(struct where *w, json_t *o, struct config_program *p)
{
	json_t *name = json_object_get(o, "Name");
	if (!json_is_object(o))
		return field_error(w, "", "not an object");
	if (!json_is_string(name))
		return field_error(w, "Name", "missing or not a string");
	p->name = strdup(json_string_value(name));
	if (string_list(w, o, "Versions", &p->versions, &p->n_versions, &p->any_version) < 0 ||
	    rate_list(w, o, "Counters", 1, &p->counters, &p->n_counters) < 0 ||
	    rate_list(w, o, "Stacks", 0, &p->stacks, &p->n_stacks) < 0)
		return -1;
	return 0;
}

static int programs(struct where *w, json_t *root, struct upload_config *c)
{
	json_t *a = json_object_get(root, "Programs");
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return field_error(w, "Programs", "not a list");
	c->programs = calloc(json_array_size(a) + 1, sizeof *c->programs);
	for (size_t i = 0; i < json_array_size(a); i++) {
		snprintf(w->path, sizeof w->path, "Programs[%zu]", i);
		c->n_programs++;
		if (program(w, json_array_get(a, i), &c->programs[i]) < 0)
			return -1;
	}
	w->path[0] = 0;
	return 0;
}

static int top_fields(struct where *w, json_t *root, struct upload_config *c)
{
	json_t *version = json_object_get(root, "Version"), *rate = json_object_get(root, "SampleRate");
	if (!json_is_object(root))
		return field_error(w, "", "the config is not a JSON object");
	if (version && !json_is_string(version) && !json_is_null(version))
		return field_error(w, "Version", "not a string");
	c->version = strdup(json_is_string(version) ? json_string_value(version) : "");
	if (rate && !json_is_number(rate) && !json_is_null(rate))
		return field_error(w, "SampleRate", "not a number");
	c->sample_rate = json_is_number(rate) ? json_number_value(rate) : 1.0;
	if (string_list(w, root, "GOOS", &c->goos, &c->n_goos, NULL) < 0 ||
	    string_list(w, root, "GOARCH", &c->goarch, &c->n_goarch, NULL) < 0 ||
	    string_list(w, root, "GoVersion", &c->goversion, &c->n_goversion, &c->any_goversion) < 0)
		return -1;
	return 0;
}

int config_parse(const char *text, size_t len, const char *source, int quiet, struct upload_config *c)
{
	memset(c, 0, sizeof *c);
	json_error_t err;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		if (!quiet)
			fail(NULL, "%s:%d: %s", source, err.line, err.text);
		return -1;
	}
	struct where w = {source, quiet, ""};
	int rc = top_fields(&w, root, c) < 0 || programs(&w, root, c) < 0 ? -1 : 0;
	json_decref(root);
	if (rc < 0)
		config_free(c);
	return rc;
}

static int load_file(const char *path, int quiet, struct upload_config *c)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		if (errno == ENOENT)
			return 1;
		if (!quiet)
			fail(path, "cannot read: %s", strerror(errno));
		return -1;
	}
	int rc = config_parse(text, len, path, quiet, c);
	free(text);
	return rc;
}

int config_load(const char *dir, int quiet, struct upload_config *c)
{
	char path[1200];
	memset(c, 0, sizeof *c);
	snprintf(path, sizeof path, "%s/upload.config.json", dir);
	int rc = load_file(path, quiet, c);
	if (rc != 1)
		return rc; /* an override that does not parse is not replaced by the cache */
	snprintf(path, sizeof path, "%s/config.cache.json", dir);
	return load_file(path, quiet, c);
}

static void free_rates(struct config_rate *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].name);
	free(r);
}

void config_free(struct upload_config *c)
{
	for (size_t i = 0; i < c->n_programs; i++) {
		struct config_program *p = &c->programs[i];
		free(p->name);
		free_strings(p->versions, p->n_versions);
		free_rates(p->counters, p->n_counters);
		free_rates(p->stacks, p->n_stacks);
	}
	free(c->programs);
	free_strings(c->goos, c->n_goos);
	free_strings(c->goarch, c->n_goarch);
	free_strings(c->goversion, c->n_goversion);
	free(c->version);
	memset(c, 0, sizeof *c);
}

static int in_list(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* "1:12.2.0-14+deb12u1" -> "12.2.0": Debian's upstream part. */
static int upstream_equals(const char *human, const char *want)
{
	const char *colon = strchr(human, ':'), *start = colon ? colon + 1 : human;
	const char *dash = strrchr(start, '-');
	size_t n = dash ? (size_t)(dash - start) : strlen(start);
	return strlen(want) == n && strncmp(start, want, n) == 0;
}

/* A version entry is a build-id prefix when it is 6 or more hex digits:
 * shorter hex strings ("12") are too likely to be human versions. */
static int version_matches(const char *want, const char *version, const char *human)
{
	size_t n = strlen(want);
	if (n >= 6 && strspn(want, "0123456789abcdef") == n && strncmp(version, want, n) == 0)
		return 1;
	return human && human[0] && (strcmp(human, want) == 0 || upstream_equals(human, want));
}

const struct config_program *config_match_program(const struct upload_config *c, const char *program,
						   const char *version, const char *human, const char *goversion,
						   const char *goos, const char *goarch)
{
	if (!in_list(c->goos, c->n_goos, goos) || !in_list(c->goarch, c->n_goarch, goarch) ||
	    (!c->any_goversion && !in_list(c->goversion, c->n_goversion, goversion)))
		return NULL;
	for (size_t i = 0; i < c->n_programs; i++) {
		const struct config_program *p = &c->programs[i];
		if (strcmp(p->name, program) != 0)
			continue;
		if (p->any_version)
			return p;
		for (size_t v = 0; v < p->n_versions; v++)
			if (version_matches(p->versions[v], version, human))
				return p;
	}
	return NULL;
}

static const struct config_rate *find_rate(const struct config_rate *r, size_t n, const char *name, size_t len)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(r[mid].name, name, len);
		if (c == 0 && r[mid].name[len] != 0)
			c = 1; /* r[mid] is longer: name sorts first */
		if (c == 0)
			return &r[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct config_rate *config_counter(const struct config_program *p, const char *name, size_t len)
{
	if (memchr(name, 0, len))
		return NULL; /* cannot equal a config name */
	return find_rate(p->counters, p->n_counters, name, len);
}

const struct config_rate *config_stack(const struct config_program *p, const char *first_line, size_t len)
{
	if (memchr(first_line, 0, len))
		return NULL;
	return find_rate(p->stacks, p->n_stacks, first_line, len);
}
