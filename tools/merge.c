#include "merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "counterfile.h"
#include "countermodel.h"

/* The meta text of a loaded file, rebuilt in Go's order from its pairs. */
static size_t meta_text(const struct counter_data *d, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_meta && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s: %s\n", d->meta[i].key, d->meta[i].value);
	if (n + 1 < cap)
		out[n++] = '\n';
	return n < cap ? n : 0;
}

static int merge_file(const char *src, const char *dst)
{
	struct counter_data d;
	if (counter_data_load_raw(src, &d) < 0)
		return 1;
	struct counter_file cf;
	int err;
	enum cf_status s = counter_file_adopt(&cf, dst, &err);
	if (s == CF_ERR_IO && err == -ENOENT) {
		char meta[CF_MAX_META + 64];
		size_t len = meta_text(&d, meta, sizeof meta);
		s = len ? counter_file_open(&cf, dst, meta, len, 1, &err) : CF_ERR_HEADER;
	}
	if (s != CF_OK) {
		counter_data_free(&d);
		return fail(dst, "%s%s%s", cf_status_text(s), s == CF_ERR_IO ? ": " : "",
			    s == CF_ERR_IO ? strerror(-err) : "");
	}
	int status = 0;
	for (size_t i = 0; i < d.n; i++) {
		uint64_t *p = counter_file_find(&cf, d.counters[i].name, d.counters[i].len, 1);
		if (!p) {
			status = fail(dst, "cannot add counter (file full or corrupt)");
			break;
		}
		counter_add_at(p, d.counters[i].count);
	}
	counter_file_close(&cf);
	counter_data_free(&d);
	return status;
}

int merge_counters(const char *src_local, const char *dst_local)
{
	char **names;
	size_t n;
	if (list_counter_files(src_local, &names, &n) < 0)
		return fail(src_local, "cannot list counter files: %s", strerror(errno));
	if (n && make_dirs(dst_local) < 0) {
		free_list(names, n);
		return fail(dst_local, "cannot create directory: %s", strerror(errno));
	}
	int status = 0;
	for (size_t i = 0; i < n; i++) {
		char src[4096], dst[4096];
		snprintf(src, sizeof src, "%s/%s", src_local, names[i]);
		snprintf(dst, sizeof dst, "%s/%s", dst_local, names[i]);
		status |= merge_file(src, dst);
	}
	free_list(names, n);
	return status;
}
