#include "svg.h"

#include <math.h>
#include <stdio.h>

#define W 560
#define H 170
#define LEFT 46
#define BOTTOM 20
#define TOP 8
#define RIGHT 8

static const char *const PALETTE[SVG_COLORS] = {
	"#3366cc", "#dc7633", "#2e9e5b", "#b03a8c", "#8e6c3a", "#17a2b8", "#c0392b", "#7d6cc4", "#9aa0a6",
};

const char *svg_color(size_t i)
{
	return PALETTE[i < SVG_COLORS ? i : SVG_COLORS - 1];
}

void svg_number(char out[32], double v)
{
	const char *unit = "";
	if (fabs(v) >= 1e9)
		v /= 1e9, unit = "G";
	else if (fabs(v) >= 1e6)
		v /= 1e6, unit = "M";
	else if (fabs(v) >= 1e4)
		v /= 1e3, unit = "k";
	if (*unit || v != floor(v))
		snprintf(out, 32, "%.3g%s", v, unit);
	else
		snprintf(out, 32, "%.0f", v);
}

static void open_svg(struct buf *b, const char *label)
{
	buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", W, H,
		   W, H);
	buf_html_str(b, label);
	buf_puts(b, "\">");
}

/* Frame, y axis top label, and the first and last week under the x axis. */
static void axes(struct buf *b, const char *const *weeks, size_t n, const char *top_label)
{
	buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>", LEFT, H - BOTTOM, W - RIGHT,
		   H - BOTTOM);
	buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>", LEFT, TOP, LEFT, H - BOTTOM);
	buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"yl\">%s</text>", LEFT - 4, TOP + 9, top_label);
	buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"yl\">0</text>", LEFT - 4, H - BOTTOM);
	if (n == 0)
		return;
	buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"xl\">", LEFT, H - 5);
	buf_html_str(b, weeks[0]);
	buf_puts(b, "</text>");
	if (n > 1) {
		buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"xl end\">", W - RIGHT, H - 5);
		buf_html_str(b, weeks[n - 1]);
		buf_puts(b, "</text>");
	}
}

static double bar_width(size_t n)
{
	return n ? (double)(W - LEFT - RIGHT) / (double)n : 0;
}

static void rect(struct buf *b, double x, double y, double w, double h, const char *color, int partial)
{
	buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s>", x, y, w > 1.5 ? w - 1 : w,
		   h, color,
		   partial ? " fill-opacity=\"0.35\" stroke=\"#5f6368\" stroke-dasharray=\"3 2\" class=\"partial\"" : "");
}

void svg_swatch(struct buf *b, const char *color)
{
	buf_printf(b, "<svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" fill=\"%s\"/></svg> ",
		   color);
}

void svg_bars(struct buf *b, const char *const *weeks, const double *values, const int *partial, size_t n,
	      const char *label)
{
	double max = 0;
	for (size_t i = 0; i < n; i++)
		max = values[i] > max ? values[i] : max;
	char top[32], num[32];
	svg_number(top, max);
	open_svg(b, label);
	axes(b, weeks, n, top);
	double bw = bar_width(n), plot = H - BOTTOM - TOP;
	for (size_t i = 0; i < n; i++) {
		double h = max > 0 ? values[i] / max * plot : 0;
		int part = partial && partial[i];
		rect(b, LEFT + bw * (double)i, H - BOTTOM - h, bw, h, PALETTE[0], part);
		svg_number(num, values[i]);
		buf_puts(b, "<title>week of ");
		buf_html_str(b, weeks[i]);
		buf_printf(b, ": %s %s (%.0f)%s</title></rect>", num, label, values[i], part ? ", partial week" : "");
	}
	buf_puts(b, "</svg>");
}

void svg_shares(struct buf *b, const char *const *weeks, const int *partial, const struct series *s, size_t ns,
		size_t n)
{
	open_svg(b, "shares per week");
	axes(b, weeks, n, "100%");
	double bw = bar_width(n), plot = H - BOTTOM - TOP;
	for (size_t i = 0; i < n; i++) {
		double y = H - BOTTOM;
		for (size_t k = 0; k < ns; k++) {
			double h = s[k].values[i] * plot;
			if (h <= 0)
				continue;
			if (h < 2)
				h = 2;
			y -= h;
			rect(b, LEFT + bw * (double)i, y, bw, h, s[k].color, partial && partial[i]);
			buf_puts(b, "<title>");
			buf_html_str(b, s[k].name);
			buf_puts(b, ", week of ");
			buf_html_str(b, weeks[i]);
			buf_printf(b, ": %.3g%%%s</title></rect>", s[k].values[i] * 100,
				   partial && partial[i] ? ", partial week" : "");
		}
	}
	buf_puts(b, "</svg>");
}

void svg_spark(struct buf *b, const double *values, size_t n)
{
	const int w = 160, h = 28;
	double max = 0;
	for (size_t i = 0; i < n; i++)
		max = values[i] > max ? values[i] : max;
	buf_printf(b, "<svg class=\"spark\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" aria-hidden=\"true\">", w, h, w,
		   h);
	buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", PALETTE[0]);
	for (size_t i = 0; i < n; i++) {
		double x = n > 1 ? (double)i * (w - 2) / (double)(n - 1) + 1 : w / 2.0;
		double y = h - 2 - (max > 0 ? values[i] / max * (h - 4) : 0);
		buf_printf(b, "%s%.1f,%.1f", i ? " " : "", x, y);
	}
	buf_puts(b, "\"/></svg>");
}

void svg_hbars(struct buf *b, const struct svg_hbar *rows, size_t n, const char *a_label, const char *b_label)
{
	const int row = 30, label = 90, value = 96, width = W - label - value;
	int h = (int)n * row + 18;
	buf_printf(b, "<svg class=\"chart hbars\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
		   W, h, W, h);
	buf_html_str(b, a_label);
	buf_puts(b, " and ");
	buf_html_str(b, b_label);
	buf_puts(b, "\">");
	buf_printf(b, "<rect x=\"%d\" y=\"2\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"11\" class=\"xl\">",
		   label, PALETTE[0], label + 14);
	buf_html_str(b, a_label);
	buf_printf(b, "</text><rect x=\"%d\" y=\"2\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"11\" class=\"xl\">",
		   label + 140, PALETTE[1], label + 154);
	buf_html_str(b, b_label);
	buf_puts(b, "</text>");
	for (size_t i = 0; i < n; i++) {
		int y = 18 + (int)i * row;
		buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"yl\">", label - 6, y + 15);
		buf_html_str(b, rows[i].name);
		buf_puts(b, "</text>");
		const double v[2] = {rows[i].a, rows[i].b};
		for (int k = 0; k < 2; k++) {
			if (v[k] < 0)
				continue;
			double len = v[k] * width;
			buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"11\" fill=\"%s\"/>", label, y + 2 + k * 12,
				   len > 0 && len < 2 ? 2 : len, PALETTE[k]);
			buf_printf(b, "<text x=\"%.1f\" y=\"%d\" class=\"xl\">%.1f%%</text>", label + len + 4, y + 12 + k * 12,
				   v[k] * 100);
		}
	}
	buf_puts(b, "</svg>");
}
