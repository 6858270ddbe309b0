#include "config.h"

#include <errno.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text served: the config as the collector read it, re-indented. */
static int publish(const char *text, size_t len, struct served_config *cfg)
{
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	cfg->published = root ? json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2)) : NULL;
	cfg->published_len = cfg->published ? strlen(cfg->published) : 0;
	json_decref(root);
	return cfg->published ? 0 : -1;
}

int served_config_load(const char *path, struct served_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	size_t len;
	char *text = config_read_file(path, &len);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct config_error e;
	int rc = config_check(text, len, &cfg->rules, &e);
	if (rc < 0)
		snprintf(err, errlen, "%s:%d: %s", path, e.line, e.text);
	else if (!cfg->rules.version[0])
		/* reports name the config they were made under by its Version */
		rc = -1, snprintf(err, errlen, "%s:1: Version: missing", path);
	else if (publish(text, len, cfg) < 0)
		rc = -1, snprintf(err, errlen, "%s: out of memory", path);
	free(text);
	if (rc < 0)
		served_config_free(cfg);
	return rc;
}

void served_config_free(struct served_config *cfg)
{
	config_free(&cfg->rules);
	free(cfg->published);
	memset(cfg, 0, sizeof *cfg);
}

static int is_build_id_prefix(const char *s)
{
	size_t n = strlen(s);
	return n >= 6 && strspn(s, "0123456789abcdef") == n;
}

int config_version_ok(const struct config_program *p, const char *version)
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
	const struct config_program *p = config_find_program(cfg, program);
	return p && config_counter(p, counter, len);
}

int config_stack_depth(const struct config_program *p, const char *name, size_t len)
{
	const struct config_rate *r = config_stack(p, name, len);
	return r ? (r->depth ? r->depth : INT_MAX) : -1; /* Depth 0: not given (Go's omitempty) */
}
