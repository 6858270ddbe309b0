/* telem view's page (view_html.h): the output buffer, the style sheet, and
 * the sections in the order a reader wants them: programs, their weekly
 * charts, crash stacks, the upload config, the local reports. */
#define _GNU_SOURCE
#include "view_html.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view_chart.h"
#include "week.h"

/* Stacks listed on the page; telem crashes lists them all. */
#define PAGE_MAX_STACKS 100

static void reserve(struct hbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1 << 16;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *d = realloc(b->data, cap);
	if (!d)
		abort();
	b->data = d;
	b->cap = cap;
}

void hb_put(struct hbuf *b, const char *s, size_t n)
{
	reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = 0;
}

void hb_puts(struct hbuf *b, const char *s)
{
	hb_put(b, s, strlen(s));
}

void hb_printf(struct hbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (b->data && b->len + (size_t)n < b->cap) {
		b->len += (size_t)n;
		return;
	}
	reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void hb_uint(struct hbuf *b, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
	while ((v /= 10));
	hb_put(b, tmp + sizeof tmp - n, (size_t)n);
}

void hb_esc(struct hbuf *b, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;"
				: c == '\'' ? "&#39;" : NULL;
		int control = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
		if (!rep && !control)
			continue;
		hb_put(b, s + run, i - run);
		if (rep)
			hb_puts(b, rep);
		else
			hb_printf(b, "\\x%02x", c);
		run = i + 1;
	}
	hb_put(b, s + run, n - run);
}

void hb_escs(struct hbuf *b, const char *s)
{
	hb_esc(b, s, strlen(s));
}

void hb_date(struct hbuf *b, int64_t days)
{
	int y, m, d;
	week_civil(days, &y, &m, &d);
	hb_printf(b, "%04d-%02d-%02d", y, m, d);
}

void hb_free(struct hbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

static const char style[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1500px}"
	"h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;"
	"vertical-align:top}.n{text-align:right;font-variant-numeric:tabular-nums}"
	"code,pre{font:12px/1.35 ui-monospace,monospace}pre{background:#f6f6f6;padding:8px;margin:4px 0 12px;"
	"overflow-x:auto}nav a{margin-right:8px}.meta{color:#555}"
	".charts{display:flex;flex-wrap:wrap;gap:14px}figure.ch{margin:0;border:1px solid #e6e6e6;padding:8px;"
	"max-width:100%}figcaption{font-weight:600}figcaption small{font-weight:400;color:#777}"
	".sc{overflow-x:auto}svg text{font:10px sans-serif;fill:#666}.yl{text-anchor:end}.xl{text-anchor:middle}"
	".gr{stroke:#ddd;fill:none}.pd{fill:#fff1b8;background:#fff1b8}.hv{fill:transparent}"
	".hv:hover{fill:rgba(0,0,0,.06)}.ln{fill:none;stroke:#4e79a7;stroke-width:2}"
	".dt{stroke:#4e79a7;stroke-width:6;stroke-linecap:round}"
	"ul.lg{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:2px 12px;font-size:12px;"
	"max-width:780px}ul.lg i{display:inline-block;width:10px;height:10px;margin-right:4px}"
	".c0{fill:#4e79a7;background:#4e79a7}.c1{fill:#f28e2b;background:#f28e2b}"
	".c2{fill:#e15759;background:#e15759}.c3{fill:#76b7b2;background:#76b7b2}"
	".c4{fill:#59a14f;background:#59a14f}.c5{fill:#edc948;background:#edc948}"
	".c6{fill:#b07aa1;background:#b07aa1}.c7{fill:#ff9da7;background:#ff9da7}"
	".c8{fill:#9c755f;background:#9c755f}.c9{fill:#17becf;background:#17becf}"
	".c10{fill:#bcbd22;background:#bcbd22}.c11{fill:#8c564b;background:#8c564b}"
	".c12{fill:#c7c7c7;background:#c7c7c7}"
	".up{color:#08774a;font-weight:600}.lo{color:#777}.note{background:#fff1b8;padding:6px 10px}"
	"details{margin:4px 0}summary{cursor:pointer}";

static void head(struct hbuf *b)
{
	hb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		   "<meta http-equiv=\"Content-Security-Policy\" content=\"" VIEW_CSP "\">"
		   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		   "<title>telem view</title><style>");
	hb_puts(b, style);
	hb_puts(b, "</style></head><body>\n");
}

static size_t *page_order(const struct view_model *m, size_t *n_first);

static void intro(struct hbuf *b, const struct view_input *in)
{
	const struct view_model *m = in->model;
	hb_puts(b, "<h1>telem: what this machine counted</h1><p class=\"meta\">Directory <code>");
	hb_escs(b, in->dir);
	hb_printf(b, "</code> &middot; mode <b>%s</b>", in->mode_env_off ? "off (TELEM_MODE=off)" : mode_name(in->mode));
	if (in->mode_since >= 0 && !in->mode_env_off) {
		hb_puts(b, " since ");
		hb_date(b, in->mode_since);
	}
	hb_printf(b, " &middot; %zu counter file%s", m->n_files, m->n_files == 1 ? "" : "s");
	if (m->n_reported)
		hb_printf(b, " and %zu program-week%s from local reports", m->n_reported, m->n_reported == 1 ? "" : "s");
	hb_printf(b, ", %zu program%s", m->n_programs, m->n_programs == 1 ? "" : "s");
	if (m->n_weeks) {
		hb_puts(b, ", weeks ending ");
		hb_date(b, m->weeks[0]);
		hb_puts(b, " to ");
		hb_date(b, m->weeks[m->n_weeks - 1]);
	}
	if (m->weeks_older)
		hb_printf(b, " (%zu older week%s counted in totals, not charted)", m->weeks_older,
			  m->weeks_older == 1 ? "" : "s");
	hb_puts(b, " &middot; today ");
	hb_date(b, m->today);
	hb_puts(b, "</p>\n<nav><a href=\"#programs\">programs</a>");
	size_t first, *order = page_order(m, &first);
	for (size_t k = 0; k < first; k++) {
		hb_printf(b, "<a href=\"#p%zu\">", order[k]);
		hb_escs(b, m->programs[order[k]].name);
		hb_puts(b, "</a>");
	}
	free(order);
	hb_puts(b, "<a href=\"#stacks\">crash stacks</a><a href=\"#upload\">upload</a>"
		   "<a href=\"#reports\">reports</a></nav>\n");
}

static void versions_cell(struct hbuf *b, const struct vm_program *p)
{
	for (size_t i = 0; i < p->n_ids; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(p->ids[j].version, p->ids[i].version) == 0;
		if (seen)
			continue;
		hb_puts(b, i ? " <code>" : "<code>");
		hb_escs(b, p->ids[i].version);
		hb_puts(b, "</code>");
	}
}

static void duration(struct hbuf *b, uint64_t ms)
{
	if (ms < 1000)
		hb_printf(b, "%llu ms", (unsigned long long)ms);
	else if (ms < 120000)
		hb_printf(b, "%.1f s", ms / 1000.0);
	else if (ms < 7200000)
		hb_printf(b, "%.1f min", ms / 60000.0);
	else
		hb_printf(b, "%.1f h", ms / 3600000.0);
}

/* Shells and coreutils: every build runs them by the hundred, and they
 * rarely say anything about the toolchain. Folded, unless they crashed. */
static int is_noise(const struct vm_program *p)
{
	static const char *const names[] = {
		"sh", "dash", "bash", "zsh", "ksh", "mksh", "busybox", "env", "cat", "rm", "mkdir", "rmdir", "cp",
		"mv", "ln", "echo", "test", "[", "true", "false", "sed", "grep", "egrep", "fgrep", "awk", "mawk",
		"gawk", "sort", "uniq", "tr", "cut", "head", "tail", "basename", "dirname", "expr", "touch", "chmod",
		"chown", "ls", "find", "xargs", "date", "sleep", "uname", "printf", "wc", "tee", "install",
		"readlink", "realpath", "stat", "id", "which", "mktemp", "sync", "nproc", "seq", "yes", "od", "cmp",
		"diff", "tar", "gzip", "sha256sum", "md5sum", "timeout", "nice", "nohup", "tput", "stty", NULL};
	if (p->crashes)
		return 0;
	for (size_t i = 0; names[i]; i++)
		if (strcmp(p->name, names[i]) == 0)
			return 1;
	return 0;
}

/* Most relevant first: crashes, then failures, then runs. */
static int by_relevance(const void *a, const void *b, void *programs)
{
	const struct vm_program *x = &((const struct vm_program *)programs)[*(const size_t *)a];
	const struct vm_program *y = &((const struct vm_program *)programs)[*(const size_t *)b];
	if (x->crashes != y->crashes)
		return x->crashes < y->crashes ? 1 : -1;
	if (x->failures != y->failures)
		return x->failures < y->failures ? 1 : -1;
	if (x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The programs in page order: the relevant ones, then the noise; *n_first
 * is how many are relevant. Malloc'd. */
static size_t *page_order(const struct view_model *m, size_t *n_first)
{
	size_t *order = calloc(m->n_programs + 1, sizeof *order), k = 0;
	if (!order)
		abort();
	for (int noise = 0; noise < 2; noise++) {
		size_t from = k;
		for (size_t i = 0; i < m->n_programs; i++)
			if (is_noise(&m->programs[i]) == noise)
				order[k++] = i;
		qsort_r(order + from, k - from, sizeof *order, by_relevance, m->programs);
		if (!noise)
			*n_first = k;
	}
	return order;
}

static void noise_summary(struct hbuf *b, const struct view_model *m, const size_t *order, size_t from)
{
	hb_printf(b, "<summary>shells and coreutils: %zu program%s (", m->n_programs - from,
		  m->n_programs - from == 1 ? "" : "s");
	for (size_t i = from; i < m->n_programs; i++) {
		hb_puts(b, i > from ? ", " : "");
		hb_escs(b, m->programs[order[i]].name);
	}
	hb_puts(b, ")</summary>");
}

static void table_head(struct hbuf *b)
{
	hb_puts(b, "<table><tr><th>program</th><th>versions</th><th class=\"n\">runs</th><th class=\"n\">failures</th>"
		   "<th class=\"n\">crashes</th><th class=\"n\">not seen</th><th class=\"n\">wall time</th><th class=\"n\">CPU time</th>"
		   "<th>weeks ending</th></tr>\n");
}

static void programs_table(struct hbuf *b, const struct view_model *m)
{
	hb_puts(b, "<h2 id=\"programs\">Programs</h2>");
	if (!m->n_programs) {
		hb_puts(b, "<p>No counter files yet: run a build with <code>telem run -- make</code>.</p>\n");
		return;
	}
	size_t first, *order = page_order(m, &first);
	hb_puts(b, "<p class=\"meta\">Programs that crashed first, then those that failed, then by runs.</p>");
	table_head(b);
	for (size_t k = 0; k < m->n_programs; k++) {
		size_t i = order[k];
		const struct vm_program *p = &m->programs[i];
		if (k == first && k) {
			hb_puts(b, "</table>\n<details>");
			noise_summary(b, m, order, first);
			table_head(b);
		}
		hb_printf(b, "<tr><td><a href=\"#p%zu\">", i);
		hb_escs(b, p->name);
		hb_puts(b, "</a></td><td>");
		versions_cell(b, p);
		/* not seen: runs whose end no counter shows (SIGKILL, exec into a static binary) */
		hb_printf(b, "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
			     "<td class=\"n\">%llu</td><td class=\"n\">",
			  (unsigned long long)p->runs, (unsigned long long)p->failures, (unsigned long long)p->crashes,
			  (unsigned long long)(p->runs > p->ends ? p->runs - p->ends : 0));
		duration(b, p->wall_us / 1000);
		hb_puts(b, "</td><td class=\"n\">");
		duration(b, p->cpu_us / 1000);
		hb_puts(b, "</td><td>");
		hb_date(b, p->first_week);
		if (p->last_week != p->first_week) {
			hb_puts(b, " &ndash; ");
			hb_date(b, p->last_week);
		}
		hb_puts(b, "</td></tr>\n");
	}
	hb_puts(b, first && first < m->n_programs ? "</table></details>\n" : "</table>\n");
	free(order);
}

static void one_program(struct hbuf *b, const struct view_model *m, size_t i)
{
	const struct vm_program *p = &m->programs[i];
	size_t *trivial = calloc(p->n_groups + 1, sizeof *trivial), n_trivial = 0;
	if (!trivial)
		abort();
	for (size_t g = 0; g < p->n_groups; g++)
		if (chart_is_trivial(m, p, g))
			trivial[n_trivial++] = g;
	hb_printf(b, "<h2 id=\"p%zu\">", i);
	hb_escs(b, p->name);
	hb_printf(b, "</h2><p class=\"meta\">%zu counter%s: %zu chart%s, one group of bars per week (by TimeEnd; "
		  "hover a bar or a week for its counts)", p->n_series, p->n_series == 1 ? "" : "s",
		  p->n_groups - n_trivial, p->n_groups - n_trivial == 1 ? "" : "s");
	if (n_trivial)
		hb_printf(b, ", and %zu counter%s of one bucket in the table below", n_trivial, n_trivial == 1 ? "" : "s");
	hb_puts(b, ".</p><div class=\"charts\">\n");
	for (size_t g = 0, t = 0; g < p->n_groups; g++) {
		if (t < n_trivial && trivial[t] == g)
			t++;
		else
			chart_group(b, m, p, g);
	}
	hb_puts(b, "</div>\n");
	chart_trivial_table(b, m, p, trivial, n_trivial);
	free(trivial);
}

static void program_charts(struct hbuf *b, const struct view_model *m)
{
	size_t first, *order = page_order(m, &first);
	for (size_t k = 0; k < m->n_programs; k++) {
		if (k == first && k) {
			hb_puts(b, "<details class=\"noise\">");
			noise_summary(b, m, order, first);
		}
		one_program(b, m, order[k]);
	}
	if (first && first < m->n_programs)
		hb_puts(b, "</details>\n");
	free(order);
}

struct stack_ref {
	const struct vm_program *p;
	const struct vm_stack *s;
};

static int by_count(const void *a, const void *b)
{
	const struct stack_ref *x = a, *y = b;
	if (x->s->count != y->s->count)
		return x->s->count < y->s->count ? 1 : -1;
	int c = strcmp(x->p->name, y->p->name);
	return c ? c : strcmp(x->s->name, y->s->name);
}

static void one_stack(struct hbuf *b, const struct stack_ref *r)
{
	const char *nl = memchr(r->s->name, '\n', r->s->len);
	size_t first = nl ? (size_t)(nl - r->s->name) : r->s->len;
	hb_printf(b, "<p><b>%llu</b> &times; <code>", (unsigned long long)r->s->count);
	hb_esc(b, r->s->name, first);
	hb_puts(b, "</code> in <b>");
	hb_escs(b, r->p->name);
	hb_puts(b, "</b> <code>");
	hb_escs(b, r->s->version);
	hb_puts(b, "</code>, weeks ending ");
	hb_date(b, r->s->first_week);
	if (r->s->last_week != r->s->first_week) {
		hb_puts(b, " &ndash; ");
		hb_date(b, r->s->last_week);
	}
	hb_puts(b, "</p><pre class=\"stack\">");
	if (nl)
		hb_esc(b, nl + 1, r->s->len - first - 1);
	hb_puts(b, "</pre>\n");
}

static void stacks_section(struct hbuf *b, const struct view_model *m)
{
	size_t n = 0, dropped = 0;
	for (size_t i = 0; i < m->n_programs; i++) {
		n += m->programs[i].n_stacks;
		dropped += m->programs[i].stacks_dropped;
	}
	hb_puts(b, "<h2 id=\"stacks\">Crash stacks</h2>");
	if (!n) {
		hb_puts(b, "<p>No crash stacks.</p>\n");
		return;
	}
	struct stack_ref *all = calloc(n, sizeof *all);
	if (!all)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < m->n_programs; i++)
		for (size_t j = 0; j < m->programs[i].n_stacks; j++)
			all[k++] = (struct stack_ref){&m->programs[i], &m->programs[i].stacks[j]};
	qsort(all, n, sizeof *all, by_count);
	hb_puts(b, "<p class=\"meta\">Most frequent first, frames innermost first. "
		   "<code>telem crashes --symbolize</code> adds source lines.</p>\n");
	for (size_t i = 0; i < n && i < PAGE_MAX_STACKS; i++)
		one_stack(b, &all[i]);
	if (n > PAGE_MAX_STACKS || dropped)
		hb_printf(b, "<p class=\"note\">%zu more stacks are not shown here: <code>telem crashes</code> lists "
			  "them all.</p>\n", n > PAGE_MAX_STACKS ? n - PAGE_MAX_STACKS + dropped : dropped);
	free(all);
}

static void reports_section(struct hbuf *b, const struct view_input *in)
{
	hb_puts(b, "<h2 id=\"reports\">Local reports</h2>");
	if (!in->n_reports) {
		hb_puts(b, "<p>No local reports yet: a week's report is made after its TimeEnd passes.</p>\n");
		return;
	}
	hb_puts(b, "<table><tr><th>file in local/</th><th>Week</th><th class=\"n\">programs</th></tr>\n");
	for (size_t i = 0; i < in->n_reports; i++) {
		const struct view_report *r = &in->reports[i];
		hb_puts(b, "<tr><td><code>");
		hb_escs(b, r->name);
		hb_puts(b, "</code></td><td>");
		if (r->week) {
			hb_escs(b, r->week);
			hb_printf(b, "</td><td class=\"n\">%zu</td></tr>\n", r->programs);
		} else {
			hb_puts(b, "not a valid report: ");
			hb_escs(b, r->problem ? r->problem : "?");
			hb_puts(b, "</td><td></td></tr>\n");
		}
	}
	hb_puts(b, "</table>\n");
}

static void bad_files(struct hbuf *b, const struct view_model *m)
{
	if (!m->n_bad)
		return;
	hb_puts(b, "<h2>Files that could not be read</h2><ul>");
	for (size_t i = 0; i < m->n_bad; i++) {
		hb_puts(b, "<li><code>");
		hb_escs(b, m->bad[i]);
		hb_puts(b, "</code></li>");
	}
	hb_puts(b, "</ul><p class=\"meta\"><code>telem dump</code> says what is wrong with each.</p>\n");
}

void view_page(struct hbuf *b, const struct view_input *in)
{
	head(b);
	intro(b, in);
	programs_table(b, in->model);
	program_charts(b, in->model);
	stacks_section(b, in->model);
	view_upload_section(b, in);
	reports_section(b, in);
	bad_files(b, in->model);
	hb_puts(b, "</body></html>\n");
}
