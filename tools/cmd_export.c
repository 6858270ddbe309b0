/* telem export --prometheus: the local counters in Prometheus' text
 * exposition format (0.0.4), for existing monitoring. Counters of every
 * file in DIR/local are summed per program, version, counter and bucket;
 * stack counters become crash counts per program, version and top frame
 * only: a full stack as a label value would make a new series per crash. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "countermodel.h"
#include "history.h"
#include "ingest.h"

/* One output line before merging: metric (0 counter, 1 crash) and labels. */
struct sample {
	int crash;
	char *program, *version, *counter, *bucket; /* bucket NULL: none; for crashes, counter = top frame */
	uint64_t value;
};

struct samples {
	struct sample *v;
	size_t n, cap;
};

static int add_sample(struct samples *s, int crash, const char *program, const char *version, const char *counter,
		      size_t counter_len, const char *bucket, size_t bucket_len, uint64_t value)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct sample *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	struct sample *x = &s->v[s->n];
	*x = (struct sample){crash, strdup(program), strdup(version), strndup(counter, counter_len),
			     bucket ? strndup(bucket, bucket_len) : NULL, value};
	if (!x->program || !x->version || !x->counter || (bucket && !x->bucket))
		return -1;
	s->n++;
	return 0;
}

/* "gcc/flag:-O2" of program gcc -> counter "flag", bucket "-O2";
 * "gcc/wall-us" -> counter "wall-us", no bucket. A name owned by another
 * prefix ("crash/x") keeps its prefix. Stacks -> their first frame. */
static int add_counter(struct samples *s, const char *program, const char *version, const struct counter_entry *e)
{
	const char *name = e->name, *end = e->name + e->len;
	const char *nl = memchr(name, '\n', e->len);
	if (nl) {
		const char *frame = nl + 1, *frame_end = memchr(frame, '\n', (size_t)(end - frame));
		if (!frame_end)
			frame_end = end;
		return add_sample(s, 1, program, version, frame, (size_t)(frame_end - frame), NULL, 0, e->count);
	}
	size_t plen = strlen(program);
	if (e->len > plen + 1 && strncmp(name, program, plen) == 0 && name[plen] == '/')
		name += plen + 1;
	const char *colon = memchr(name, ':', (size_t)(end - name));
	if (!colon)
		return add_sample(s, 0, program, version, name, (size_t)(end - name), NULL, 0, e->count);
	return add_sample(s, 0, program, version, name, (size_t)(colon - name), colon + 1, (size_t)(end - colon - 1),
			  e->count);
}

static int strcmp_null(const char *a, const char *b)
{
	return !a || !b ? (a != NULL) - (b != NULL) : strcmp(a, b);
}

static int by_labels(const void *pa, const void *pb)
{
	const struct sample *a = pa, *b = pb;
	int c = a->crash - b->crash;
	if (!c)
		c = strcmp(a->program, b->program);
	if (!c)
		c = strcmp(a->version, b->version);
	if (!c)
		c = strcmp(a->counter, b->counter);
	return c ? c : strcmp_null(a->bucket, b->bucket);
}

static void free_samples(struct samples *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].program);
		free(s->v[i].version);
		free(s->v[i].counter);
		free(s->v[i].bucket);
	}
	free(s->v);
}

/* Counter files and local reports (history.h): 'telem report' deleting a
 * week's files must not make a counter series go down. */
static int load_samples(struct cli *cli, struct samples *s)
{
	struct counter_data *files;
	size_t n;
	int status = history_load(cli->local, &files, &n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct counter_data *d = &files[i];
		const char *program = counter_data_meta(d, "Program"), *version = counter_data_meta(d, "Version");
		for (size_t j = 0; program && version && j < d->n; j++)
			if (add_counter(s, program, version, &d->counters[j]) < 0)
				status = fail(d->path, "out of memory");
	}
	history_free(files, n);
	return status;
}

/* A time sum, in microseconds ("wall-us") or, in older files, milliseconds
 * ("wall-ms"): exported in seconds, Prometheus' base unit. Units per
 * second, or 0 for anything else. */
static uint64_t time_unit(const struct sample *x)
{
	size_t n = strlen(x->counter);
	if (x->crash || x->bucket || n <= 3)
		return 0;
	return strcmp(x->counter + n - 3, "-us") == 0 ? 1000000 : strcmp(x->counter + n - 3, "-ms") == 0 ? 1000 : 0;
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(FILE *out, const char *name, const char *value, int first)
{
	fprintf(out, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', out);
		if (*p == '\n')
			fputs("\\n", out);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void put_seconds(FILE *out, const struct sample *x, uint64_t sum, uint64_t unit, int *header)
{
	if (!(*header)++)
		fputs("# HELP telem_seconds_total telem's time sums (wall-us, cpu-us) in seconds, by program, version and counter.\n"
		      "# TYPE telem_seconds_total counter\n",
		      out);
	char *counter = strndup(x->counter, strlen(x->counter) - 3);
	fputs("telem_seconds_total{", out);
	put_label(out, "program", x->program, 1);
	put_label(out, "version", x->version, 0);
	put_label(out, "counter", counter ? counter : x->counter, 0);
	fprintf(out, "} %llu.%0*llu\n", (unsigned long long)(sum / unit), unit == 1000 ? 3 : 6,
		(unsigned long long)(sum % unit));
	free(counter);
}

static void put_samples(FILE *out, const struct samples *s)
{
	int header[3] = {0, 0, 0};
	for (size_t i = 0, j; i < s->n; i = j) {
		uint64_t sum = 0;
		for (j = i; j < s->n && by_labels(&s->v[i], &s->v[j]) == 0; j++)
			sum += s->v[j].value;
		const struct sample *x = &s->v[i];
		uint64_t unit = time_unit(x);
		if (unit) {
			put_seconds(out, x, sum, unit, &header[2]);
			continue;
		}
		if (!header[x->crash]++)
			fputs(x->crash ? "# HELP telem_crash_total Crashes in telem's stack counters, by program, version and top frame.\n"
					 "# TYPE telem_crash_total counter\n"
				       : "# HELP telem_counter telem's local counters (all counter files), by program, version, counter and bucket.\n"
					 "# TYPE telem_counter counter\n",
			      out);
		fputs(x->crash ? "telem_crash_total{" : "telem_counter{", out);
		put_label(out, "program", x->program, 1);
		put_label(out, "version", x->version, 0);
		put_label(out, x->crash ? "top_frame" : "counter", x->counter, 0);
		if (x->bucket)
			put_label(out, "bucket", x->bucket, 0);
		fprintf(out, "} %llu\n", (unsigned long long)count_shown(sum));
	}
}

int export_prometheus(struct cli *cli, char **text, size_t *len)
{
	struct samples s = {0};
	ingest_pending(cli->dir); /* crash records become stack counters first; it reports its own errors */
	int status = load_samples(cli, &s);
	qsort(s.v, s.n, sizeof *s.v, by_labels);
	FILE *out = open_memstream(text, len);
	if (!out) {
		free_samples(&s);
		return fail(NULL, "out of memory");
	}
	put_samples(out, &s);
	fclose(out);
	free_samples(&s);
	return status;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	int prometheus = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(USAGE_EXPORT, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--prometheus") != 0)
			return usage_error("export", "unknown option '%s'", argv[i]);
		prometheus = 1;
	}
	if (!prometheus)
		return usage_error("export", "choose a format: --prometheus");
	char *text = NULL;
	size_t len = 0;
	int status = export_prometheus(cli, &text, &len);
	if (text && fwrite(text, 1, len, stdout) != len)
		status = fail("stdout", "%s", strerror(errno));
	free(text);
	return status;
}
