#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"

#define MAX_STACK_DEPTH 1024

/* Where the check is in the document, for "FILE:LINE: Programs[1].Name: ...". */
struct checker {
	const char *path, *text;
	size_t len;
	struct json_step steps[8];
	int depth;
	char *err;
	size_t errlen;
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
	int line = json_line_of(c->text, c->len, c->steps, c->depth);
	int n = snprintf(c->err, c->errlen, "%s:%d: ", c->path, line);
	for (int i = 0; i < c->depth && n >= 0 && (size_t)n < c->errlen; i++) {
		if (c->steps[i].key)
			n += snprintf(c->err + n, c->errlen - (size_t)n, "%s%s", i ? "." : "", c->steps[i].key);
		else
			n += snprintf(c->err + n, c->errlen - (size_t)n, "[%zu]", c->steps[i].index);
	}
	if (c->depth && n >= 0 && (size_t)n < c->errlen)
		n += snprintf(c->err + n, c->errlen - (size_t)n, ": ");
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Every member of obj must be one of allowed (NULL-terminated): a typo such
 * as "Counter" must not silently allow nothing. */
static int check_members(struct checker *c, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, key) != 0)
			a++;
		if (!*a) {
			push_key(c, key);
			return bad(c, "unknown field (expected one of the fields of Go's UploadConfig)");
		}
	}
	return 0;
}

static int no_space_or_newline(const char *s)
{
	return s[0] && !strpbrk(s, " \t\r\n");
}

/* A required non-empty string without blanks. */
static int get_name(struct checker *c, json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);
	push_key(c, key);
	if (!v)
		return bad(c, "missing");
	if (!json_is_string(v) || !no_space_or_newline(json_string_value(v)))
		return bad(c, "must be a non-empty string without blanks");
	pop(c);
	*out = json_string_value(v);
	return 0;
}

/* An optional array of names, added to set (when set) or counted in *n. */
static int get_names(struct checker *c, json_t *obj, const char *key, int required, struct strset *set, json_t **array)
{
	json_t *v = json_object_get(obj, key);
	*array = v;
	push_key(c, key);
	if (!v) {
		if (required)
			return bad(c, "missing");
		pop(c);
		return 0;
	}
	if (!json_is_array(v) || (required && json_array_size(v) == 0))
		return bad(c, required ? "must be a non-empty array of strings" : "must be an array of strings");
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		push_index(c, i);
		if (!json_is_string(item) || !no_space_or_newline(json_string_value(item)))
			return bad(c, "must be a non-empty string without blanks");
		if (set && strset_add(set, json_string_value(item), json_string_length(item)) < 0)
			return bad(c, "out of memory");
		pop(c);
	}
	pop(c);
	return 0;
}

static int check_rate(struct checker *c, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	push_key(c, key);
	if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1))
		return bad(c, "must be a number from 0 to 1");
	pop(c);
	return 0;
}

/* Go's chart:{a,b} form: at most one "{", closed by the final "}", no
 * empty alternative. Adds every expanded name for program. */
static int add_counter(struct checker *c, struct upload_config *cfg, const char *program, const char *name)
{
	const char *open = strchr(name, '{');
	size_t plen = strlen(program);
	char key[4200];
	if (!open) {
		if (plen + 1 + strlen(name) >= sizeof key)
			return bad(c, "too long");
		int n = snprintf(key, sizeof key, "%s\n%s", program, name);
		return strset_add(&cfg->counters, key, (size_t)n) < 0 ? bad(c, "out of memory") : 0;
	}
	size_t nlen = strlen(name);
	if (name[nlen - 1] != '}' || strchr(open + 1, '{') || memchr(open, '}', (size_t)(name + nlen - 1 - open)))
		return bad(c, "a bucket list must be one {a,b,...} at the end of the name");
	const char *item = open + 1, *end = name + nlen - 1;
	while (item <= end) {
		const char *comma = memchr(item, ',', (size_t)(end - item));
		const char *item_end = comma ? comma : end;
		if (item_end == item)
			return bad(c, "empty bucket in {...}");
		if (plen + 1 + (size_t)(open - name) + (size_t)(item_end - item) >= sizeof key)
			return bad(c, "too long");
		int n = snprintf(key, sizeof key, "%s\n%.*s%.*s", program, (int)(open - name), name,
				 (int)(item_end - item), item);
		if (strset_add(&cfg->counters, key, (size_t)n) < 0)
			return bad(c, "out of memory");
		item = item_end + 1;
	}
	return 0;
}

static int check_counters(struct checker *c, struct upload_config *cfg, json_t *prog, const char *program)
{
	static const char *const fields[] = {"Name", "Rate", NULL};
	json_t *list = json_object_get(prog, "Counters");
	push_key(c, "Counters");
	if (list && !json_is_array(list))
		return bad(c, "must be an array of {\"Name\", \"Rate\"}");
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		const char *name;
		push_index(c, i);
		if (!json_is_object(item))
			return bad(c, "must be an object {\"Name\", \"Rate\"}");
		if (check_members(c, item, fields) < 0 || get_name(c, item, "Name", &name) < 0 ||
		    check_rate(c, item, "Rate") < 0)
			return -1;
		push_key(c, "Name");
		if (add_counter(c, cfg, program, name) < 0)
			return -1;
		pop(c);
		pop(c);
	}
	pop(c);
	return 0;
}

static int check_stack(struct checker *c, json_t *item, struct stack_config *s)
{
	static const char *const fields[] = {"Name", "Rate", "Depth", NULL};
	const char *name;
	if (!json_is_object(item))
		return bad(c, "must be an object {\"Name\", \"Rate\", \"Depth\"}");
	if (check_members(c, item, fields) < 0 || get_name(c, item, "Name", &name) < 0 ||
	    check_rate(c, item, "Rate") < 0)
		return -1;
	json_t *depth = json_object_get(item, "Depth");
	push_key(c, "Depth");
	if (!depth)
		return bad(c, "missing (the most frames a stack may have)");
	if (!json_is_integer(depth) || json_integer_value(depth) < 1 || json_integer_value(depth) > MAX_STACK_DEPTH)
		return bad(c, "must be an integer from 1 to %d", MAX_STACK_DEPTH);
	pop(c);
	s->name = strdup(name);
	s->depth = (int)json_integer_value(depth);
	return s->name ? 0 : bad(c, "out of memory");
}

static int check_stacks(struct checker *c, json_t *prog, struct program_config *p)
{
	json_t *list = json_object_get(prog, "Stacks");
	push_key(c, "Stacks");
	if (list && !json_is_array(list))
		return bad(c, "must be an array of {\"Name\", \"Rate\", \"Depth\"}");
	p->stacks = calloc(json_array_size(list) + 1, sizeof *p->stacks);
	if (!p->stacks)
		return bad(c, "out of memory");
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		push_index(c, i);
		if (check_stack(c, item, &p->stacks[i]) < 0)
			return -1;
		p->n_stacks++;
		pop(c);
	}
	pop(c);
	return 0;
}

static int copy_versions(struct checker *c, json_t *array, struct program_config *p)
{
	p->versions = calloc(json_array_size(array) + 1, sizeof *p->versions);
	if (!p->versions)
		return bad(c, "out of memory");
	size_t i;
	json_t *item;
	json_array_foreach(array, i, item) {
		if (!(p->versions[i] = strdup(json_string_value(item))))
			return bad(c, "out of memory");
		p->n_versions++;
	}
	return 0;
}

static int check_program(struct checker *c, struct upload_config *cfg, json_t *prog, struct program_config *p)
{
	static const char *const fields[] = {"Name", "Versions", "Counters", "Stacks", NULL};
	const char *name;
	json_t *versions;
	if (!json_is_object(prog))
		return bad(c, "must be an object {\"Name\", \"Versions\", \"Counters\", \"Stacks\"}");
	if (check_members(c, prog, fields) < 0 || get_name(c, prog, "Name", &name) < 0)
		return -1;
	if (config_program(cfg, name)) {
		push_key(c, "Name");
		return bad(c, "program \"%s\" is listed twice", name);
	}
	if (!(p->name = strdup(name)))
		return bad(c, "out of memory");
	if (get_names(c, prog, "Versions", 0, NULL, &versions) < 0 || copy_versions(c, versions, p) < 0)
		return -1;
	p->any_version = versions == NULL;
	return check_counters(c, cfg, prog, name) < 0 || check_stacks(c, prog, p) < 0 ? -1 : 0;
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

static int check_root(struct checker *c, struct upload_config *cfg, json_t *root)
{
	static const char *const fields[] = {"Version", "GOOS", "GOARCH", "GoVersion", "SampleRate", "Programs", NULL};
	const char *version;
	json_t *array;
	if (!json_is_object(root))
		return bad(c, "the config must be a JSON object");
	if (check_members(c, root, fields) < 0 || get_name(c, root, "Version", &version) < 0 ||
	    get_names(c, root, "GOOS", 1, &cfg->goos, &array) < 0 ||
	    get_names(c, root, "GOARCH", 1, &cfg->goarch, &array) < 0 ||
	    get_names(c, root, "GoVersion", 0, &cfg->goversion, &array) < 0 ||
	    check_rate(c, root, "SampleRate") < 0)
		return -1;
	cfg->any_goversion = array == NULL;
	if (!(cfg->version = strdup(version)))
		return bad(c, "out of memory");
	return check_programs(c, cfg, root);
}

int config_load(const char *path, struct upload_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (jerr.line > 0)
			snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
		else
			snprintf(err, errlen, "%s: %s", path, jerr.text);
		return -1;
	}
	/* jansson read the file; read it again as text to find lines */
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");
	if (f) {
		text = malloc(1 << 20);
		len = text ? fread(text, 1, 1 << 20, f) : 0;
		fclose(f);
	}
	struct checker c = {path, text ? text : "", len, {{0}}, 0, err, errlen};
	int rc = check_root(&c, cfg, root);
	if (rc == 0) {
		cfg->published = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2));
		cfg->published_len = cfg->published ? strlen(cfg->published) : 0;
		if (!cfg->published)
			rc = -1, snprintf(err, errlen, "%s: out of memory", path);
	}
	free(text);
	json_decref(root);
	if (rc < 0)
		config_free(cfg);
	return rc;
}

void config_free(struct upload_config *cfg)
{
	for (size_t i = 0; i < cfg->n_programs; i++) {
		struct program_config *p = &cfg->programs[i];
		for (size_t j = 0; j < p->n_versions; j++)
			free(p->versions[j]);
		for (size_t j = 0; j < p->n_stacks; j++)
			free(p->stacks[j].name);
		free(p->versions);
		free(p->stacks);
		free(p->name);
	}
	free(cfg->programs);
	free(cfg->version);
	free(cfg->published);
	strset_free(&cfg->goos);
	strset_free(&cfg->goarch);
	strset_free(&cfg->goversion);
	strset_free(&cfg->counters);
	memset(cfg, 0, sizeof *cfg);
}

const struct program_config *config_program(const struct upload_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_programs; i++)
		if (cfg->programs[i].name && strcmp(cfg->programs[i].name, name) == 0)
			return &cfg->programs[i];
	return NULL;
}

static int is_build_id_prefix(const char *s)
{
	size_t n = strlen(s);
	return n >= 6 && strspn(s, "0123456789abcdef") == n;
}

int config_version_ok(const struct program_config *p, const char *version)
{
	int human = 0;
	if (p->any_version)
		return 1;
	for (size_t i = 0; i < p->n_versions; i++) {
		const char *want = p->versions[i];
		if (is_build_id_prefix(want) ? strncmp(version, want, strlen(want)) == 0 : strcmp(version, want) == 0)
			return 1;
		human |= !is_build_id_prefix(want);
	}
	return human;
}

int config_counter_ok(const struct upload_config *cfg, const char *program, const char *counter, size_t len)
{
	char key[4200];
	size_t plen = strlen(program);
	if (plen + 1 + len > sizeof key)
		return 0;
	memcpy(key, program, plen);
	key[plen] = '\n';
	memcpy(key + plen + 1, counter, len);
	return strset_has(&cfg->counters, key, plen + 1 + len);
}

int config_stack_depth(const struct program_config *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->n_stacks; i++)
		if (strlen(p->stacks[i].name) == len && memcmp(p->stacks[i].name, name, len) == 0)
			return p->stacks[i].depth;
	return -1;
}
