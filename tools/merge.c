#include "merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "counterfile.h"
#include "countermodel.h"
#include "week.h"

/* The TimeEnd the destination's weekday gives a file beginning at begin
 * ("YYYY-MM-DDT00:00:00Z"), in out; 0, or -1 to keep the source's. */
static int time_end_for(const char *begin, int weekday, char out[32])
{
	char date[11];
	if (weekday < 0 || !begin || strlen(begin) < 10)
		return -1;
	memcpy(date, begin, 10);
	date[10] = 0;
	int64_t day = week_parse_date(date);
	if (day < 0)
		return -1;
	struct text t = TEXT_INIT(out, 31);
	week_put_midnight(&t, day + week_days_to_end(day, weekday));
	out[t.len] = 0;
	return 0;
}

/* The meta text of a loaded file, rebuilt in Go's order from its pairs,
 * its TimeEnd the one of the destination directory's weekday. */
static size_t meta_text(const struct counter_data *d, int weekday, char *out, size_t cap)
{
	size_t n = 0;
	char end[32];
	int new_end = time_end_for(counter_data_meta(d, "TimeBegin"), weekday, end) == 0;
	for (size_t i = 0; i < d->n_meta && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s: %s\n", d->meta[i].key,
				      new_end && strcmp(d->meta[i].key, "TimeEnd") == 0 ? end : d->meta[i].value);
	if (n + 1 < cap)
		out[n++] = '\n';
	return n < cap ? n : 0;
}

static int merge_file(const char *src, const char *dst, int weekday)
{
	struct counter_data d;
	if (counter_data_load_raw(src, &d) < 0)
		return 1;
	struct counter_file cf;
	int err;
	enum cf_status s = counter_file_adopt(&cf, dst, &err);
	if (s == CF_ERR_IO && err == -ENOENT) {
		char meta[CF_MAX_META + 64];
		size_t len = meta_text(&d, weekday, meta, sizeof meta);
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

int merge_weekday(const char *src_local, const char *dst_local)
{
	char src[4200], dst[4200];
	snprintf(src, sizeof src, "%s/weekends", src_local);
	snprintf(dst, sizeof dst, "%s/weekends", dst_local);
	size_t len;
	char *data = access(dst, F_OK) == 0 ? NULL : read_file(src, &len);
	if (data && len >= 1 && data[0] >= '0' && data[0] <= '6' && make_dirs(dst_local) == 0) {
		/* Complete under another name, then linked: a concurrent first
		 * writer (the shim, Go) that chose meanwhile keeps its choice. */
		char tmp[4300];
		snprintf(tmp, sizeof tmp, "%s.tmp-merge-%ld", dst, (long)getpid());
		if (write_file_atomic(tmp, data, len, 0644) == 0) {
			if (link(tmp, dst) < 0 && errno != EEXIST)
				fail(dst, "cannot create: %s", strerror(errno));
			unlink(tmp);
		}
	}
	free(data);
	return week_weekends(dst_local);
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
	/* One weekday per directory, whoever writes first: the destination's,
	 * else the source's is adopted, else one is chosen (week.c). */
	int weekday = n ? merge_weekday(src_local, dst_local) : -1;
	int status = 0;
	for (size_t i = 0; i < n; i++) {
		char src[4096], dst[4096];
		snprintf(src, sizeof src, "%s/%s", src_local, names[i]);
		snprintf(dst, sizeof dst, "%s/%s", dst_local, names[i]);
		status |= merge_file(src, dst, weekday);
	}
	free_list(names, n);
	return status;
}
