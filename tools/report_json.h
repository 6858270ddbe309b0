/* A report in memory, and its JSON exactly as Go's
 * json.MarshalIndent(report, "", " ") writes x/telemetry's Report: struct
 * fields in declaration order, map keys in byte order, one space of indent,
 * Go's string escapes (HTML-safe: <, >, & as \u003c...; invalid UTF-8 as
 * \ufffd), Go's float text, no final newline. */
#ifndef TELEM_REPORT_JSON_H
#define TELEM_REPORT_JSON_H

#include <stddef.h>
#include <stdint.h>

/* One counter or stack: points into a loaded counter file. */
struct rcount {
	const char *name;
	size_t len;
	uint64_t count;
};

/* Go's ProgramReport; counters and stacks sorted by name, unique. */
struct rprogram {
	const char *program, *version, *goversion, *goos, *goarch;
	const char *human; /* package version: written in local reports only */
	struct rcount *counters, *stacks;
	size_t n_counters, n_stacks;
};

/* Go's Report. */
struct report {
	char week[11], last_week[11];
	double x;
	const char *config;
	int partial; /* written, as "Partial": true, in local reports only */
	struct rprogram *programs; /* NULL is Go's nil slice: "Programs": null */
	size_t n;
};

/* The JSON text (malloc'd, NUL-terminated); local adds HumanVersion and Partial. */
char *report_json(const struct report *r, int local, size_t *len);

#endif
