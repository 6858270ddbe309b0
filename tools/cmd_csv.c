/* telem csv: every counter of DIR/local as CSV (RFC 4180), one record per
 * counter and program/version/runtime/os/arch/week, for spreadsheets and
 * scripts:
 *
 *   week_begin,week_end,program,version,runtime,goos,goarch,counter,count
 *
 * A week is a report week: the daily files that share a TimeEnd are summed
 * (week_end = that TimeEnd, week_begin = 7 days before it, the interval
 * Go's reports cover). Fields holding a comma, a quote, CR or LF are
 * quoted, quotes doubled; stack counters hold newlines. Records end in CRLF. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "countermodel.h"
#include "history.h"
#include "ingest.h"
#include "view_model.h"
#include "week.h"

struct csv_file {
	struct counter_data *d;
	int64_t end;
	const char *field[5]; /* program, version, runtime, goos, goarch */
};

struct csv_row {
	const struct csv_file *f;
	const struct counter_entry *c;
};

static int compare_rows(const void *a, const void *b)
{
	const struct csv_row *x = a, *y = b;
	if (x->f->end != y->f->end)
		return x->f->end < y->f->end ? -1 : 1;
	for (int i = 0; i < 5; i++) {
		int c = strcmp(x->f->field[i], y->f->field[i]);
		if (c)
			return c;
	}
	size_t n = x->c->len < y->c->len ? x->c->len : y->c->len;
	int c = memcmp(x->c->name, y->c->name, n);
	return c ? c : (x->c->len > y->c->len) - (x->c->len < y->c->len);
}

static void field(FILE *out, const char *s, size_t n)
{
	if (strcspn(s, ",\"\r\n") >= n && !memchr(s, 0, n)) {
		fwrite(s, 1, n, out);
		return;
	}
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			fputc('"', out);
		fputc(s[i], out);
	}
	fputc('"', out);
}

static void date(FILE *out, int64_t days)
{
	int y, m, d;
	week_civil(days, &y, &m, &d);
	fprintf(out, "%04d-%02d-%02d,", y, m, d);
}

static void record(FILE *out, const struct csv_row *r, uint64_t count)
{
	date(out, r->f->end - 7);
	date(out, r->f->end);
	for (int i = 0; i < 5; i++) {
		field(out, r->f->field[i], strlen(r->f->field[i]));
		fputc(',', out);
	}
	field(out, r->c->name, r->c->len);
	fprintf(out, ",%llu\r\n", (unsigned long long)count_shown(count));
}

/* Counter files and local reports (history.h): the whole history. */
static int load(const struct cli *cli, struct counter_data **data, size_t *n_data, struct csv_file **files,
		size_t *n)
{
	static const char *const keys[5] = {"Program", "Version", "GoVersion", "GOOS", "GOARCH"};
	int status = history_load(cli->local, data, n_data, NULL, NULL);
	*files = calloc(*n_data + 1, sizeof **files);
	*n = 0;
	if (!*files)
		abort();
	for (size_t i = 0; i < *n_data; i++) {
		struct csv_file *f = &(*files)[*n];
		f->d = &(*data)[i];
		if ((f->end = vm_time_end_day(counter_data_meta(f->d, "TimeEnd"))) < 0) {
			status = fail(f->d->path, "no valid TimeEnd in its meta");
			continue;
		}
		for (int k = 0; k < 5; k++) {
			const char *v = counter_data_meta(f->d, keys[k]);
			f->field[k] = v ? v : "";
		}
		(*n)++;
	}
	return status;
}

static void print_rows(FILE *out, const struct csv_file *files, size_t n)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		total += files[i].d->n;
	struct csv_row *rows = calloc(total + 1, sizeof *rows);
	if (!rows)
		abort();
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < files[i].d->n; j++)
			rows[k++] = (struct csv_row){&files[i], &files[i].d->counters[j]};
	qsort(rows, total, sizeof *rows, compare_rows);
	fputs("week_begin,week_end,program,version,runtime,goos,goarch,counter,count\r\n", out);
	for (size_t i = 0; i < total;) {
		uint64_t sum = 0;
		size_t j = i;
		for (; j < total && compare_rows(&rows[i], &rows[j]) == 0; j++) /* one week's daily files */
			sum = sum + rows[j].c->count < sum ? UINT64_MAX : sum + rows[j].c->count;
		record(out, &rows[i], sum);
		i = j;
	}
	free(rows);
}

int cmd_csv(struct cli *cli, int argc, char **argv)
{
	int first;
	int rc = simple_options(find_command("csv"), argc, argv, &first, 0, cli);
	if (rc >= 0)
		return rc;
	if (first < argc)
		return usage_error("csv", "unexpected argument '%s'", argv[first]);
	int status = ingest_pending(cli->dir);
	struct csv_file *files;
	struct counter_data *data;
	size_t n, n_data;
	status |= load(cli, &data, &n_data, &files, &n);
	print_rows(stdout, files, n);
	if (fflush(stdout) != 0 || ferror(stdout))
		status = fail("stdout", "cannot write: %s", strerror(errno));
	history_free(data, n_data);
	free(files);
	return status;
}
