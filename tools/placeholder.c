/* Placeholders for other modules' frames in uploads (see placeholder.h). */
#define _GNU_SOURCE
#include "placeholder.h"

#include <stdlib.h>
#include <string.h>

#include "stackmodules.h"

/* The module of a frame line: before "!", else before the last "+0x";
 * 0 for lines that name none ("??", Go's "truncated"). */
static size_t frame_module(const char *f, size_t n)
{
	const char *bang = memchr(f, '!', n);
	if (bang)
		return (size_t)(bang - f);
	for (size_t i = n; i-- > 0;)
		if (i + 3 <= n && memcmp(f + i, "+0x", 3) == 0)
			return i;
	return 0;
}

static int named_in_rule(const struct config_program *rule, const char *module)
{
	for (size_t i = 0; rule && i < rule->n_modules; i++)
		if (strcmp(rule->modules[i], module) == 0)
			return 1;
	return 0;
}

static int keeps_name(const char *module, const char *program, const struct config_program *rule, json_t *mods)
{
	if (strcmp(module, program) == 0 || named_in_rule(rule, module))
		return 1;
	const char *class = json_string_value(json_object_get(stack_modules_find(mods, module), "class"));
	return class && (strcmp(class, MODULE_PROGRAM) == 0 || strcmp(class, MODULE_SYSTEM) == 0);
}

char *placeholder_stack(const char *stack, size_t len, const char *program, const struct config_program *rule,
			json_t *modules, size_t *out_len)
{
	char *key = strndup(stack, len);
	json_t *mods = key ? json_object_get(modules, key) : NULL;
	free(key);
	/* Never longer than the input plus a placeholder per line. */
	size_t cap = len + 1 + (len + 1) * sizeof PLACEHOLDER_FRAME;
	char *out = malloc(cap), module[256];
	if (!out)
		return NULL;
	const char *nl = memchr(stack, '\n', len), *end = stack + len;
	size_t o = (size_t)((nl ? nl : end) - stack);
	memcpy(out, stack, o); /* the first line: crash/crash */
	int changed = 0;
	for (const char *p = nl ? nl + 1 : end; nl && p <= end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((e ? e : end) - p), m = frame_module(p, n);
		out[o++] = '\n';
		if (m && m < sizeof module) {
			memcpy(module, p, m);
			module[m] = 0;
		}
		if (m && (m >= sizeof module || !keeps_name(module, program, rule, mods))) {
			memcpy(out + o, PLACEHOLDER_FRAME, sizeof PLACEHOLDER_FRAME - 1);
			o += sizeof PLACEHOLDER_FRAME - 1;
			changed = 1;
		} else {
			memcpy(out + o, p, n);
			o += n;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (!changed) {
		free(out);
		return NULL;
	}
	out[o] = 0;
	*out_len = o;
	return out;
}
