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
 * and returns -1. */
int counter_data_load(const char *path, struct counter_data *d);
const char *counter_data_meta(const struct counter_data *d, const char *key);
void counter_data_free(struct counter_data *d);

#endif
