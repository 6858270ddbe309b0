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

/* Bars of one series per week; label names the values ("reports"). */
void svg_bars(struct buf *b, const char *const *weeks, const double *values, size_t n, const char *label);
/* Stacked bars of shares (fractions of 1 per week) of several series. */
void svg_shares(struct buf *b, const char *const *weeks, const struct series *s, size_t ns, size_t n);
/* A small line of one series, for tables. */
void svg_spark(struct buf *b, const double *values, size_t n);
/* 1234 -> "1.2k", 5 -> "5". */
void svg_number(char out[32], double v);
/* The i-th series color (the last one is for "other"). */
const char *svg_color(size_t i);
#define SVG_COLORS 9

#endif
