/* A counter file loaded into memory: its meta pairs and its counters,
 * sorted by name. What dump, csv, view, report and run read. */
#ifndef TELEM_COUNTERMODEL_H
#define TELEM_COUNTERMODEL_H

#include <stddef.h>
#include <stdint.h>

struct meta_pair {
	char *key, *value;
};

struct counter_entry {
	char *name;
	size_t len;
	uint64_t count;
	/* Days a stack was first and last seen ("YYYY-MM-DD"), when known
	 * better than from the file's TimeBegin: a reported week's (history.h).
	 * Empty otherwise. */
	char first_seen[11], last_seen[11];
};

struct counter_data {
	char *path;
	struct meta_pair *meta;
	size_t n_meta;
	struct counter_entry *counters;
	size_t n;
};

/* Reads and fully validates path. On error prints "telem: <path>: <what>"
 * and returns -1. Names and counts are as Go's reader gives them: stack
 * names with Go's ditto marks expanded (stackname.h), counts at most
 * INT64_MAX (count_shown). counter_data_load_raw keeps both as stored
 * (for copying counters into another file). */
int counter_data_load(const char *path, struct counter_data *d);
int counter_data_load_raw(const char *path, struct counter_data *d);

/* The one rule for counts of 2^63 and more, in every output (dump, dump
 * --json, csv, export, report): Go's Report holds counts as int64 (x/telemetry
 * types.go, Counters map[string]int64), so a count is shown saturated at
 * INT64_MAX, as Go saturates counters, never wrapped negative. */
static inline uint64_t count_shown(uint64_t v) { return v > INT64_MAX ? INT64_MAX : v; }
const char *counter_data_meta(const struct counter_data *d, const char *key);
void counter_data_free(struct counter_data *d);

#endif
