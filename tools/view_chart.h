/* Weekly charts as inline SVG, drawn compactly enough that a year of data
 * for twenty programs stays a small page: one path per bucket (its bars as
 * relative moves), integer coordinates, at most CHART_TOP buckets and the
 * rest summed as one "other" bucket, tooltips per bucket (and per week only
 * when the chart is small). */
#ifndef TELEM_VIEW_CHART_H
#define TELEM_VIEW_CHART_H

#include "view_html.h"
#include "view_model.h"

#define CHART_TOP 12

/* One figure for group g of program p: grouped bars (one group of bars per
 * week, pending weeks shaded) for a chart with buckets, a line for a sum
 * or a counter of its own; then its legend with totals. */
void chart_group(struct hbuf *b, const struct view_model *m, const struct vm_program *p, size_t g);

/* A group not worth a chart of its own: one bucket, and not a sum with
 * enough weeks for a line to say something. Such groups share one table. */
int chart_is_trivial(const struct view_model *m, const struct vm_program *p, size_t g);

/* The table of a program's trivial groups (the n groups listed). */
void chart_trivial_table(struct hbuf *b, const struct view_model *m, const struct vm_program *p, const size_t *groups,
			 size_t n);

/* "1.2k", "34M": short numbers for axes. */
void chart_short_number(char *out, size_t cap, uint64_t v);

#endif
