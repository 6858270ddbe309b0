#include "dashboard.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "charts.h"
#include "query.h"
#include "saturate.h"
#include "sha256.h"
#include "svg.h"

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
	".empty{color:#5f6368}h4{font-size:12px;margin:6px 0 2px;color:#5f6368}"
	"tr.rare td{background:#fdecea}tr.failure td:first-child{font-weight:600;color:#b3261e}"
	"table.buckets,table.flags,table.versions{font-size:12px;margin-top:6px}"
	"pre.client{background:#fff;border:1px solid #e0e0e0;padding:8px;font-size:13px}"
	".note{font-size:12px;color:#5f6368}svg.chart{max-width:100%;height:auto}"
	"@media (max-width:640px){main{padding:8px}figure{width:auto;max-width:100%}"
	"table{display:block;overflow-x:auto}}";

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

#define jint charts_jint
#define jstr charts_jstr

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
		buf_html_str(b, charts_version_label(v));
		buf_printf(b, " (%lld)", (long long)jint(v, "reports"));
	}
	buf_puts(b, "</td></tr>");
	free(counts);
}

static void program_table(struct buf *b, json_t *programs, const char *selected)
{
	buf_puts(b, "<h2>Programs</h2>");
	buf_puts(b, "<table><tr><th>program</th><th>reports</th><th>reports per week</th><th>versions (reports)</th></tr>");
	size_t i;
	json_t *p;
	json_array_foreach(programs, i, p) program_row(b, p, selected);
	buf_puts(b, "</table>");
}

/* The program a visitor sees first: the first program of the published
 * config that has reports (the config's author lists what matters most
 * first), else the one with most reports. Not alphabetical: "as" is rarely
 * the question. */
static const char *default_program(json_t *programs, const struct upload_config *cfg)
{
	for (size_t k = 0; k < cfg->n_programs; k++) {
		size_t i;
		json_t *p;
		json_array_foreach(programs, i, p) if (strcmp(jstr(p, "program"), cfg->programs[k].name) == 0 &&
						       strcmp(cfg->programs[k].name, "telem") != 0) return jstr(p, "program");
	}
	return json_array_size(programs) ? jstr(json_array_get(programs, 0), "program") : NULL;
}

static void program_section(struct buf *b, json_t *c, const char *program)
{
	buf_puts(b, "<h2 id=\"program\">");
	buf_html_str(b, program);
	buf_puts(b, "</h2>");
	if (!json_is_object(c)) {
		buf_puts(b, "<p class=\"empty\">No report has this program.</p>");
		return;
	}
	charts_program(b, c, program);
}

static void stack_row(struct buf *b, json_t *s, size_t rank)
{
	buf_printf(b, "<tr><td class=\"n\">%zu</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>", rank,
		   (long long)jint(s, "total"), (long long)jint(s, "reports"));
	buf_html_str(b, jstr(s, "first_week"));
	buf_puts(b, "</td><td>");
	buf_html_str(b, jstr(s, "last_week"));
	buf_puts(b, "</td><td>");
	size_t i;
	json_t *p;
	json_t *programs = json_object_get(s, "programs");
	json_array_foreach(programs, i, p) {
		if (i == SHOWN_STACK_BUILDS && json_array_size(programs) > SHOWN_STACK_BUILDS + 1) {
			buf_printf(b, "<br>and %zu more", json_array_size(programs) - i);
			break;
		}
		buf_puts(b, i ? "<br>" : "");
		buf_html_str(b, charts_version_label(p));
		buf_printf(b, " (%lld)", (long long)jint(p, "total"));
	}
	buf_puts(b, "</td><td><pre>");
	buf_html_str(b, jstr(s, "name"));
	json_t *f;
	json_array_foreach(json_object_get(s, "frames"), i, f) {
		buf_puts(b, "\n  ");
		buf_html_str(b, json_string_value(f));
	}
	buf_puts(b, "</pre></td></tr>");
}

static void stacks_section(struct buf *b, json_t *stacks, const char *program)
{
	buf_puts(b, "<h2 id=\"stacks\">Crash stacks of ");
	buf_html_str(b, program);
	buf_puts(b, "</h2>");
	if (json_array_size(stacks) == 0) {
		buf_puts(b, "<p class=\"empty\">No crash stacks reported for this program.</p>");
		return;
	}
	buf_puts(b, "<table class=\"stacks\"><tr><th>#</th><th>count</th><th>reports</th><th>first week</th>"
		    "<th>last week</th><th>versions (count)</th><th>stack</th></tr>");
	size_t i;
	json_t *s;
	json_array_foreach(stacks, i, s) stack_row(b, s, i + 1);
	buf_puts(b, "</table><p class=\"note\">newest first (last week seen), then the most widespread (reports)</p>");
}

/* What a client needs to send here: the exact lines, with this server's
 * address as the client reached it (the Host header). */
static void empty_state(struct buf *b, const char *host)
{
	char url[300];
	snprintf(url, sizeof url, "http://%s", host && *host && strlen(host) < 256 ? host : "HOST:PORT");
	buf_puts(b, "<section id=\"empty\"><h2>No reports yet</h2><p>Point telem at this collector on each "
		    "machine, then reports are sent weekly (mode <code>on</code>):</p><pre class=\"client\">");
	buf_puts(b, "telem on\ntelem upload --server ");
	buf_html_str(b, url);
	buf_puts(b, "</pre><p>or, to make it the default for every upload, write the URL into the telem directory's "
		    "<code>upload.server</code> file:</p><pre class=\"client\">echo ");
	buf_html_str(b, url);
	buf_puts(b, " &gt; ~/.config/telem/upload.server</pre><p>A CI job uploads at its end with "
		    "<code>telem upload --now --server ");
	buf_html_str(b, url);
	buf_puts(b, "</code>. The upload config this collector checks reports against is at <code>");
	buf_html_str(b, url);
	buf_puts(b, "/config</code>.</p></section>");
}

/* Who reports, per week, one stacked chart per facet: a result driven by
 * one population (CI machines of one image) shows here. */
static void reporters_section(struct buf *b, json_t *mix, const char *program)
{
	size_t n;
	const char **weeks = strings(json_object_get(mix, "weeks"), &n);
	json_t *facets = json_object_get(mix, "facets");
	if (!weeks || n == 0 || json_object_size(facets) == 0) {
		free(weeks);
		return;
	}
	int *partial = calloc(n + 1, sizeof *partial);
	for (size_t i = 0; partial && i < n; i++)
		partial[i] = json_is_true(json_array_get(json_object_get(mix, "partial"), i));
	buf_puts(b, "<h2 id=\"reporters\">Who reports</h2><p class=\"note\">the reporting machines per week by "
		    "architecture, C library, OS, CI or interactive, container: when a chart above moves, check "
		    "here whether one population moved it.</p><div class=\"grid\">");
	const char *facet;
	json_t *values;
	json_object_foreach(facets, facet, values) {
		size_t nv = json_object_size(values), k = 0;
		struct series *s = calloc(nv + 1, sizeof *s);
		double *sum = calloc(n + 1, sizeof *sum);
		const char *value;
		json_t *counts;
		json_object_foreach(values, value, counts) {
			double *v = numbers(counts, n);
			for (size_t i = 0; v && sum && i < n; i++)
				sum[i] += v[i];
			if (s)
				s[k] = (struct series){value, v, svg_color(k)};
			k++;
		}
		for (k = 0; s && sum && k < nv; k++)
			for (size_t i = 0; s[k].values && i < n; i++)
				((double *)s[k].values)[i] = sum[i] > 0 ? s[k].values[i] / sum[i] : 0;
		buf_puts(b, "<figure class=\"facet\" id=\"facet-");
		buf_html_str(b, facet);
		buf_puts(b, "\"><h3>");
		buf_html_str(b, facet);
		buf_puts(b, "</h3>");
		if (s && sum) {
			svg_shares(b, weeks, partial, s, nv, n);
			buf_puts(b, "<ul class=\"legend\">");
			for (k = 0; k < nv; k++) {
				buf_puts(b, "<li>");
				svg_swatch(b, s[k].color);
				buf_puts(b, "<a href=\"/?program=");
				url_param(b, program);
				buf_puts(b, "&amp;");
				url_param(b, facet);
				buf_puts(b, "=");
				url_param(b, s[k].name);
				buf_puts(b, "\">");
				buf_html_str(b, s[k].name);
				buf_puts(b, "</a>");
				char pct[32];
				charts_percent(pct, n && s[k].values ? s[k].values[n - 1] : 0);
				buf_printf(b, ": %s in the last week</li>", pct);
			}
			buf_puts(b, "</ul>");
		}
		buf_puts(b, "</figure>");
		for (k = 0; s && k < nv; k++)
			free((void *)s[k].values);
		free(s);
		free(sum);
	}
	buf_puts(b, "</div>");
	free(partial);
	free(weeks);
}

/* Which reporters the charts are of, and the way back to all of them. */
static void filter_note(struct buf *b, const char *program, const struct query_filter *f)
{
	int any = 0;
	for (int i = 0; i < FACET_N; i++) {
		if (!f->value[i])
			continue;
		buf_puts(b, any ? ", " : "<p class=\"filter\" id=\"filter\">Only the machines with ");
		buf_printf(b, "%s = <b>", FACET_NAMES[i]);
		buf_html_str(b, f->value[i]);
		buf_puts(b, "</b>");
		any = 1;
	}
	if (!any)
		return;
	buf_puts(b, " (filtered from the stored reports). <a href=\"/?program=");
	url_param(b, program);
	buf_puts(b, "\">All machines</a></p>");
}

char *dashboard_render(struct db *db, const struct upload_config *cfg, const char *program,
		       const struct query_filter *filter, const char *host, size_t *len)
{
	json_t *summary = query_summary(db), *programs = query_programs(db), *mix = query_facets(db);
	json_t *stacks = NULL, *counters = NULL;
	char *page = NULL;
	if (!summary || !programs || !mix)
		goto out;
	if (!program)
		program = default_program(programs, cfg);
	if (program && (!(counters = query_counters(db, program, filter)) ||
			!(stacks = query_stacks(db, program, SHOWN_STACKS))))
		goto out;
	struct buf b = {0};
	head(&b, program);
	banner(&b, summary, cfg);
	if (json_array_size(programs) == 0) {
		empty_state(&b, host);
	} else {
		program_table(&b, programs, program ? program : "");
		if (program) {
			filter_note(&b, program, filter);
			program_section(&b, counters, program);
			stacks_section(&b, stacks, program);
		}
		reporters_section(&b, mix, program ? program : "");
	}
	buf_puts(&b, "</main></body></html>\n");
	page = buf_take(&b, len);
out:
	json_decref(summary);
	json_decref(programs);
	json_decref(mix);
	json_decref(stacks);
	json_decref(counters);
	return page;
}
