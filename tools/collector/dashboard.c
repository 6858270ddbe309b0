#include "dashboard.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "query.h"
#include "saturate.h"
#include "sha256.h"
#include "svg.h"

#define SHOWN_BUCKETS 8 /* more buckets than this are drawn as one "other" */
#define SHOWN_STACKS 25
#define SHOWN_STACK_BUILDS 6 /* program@version lines per stack; the API has them all */

static const char STYLE[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#202124;background:#f8f9fa}"
	"header{background:#00758f;color:#fff;padding:12px 24px}header h1{margin:0;font-size:20px}"
	"header p{margin:4px 0 0}main{padding:12px 24px}"
	"h2{font-size:18px;margin:20px 0 8px}h3{font-size:14px;margin:0 0 4px;font-family:monospace}"
	"table{border-collapse:collapse;background:#fff}td,th{padding:4px 8px;border-bottom:1px solid #e0e0e0;"
	"text-align:left;vertical-align:top}th{font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"a{color:#00758f}tr.sel{background:#e6f4f7}"
	".grid{display:flex;flex-wrap:wrap;gap:12px}"
	"figure{margin:0;background:#fff;border:1px solid #e0e0e0;border-radius:4px;padding:8px;width:560px}"
	"figcaption{font-size:12px;color:#5f6368;margin-top:4px}"
	".axis{stroke:#9aa0a6;stroke-width:1}.yl{font-size:10px;text-anchor:end;fill:#5f6368}"
	".xl{font-size:10px;fill:#5f6368}.end{text-anchor:end}"
	".legend{font-size:12px;margin:4px 0 0;padding:0;list-style:none;columns:2}"
	".legend li{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}"
	"pre{margin:0;font-size:12px;white-space:pre-wrap}details{font-size:12px;margin-top:4px}"
	".empty{color:#5f6368}";

static char csp[160];
static pthread_once_t csp_once = PTHREAD_ONCE_INIT;

static void make_csp(void)
{
	unsigned char hash[SHA256_LEN];
	char b64[48];
	sha256(STYLE, sizeof STYLE - 1, hash);
	base64(hash, SHA256_LEN, b64);
	snprintf(csp, sizeof csp, "default-src 'none'; style-src 'sha256-%s'", b64);
}

const char *dashboard_csp(void)
{
	pthread_once(&csp_once, make_csp);
	return csp;
}

static json_int_t jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* A JSON array of numbers as doubles (malloc'd, n entries). */
static double *numbers(json_t *array, size_t n)
{
	double *v = calloc(n + 1, sizeof *v);
	for (size_t i = 0; v && i < n; i++)
		v[i] = json_number_value(json_array_get(array, i));
	return v;
}

static const char **strings(json_t *array, size_t *n)
{
	*n = json_array_size(array);
	const char **v = calloc(*n + 1, sizeof *v);
	for (size_t i = 0; v && i < *n; i++)
		v[i] = json_string_value(json_array_get(array, i));
	return v;
}

/* A query parameter value, %-escaped (its '%' and '&' are HTML-safe). */
static void url_param(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/", c))
			buf_add(b, s, 1);
		else
			buf_printf(b, "%%%02X", c);
	}
}

static void swatch(struct buf *b, const char *color)
{
	buf_printf(b, "<svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" fill=\"%s\"/></svg> ",
		   color);
}

static void head(struct buf *b, const char *program)
{
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"");
	buf_puts(b, dashboard_csp());
	buf_puts(b, "\"><meta name=\"viewport\" content=\"width=device-width\"><title>telem");
	if (program) {
		buf_puts(b, ": ");
		buf_html_str(b, program);
	}
	buf_puts(b, "</title><style>");
	buf_puts(b, STYLE);
	buf_puts(b, "</style></head><body>");
}

static void banner(struct buf *b, json_t *summary, const struct upload_config *cfg)
{
	buf_puts(b, "<header><h1>telem: how the toolchains are used</h1><p>");
	buf_printf(b, "%lld reports · %lld programs", (long long)jint(summary, "reports"),
		   (long long)jint(summary, "programs"));
	if (json_is_string(json_object_get(summary, "first_week"))) {
		buf_puts(b, " · weeks of ");
		buf_html_str(b, jstr(summary, "first_week"));
		buf_puts(b, " to ");
		buf_html_str(b, jstr(summary, "last_week"));
	}
	buf_puts(b, " · upload config ");
	buf_html_str(b, cfg->version);
	buf_puts(b, "</p></header><main>");
}

static void program_row(struct buf *b, json_t *p, const char *selected)
{
	size_t n = json_array_size(json_object_get(p, "counts"));
	double *counts = numbers(json_object_get(p, "counts"), n);
	buf_printf(b, "<tr%s><td><a href=\"/?program=", strcmp(jstr(p, "program"), selected) == 0 ? " class=\"sel\"" : "");
	url_param(b, jstr(p, "program"));
	buf_puts(b, "\">");
	buf_html_str(b, jstr(p, "program"));
	buf_printf(b, "</a></td><td class=\"n\">%lld</td><td>", (long long)jint(p, "reports"));
	if (counts)
		svg_spark(b, counts, n);
	buf_puts(b, "</td><td>");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(p, "versions"), i, v) {
		if (i == 3) {
			buf_printf(b, " and %zu more", json_array_size(json_object_get(p, "versions")) - 3);
			break;
		}
		buf_puts(b, i ? ", " : "");
		buf_html_str(b, jstr(v, "version"));
		buf_printf(b, " (%lld)", (long long)jint(v, "reports"));
	}
	buf_puts(b, "</td></tr>");
	free(counts);
}

static void program_table(struct buf *b, json_t *programs, const char *selected)
{
	buf_puts(b, "<h2>Programs</h2>");
	if (json_array_size(programs) == 0) {
		buf_puts(b, "<p class=\"empty\">No reports yet.</p>");
		return;
	}
	buf_puts(b, "<table><tr><th>program</th><th>reports</th><th>reports per week</th><th>versions (reports)</th></tr>");
	size_t i;
	json_t *p;
	json_array_foreach(programs, i, p) program_row(b, p, selected);
	buf_puts(b, "</table>");
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
	double x = magnitude(jstr(*(json_t *const *)a, "bucket")), y = magnitude(jstr(*(json_t *const *)b, "bucket"));
	return (x > y) - (x < y);
}

static int by_total(const void *a, const void *b)
{
	json_int_t x = jint(*(json_t *const *)a, "total"), y = jint(*(json_t *const *)b, "total");
	return (x < y) - (x > y);
}

/* The chart's buckets in display order: by magnitude when every bucket has
 * one, else most counted first. */
static json_t **ordered_buckets(json_t *buckets, size_t *n)
{
	*n = json_array_size(buckets);
	json_t **v = calloc(*n + 1, sizeof *v);
	int all_numeric = 1;
	for (size_t i = 0; v && i < *n; i++) {
		v[i] = json_array_get(buckets, i);
		all_numeric &= magnitude(jstr(v[i], "bucket")) >= 0;
	}
	if (v)
		qsort(v, *n, sizeof *v, all_numeric && *n <= SHOWN_BUCKETS ? by_magnitude : by_total);
	return v;
}

static void legend_item(struct buf *b, const char *color, const char *name, json_int_t total, double latest)
{
	char num[32];
	svg_number(num, (double)total);
	buf_puts(b, "<li>");
	swatch(b, color);
	buf_html_str(b, name);
	buf_printf(b, ": %s, %.1f%%</li>", num, latest * 100);
}

static void all_buckets(struct buf *b, json_t **v, size_t n)
{
	buf_printf(b, "<details><summary>all %zu buckets</summary><table>", n);
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<tr><td>");
		buf_html_str(b, jstr(v[i], "bucket"));
		buf_printf(b, "</td><td class=\"n\">%lld</td></tr>", (long long)jint(v[i], "total"));
	}
	buf_puts(b, "</table></details>");
}

/* Stacked shares of the top buckets, the rest summed as "other". */
static void bucket_chart(struct buf *b, json_t *chart, const char *const *weeks, size_t n)
{
	size_t nb;
	json_t **v = ordered_buckets(json_object_get(chart, "buckets"), &nb);
	size_t shown = nb > SHOWN_BUCKETS ? SHOWN_BUCKETS - 1 : nb;
	struct series s[SHOWN_BUCKETS];
	double *other = calloc(n + 1, sizeof *other);
	json_int_t other_total = 0;
	for (size_t k = 0; v && k < nb; k++) {
		double *shares = numbers(json_object_get(v[k], "shares"), n);
		if (k < shown) {
			s[k] = (struct series){jstr(v[k], "bucket"), shares, svg_color(k)};
			continue;
		}
		for (size_t i = 0; other && shares && i < n; i++)
			other[i] += shares[i];
		other_total = sat_add(other_total, jint(v[k], "total"));
		free(shares);
	}
	size_t ns = shown;
	if (nb > shown)
		s[ns++] = (struct series){"other", other, svg_color(SVG_COLORS - 1)};
	svg_shares(b, weeks, s, ns, n);
	buf_puts(b, "<ul class=\"legend\">");
	for (size_t k = 0; k < ns; k++)
		legend_item(b, s[k].color, s[k].name, k < shown ? jint(v[k], "total") : other_total,
			    n ? s[k].values[n - 1] : 0);
	buf_puts(b, "</ul>");
	for (size_t k = 0; k < shown; k++)
		free((void *)s[k].values);
	free(other);
	buf_puts(b, "<figcaption>bars: each bucket's mean share per reporting machine, per week; "
		    "legend: merged count over all weeks, share in the last week</figcaption>");
	if (nb > SHOWN_BUCKETS)
		all_buckets(b, v, nb);
	free(v);
}

/* A counter without buckets (a count or a sum): merged totals per week. */
static void total_chart(struct buf *b, json_t *chart, const char *const *weeks, size_t n)
{
	json_t *bucket = json_array_get(json_object_get(chart, "buckets"), 0);
	double *counts = numbers(json_object_get(bucket, "counts"), n);
	double *reports = numbers(json_object_get(chart, "reports"), n);
	if (counts)
		svg_bars(b, weeks, counts, n, "merged count");
	double sum = 0, nrep = 0;
	for (size_t i = 0; counts && reports && i < n; i++)
		sum += counts[i], nrep += reports[i];
	char total[32], mean[32];
	svg_number(total, (double)jint(bucket, "total"));
	svg_number(mean, nrep > 0 ? sum / nrep : 0);
	buf_printf(b, "<figcaption>merged total %s; %s per report on average</figcaption>", total, mean);
	free(counts);
	free(reports);
}

static void chart_figure(struct buf *b, json_t *chart, const char *const *weeks, size_t n)
{
	json_t *buckets = json_object_get(chart, "buckets");
	int plain = json_array_size(buckets) == 1 && json_is_null(json_object_get(json_array_get(buckets, 0), "bucket"));
	buf_puts(b, "<figure><h3>");
	buf_html_str(b, jstr(chart, "chart"));
	buf_puts(b, "</h3>");
	if (plain)
		total_chart(b, chart, weeks, n);
	else
		bucket_chart(b, chart, weeks, n);
	buf_puts(b, "</figure>");
}

/* The program's reports per week and the share of each of its versions. */
static void overview_figures(struct buf *b, json_t *c, const char *const *weeks, size_t n)
{
	double *reports = numbers(json_object_get(c, "reports"), n);
	buf_puts(b, "<figure><h3>reports per week</h3>");
	if (reports)
		svg_bars(b, weeks, reports, n, "reports");
	buf_puts(b, "<figcaption>machines that reported this program, per week</figcaption></figure>");
	json_t *as_chart = json_pack("{s:s, s:O, s:[]}", "chart", "versions", "reports", json_object_get(c, "reports"),
				     "buckets");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(c, "versions"), i, v) {
		json_t *shares = json_array();
		for (size_t w = 0; w < n; w++) {
			double r = reports ? reports[w] : 0;
			json_array_append_new(shares, json_real(r > 0 ? json_number_value(json_array_get(
									 json_object_get(v, "reports"), w)) / r : 0));
		}
		json_array_append_new(json_object_get(as_chart, "buckets"),
				      json_pack("{s:s, s:I, s:o}", "bucket", jstr(v, "version"), "total",
						jint(v, "total"), "shares", shares));
	}
	buf_puts(b, "<figure><h3>versions</h3>");
	bucket_chart(b, as_chart, weeks, n);
	buf_puts(b, "</figure>");
	json_decref(as_chart);
	free(reports);
}

static void program_section(struct buf *b, json_t *c, const char *program)
{
	buf_puts(b, "<h2>");
	buf_html_str(b, program);
	buf_puts(b, "</h2>");
	if (!json_is_object(c)) {
		buf_puts(b, "<p class=\"empty\">No report has this program.</p>");
		return;
	}
	size_t n;
	const char **weeks = strings(json_object_get(c, "weeks"), &n);
	if (!weeks)
		return;
	buf_puts(b, "<div class=\"grid\">");
	overview_figures(b, c, weeks, n);
	size_t i;
	json_t *chart;
	json_array_foreach(json_object_get(c, "charts"), i, chart) chart_figure(b, chart, weeks, n);
	buf_puts(b, "</div>");
	free(weeks);
}

static void stack_row(struct buf *b, json_t *s, size_t rank)
{
	buf_printf(b, "<tr><td class=\"n\">%zu</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>", rank,
		   (long long)jint(s, "total"), (long long)jint(s, "reports"));
	size_t i;
	json_t *p;
	json_t *programs = json_object_get(s, "programs");
	json_array_foreach(programs, i, p) {
		if (i == SHOWN_STACK_BUILDS && json_array_size(programs) > SHOWN_STACK_BUILDS + 1) {
			buf_printf(b, "<br>and %zu more", json_array_size(programs) - i);
			break;
		}
		buf_puts(b, i ? "<br>" : "");
		buf_html_str(b, jstr(p, "program"));
		buf_puts(b, "@");
		buf_html_str(b, jstr(p, "version"));
		buf_printf(b, " (%lld)", (long long)jint(p, "total"));
	}
	buf_puts(b, "</td><td>");
	buf_html_str(b, jstr(s, "first_week"));
	buf_puts(b, " to ");
	buf_html_str(b, jstr(s, "last_week"));
	buf_puts(b, "</td><td><pre>");
	buf_html_str(b, jstr(s, "name"));
	json_t *f;
	json_array_foreach(json_object_get(s, "frames"), i, f) {
		buf_puts(b, "\n  ");
		buf_html_str(b, json_string_value(f));
	}
	buf_puts(b, "</pre></td></tr>");
}

static void stacks_section(struct buf *b, json_t *stacks)
{
	buf_puts(b, "<h2>Crash stacks</h2>");
	if (json_array_size(stacks) == 0) {
		buf_puts(b, "<p class=\"empty\">No crash stacks reported.</p>");
		return;
	}
	buf_puts(b, "<table><tr><th>#</th><th>count</th><th>reports</th><th>program@version (count)</th>"
		    "<th>weeks</th><th>stack</th></tr>");
	size_t i;
	json_t *s;
	json_array_foreach(stacks, i, s) stack_row(b, s, i + 1);
	buf_puts(b, "</table>");
}

char *dashboard_render(sqlite3 *db, const struct upload_config *cfg, const char *program, size_t *len)
{
	json_t *summary = query_summary(db), *programs = query_programs(db);
	json_t *stacks = query_stacks(db, NULL, SHOWN_STACKS), *counters = NULL;
	char *page = NULL;
	if (!summary || !programs || !stacks)
		goto out;
	if (!program && json_array_size(programs))
		program = jstr(json_array_get(programs, 0), "program");
	if (program && !(counters = query_counters(db, program)))
		goto out;
	struct buf b = {0};
	head(&b, program);
	banner(&b, summary, cfg);
	program_table(&b, programs, program ? program : "");
	if (program)
		program_section(&b, counters, program);
	stacks_section(&b, stacks);
	buf_puts(&b, "</main></body></html>\n");
	page = buf_take(&b, len);
out:
	json_decref(summary);
	json_decref(programs);
	json_decref(stacks);
	json_decref(counters);
	return page;
}
