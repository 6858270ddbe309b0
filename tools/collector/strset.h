/* A set of byte strings (open addressing, FNV-1a): the config's allowed
 * "program\ncounter" pairs, looked up once per counter of every report. */
#ifndef COLLECTOR_STRSET_H
#define COLLECTOR_STRSET_H

#include <stddef.h>

struct strset {
	char **keys;
	size_t *lens;
	size_t cap, n;
};

/* 0 on success (also when already present), -1 when out of memory. */
int strset_add(struct strset *s, const char *key, size_t len);
int strset_has(const struct strset *s, const char *key, size_t len);
void strset_free(struct strset *s);

#endif
