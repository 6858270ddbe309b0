#include "strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const struct strset *s, const char *key, size_t len)
{
	size_t i = hash(key, len) & (s->cap - 1);
	while (s->keys[i] && !(s->lens[i] == len && memcmp(s->keys[i], key, len) == 0))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int resize(struct strset *s, size_t cap)
{
	struct strset bigger = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(size_t)), cap, s->n};
	if (!bigger.keys || !bigger.lens) {
		free(bigger.keys);
		free(bigger.lens);
		return -1;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->keys[i])
			continue;
		size_t j = find(&bigger, s->keys[i], s->lens[i]);
		bigger.keys[j] = s->keys[i];
		bigger.lens[j] = s->lens[i];
	}
	free(s->keys);
	free(s->lens);
	*s = bigger;
	return 0;
}

int strset_add(struct strset *s, const char *key, size_t len)
{
	if ((s->n + 1) * 2 > s->cap && resize(s, s->cap ? s->cap * 2 : 64) < 0)
		return -1;
	size_t i = find(s, key, len);
	if (s->keys[i])
		return 0;
	char *copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, key, len);
	copy[len] = '\0';
	s->keys[i] = copy;
	s->lens[i] = len;
	s->n++;
	return 0;
}

int strset_has(const struct strset *s, const char *key, size_t len)
{
	return s->cap && s->keys[find(s, key, len)] != NULL;
}

void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s->lens);
	memset(s, 0, sizeof *s);
}
