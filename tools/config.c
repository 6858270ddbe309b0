/* The upload config (config.h): parsed with jansson and checked field by
 * field, once for both binaries; counter names are expanded and sorted so a
 * report's counters are looked up by binary search. */
#define _GNU_SOURCE
#include "config.h"
#include "jsontext.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_STACK_DEPTH 1024

/* Where the check is in the document, for "Programs[1].Name: ..." and its line. */
struct checker {
	const char *text;
	size_t len;
	struct json_step steps[8];
	int depth;
	struct config_error *err;
};

static void push_key(struct checker *c, const char *key)
{
	c->steps[c->depth++] = (struct json_step){key, 0};
}

static void push_index(struct checker *c, size_t index)
{
	c->steps[c->depth++] = (struct json_step){NULL, index};
}

static void pop(struct checker *c)
{
	c->depth--;
}

static int bad(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct checker *c, const char *fmt, ...)
{
	char *out = c->err->text;
	size_t cap = sizeof c->err->text;
	int n = 0;
	c->err->line = json_line_of(c->text, c->len, c->steps, c->depth);
	out[0] = 0;
	for (int i = 0; i < c->depth && (size_t)n < cap; i++) {
		if (c->steps[i].key)
			n += snprintf(out + n, cap - (size_t)n, "%s%s", i ? "." : "", c->steps[i].key);
		else
			n += snprintf(out + n, cap - (size_t)n, "[%zu]", c->steps[i].index);
	}
	if (c->depth && (size_t)n < cap)
		n += snprintf(out + n, cap - (size_t)n, ": ");
	va_list ap;
	va_start(ap, fmt);
	if ((size_t)n < cap)
		vsnprintf(out + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_members(struct checker *c, json_t *obj, const char *const *allowed)
{
	const char *key = json_unknown_member(obj, allowed);
	if (!key)
		return 0;
	push_key(c, key);
	return bad(c, "unknown field (expected one of the fields of Go's UploadConfig)");
}

static int is_name(json_t *v)
{
	const char *s = json_string_value(v);
	return s && s[0] && !strpbrk(s, " \t\r\n");
}

/* A required non-empty string without blanks. */
static int get_name(struct checker *c, json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);
	push_key(c, key);
	if (!v)
		return bad(c, "missing");
	if (!is_name(v))
		return bad(c, "must be a non-empty string without blanks");
	pop(c);
	*out = json_string_value(v);
	return 0;
}

/* A list of names; absent gives *any = 1 (or an error when required). */
static int get_names(struct checker *c, json_t *obj, const char *key, int required, char ***out, size_t *n, int *any)
{
	json_t *v = json_object_get(obj, key);
	*any = !v;
	push_key(c, key);
	if (!v) {
		if (required)
			return bad(c, "missing");
		pop(c);
		return 0;
	}
	if (!json_is_array(v) || (required && json_array_size(v) == 0))
		return bad(c, required ? "must be a non-empty array of strings" : "must be an array of strings");
	if (!(*out = calloc(json_array_size(v) + 1, sizeof **out)))
		return bad(c, "out of memory");
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		push_index(c, i);
		if (!is_name(item))
			return bad(c, "must be a non-empty string without blanks");
		if (!((*out)[*n] = strdup(json_string_value(item))))
			return bad(c, "out of memory");
		(*n)++;
		pop(c);
	}
	pop(c);
	return 0;
}

static int in_range(json_t *v)
{
	return json_number_value(v) >= 0 && json_number_value(v) <= 1;
}

/* SampleRate: absent = 1. */
static int get_sample_rate(struct checker *c, json_t *root, double *out)
{
	json_t *v = json_object_get(root, "SampleRate");
	push_key(c, "SampleRate");
	if (v && (!json_is_number(v) || !in_range(v)))
		return bad(c, "must be a number from 0 to 1");
	pop(c);
	*out = v ? json_number_value(v) : 0; /* Go's zero value: no sampling */
	return 0;
}

/* An item's Rate (absent = 0, never uploaded), reported as "item N: ..."
 * of its list, the wording telem has always used. */
static int get_item_rate(struct checker *c, json_t *item, size_t i, double *out)
{
	json_t *v = json_object_get(item, "Rate");
	if (v && !json_is_number(v))
		return bad(c, "item %zu: Rate is not a number", i);
	if (v && !in_range(v))
		return bad(c, "item %zu: Rate must be from 0 to 1", i);
	*out = v ? json_number_value(v) : 0;
	return 0;
}

static int add_rate(struct checker *c, struct config_rate **r, size_t *n, char *name, double rate, int depth)
{
	struct config_rate *more = name ? realloc(*r, (*n + 1) * sizeof **r) : NULL;
	if (!more) {
		free(name);
		return bad(c, "out of memory");
	}
	*r = more;
	(*r)[*n] = (struct config_rate){name, rate, depth, *n};
	(*n)++;
	return 0;
}

/* Go's chart:{a,b} form: at most one "{", closed by the final "}", no
 * empty alternative. Adds every expanded name. */
static int add_counter(struct checker *c, const char *name, double rate, struct config_rate **r, size_t *n)
{
	const char *open = strchr(name, '{');
	if (!open)
		return add_rate(c, r, n, strdup(name), rate, 0);
	size_t nlen = strlen(name);
	if (name[nlen - 1] != '}' || strchr(open + 1, '{') || memchr(open, '}', (size_t)(name + nlen - 1 - open)))
		return bad(c, "a bucket list must be one {a,b,...} at the end of the name (malformed buckets in \"%s\")",
			   name);
	const char *item = open + 1, *end = name + nlen - 1;
	while (item <= end) {
		const char *comma = memchr(item, ',', (size_t)(end - item));
		const char *item_end = comma ? comma : end;
		char *full;
		if (item_end == item)
			return bad(c, "empty bucket in {...}");
		if (asprintf(&full, "%.*s%.*s", (int)(open - name), name, (int)(item_end - item), item) < 0)
			full = NULL;
		if (add_rate(c, r, n, full, rate, 0) < 0)
			return -1;
		item = item_end + 1;
	}
	return 0;
}

/* What a Counters or Stacks item shares: an object of known fields, a
 * Name and a Rate. */
static int check_item(struct checker *c, json_t *item, size_t i, const char *const *fields, const char *shape,
		      const char **name, double *rate)
{
	if (!json_is_object(item))
		return bad(c, "item %zu: must be an object %s", i, shape);
	push_index(c, i);
	if (check_members(c, item, fields) < 0 || get_name(c, item, "Name", name) < 0)
		return -1;
	pop(c);
	return get_item_rate(c, item, i, rate);
}

static int check_counter(struct checker *c, json_t *item, size_t i, struct config_program *p)
{
	static const char *const fields[] = {"Name", "Rate", NULL};
	const char *name;
	double rate;
	if (check_item(c, item, i, fields, "{\"Name\", \"Rate\"}", &name, &rate) < 0)
		return -1;
	push_index(c, i);
	push_key(c, "Name");
	if (add_counter(c, name, rate, &p->counters, &p->n_counters) < 0)
		return -1;
	pop(c);
	pop(c);
	return 0;
}

static int check_stack(struct checker *c, json_t *item, size_t i, struct config_program *p)
{
	static const char *const fields[] = {"Name", "Rate", "Depth", NULL};
	const char *name;
	double rate;
	if (check_item(c, item, i, fields, "{\"Name\", \"Rate\", \"Depth\"}", &name, &rate) < 0)
		return -1;
	push_index(c, i);
	/* Go's CounterConfig.Depth is omitempty: absent and 0 are the same. */
	json_t *depth = json_object_get(item, "Depth");
	push_key(c, "Depth");
	if (depth && (!json_is_integer(depth) || json_integer_value(depth) < 0 ||
		      json_integer_value(depth) > MAX_STACK_DEPTH))
		return bad(c, "must be an integer from 0 to %d", MAX_STACK_DEPTH);
	pop(c);
	pop(c);
	return add_rate(c, &p->stacks, &p->n_stacks, strdup(name), rate, depth ? (int)json_integer_value(depth) : 0);
}

static int by_rate_name(const void *a, const void *b)
{
	const struct config_rate *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sorts and removes duplicate names. The one listed last wins, as in Go's
 * config (a map assigned in list order). */
static void sort_unique(struct config_rate *r, size_t *n)
{
	if (*n == 0)
		return;
	qsort(r, *n, sizeof *r, by_rate_name);
	size_t out = 0;
	for (size_t i = 1; i < *n; i++) {
		if (strcmp(r[out].name, r[i].name) == 0) {
			free(r[out].name);
			r[out] = r[i];
		} else {
			r[++out] = r[i];
		}
	}
	*n = out + 1;
}

/* Counters or Stacks of a program: an optional list of objects. */
static int check_rates(struct checker *c, json_t *prog, const char *key, struct config_program *p,
		       int (*check_item)(struct checker *, json_t *, size_t, struct config_program *))
{
	json_t *list = json_object_get(prog, key);
	push_key(c, key);
	if (list && !json_is_array(list))
		return bad(c, "not a list");
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
		if (check_item(c, item, i, p) < 0)
			return -1;
	pop(c);
	return 0;
}

static int check_program(struct checker *c, struct upload_config *cfg, json_t *prog, struct config_program *p)
{
	static const char *const fields[] = {"Name", "Versions", "Counters", "Stacks", "Modules", NULL};
	const char *name;
	int any_module;
	if (!json_is_object(prog))
		return bad(c, "must be an object {\"Name\", \"Versions\", \"Counters\", \"Stacks\"}");
	if (check_members(c, prog, fields) < 0 || get_name(c, prog, "Name", &name) < 0)
		return -1;
	if (config_find_program(cfg, name)) {
		push_key(c, "Name");
		return bad(c, "program \"%s\" is listed twice", name);
	}
	if (!(p->name = strdup(name)))
		return bad(c, "out of memory");
	if (get_names(c, prog, "Versions", 0, &p->versions, &p->n_versions, &p->any_version) < 0 ||
	    check_rates(c, prog, "Counters", p, check_counter) < 0 || check_rates(c, prog, "Stacks", p, check_stack) < 0 ||
	    get_names(c, prog, "Modules", 0, &p->modules, &p->n_modules, &any_module) < 0)
		return -1;
	sort_unique(p->counters, &p->n_counters);
	sort_unique(p->stacks, &p->n_stacks);
	return 0;
}

static int check_programs(struct checker *c, struct upload_config *cfg, json_t *root)
{
	json_t *list = json_object_get(root, "Programs");
	push_key(c, "Programs");
	if (!list)
		return bad(c, "missing");
	if (!json_is_array(list))
		return bad(c, "must be an array of programs");
	cfg->programs = calloc(json_array_size(list) + 1, sizeof *cfg->programs);
	if (!cfg->programs)
		return bad(c, "out of memory");
	size_t i;
	json_t *prog;
	json_array_foreach(list, i, prog) {
		push_index(c, i);
		/* counted before the check, so that config_free frees a half-made entry */
		cfg->n_programs++;
		if (check_program(c, cfg, prog, &cfg->programs[i]) < 0)
			return -1;
		pop(c);
	}
	pop(c);
	return 0;
}

/* Go's published config (x/telemetry config/config.json) has no Version:
 * Go names it by its module's version. Without one, the config is named by
 * its content, "v0.0.0-h" and 16 hex digits of FNV-1a-64 over its
 * canonical JSON (sorted keys, compact): the same for the collector that
 * serves it and every client that fetched it, however it was indented. A
 * semantic version, as Go's server requires of a report's Config. */
static char *derived_version(json_t *root)
{
	char *canon = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!canon)
		return NULL;
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)canon; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	free(canon);
	char *out;
	return asprintf(&out, "v0.0.0-h%016llx", (unsigned long long)h) < 0 ? NULL : out;
}

static int check_root(struct checker *c, struct upload_config *cfg, json_t *root)
{
	static const char *const fields[] = {"Version", "GOOS", "GOARCH", "GoVersion", "SampleRate", "Programs", NULL};
	const char *version = "";
	int any;
	if (!json_is_object(root))
		return bad(c, "the config must be a JSON object");
	if (check_members(c, root, fields) < 0 ||
	    (json_object_get(root, "Version") && get_name(c, root, "Version", &version) < 0) ||
	    get_names(c, root, "GOOS", 1, &cfg->goos, &cfg->n_goos, &any) < 0 ||
	    get_names(c, root, "GOARCH", 1, &cfg->goarch, &cfg->n_goarch, &any) < 0 ||
	    get_names(c, root, "GoVersion", 0, &cfg->goversion, &cfg->n_goversion, &cfg->any_goversion) < 0 ||
	    get_sample_rate(c, root, &cfg->sample_rate) < 0)
		return -1;
	if (!json_object_get(root, "Version"))
		cfg->version = derived_version(root);
	else
		cfg->version = strdup(version);
	if (!cfg->version)
		return bad(c, "out of memory");
	return check_programs(c, cfg, root);
}

int config_check(const char *text, size_t len, struct upload_config *c, struct config_error *err)
{
	memset(c, 0, sizeof *c);
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		err->line = jerr.line;
		snprintf(err->text, sizeof err->text, "%s", jerr.text);
		return -1;
	}
	struct checker k = {text, len, {{0}}, 0, err};
	int rc = check_root(&k, c, root);
	json_decref(root);
	if (rc < 0)
		config_free(c);
	return rc;
}

int config_parse(const char *text, size_t len, const char *source, int quiet, struct upload_config *c)
{
	struct config_error err;
	if (config_check(text, len, c, &err) == 0)
		return 0;
	/* FILE:LINE: what, as compilers print it, and as the collector does */
	if (!quiet)
		fprintf(stderr, "telem: %s:%d: %s\n", source, err.line, err.text);
	return -1;
}

char *config_read_file(const char *path, size_t *len)
{
	/* O_NONBLOCK: a FIFO must not hang us; only regular files are read. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		errno = e;
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return NULL;
	}
	char *text = NULL;
	size_t cap = 0;
	*len = 0;
	for (;;) {
		if (*len + 4096 + 1 > cap) {
			char *more = realloc(text, cap = cap * 2 + 4096 + 1);
			if (!more)
				break;
			text = more;
		}
		size_t n = fread(text + *len, 1, cap - *len - 1, f);
		*len += n;
		if (n == 0) {
			int e = ferror(f) ? EIO : 0;
			fclose(f);
			text[*len] = 0;
			if (e)
				free(text), text = NULL, errno = e;
			return text;
		}
	}
	fclose(f);
	free(text);
	errno = ENOMEM;
	return NULL;
}

static int load_file(const char *path, int quiet, struct upload_config *c)
{
	size_t len;
	char *text = config_read_file(path, &len);
	if (!text) {
		if (errno == ENOENT)
			return 1;
		if (!quiet)
			fprintf(stderr, "telem: %s: cannot read: %s\n", path, strerror(errno));
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

static void free_strings(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
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
		free_strings(p->modules, p->n_modules);
	}
	free(c->programs);
	free_strings(c->goos, c->n_goos);
	free_strings(c->goarch, c->n_goarch);
	free_strings(c->goversion, c->n_goversion);
	free(c->version);
	memset(c, 0, sizeof *c);
}

static const struct config_rate *find_rate(const struct config_rate *r, size_t n, const char *name, size_t len);

static int in_list(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

int config_allows_platform(const struct upload_config *c, const char *goos, const char *goarch)
{
	return in_list(c->goos, c->n_goos, goos) && in_list(c->goarch, c->n_goarch, goarch);
}

int config_allows_goversion(const struct upload_config *c, const char *goversion)
{
	return c->any_goversion || in_list(c->goversion, c->n_goversion, goversion);
}

const struct config_program *config_find_program(const struct upload_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_programs; i++)
		if (c->programs[i].name && strcmp(c->programs[i].name, name) == 0)
			return &c->programs[i];
	return NULL;
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

/* Go's createReport: HasGoVersion && HasProgram && HasVersion. An absent
 * list holds nothing (Go reads it as an empty set); GOOS and GOARCH are not
 * looked at (Go's server checks them). */
const struct config_program *config_match_program(const struct upload_config *c, const char *program,
						   const char *version, const char *human, const char *goversion)
{
	const struct config_program *p = config_find_program(c, program);
	if (!p || !in_list(c->goversion, c->n_goversion, goversion))
		return NULL;
	for (size_t v = 0; v < p->n_versions; v++)
		if (strcmp(p->versions[v], version) == 0 || version_matches(p->versions[v], version, human))
			return p;
	return NULL;
}

int config_uploadable(const struct upload_config *c, double x)
{
	return !(x > c->sample_rate && c->sample_rate > 0);
}

/* Go keeps one rate per (program, name), counters' first, then stacks'
 * (a stack of the same name overrides a counter's). */
static double rate_of(const struct config_program *p, const struct config_rate *counter, const char *name, size_t len)
{
	const struct config_rate *s = find_rate(p->stacks, p->n_stacks, name, len);
	return s ? s->rate : counter->rate;
}

int config_uploads_counter(const struct config_program *p, const char *name, size_t len, double x)
{
	const struct config_rate *r = config_counter(p, name, len);
	return r && x <= rate_of(p, r, name, len);
}

int config_uploads_stack(const struct config_program *p, const char *name, size_t len, double x)
{
	const char *nl = memchr(name, '\n', len);
	size_t first = nl ? (size_t)(nl - name) : len;
	const struct config_rate *r = config_stack(p, name, first);
	return r && x <= r->rate;
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
