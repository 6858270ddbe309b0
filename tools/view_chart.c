/* Weekly SVG charts for telem view (view_chart.h). */
#define _GNU_SOURCE
#include "view_chart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "week.h"

#define PLOT_TARGET 760 /* px the weeks share before the chart scrolls */
#define LEFT 46         /* room for the y labels */
#define TOP 20         /* room for the y axis' title */
#define PLOT_H 120
#define BOTTOM 30       /* room for the week labels and the x axis' title */
#define RIGHT 10
/* Per-week tooltips only while they stay cheap (weeks x buckets). */
#define HOVER_LIMIT 160
/* Sums are lines over this many weeks; over fewer, a line says little: bars. */
#define LINE_MIN_WEEKS 4

struct chart_series {
	const char *label;
	size_t label_len;
	const uint64_t *weeks;
	uint64_t total;
	int color; /* c0..c11, c12 for "other" */
	int other; /* the folded buckets, summed */
};

struct geom {
	size_t weeks;
	int group_w, bar_w, pad, plot_w, width, height;
	uint64_t ymax;
};

void chart_short_number(char *out, size_t cap, uint64_t v)
{
	static const char units[] = "kMGTPE";
	if (v < 10000) {
		snprintf(out, cap, "%llu", (unsigned long long)v);
		return;
	}
	double x = (double)v;
	int u = -1;
	while (x >= 1000 && u < 5)
		x /= 1000, u++;
	snprintf(out, cap, x < 10 ? "%.1f%c" : "%.0f%c", x, units[u]);
}

/* The axis top, at least v: 2, 4, 10, then 1, 2 or 5 times a power of
 * ten, so the middle gridline's label is a whole number too. */
static uint64_t nice_max(uint64_t v)
{
	if (v <= 2)
		return 2;
	if (v <= 4)
		return 4;
	uint64_t p = 10;
	while (p <= UINT64_MAX / 10 && p * 10 < v)
		p *= 10;
	if (p >= v)
		return p;
	if (p * 2 >= v)
		return p * 2;
	if (p <= UINT64_MAX / 5 && p * 5 >= v)
		return p * 5;
	return p <= UINT64_MAX / 10 ? p * 10 : UINT64_MAX;
}

static int scale(const struct geom *g, uint64_t v)
{
	int h = (int)((long double)v * PLOT_H / (long double)g->ymax + 0.5L);
	return v && h == 0 ? 1 : h; /* a non-zero count is never invisible */
}

static int group_x(const struct geom *g, size_t w)
{
	return LEFT + (int)w * g->group_w;
}

static void week_title(struct hbuf *b, const struct view_model *m, size_t w)
{
	hb_puts(b, "week ending ");
	hb_date(b, m->weeks[w]);
	if (vm_pending(m, m->weeks[w]))
		hb_puts(b, " (pending, not yet reported)");
}

/* Axes, gridlines, pending weeks shaded, week labels. */
static void frame(struct hbuf *b, const struct view_model *m, const struct geom *g)
{
	char num[32];
	int base = TOP + PLOT_H;
	hb_printf(b, "<svg width=\"%d\" height=\"%d\">", g->width, g->height);
	for (size_t w = 0; w < g->weeks; w++)
		if (vm_pending(m, m->weeks[w]))
			hb_printf(b, "<rect class=\"pd\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>", group_x(g, w),
				  TOP, g->group_w, PLOT_H);
	hb_printf(b, "<path class=\"gr\" d=\"M%d %dh%dM%d %dh%dM%d %dh%d\"/>", LEFT, TOP, g->plot_w, LEFT,
		  TOP + PLOT_H / 2, g->plot_w, LEFT, base, g->plot_w);
	chart_short_number(num, sizeof num, g->ymax);
	hb_printf(b, "<text class=\"yl\" x=\"%d\" y=\"%d\">%s</text>", LEFT - 4, TOP + 4, num);
	chart_short_number(num, sizeof num, g->ymax / 2);
	hb_printf(b, "<text class=\"yl\" x=\"%d\" y=\"%d\">%s</text>", LEFT - 4, TOP + PLOT_H / 2 + 4, num);
	hb_printf(b, "<text class=\"yl\" x=\"%d\" y=\"%d\">0</text>", LEFT - 4, base + 4);
	hb_printf(b, "<text x=\"%d\" y=\"%d\">count per week</text>", 2, TOP - 8);
	hb_printf(b, "<text class=\"xl\" x=\"%d\" y=\"%d\">week ending (month-day)</text>", LEFT + g->plot_w / 2,
		  base + 26);
	int every = (38 + g->group_w - 1) / g->group_w; /* labels ~38 px apart */
	for (size_t w = g->weeks; w-- > 0;) /* the newest week always labelled */
		if ((g->weeks - 1 - w) % (size_t)every == 0) {
			int y, mo, d;
			week_civil(m->weeks[w], &y, &mo, &d);
			hb_printf(b, "<text class=\"xl\" x=\"%d\" y=\"%d\">%02d-%02d</text>",
				  group_x(g, w) + g->group_w / 2, base + 13, mo, d);
		}
}

/* Transparent columns whose tooltips give each week's counts. */
static void hover(struct hbuf *b, const struct view_model *m, const struct geom *g, const struct chart_series *s,
		  size_t n)
{
	for (size_t w = 0; w < g->weeks; w++) {
		hb_printf(b, "<rect class=\"hv\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"><title>", group_x(g, w),
			  TOP, g->group_w, PLOT_H);
		week_title(b, m, w);
		for (size_t i = 0; i < n; i++) {
			hb_puts(b, "\n");
			hb_esc(b, s[i].label, s[i].label_len);
			hb_puts(b, ": ");
			hb_uint(b, s[i].weeks[w]);
		}
		hb_puts(b, "</title></rect>");
	}
}

/* One path per bucket: its bars drawn with relative moves, ~14 bytes each. */
static void bar_path(struct hbuf *b, const struct geom *g, const struct chart_series *s, size_t i)
{
	int base = TOP + PLOT_H, cur = -1;
	hb_printf(b, "<path class=\"c%d\" d=\"", s->color);
	for (size_t w = 0; w < g->weeks; w++) {
		if (!s->weeks[w])
			continue;
		int x = group_x(g, w) + g->pad + (int)i * g->bar_w, h = scale(g, s->weeks[w]);
		if (cur < 0)
			hb_printf(b, "M%d %d", x, base);
		else
			hb_printf(b, "m%d 0", x - cur);
		hb_printf(b, "v-%dh%dv%d", h, g->bar_w, h);
		cur = x + g->bar_w;
	}
	if (cur < 0)
		hb_puts(b, "M0 0"); /* an empty but valid path keeps the tooltip markup simple */
	hb_puts(b, "\"><title>");
	hb_esc(b, s->label, s->label_len);
	hb_puts(b, ": ");
	hb_uint(b, s->total);
	hb_puts(b, "</title></path>");
}

static void bars(struct hbuf *b, const struct view_model *m, const struct chart_series *s, size_t n)
{
	struct geom g = {.weeks = m->n_weeks, .ymax = 1};
	int per = PLOT_TARGET / (int)(g.weeks ? g.weeks : 1);
	g.bar_w = (per - 2) / (int)n;
	g.bar_w = g.bar_w < 1 ? 1 : g.bar_w > 16 ? 16 : g.bar_w;
	g.group_w = g.bar_w * (int)n + (g.bar_w >= 4 ? 4 : 2);
	if (g.group_w < 60 && per > g.group_w)
		g.group_w = per < 60 ? per : 60; /* few weeks: wider groups, bars centred */
	g.pad = (g.group_w - g.bar_w * (int)n) / 2;
	g.plot_w = (int)g.weeks * g.group_w;
	g.width = LEFT + g.plot_w + RIGHT;
	g.height = TOP + PLOT_H + BOTTOM;
	for (size_t i = 0; i < n; i++)
		for (size_t w = 0; w < g.weeks; w++)
			g.ymax = s[i].weeks[w] > g.ymax ? s[i].weeks[w] : g.ymax;
	g.ymax = nice_max(g.ymax);
	frame(b, m, &g);
	for (size_t i = 0; i < n; i++)
		bar_path(b, &g, &s[i], i);
	if (g.weeks * n <= HOVER_LIMIT)
		hover(b, m, &g, s, n);
	hb_puts(b, "</svg>");
}

/* A sum or a counter of its own: a line through the weeks, a dot on each. */
static void line(struct hbuf *b, const struct view_model *m, const struct chart_series *s)
{
	struct geom g = {.weeks = m->n_weeks, .ymax = 1};
	int per = PLOT_TARGET / (int)(g.weeks ? g.weeks : 1);
	g.group_w = per < 8 ? 8 : per > 60 ? 60 : per;
	g.plot_w = (int)g.weeks * g.group_w;
	g.width = LEFT + g.plot_w + RIGHT;
	g.height = TOP + PLOT_H + BOTTOM;
	for (size_t w = 0; w < g.weeks; w++)
		g.ymax = s->weeks[w] > g.ymax ? s->weeks[w] : g.ymax;
	g.ymax = nice_max(g.ymax);
	frame(b, m, &g);
	int base = TOP + PLOT_H;
	for (int pass = 0; pass < 2; pass++) {
		hb_puts(b, pass ? "<path class=\"dt\" d=\"" : "<path class=\"ln\" d=\"");
		for (size_t w = 0; w < g.weeks; w++) {
			int x = group_x(&g, w) + g.group_w / 2, y = base - scale(&g, s->weeks[w]);
			hb_printf(b, pass ? "M%d %dh0" : w ? "L%d %d" : "M%d %d", x, y);
		}
		hb_puts(b, "\"><title>");
		hb_esc(b, s->label, s->label_len);
		hb_puts(b, ": ");
		hb_uint(b, s->total);
		hb_puts(b, "</title></path>");
	}
	if (g.weeks <= HOVER_LIMIT)
		hover(b, m, &g, s, 1);
	hb_puts(b, "</svg>");
}

static int by_total(const void *a, const void *b)
{
	const struct chart_series *x = a, *y = b;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->label, y->label);
}

/* Buckets with a natural order keep it: time and memory buckets by size,
 * exit codes by number; others (flags, signals) stay most used first. */
static long natural_rank(const struct chart_series *s, int kind)
{
	if (kind == 0)
		return names_time_rank(s->label);
	if (kind == 1)
		return names_rss_rank(s->label);
	char *end;
	long v = strtol(s->label, &end, 10);
	return s->label_len && end == s->label + s->label_len && v >= 0 ? v : -1;
}

static int by_natural(const void *a, const void *b, void *kind)
{
	long x = natural_rank(a, *(int *)kind), y = natural_rank(b, *(int *)kind);
	return (x > y) - (x < y);
}

static void order_buckets(struct chart_series *s, size_t n)
{
	for (int kind = 0; kind < 3; kind++) {
		size_t i = 0;
		while (i < n && natural_rank(&s[i], kind) >= 0)
			i++;
		if (i == n) {
			qsort_r(s, n, sizeof *s, by_natural, &kind);
			return;
		}
	}
}

static void legend(struct hbuf *b, const struct view_model *m, const struct chart_series *s, size_t n,
		   size_t others)
{
	hb_puts(b, "<ul class=\"lg\">");
	for (size_t i = 0; i < n; i++) {
		hb_printf(b, "<li><i class=\"c%d\"></i>", s[i].color);
		if (s[i].other)
			hb_printf(b, "other (%zu more)", others);
		else
			hb_esc(b, s[i].label, s[i].label_len);
		hb_puts(b, " <b>");
		hb_uint(b, s[i].total);
		hb_puts(b, "</b></li>");
	}
	for (size_t w = 0; w < m->n_weeks; w++)
		if (vm_pending(m, m->weeks[w])) {
			hb_puts(b, "<li><i class=\"pd\"></i>pending, not yet reported</li>");
			break;
		}
	hb_puts(b, "</ul>");
}

/* A group that is one counter with no "chart:" part: a sum such as
 * wall-us, or invocations. */
static int is_sum(const struct vm_program *p, const struct vm_group *grp)
{
	const struct vm_series *s = &p->series[grp->series[0]];
	return grp->n_series == 1 && !s->is_stack && s->bucket_len == strlen(grp->name) &&
	       memcmp(s->bucket, grp->name, s->bucket_len) == 0;
}

void chart_group(struct hbuf *b, const struct view_model *m, const struct vm_program *p, size_t gi)
{
	const struct vm_group *grp = &p->groups[gi];
	size_t n = grp->n_series, shown = n > CHART_TOP + 1 ? CHART_TOP : n;
	struct chart_series *s = calloc(shown + 1, sizeof *s), *all = calloc(n, sizeof *all);
	uint64_t *other = calloc(m->n_weeks + 1, sizeof *other);
	if (!s || !all || !other)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct vm_series *v = &p->series[grp->series[i]];
		all[i] = (struct chart_series){v->bucket, v->bucket_len, v->weeks, v->total, 0, 0};
	}
	qsort(all, n, sizeof *all, by_total);
	memcpy(s, all, shown * sizeof *s);
	order_buckets(s, shown);
	for (size_t i = 0; i < shown; i++)
		s[i].color = i < CHART_TOP ? (int)i : CHART_TOP; /* a 13th bucket, drawn as itself, in grey */
	size_t drawn = shown;
	if (shown < n) {
		uint64_t total = 0;
		for (size_t i = shown; i < n; i++) {
			for (size_t w = 0; w < m->n_weeks; w++)
				other[w] += all[i].weeks[w];
			total += all[i].total;
		}
		s[drawn++] = (struct chart_series){"other", 5, other, total, CHART_TOP, 1};
	}
	hb_puts(b, "<figure class=\"ch\"><figcaption>");
	hb_escs(b, grp->name);
	hb_printf(b, " <small>%zu bucket%s</small></figcaption><div class=\"sc\">", n, n == 1 ? "" : "s");
	if (is_sum(p, grp) && m->n_weeks >= LINE_MIN_WEEKS)
		line(b, m, &s[0]);
	else
		bars(b, m, s, drawn);
	hb_puts(b, "</div>");
	legend(b, m, s, drawn, n - shown);
	hb_puts(b, "</figure>");
	free(s);
	free(all);
	free(other);
}

int chart_is_trivial(const struct view_model *m, const struct vm_program *p, size_t gi)
{
	const struct vm_group *grp = &p->groups[gi];
	if (grp->n_series != 1 || p->series[grp->series[0]].is_stack)
		return 0;
	return !(is_sum(p, grp) && m->n_weeks >= LINE_MIN_WEEKS);
}

void chart_trivial_table(struct hbuf *b, const struct view_model *m, const struct vm_program *p, const size_t *groups,
			 size_t n)
{
	if (!n)
		return;
	hb_printf(b, "<table class=\"tv\"><tr><th>counter (one bucket)</th><th class=\"n\">total</th>"
		     "<th class=\"n\">weeks with a count</th><th class=\"n\">last week</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		const struct vm_series *s = &p->series[p->groups[groups[i]].series[0]];
		size_t with = 0;
		for (size_t w = 0; w < m->n_weeks; w++)
			with += s->weeks[w] != 0;
		hb_puts(b, "<tr><td><code>");
		hb_esc(b, s->key, s->key_len);
		hb_puts(b, "</code></td><td class=\"n\">");
		hb_uint(b, s->total);
		hb_printf(b, "</td><td class=\"n\">%zu of %zu</td><td class=\"n\">", with, m->n_weeks);
		hb_uint(b, m->n_weeks ? s->weeks[m->n_weeks - 1] : 0);
		hb_puts(b, "</td></tr>\n");
	}
	hb_puts(b, "</table>\n");
}
