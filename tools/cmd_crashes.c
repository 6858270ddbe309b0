/* telem crashes: the crash stacks of every counter file, with counts,
 * program, version, first and last seen; --symbolize adds functions and
 * file:line for display. Pending crash records are ingested first. */
#define _GNU_SOURCE
#include <jansson.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "countermodel.h"
#include "history.h"
#include "ingest.h"
#include "stackmodules.h"
#include "symbolize.h"

struct stack {
	char *name, *program, *version;
	size_t len;
	uint64_t count;
	char first[11], last[11]; /* TimeBegin dates of the files it appears in */
};

struct stacks {
	struct stack *s;
	size_t n;
};

static struct stack *find_stack(struct stacks *all, const struct counter_entry *c, const char *program,
				const char *version)
{
	for (size_t i = 0; i < all->n; i++) {
		struct stack *s = &all->s[i];
		if (s->len == c->len && memcmp(s->name, c->name, c->len) == 0 && strcmp(s->program, program) == 0 &&
		    strcmp(s->version, version) == 0)
			return s;
	}
	struct stack *grown = realloc(all->s, (all->n + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	all->s = grown;
	struct stack *s = &all->s[all->n++];
	*s = (struct stack){.name = strndup(c->name, c->len), .program = strdup(program),
			    .version = strdup(version), .len = c->len};
	return s;
}

static void add_file(struct stacks *all, const struct counter_data *d)
{
	const char *program = counter_data_meta(d, "Program"), *version = counter_data_meta(d, "Version");
	const char *begin = counter_data_meta(d, "TimeBegin");
	char day[11] = "?";
	if (begin && strlen(begin) >= 10)
		snprintf(day, sizeof day, "%.10s", begin);
	for (size_t i = 0; i < d->n; i++) {
		const struct counter_entry *c = &d->counters[i];
		if (c->len < 6 || memcmp(c->name, "crash/", 6) != 0)
			continue;
		struct stack *s = find_stack(all, c, program ? program : "?", version ? version : "?");
		if (!s)
			return;
		s->count = s->count + c->count < s->count ? UINT64_MAX : s->count + c->count;
		const char *first = c->first_seen[0] ? c->first_seen : day; /* a reported week's (history.h) */
		const char *last = c->last_seen[0] ? c->last_seen : day;
		if (!s->first[0] || strcmp(first, s->first) < 0)
			snprintf(s->first, sizeof s->first, "%s", first);
		if (strcmp(last, s->last) > 0)
			snprintf(s->last, sizeof s->last, "%s", last);
	}
}

static int load_stacks(const struct cli *cli, struct stacks *all)
{
	struct counter_data *files;
	size_t n;
	int status = history_load(cli->local, &files, &n, NULL, NULL); /* counter files and local reports */
	for (size_t i = 0; i < n; i++)
		add_file(all, &files[i]);
	history_free(files, n);
	return status;
}

/* Most frequent first; then by program and name, for stable output. */
static int by_count(const void *a, const void *b)
{
	const struct stack *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	int c = strcmp(x->program, y->program);
	return c ? c : strcmp(x->name, y->name);
}

/* Frames: the lines after the counter's first ("crash/crash"). */
static json_t *frames_json(const struct stack *s, struct symbolizer *sym, json_t *modules, json_t **resolved,
			   json_t **unresolved)
{
	json_t *frames = json_array();
	*resolved = sym ? json_array() : NULL;
	*unresolved = sym ? json_array() : NULL;
	json_t *mods = json_object_get(modules, s->name);
	const char *nl = memchr(s->name, '\n', s->len), *end = s->name + s->len;
	for (const char *p = nl ? nl + 1 : end; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((e ? e : end) - p);
		char *frame = strndup(p, n);
		json_array_append_new(frames, json_stringn(frame, n));
		if (sym) {
			char *why = NULL;
			char *r = symbolizer_resolve(sym, frame, mods, s->program, s->version, &why);
			json_array_append_new(*resolved, r ? json_string(r) : json_null());
			json_array_append_new(*unresolved, why ? json_string(why) : json_null());
			free(r);
			free(why);
		}
		free(frame);
		p += n + 1;
	}
	return frames;
}

static json_t *stack_json(const struct stack *s, struct symbolizer *sym, json_t *modules)
{
	json_t *resolved, *unresolved;
	json_t *frames = frames_json(s, sym, modules, &resolved, &unresolved);
	size_t kind_len = strcspn(s->name + 6, "\n");
	json_t *o = json_pack("{s:s%, s:s%, s:I, s:s, s:s, s:s, s:s, s:o}", "stack", s->name, s->len, "kind",
			      s->name + 6, kind_len, "count", (json_int_t)s->count, "program", s->program,
			      "version", s->version, "first_seen", s->first, "last_seen", s->last, "frames",
			      frames);
	if (resolved)
		json_object_set_new(o, "symbolized", resolved);
	if (unresolved) /* what was missing, where symbolized is null */
		json_object_set_new(o, "missing", unresolved);
	return o;
}

/* "\n" between inlined functions: each on a line of its own, indented. */
static void print_resolved(const char *r)
{
	fputs("    (", stdout);
	for (; *r; r++) {
		if (*r == '\n')
			fputs(")\n                                (", stdout);
		else
			putchar(*r);
	}
	putchar(')');
}

static void print_stack(const struct stack *s, struct symbolizer *sym, json_t *modules)
{
	json_t *resolved, *unresolved;
	json_t *frames = frames_json(s, sym, modules, &resolved, &unresolved);
	int kind_len = (int)strcspn(s->name, "\n");
	printf("%8llu  %.*s  %s %s  first %s  last %s\n", (unsigned long long)s->count, kind_len, s->name,
	       s->program, s->version, s->first, s->last);
	for (size_t i = 0; i < json_array_size(frames); i++) {
		printf("          %s", json_string_value(json_array_get(frames, i)));
		const char *r = resolved ? json_string_value(json_array_get(resolved, i)) : NULL;
		const char *why = unresolved ? json_string_value(json_array_get(unresolved, i)) : NULL;
		if (resolved)
			print_resolved(r ? r : why ? why : "not found here");
		putchar('\n');
	}
	json_decref(frames);
	json_decref(resolved);
	json_decref(unresolved);
}

static int parse_options(int argc, char **argv, struct cli *cli, int *symbolize)
{
	const struct command *cmd = find_command("crashes");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cmd->usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			cli->json = 1;
		} else if (strcmp(argv[i], "--symbolize") == 0) {
			*symbolize = 1;
		} else {
			return usage_error("crashes", "unexpected argument '%s'", argv[i]);
		}
	}
	return -1;
}

int cmd_crashes(struct cli *cli, int argc, char **argv)
{
	int symbolize = 0;
	int rc = parse_options(argc, argv, cli, &symbolize);
	if (rc >= 0)
		return rc;
	int status = ingest_pending(cli->dir);
	struct stacks all = {NULL, 0};
	status |= load_stacks(cli, &all);
	if (all.n)
		qsort(all.s, all.n, sizeof *all.s, by_count);
	struct symbolizer *sym = symbolize ? symbolizer_new() : NULL;
	json_t *modules = symbolize ? stack_modules_load(cli->dir) : NULL;
	json_t *out = cli->json ? json_array() : NULL;
	for (size_t i = 0; i < all.n; i++) {
		if (out)
			json_array_append_new(out, stack_json(&all.s[i], sym, modules));
		else
			print_stack(&all.s[i], sym, modules);
	}
	if (out) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(out);
	} else if (all.n == 0) {
		printf("no crash stacks in %s\n", cli->local);
	}
	for (size_t i = 0; i < all.n; i++) {
		free(all.s[i].name);
		free(all.s[i].program);
		free(all.s[i].version);
	}
	free(all.s);
	symbolizer_free(sym);
	json_decref(modules);
	return status;
}
