/* Opening today's counter file, cheaply in the common case.
 *
 * The file name depends only on the date, but the meta's TimeEnd depends on
 * the weekends file. Reading weekends costs three system calls, so when
 * today's file already exists we take its TimeEnd instead, after checking
 * that everything else in its header is exactly what we would write and that
 * the TimeEnd is one to seven days away: the file's creator read weekends. */
#include <errno.h>
#include <fcntl.h>

#include "bytes.h"
#include "state.h"
#include "sys.h"
#include "week.h"

static struct file_identity file_id(void)
{
	struct file_identity f = {telem.id.program, telem.id.version, telem.id.runtime,
				  telem.id.goos, telem.id.goarch};
	return f;
}

static int path_of(struct text *t, const char *sub)
{
	text_str(t, telem.dir);
	text_str(t, sub);
	return t->overflow ? -1 : 0;
}

/* TimeEnd of an adopted file's meta, in days; -1 when not of our shape. */
static int64_t end_of(const char *meta, size_t len)
{
	static const char lead[] = "TimeBegin: YYYY-MM-DDT00:00:00Z\nTimeEnd: ";
	char date[11];
	if (len < sizeof lead - 1 + 10)
		return -1;
	bytes_copy(date, meta + sizeof lead - 1, 10);
	date[10] = 0;
	return week_parse_date(date);
}

static int adopt_existing(const char *path)
{
	int err;
	if (counter_file_adopt(&telem.file, path, &err) != CF_OK)
		return err == -ENOENT ? -ENOENT : -1;
	const char *meta = (const char *)telem.file.map + 32;
	size_t meta_len = 0;
	while (32 + meta_len < telem.file.hdr_len && meta[meta_len])
		meta_len++;
	int64_t end = end_of(meta, meta_len);
	char want[CF_MAX_META + 1];
	struct text m = {want, 0, sizeof want, 0};
	struct file_identity f = file_id();
	week_meta(&m, &f, telem.today, end);
	if (end - telem.today >= 1 && end - telem.today <= 7 && !m.overflow && m.len == meta_len &&
	    bytes_equal(want, meta, meta_len))
		return 0;
	counter_file_close(&telem.file);
	telem_debug("header of today's counter file is not ours", path);
	return -1;
}

static int create_today(const char *path)
{
	char local[CF_PATH_MAX];
	struct text l = {local, 0, sizeof local, 0};
	if (path_of(&l, "/local") < 0)
		return -1;
	sys_mkdirat(AT_FDCWD, telem.dir, 0775);
	sys_mkdirat(AT_FDCWD, local, 0775);
	int weekday = week_weekends(local);
	if (weekday < 0) {
		telem_debug("cannot read or create the weekends file in", local);
		return -1;
	}
	char meta[CF_MAX_META + 1];
	struct text m = {meta, 0, sizeof meta, 0};
	struct file_identity f = file_id();
	week_meta(&m, &f, telem.today, telem.today + week_days_to_end(telem.today, weekday));
	int err;
	enum cf_status s = m.overflow ? CF_ERR_HEADER
				      : counter_file_open(&telem.file, path, meta, m.len, 1, &err);
	if (s != CF_OK)
		telem_debug(cf_status_text(s), path);
	return s == CF_OK ? 0 : -1;
}

int telem_open_today(void)
{
	char path[CF_PATH_MAX];
	struct text t = {path, 0, sizeof path, 0};
	struct file_identity f = file_id();
	path_of(&t, "/local/");
	week_file_name(&t, &f, telem.today);
	if (t.overflow)
		return -1;
	int rc = adopt_existing(path);
	if (rc == -ENOENT)
		rc = create_today(path);
	return rc;
}
