#include "countermodel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "counterfile.h"
#include "stackname.h"

struct collecting {
	struct counter_data *d;
	int raw;
};

static int collect(void *arg, const struct cf_record_view *rec)
{
	struct collecting *k = arg;
	struct counter_data *d = k->d;
	struct counter_entry *c = realloc(d->counters, (d->n + 1) * sizeof *c);
	if (!c)
		return 1;
	d->counters = c;
	size_t len = rec->len;
	char *name = k->raw ? NULL : stack_name_decode(rec->name, rec->len, &len);
	c[d->n].name = name ? name : strndup(rec->name, rec->len);
	c[d->n].len = name ? len : rec->len;
	c[d->n].count = k->raw ? rec->count : count_shown(rec->count);
	c[d->n].first_seen[0] = c[d->n].last_seen[0] = 0;
	d->n++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct counter_entry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void split_meta(struct counter_data *d, const char *meta, size_t len)
{
	const char *p = meta, *end = meta + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(line_end - p));
		if (colon && colon + 1 < line_end) {
			struct meta_pair *m = realloc(d->meta, (d->n_meta + 1) * sizeof *m);
			if (!m)
				return;
			d->meta = m;
			m[d->n_meta].key = strndup(p, (size_t)(colon - p));
			m[d->n_meta].value = strndup(colon + 2, (size_t)(line_end - colon - 2));
			d->n_meta++;
		}
		p = line_end + 1;
	}
}

static int load(const char *path, struct counter_data *d, int raw)
{
	struct collecting k = {d, raw};
	memset(d, 0, sizeof *d);
	size_t len;
	char *data = read_file(path, &len);
	if (!data)
		return fail(path, "cannot read: %s", strerror(errno)) * -1;
	const char *meta;
	size_t meta_len;
	d->path = strdup(path);
	enum cf_status s = counter_file_parse((unsigned char *)data, len, &meta, &meta_len, collect, &k);
	if (s != CF_OK) {
		free(data);
		counter_data_free(d);
		fail(path, "%s", cf_status_text(s));
		return -1;
	}
	split_meta(d, meta, meta_len);
	free(data);
	qsort(d->counters, d->n, sizeof *d->counters, by_name);
	return 0;
}

int counter_data_load(const char *path, struct counter_data *d) { return load(path, d, 0); }
int counter_data_load_raw(const char *path, struct counter_data *d) { return load(path, d, 1); }

const char *counter_data_meta(const struct counter_data *d, const char *key)
{
	for (size_t i = 0; i < d->n_meta; i++)
		if (strcmp(d->meta[i].key, key) == 0)
			return d->meta[i].value;
	return NULL;
}

void counter_data_free(struct counter_data *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->counters[i].name);
	for (size_t i = 0; i < d->n_meta; i++) {
		free(d->meta[i].key);
		free(d->meta[i].value);
	}
	free(d->counters);
	free(d->meta);
	free(d->path);
	memset(d, 0, sizeof *d);
}
