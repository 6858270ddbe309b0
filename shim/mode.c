#include "mode.h"

#include <fcntl.h>

#include "bytes.h"
#include "sys.h"
#include "week.h"

int mode_dir(char *out, size_t cap, const char *telem_dir, const char *xdg, const char *home)
{
	struct text t = TEXT_INIT(out, cap);
	if (telem_dir && telem_dir[0] == '/') {
		text_str(&t, telem_dir);
	} else if (xdg && xdg[0] == '/') {
		text_str(&t, xdg);
		text_str(&t, "/telem");
	} else if (home && home[0] == '/') {
		text_str(&t, home);
		text_str(&t, "/.config/telem");
	} else {
		return -1;
	}
	while (t.len > 1 && out[t.len - 1] == '/')
		out[--t.len] = 0;
	return t.overflow ? -1 : 0;
}

static int word_is(const char *buf, size_t len, const char *word)
{
	size_t n = bytes_len(word);
	return len >= n && bytes_equal(buf, word, n) && (len == n || buf[n] == ' ' || buf[n] == '\n');
}

/* Passed as asof by callers that need no date. */
int64_t mode_no_date;

enum telem_mode mode_parse(const char *buf, size_t len, int64_t *asof)
{
	*asof = -1;
	enum telem_mode m;
	size_t skip;
	if (word_is(buf, len, "on"))
		m = MODE_ON, skip = 3;
	else if (word_is(buf, len, "off"))
		return MODE_OFF;
	else
		m = MODE_LOCAL, skip = 6;
	/* The shim reads the date only for "on" (whose date decides whether it
	 * is on at all): for local and off it is the tools' business. */
	if (len >= skip + 10 && buf[skip - 1] == ' ' && (m == MODE_ON || asof != &mode_no_date)) {
		char date[11];
		bytes_copy(date, buf + skip, 10);
		date[10] = 0;
		*asof = week_parse_date(date);
	}
	/* "on" without a valid date cannot say since when uploading is allowed. */
	return m == MODE_ON && *asof < 0 ? MODE_LOCAL : m;
}

enum telem_mode mode_read(const char *dir, int64_t *asof) { return mode_read_keep(dir, asof, 0); }

enum telem_mode mode_read_keep(const char *dir, int64_t *asof, int *keep)
{
	char path[1100], buf[64];
	struct text t = TEXT_INIT(path, sizeof path);
	text_str(&t, dir);
	text_str(&t, "/mode");
	*asof = -1;
	if (keep)
		*keep = -1;
	if (t.overflow)
		return MODE_LOCAL;
	/* O_NONBLOCK: a FIFO planted here must not hang the host. */
	int fd = sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0)
		return MODE_LOCAL;
	long n = sys_read(fd, buf, sizeof buf);
	if (keep)
		*keep = fd;
	else
		sys_close(fd);
	return n > 0 ? mode_parse(buf, (size_t)n, asof) : MODE_LOCAL;
}

int mode_from_env(const char *value)
{
	if (!value)
		return -1;
	if (str_equal(value, "off"))
		return MODE_OFF;
	if (str_equal(value, "local"))
		return MODE_LOCAL;
	return -1;
}

const char *mode_name(enum telem_mode m)
{
	return m == MODE_ON ? "on" : m == MODE_OFF ? "off" : "local";
}
