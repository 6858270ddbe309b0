/* Dates without libc's time functions (they take locks and read tz files). */
#define _GNU_SOURCE /* O_PATH */
#include "week.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "beneath.h"
#include "sys.h"

int64_t week_day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t week_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void week_civil(int64_t z, int *year, int *month, int *day)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(yoe + era * 400 + (*month <= 2));
}

int week_weekday(int64_t days)
{
	int w = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
	return w < 0 ? w + 7 : w;
}

void week_put_date(struct text *t, int64_t days)
{
	int y, m, d;
	week_civil(days, &y, &m, &d);
	text_uint(t, (uint64_t)y, 4);
	text_put(t, "-", 1);
	text_uint(t, (uint64_t)m, 2);
	text_put(t, "-", 1);
	text_uint(t, (uint64_t)d, 2);
}

void week_put_midnight(struct text *t, int64_t days)
{
	week_put_date(t, days);
	text_lit(t, "T00:00:00Z");
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Exactly "YYYY-MM-DD": each byte is checked before the next is read, so a
 * shorter string never makes us read past its end. */
int64_t week_parse_date(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	for (int i = 0; i < 10; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != '-')
			return -1;
	if (s[10] != 0)
		return -1;
	int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	int64_t days = week_days_from_civil(y, m, d);
	int yy, mm, dd;
	week_civil(days, &yy, &mm, &dd);
	return dd == d ? days : -1; /* rejects 2026-02-30 */
}

int week_days_to_end(int64_t today, int weekday)
{
	int incr = weekday - week_weekday(today);
	return incr <= 0 ? incr + 7 : incr;
}

/* Opened beneath the local directory's descriptor, no symlink followed,
 * and read only when it is a regular file of the user's. O_NONBLOCK: a FIFO
 * planted here must not hang the host. */
static int read_weekday(int localfd, unsigned euid)
{
	char buf[8];
	int fd = beneath_open(localfd, "weekends", O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0)
		return fd == -ENOENT ? -2 : -1;
	struct stat st;
	long n = sys_fstat(fd, &st) == 0 && beneath_file_ok(&st, euid) == 0 ? sys_read(fd, buf, sizeof buf) : -1;
	sys_close(fd);
	if (n < 1 || buf[0] < '0' || buf[0] > '6')
		return -1;
	return buf[0] - '0';
}

/* Created complete under a temporary name and linked into place, so a
 * concurrent reader sees either no file or the whole digit. */
static int create_weekends(int localfd)
{
	unsigned char rnd[9];
	char tmp[32];
	struct text t = TEXT_INIT(tmp, sizeof tmp);
	if (sys_getrandom(rnd, sizeof rnd, 1) != (long)sizeof rnd)
		return -1;
	text_lit(&t, "weekends.tmp-");
	char hex[16];
	bytes_hex(hex, rnd, 8);
	text_put(&t, hex, 16);
	int fd = sys_openat(localfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, BENEATH_FILE_MODE);
	if (fd < 0)
		return -1;
	char line[2] = {(char)('0' + rnd[8] % 7), '\n'};
	int ok = sys_fchmod(fd, BENEATH_FILE_MODE) == 0 && sys_write(fd, line, 2) == 2;
	sys_close(fd);
	if (ok)
		sys_linkat(localfd, tmp, localfd, "weekends", 0); /* EEXIST: someone else chose */
	sys_unlinkat(localfd, tmp, 0);
	return 0;
}

int week_weekends_at(int localfd, unsigned euid)
{
	int w = read_weekday(localfd, euid);
	if (w == -2 && create_weekends(localfd) == 0)
		w = read_weekday(localfd, euid);
	return w < 0 ? -1 : w;
}

int week_weekends(const char *localdir)
{
	/* The tools' form: DIR/local itself must not be a symlink either. */
	int fd = sys_openat(AT_FDCWD, localdir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int w = week_weekends_at(fd, beneath_geteuid());
	sys_close(fd);
	return w;
}

void week_file_name(struct text *t, const struct file_identity *id, int64_t begin)
{
	char date[11];
	struct text d = TEXT_INIT(date, sizeof date);
	week_put_date(&d, begin);
	week_file_name_on(t, id, date);
}

void week_file_name_on(struct text *t, const struct file_identity *id, const char *date)
{
	text_str(t, id->program);
	text_put(t, "@", 1);
	text_str(t, id->version);
	text_put(t, "-", 1);
	text_str(t, id->runtime);
	text_put(t, "-", 1);
	text_str(t, id->goos);
	text_put(t, "-", 1);
	text_str(t, id->goarch);
	text_put(t, "-", 1);
	text_put(t, date, 10);
	text_lit(t, ".v1.count");
}

void week_meta(struct text *t, const struct file_identity *id, int64_t begin, int64_t end)
{
	text_lit(t, "TimeBegin: ");
	week_put_midnight(t, begin);
	text_lit(t, "\nTimeEnd: ");
	week_put_midnight(t, end);
	text_put(t, "\n", 1);
	week_meta_identity(t, id);
}

void week_meta_identity(struct text *t, const struct file_identity *id)
{
	text_lit(t, "Program: ");
	text_str(t, id->program);
	text_lit(t, "\nVersion: ");
	text_str(t, id->version);
	text_lit(t, "\nGoVersion: ");
	text_str(t, id->runtime);
	text_lit(t, "\nGOOS: ");
	text_str(t, id->goos);
	text_lit(t, "\nGOARCH: ");
	text_str(t, id->goarch);
	text_lit(t, "\n\n");
}
