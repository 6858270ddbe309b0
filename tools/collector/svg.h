/* Inline SVG charts for the dashboard: no script, no external fetch; each
 * bar carries a <title> tooltip with its exact value. */
#ifndef COLLECTOR_SVG_H
#define COLLECTOR_SVG_H

#include <stddef.h>

#include "buf.h"

struct series {
	const char *name;
	const double *values; /* one per week */
	const char *color;
};

/* Bars of one series per week; label names the values ("reports"). A
 * partial week (partial[i], partial may be NULL) is drawn hatched and says
 * so in its tooltip. */
void svg_bars(struct buf *b, const char *const *weeks, const double *values, const int *partial, size_t n,
	      const char *label);
/* Stacked bars of shares (fractions of 1 per week) of several series; a
 * non-zero share is at least 2 px high, so a rare bucket stays visible. */
void svg_shares(struct buf *b, const char *const *weeks, const int *partial, const struct series *s, size_t ns,
		size_t n);
/* Horizontal bars, two per row (shares of 1; b < 0: none), each with its
 * value written beside it. */
struct svg_hbar {
	const char *name;
	double a, b;
};
void svg_hbars(struct buf *b, const struct svg_hbar *rows, size_t n, const char *a_label, const char *b_label);
/* A small colored square, for legends. */
void svg_swatch(struct buf *b, const char *color);
/* A small line of one series, for tables. */
void svg_spark(struct buf *b, const double *values, size_t n);
/* 1234 -> "1.2k", 5 -> "5". */
void svg_number(char out[32], double v);
/* The i-th series color (the last one is for "other"). */
const char *svg_color(size_t i);
#define SVG_COLORS 9

#endif
