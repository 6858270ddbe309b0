/* Opening today's counter file, cheaply in the common case.
 *
 * The file name depends only on the date, but the meta's TimeEnd depends on
 * the weekends file. Reading weekends costs three system calls, so when
 * today's file already exists we take its TimeEnd instead, after checking
 * that everything else in its header is exactly what we would write and that
 * the TimeEnd is one to seven days away: the file's creator read weekends. */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>

#include "beneath.h"
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

/* Consumes the literal s from the mapped meta at *pos. */
static int take(const char *meta, size_t room, size_t *pos, const char *s, size_t n)
{
	if (*pos + n > room || !bytes_equal(meta + *pos, s, n))
		return 0;
	*pos += n;
	return 1;
}

#define TAKE(lit) take(meta, room, &pos, lit, sizeof lit - 1)

/* The mapped header is exactly what week_meta would write for some TimeEnd
 * one to seven days after today. Dates are parsed rather than formatted and
 * compared: this runs in every host process. */
static int header_is_ours(const struct counter_file *cf)
{
	const char *meta = (const char *)cf->map + 32;
	size_t room = cf->hdr_len - 32, pos = 0;
	char date[11] = {0};
	if (!TAKE("TimeBegin: ") || !take(meta, room, &pos, telem.today_str, 10) ||
	    !TAKE("T00:00:00Z\nTimeEnd: ") || room < pos + 10)
		return 0;
	bytes_copy(date, meta + pos, 10);
	pos += 10;
	int64_t end = week_parse_date(date);
	if (end - telem.today < 1 || end - telem.today > 7 || !TAKE("T00:00:00Z\n"))
		return 0;
	telem.week_end = end;
	struct text m = TEXT_INIT(0, room - pos + 1);
	m.expect = meta + pos;
	struct file_identity f = file_id();
	week_meta_identity(&m, &f);
	pos += m.len;
	if (m.overflow || cf->hdr_len != ((32 + pos + 31) & ~(size_t)31))
		return 0;
	for (; pos < room; pos++)
		if (meta[pos])
			return 0;
	return 1;
}

static int adopt_existing(int dirfd, const char *path, uint32_t rel_off, unsigned euid)
{
	int err;
	enum cf_status s = counter_file_adopt_at(&telem.file, dirfd, path, rel_off, euid, &err);
	if (s == CF_ERR_SHORT) /* a creator died mid-way: create_today repairs it */
		return -ENOENT;
	if (s != CF_OK) {
		if (err != -ENOENT)
			telem_debug(s == CF_ERR_IO ? "cannot open today's counter file" : cf_status_text(s), path);
		return err == -ENOENT ? -ENOENT : -1;
	}
	if (header_is_ours(&telem.file))
		return 0;
	counter_file_close(&telem.file);
	telem_debug("header of today's counter file is not ours", path);
	return -1;
}

static int create_today(int dirfd, const char *path, uint32_t rel_off, unsigned euid)
{
	int rc = beneath_mkdir(dirfd, "local");
	int localfd = rc == 0 || rc == -EEXIST ? beneath_open(dirfd, "local", O_PATH | O_DIRECTORY | O_CLOEXEC, 0) : rc;
	int weekday = localfd < 0 ? -1 : week_weekends_at(localfd, euid);
	if (localfd >= 0)
		sys_close(localfd);
	if (weekday < 0) {
		telem_debug("cannot read or create the weekends file (or local/ is a symlink) in", telem.dir);
		return -1;
	}
	char meta[CF_MAX_META + 1];
	struct text m = TEXT_INIT(meta, sizeof meta);
	struct file_identity f = file_id();
	telem.week_end = telem.today + week_days_to_end(telem.today, weekday);
	week_meta(&m, &f, telem.today, telem.week_end);
	int err;
	enum cf_status s = m.overflow ? CF_ERR_HEADER
				      : counter_file_open_at(&telem.file, dirfd, path, rel_off, euid, meta, m.len, 1, &err);
	if (s != CF_OK)
		telem_debug(cf_status_text(s), path);
	else if (telem.file.repaired)
		telem_debug(telem.file.repaired == 1 ? "completed a short counter file (its creator died mid-way)"
						     : "replaced a short, corrupt counter file", path);
	return s == CF_OK ? 0 : -1;
}

int telem_open_today(int dirfd, unsigned euid)
{
	char path[CF_PATH_MAX];
	struct text t = TEXT_INIT(path, sizeof path);
	struct file_identity f = file_id();
	struct text d = TEXT_INIT(telem.today_str, sizeof telem.today_str);
	week_put_date(&d, telem.today);
	path_of(&t, "/local/");
	uint32_t rel_off = (uint32_t)t.len - 6; /* "local/<name>" beneath dirfd */
	week_file_name_on(&t, &f, telem.today_str);
	if (t.overflow)
		return -1;
	int rc = adopt_existing(dirfd, path, rel_off, euid);
	if (rc == -ENOENT)
		rc = create_today(dirfd, path, rel_off, euid);
	return rc;
}
