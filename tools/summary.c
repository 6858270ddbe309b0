#define _GNU_SOURCE
#include "summary.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "countermodel.h"
#include "history.h"
#include "names.h"

static struct program_summary *program_entry(struct summary *s, const char *program, const char *version)
{
	for (size_t i = 0; i < s->n_programs; i++)
		if (strcmp(s->programs[i].program, program) == 0)
			return &s->programs[i];
	struct program_summary *p = realloc(s->programs, (s->n_programs + 1) * sizeof *p);
	if (!p)
		abort();
	s->programs = p;
	p = &p[s->n_programs++];
	memset(p, 0, sizeof *p);
	p->program = strdup(program);
	p->version = strdup(version ? version : "");
	p->peak_rank = -1;
	return p;
}

static void add_flag(struct program_summary *p, const char *flag, uint64_t n)
{
	for (size_t i = 0; i < p->n_flags; i++)
		if (strcmp(p->flags[i].flag, flag) == 0) {
			p->flags[i].count += n;
			return;
		}
	p->flags = realloc(p->flags, (p->n_flags + 1) * sizeof *p->flags);
	if (!p->flags)
		abort();
	p->flags[p->n_flags].flag = strdup(flag);
	p->flags[p->n_flags++].count = n;
}

static void add_signal(struct program_summary *p, const char *sig, uint64_t n)
{
	char *old = p->signals, *next;
	if (asprintf(&next, "%s%s%s (%llu)", old ? old : "", old ? " " : "", sig, (unsigned long long)n) < 0)
		abort();
	free(old);
	p->signals = next;
	p->crashed += n;
}

static void add_stack(struct summary *s, const char *program, const char *name, size_t len, uint64_t n)
{
	struct stack_summary *st = realloc(s->stacks, (s->n_stacks + 1) * sizeof *st);
	if (!st)
		abort();
	s->stacks = st;
	st = &st[s->n_stacks++];
	memset(st, 0, sizeof *st);
	st->program = strdup(program);
	st->count = n;
	char *copy = strndup(name, len), *save = NULL;
	char *kind = strtok_r(copy, "\n", &save);
	st->kind = strdup(kind && strchr(kind, '/') ? strchr(kind, '/') + 1 : "crash");
	for (char *f = strtok_r(NULL, "\n", &save); f; f = strtok_r(NULL, "\n", &save)) {
		st->frames = realloc(st->frames, (st->n_frames + 1) * sizeof *st->frames);
		st->frames[st->n_frames++] = strdup(f);
	}
	free(copy);
}

/* One counter "<program>/<what>" of file d into p. */
static void add_counter(struct summary *s, struct program_summary *p, const struct counter_entry *c)
{
	size_t plen = strlen(p->program);
	/* Stacks: crash/crash, crash/ice, and a rebuilt program's own "<program>/<name>\n..." */
	if (memchr(c->name, '\n', c->len)) {
		add_stack(s, p->program, c->name, c->len, c->count);
		return;
	}
	if (c->len <= plen + 1 || memcmp(c->name, p->program, plen) != 0 || c->name[plen] != '/')
		return;
	const char *what = c->name + plen + 1, *v;
	if (strcmp(what, "invocations") == 0) {
		p->runs += c->count;
		s->processes += c->count;
	} else if ((v = strstr(what, "exit:")) == what) {
		p->exited += c->count;
		if (strcmp(v + 5, "0") != 0)
			p->failed += c->count;
	} else if ((v = strstr(what, "signal:")) == what) {
		add_signal(p, v + 7, c->count);
	} else if (strcmp(what, "wall-us") == 0) {
		p->wall_us += c->count;
	} else if (strcmp(what, "cpu-us") == 0) {
		p->cpu_us += c->count;
	} else if (strcmp(what, "wall-ms") == 0) { /* written by shims before the -us sums */
		p->wall_us += c->count * 1000;
	} else if (strcmp(what, "cpu-ms") == 0) {
		p->cpu_us += c->count * 1000;
	} else if ((v = strstr(what, "maxrss:")) == what) {
		int rank = names_rss_rank(v + 7);
		if (rank > p->peak_rank && c->count) {
			p->peak_rank = rank;
			free(p->peak_rss);
			p->peak_rss = strdup(v + 7);
		}
	} else if ((v = strstr(what, "flag:")) == what) {
		add_flag(p, v + 5, c->count);
	}
}

static int by_count(const void *a, const void *b)
{
	const struct flag_count *x = a, *y = b;
	return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->flag, y->flag);
}

static int by_program(const void *a, const void *b)
{
	return strcmp(((const struct program_summary *)a)->program, ((const struct program_summary *)b)->program);
}

static int by_stack_count(const void *a, const void *b)
{
	const struct stack_summary *x = a, *y = b;
	return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->program, y->program);
}

int summary_load(const char *local_dir, struct summary *s)
{
	memset(s, 0, sizeof *s);
	struct counter_data *files;
	size_t n;
	int status = history_load(local_dir, &files, &n, NULL, NULL); /* counter files and local reports */
	for (size_t i = 0; i < n; i++) {
		const struct counter_data *d = &files[i];
		const char *program = counter_data_meta(d, "Program");
		if (program) {
			struct program_summary *p = program_entry(s, program, counter_data_meta(d, "Version"));
			for (size_t j = 0; j < d->n; j++)
				add_counter(s, p, &d->counters[j]);
		}
	}
	history_free(files, n);
	qsort(s->programs, s->n_programs, sizeof *s->programs, by_program);
	for (size_t i = 0; i < s->n_programs; i++)
		qsort(s->programs[i].flags, s->programs[i].n_flags, sizeof *s->programs[i].flags, by_count);
	qsort(s->stacks, s->n_stacks, sizeof *s->stacks, by_stack_count);
	return status;
}

/* "1.2 s", "340 ms", "2 min 5 s": human durations for the table. */
static const char *duration(char *buf, size_t cap, uint64_t ms)
{
	if (ms < 1000)
		snprintf(buf, cap, "%llu ms", (unsigned long long)ms);
	else if (ms < 120000)
		snprintf(buf, cap, "%.1f s", ms / 1000.0);
	else
		snprintf(buf, cap, "%llu min %llu s", (unsigned long long)(ms / 60000),
			 (unsigned long long)(ms / 1000 % 60));
	return buf;
}

static void print_flags(FILE *out, const struct program_summary *p)
{
	for (size_t i = 0; i < p->n_flags && i < SUMMARY_TOP_FLAGS; i++)
		fprintf(out, "%s%s (%llu)", i ? " " : "", p->flags[i].flag, (unsigned long long)p->flags[i].count);
}

void summary_print(FILE *out, const struct summary *s, const char *command, double seconds)
{
	char a[32], b[32], c[32];
	if (seconds >= 0)
		fprintf(out, "telem: %s: %llu instrumented process%s in %.1f s\n", command,
			(unsigned long long)s->processes, s->processes == 1 ? "" : "es", seconds);
	else
		fprintf(out, "telem: %s: %llu instrumented process%s\n", command,
			(unsigned long long)s->processes, s->processes == 1 ? "" : "es");
	fprintf(out, "%-14s %6s %6s %7s %11s %9s %11s %8s  %s\n", "program", "runs", "failed", "crashed",
		"wall total", "wall mean", "cpu total", "peak rss", "top flags");
	for (size_t i = 0; i < s->n_programs; i++) {
		const struct program_summary *p = &s->programs[i];
		fprintf(out, "%-14s %6llu %6llu %7llu %11s %9s %11s %8s  ", p->program, (unsigned long long)p->runs,
			(unsigned long long)p->failed, (unsigned long long)p->crashed,
			duration(a, sizeof a, p->wall_us / 1000),
			duration(b, sizeof b, p->runs ? p->wall_us / p->runs / 1000 : 0),
			duration(c, sizeof c, p->cpu_us / 1000), p->peak_rss ? p->peak_rss : "-");
		print_flags(out, p);
		fputc('\n', out);
	}
	for (size_t i = 0; i < s->n_programs; i++)
		if (summary_not_seen(&s->programs[i]))
			fprintf(out, "not seen: %s: %llu of %llu run%s ended where telem could not see (SIGKILL, an exec "
				     "into a static binary, ...)\n",
				s->programs[i].program, (unsigned long long)summary_not_seen(&s->programs[i]),
				(unsigned long long)s->programs[i].runs, s->programs[i].runs == 1 ? "" : "s");
	for (size_t i = 0; i < s->n_programs; i++)
		if (s->programs[i].signals)
			fprintf(out, "crashed: %s (%s) %s\n", s->programs[i].program, s->programs[i].version,
				s->programs[i].signals);
	for (size_t i = 0; i < s->n_stacks; i++) {
		const struct stack_summary *st = &s->stacks[i];
		fprintf(out, "stack: %s %s (%llu)\n", st->program, st->kind, (unsigned long long)st->count);
		for (size_t j = 0; j < st->n_frames && j < SUMMARY_STACK_FRAMES; j++)
			fprintf(out, "    %s\n", st->frames[j]);
		if (st->n_frames > SUMMARY_STACK_FRAMES)
			fprintf(out, "    ... %zu more frame%s (telem crashes shows them all)\n",
				st->n_frames - SUMMARY_STACK_FRAMES, st->n_frames - SUMMARY_STACK_FRAMES == 1 ? "" : "s");
	}
}

/* Counts in JSON follow the one rule for large counts (count_shown). */
#define J(v) ((json_int_t)count_shown(v))

json_t *summary_json(const struct summary *s, const char *command, double seconds, int status)
{
	json_t *programs = json_array(), *stacks = json_array();
	for (size_t i = 0; i < s->n_programs; i++) {
		const struct program_summary *p = &s->programs[i];
		json_t *flags = json_object();
		for (size_t j = 0; j < p->n_flags; j++)
			json_object_set_new(flags, p->flags[j].flag, json_integer(J(p->flags[j].count)));
		json_array_append_new(programs, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?, s:o}",
			"program", p->program, "version", p->version, "runs", J(p->runs),
			"failed", J(p->failed), "crashed", J(p->crashed),
			"not_seen", J(summary_not_seen(p)),
			"wall_ms", J(p->wall_us / 1000), "cpu_ms", J(p->cpu_us / 1000),
			"wall_us", J(p->wall_us), "cpu_us", J(p->cpu_us),
			"peak_rss", p->peak_rss, "flags", flags));
	}
	for (size_t i = 0; i < s->n_stacks; i++) {
		json_t *frames = json_array();
		for (size_t j = 0; j < s->stacks[i].n_frames; j++)
			json_array_append_new(frames, json_string(s->stacks[i].frames[j]));
		json_array_append_new(stacks, json_pack("{s:s, s:s, s:I, s:o}", "program", s->stacks[i].program,
							"kind", s->stacks[i].kind, "count",
							J(s->stacks[i].count), "frames", frames));
	}
	return json_pack("{s:s, s:i, s:f, s:I, s:o, s:o}", "command", command, "status", status, "seconds", seconds,
			 "processes", J(s->processes), "programs", programs, "stacks", stacks);
}

uint64_t summary_not_seen(const struct program_summary *p)
{
	uint64_t ended = p->exited + p->crashed;
	return p->runs > ended ? p->runs - ended : 0;
}

void summary_free(struct summary *s)
{
	for (size_t i = 0; i < s->n_programs; i++) {
		struct program_summary *p = &s->programs[i];
		for (size_t j = 0; j < p->n_flags; j++)
			free(p->flags[j].flag);
		free(p->flags);
		free(p->program);
		free(p->version);
		free(p->peak_rss);
		free(p->signals);
	}
	for (size_t i = 0; i < s->n_stacks; i++) {
		for (size_t j = 0; j < s->stacks[i].n_frames; j++)
			free(s->stacks[i].frames[j]);
		free(s->stacks[i].frames);
		free(s->stacks[i].program);
		free(s->stacks[i].kind);
	}
	free(s->programs);
	free(s->stacks);
	memset(s, 0, sizeof *s);
}
