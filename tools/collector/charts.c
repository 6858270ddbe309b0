#include "charts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saturate.h"
#include "svg.h"

#define SHOWN_BUCKETS 8 /* more buckets than this are stacked as one "other" */
#define RARE_SHARE 0.01 /* buckets under 1% of their chart are highlighted */

json_int_t charts_jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

const char *charts_jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

const char *charts_version_label(json_t *v)
{
	const char *human = charts_jstr(v, "human");
	return *human ? human : charts_jstr(v, "version");
}

void charts_percent(char out[32], double share)
{
	double p = share * 100;
	if (p == 0 || p >= 1)
		snprintf(out, 32, "%.1f%%", p);
	else
		snprintf(out, 32, "%.2g%%", p);
}

/* "gcc/exit" -> "exit": charts are named by their counters' prefix. */
static const char *short_name(const char *chart)
{
	const char *slash = strrchr(chart, '/');
	return slash ? slash + 1 : chart;
}

/* The week data of one program, shared by its charts. */
struct weeks {
	const char **names;
	int *partial;
	double *reports, *invocations; /* invocations NULL without an <prog>/invocations counter */
	size_t n, full;                /* full: weeks that are not partial */
};

static double *numbers(json_t *array, size_t n)
{
	double *v = calloc(n + 1, sizeof *v);
	for (size_t i = 0; v && i < n; i++)
		v[i] = json_number_value(json_array_get(array, i));
	return v;
}

/* Sum over the full weeks (all weeks when none is full). */
static double over_window(const struct weeks *w, const double *v)
{
	double s = 0;
	for (size_t i = 0; v && i < w->n; i++)
		if (!w->partial[i] || w->full == 0)
			s += v[i];
	return s;
}

static json_t *find_chart(json_t *c, const char *name)
{
	size_t i;
	json_t *chart;
	json_array_foreach(json_object_get(c, "charts"), i, chart) {
		if (strcmp(short_name(charts_jstr(chart, "chart")), name) == 0)
			return chart;
	}
	return NULL;
}

static int load_weeks(json_t *c, struct weeks *w)
{
	json_t *names = json_object_get(c, "weeks");
	w->n = json_array_size(names);
	w->names = calloc(w->n + 1, sizeof *w->names);
	w->partial = calloc(w->n + 1, sizeof *w->partial);
	w->reports = numbers(json_object_get(c, "reports"), w->n);
	w->invocations = NULL;
	w->full = 0;
	for (size_t i = 0; w->names && w->partial && i < w->n; i++) {
		w->names[i] = json_string_value(json_array_get(names, i));
		w->partial[i] = json_is_true(json_array_get(json_object_get(c, "partial"), i));
		w->full += !w->partial[i];
	}
	json_t *inv = find_chart(c, "invocations");
	json_t *bucket = inv ? json_array_get(json_object_get(inv, "buckets"), 0) : NULL;
	if (bucket && json_is_null(json_object_get(bucket, "bucket")))
		w->invocations = numbers(json_object_get(bucket, "counts"), w->n);
	return w->names && w->partial && w->reports ? 0 : -1;
}

static void free_weeks(struct weeks *w)
{
	free(w->names);
	free(w->partial);
	free(w->reports);
	free(w->invocations);
}

static void figure_open(struct buf *b, const char *title, const char *id)
{
	buf_puts(b, "<figure id=\"chart-");
	buf_html_str(b, id);
	buf_puts(b, "\"><h3>");
	buf_html_str(b, title);
	buf_puts(b, "</h3>");
}


static void partial_note(struct buf *b, const struct weeks *w)
{
	if (w->full < w->n)
		buf_printf(b, " Hatched: %zu partial week(s) (the data begins or is still arriving).", w->n - w->full);
}

static void overview(struct buf *b, const struct weeks *w)
{
	if (w->invocations) {
		figure_open(b, "invocations per week", "invocations");
		svg_bars(b, w->names, w->invocations, w->partial, w->n, "invocations");
		buf_printf(b, "<figcaption>runs of the program, summed over the reporting machines.");
		partial_note(b, w);
		buf_puts(b, "</figcaption></figure>");
	}
	figure_open(b, "reporting machines per week", "machines");
	svg_bars(b, w->names, w->reports, w->partial, w->n, "machines");
	buf_puts(b, "<figcaption>machines (weekly reports) that ran the program.");
	partial_note(b, w);
	buf_puts(b, "</figcaption></figure>");
}

static int by_magnitude_value(double x, double y)
{
	return (x > y) - (x < y);
}

/* Buckets named like "<10ms", ">=4GB", "7": their magnitude, for ordering
 * time, memory and exit code buckets naturally; -1 when not of that form. */
static double magnitude(const char *bucket)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = {{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"", 1}};
	double bump = 0;
	if (bucket[0] == '<')
		bucket++;
	else if (bucket[0] == '>' && bucket[1] == '=')
		bucket += 2, bump = 0.5;
	char *end;
	double v = strtod(bucket, &end);
	if (end == bucket || bucket[0] == '-' || bucket[0] == '+')
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (strcmp(end, units[i].unit) == 0)
			return v * units[i].scale * (1 + bump * 1e-9) + bump * 1e-12;
	return -1;
}

static int by_magnitude(const void *a, const void *b)
{
	return by_magnitude_value(magnitude(charts_jstr(*(json_t *const *)a, "bucket")),
				  magnitude(charts_jstr(*(json_t *const *)b, "bucket")));
}

static int by_total(const void *a, const void *b)
{
	json_int_t x = charts_jint(*(json_t *const *)a, "total"), y = charts_jint(*(json_t *const *)b, "total");
	return (x < y) - (x > y);
}

static json_t **ordered_buckets(json_t *buckets, size_t *n)
{
	*n = json_array_size(buckets);
	json_t **v = calloc(*n + 1, sizeof *v);
	int all_numeric = 1;
	for (size_t i = 0; v && i < *n; i++) {
		v[i] = json_array_get(buckets, i);
		all_numeric &= magnitude(charts_jstr(v[i], "bucket")) >= 0;
	}
	if (v)
		qsort(v, *n, sizeof *v, all_numeric ? by_magnitude : by_total);
	return v;
}

/* Stacked mean shares per week of the top buckets, the rest as "other". */
static void stacked(struct buf *b, json_t **v, size_t nb, const struct weeks *w, const char *const *labels)
{
	size_t shown = nb > SHOWN_BUCKETS ? SHOWN_BUCKETS - 1 : nb;
	struct series s[SHOWN_BUCKETS] = {{0}};
	double *other = calloc(w->n + 1, sizeof *other);
	for (size_t k = 0; k < nb; k++) {
		double *shares = numbers(json_object_get(v[k], "shares"), w->n);
		if (k < shown) {
			s[k] = (struct series){labels ? labels[k] : charts_jstr(v[k], "bucket"), shares, svg_color(k)};
			continue;
		}
		for (size_t i = 0; other && shares && i < w->n; i++)
			other[i] += shares[i];
		free(shares);
	}
	size_t ns = shown;
	if (nb > shown)
		s[ns++] = (struct series){"other", other, svg_color(SVG_COLORS - 1)};
	svg_shares(b, w->names, w->partial, s, ns, w->n);
	buf_puts(b, "<ul class=\"legend\">");
	for (size_t k = 0; k < ns; k++) {
		buf_puts(b, "<li>");
		svg_swatch(b, s[k].color);
		buf_html_str(b, s[k].name);
		buf_puts(b, "</li>");
	}
	buf_puts(b, "</ul>");
	for (size_t k = 0; k < shown; k++)
		free((void *)s[k].values);
	free(other);
}

static int is_exit_chart(const char *chart)
{
	return strcmp(chart, "exit") == 0;
}

/* GCC's driver and compilers exit 4 on an internal compiler error. */
static const char *bucket_meaning(const char *program, const char *chart, const char *bucket)
{
	static const char *const gcc_family[] = {"gcc", "g++", "cc1", "cc1plus", "cc", "c++", "gfortran", "f951", NULL};
	if (!is_exit_chart(chart) || strcmp(bucket, "4") != 0)
		return NULL;
	for (size_t i = 0; gcc_family[i]; i++)
		if (strcmp(program, gcc_family[i]) == 0)
			return "internal compiler error";
	return NULL;
}

/* Every bucket with its count over the window and its share of the chart's
 * count: rare ones highlighted, failures (non-zero exits) marked. */
static void bucket_table(struct buf *b, json_t **v, size_t nb, const struct weeks *w, const char *program,
			 const char *chart)
{
	double sum = 0, *total = calloc(nb + 1, sizeof *total);
	if (!total)
		return;
	for (size_t k = 0; k < nb; k++) {
		double *counts = numbers(json_object_get(v[k], "counts"), w->n);
		total[k] = 0;
		for (size_t i = 0; counts && i < w->n; i++)
			total[k] += counts[i]; /* partial weeks too: a count is exact, only a rate would be off */
		sum += total[k];
		free(counts);
	}
	buf_puts(b, "<table class=\"buckets\" data-chart=\"");
	buf_html_str(b, chart);
	buf_puts(b, "\"><tr><th>bucket</th><th>count</th><th>share</th></tr>");
	for (size_t k = 0; k < nb; k++) {
		double n = total[k];
		const char *bucket = charts_jstr(v[k], "bucket");
		int failure = is_exit_chart(chart) && strcmp(bucket, "0") != 0 && n > 0;
		int rare = n > 0 && sum > 0 && n / sum < RARE_SHARE;
		char pct[32];
		charts_percent(pct, sum > 0 ? n / sum : 0);
		buf_printf(b, "<tr class=\"%s%s\" data-bucket=\"", rare ? "rare" : "", failure ? " failure" : "");
		buf_html_str(b, bucket);
		buf_puts(b, "\"><td>");
		buf_html_str(b, bucket);
		const char *meaning = bucket_meaning(program, chart, bucket);
		if (meaning)
			buf_printf(b, " <b>(%s)</b>", meaning);
		buf_printf(b, "</td><td class=\"n\" data-count>%.0f</td><td class=\"n\">%s</td></tr>", n, pct);
	}
	buf_puts(b, "</table>");
	free(total);
}

/* Non-zero exits per week on a scale of their own: a few failures among
 * many runs are visible as bars, not as a hairline on a 100% stack. */
static void failures(struct buf *b, json_t **v, size_t nb, const struct weeks *w)
{
	double *sum = calloc(w->n + 1, sizeof *sum), total = 0;
	for (size_t k = 0; sum && k < nb; k++) {
		if (strcmp(charts_jstr(v[k], "bucket"), "0") == 0)
			continue;
		double *counts = numbers(json_object_get(v[k], "counts"), w->n);
		for (size_t i = 0; counts && i < w->n; i++)
			sum[i] += counts[i], total += counts[i];
		free(counts);
	}
	if (sum && total > 0) {
		buf_puts(b, "<h4>non-zero exits per week (own scale)</h4>");
		svg_bars(b, w->names, sum, w->partial, w->n, "non-zero exits");
	}
	free(sum);
}

static void exclusive_chart(struct buf *b, json_t *chart, const struct weeks *w, const char *program)
{
	size_t nb;
	const char *name = short_name(charts_jstr(chart, "chart"));
	json_t **v = ordered_buckets(json_object_get(chart, "buckets"), &nb);
	if (!v)
		return;
	figure_open(b, name, name);
	stacked(b, v, nb, w, NULL);
	if (is_exit_chart(name))
		failures(b, v, nb, w);
	bucket_table(b, v, nb, w, program, name);
	buf_puts(b, "<figcaption>bars: each bucket's mean share per reporting machine, per week; table: counts over "
		    "the weeks shown; highlighted: under 1%.");
	partial_note(b, w);
	buf_puts(b, "</figcaption></figure>");
	free(v);
}

struct flag_share {
	const char *name;
	double reports, invocations;
};

static int by_reports_share(const void *a, const void *b)
{
	const struct flag_share *x = a, *y = b;
	return (x->reports < y->reports) - (x->reports > y->reports);
}

/* Flags are not exclusive: each one's share of the reports that used it
 * and of the invocations that carried it, over the full weeks shown. */
static void flag_chart(struct buf *b, json_t *chart, const struct weeks *w)
{
	json_t *buckets = json_object_get(chart, "buckets");
	size_t nb = json_array_size(buckets);
	struct flag_share *f = calloc(nb + 1, sizeof *f);
	double reports = over_window(w, w->reports), invocations = over_window(w, w->invocations);
	for (size_t k = 0; f && k < nb; k++) {
		json_t *bk = json_array_get(buckets, k);
		double *counts = numbers(json_object_get(bk, "counts"), w->n);
		double *used = numbers(json_object_get(bk, "reports"), w->n);
		f[k] = (struct flag_share){charts_jstr(bk, "bucket"), reports > 0 ? over_window(w, used) / reports : 0,
					   invocations > 0 ? over_window(w, counts) / invocations : -1};
		free(counts);
		free(used);
	}
	if (!f)
		return;
	qsort(f, nb, sizeof *f, by_reports_share);
	figure_open(b, "flag", "flag");
	struct svg_hbar *rows = calloc(nb + 1, sizeof *rows);
	for (size_t k = 0; rows && k < nb; k++)
		rows[k] = (struct svg_hbar){f[k].name, f[k].reports, f[k].invocations};
	if (rows)
		svg_hbars(b, rows, nb, "of reports", "of invocations");
	free(rows);
	buf_puts(b, "<table class=\"flags\"><tr><th>flag</th><th>reports using it</th><th>invocations carrying it</th></tr>");
	for (size_t k = 0; k < nb; k++) {
		char r[32], i[32];
		charts_percent(r, f[k].reports);
		if (f[k].invocations >= 0)
			charts_percent(i, f[k].invocations);
		else
			snprintf(i, sizeof i, "n/a");
		buf_puts(b, "<tr data-flag=\"");
		buf_html_str(b, f[k].name);
		buf_puts(b, "\"><td>");
		buf_html_str(b, f[k].name);
		buf_printf(b, "</td><td class=\"n\" data-share=\"reports\">%s</td><td class=\"n\" data-share=\"invocations\">%s</td></tr>",
			   r, i);
	}
	buf_puts(b, "</table><figcaption>not exclusive: one run carries several flags. Over the full weeks shown.");
	partial_note(b, w);
	buf_puts(b, "</figcaption></figure>");
	free(f);
}

/* A counter without buckets (a count or a sum): merged totals per week. */
static void total_chart(struct buf *b, json_t *chart, const struct weeks *w)
{
	const char *name = short_name(charts_jstr(chart, "chart"));
	json_t *bucket = json_array_get(json_object_get(chart, "buckets"), 0);
	double *counts = numbers(json_object_get(bucket, "counts"), w->n);
	figure_open(b, name, name);
	if (counts)
		svg_bars(b, w->names, counts, w->partial, w->n, "merged count");
	char total[32], mean[32];
	double nrep = over_window(w, w->reports);
	svg_number(total, (double)charts_jint(bucket, "total"));
	svg_number(mean, nrep > 0 ? over_window(w, counts) / nrep : 0);
	buf_printf(b, "<figcaption>merged total %s; %s per report on average</figcaption></figure>", total, mean);
	free(counts);
}

static void versions_chart(struct buf *b, json_t *c, const struct weeks *w)
{
	json_t *as_buckets = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(c, "versions"), i, v) {
		json_t *shares = json_array();
		for (size_t k = 0; k < w->n; k++) {
			double r = w->reports[k];
			double n = json_number_value(json_array_get(json_object_get(v, "reports"), k));
			json_array_append_new(shares, json_real(r > 0 ? n / r : 0));
		}
		json_array_append_new(as_buckets, json_pack("{s:s, s:I, s:o}", "bucket", charts_version_label(v), "total",
							    charts_jint(v, "total"), "shares", shares));
	}
	size_t nb;
	json_t **sorted = ordered_buckets(as_buckets, &nb);
	qsort(sorted, nb, sizeof *sorted, by_total); /* versions are names, not magnitudes */
	figure_open(b, "versions", "versions");
	if (sorted)
		stacked(b, sorted, nb, w, NULL);
	buf_puts(b, "<table class=\"versions\"><tr><th>version</th><th>build-id</th><th>reports</th></tr>");
	json_array_foreach(json_object_get(c, "versions"), i, v) {
		buf_puts(b, "<tr><td>");
		buf_html_str(b, charts_version_label(v));
		buf_puts(b, "</td><td>");
		buf_html_str(b, charts_jstr(v, "version"));
		buf_printf(b, "</td><td class=\"n\">%lld</td></tr>", (long long)charts_jint(v, "total"));
	}
	buf_puts(b, "</table><figcaption>share of the reporting machines per week, by human version where the "
		    "reports name one (else build-id)</figcaption></figure>");
	free(sorted);
	json_decref(as_buckets);
}

void charts_program(struct buf *b, json_t *c, const char *program)
{
	struct weeks w;
	if (load_weeks(c, &w) < 0) {
		free_weeks(&w);
		return;
	}
	buf_puts(b, "<div class=\"grid\">");
	overview(b, &w);
	versions_chart(b, c, &w);
	size_t i;
	json_t *chart;
	json_array_foreach(json_object_get(c, "charts"), i, chart) {
		const char *name = short_name(charts_jstr(chart, "chart"));
		json_t *buckets = json_object_get(chart, "buckets");
		int plain = json_array_size(buckets) == 1 &&
			    json_is_null(json_object_get(json_array_get(buckets, 0), "bucket"));
		if (strcmp(name, "invocations") == 0 && plain)
			continue; /* the first chart already */
		if (plain)
			total_chart(b, chart, &w);
		else if (strcmp(name, "flag") == 0)
			flag_chart(b, chart, &w);
		else
			exclusive_chart(b, chart, &w, program);
	}
	buf_puts(b, "</div>");
	free_weeks(&w);
}
