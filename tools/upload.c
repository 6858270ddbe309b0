/* The collector protocol over libcurl (upload.h). Every request is bounded
 * (connect and total timeouts), verifies TLS, follows no redirect and speaks
 * only http and https. */
#define _GNU_SOURCE
#include "upload.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "privdir.h"
#include "week.h"

#define CONNECT_TIMEOUT_MS 5000L
#define MAX_REPLY (1L << 20)

static void warn(const struct upload_options *o, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warn(const struct upload_options *o, const char *file, const char *fmt, ...)
{
	if (o->quiet)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fail(file, "%s", msg);
}

#define LOG_MAX 65536

void upload_log(const char *dir, const char *fmt, ...)
{
	if (!dir)
		return;
	char path[1200], line[1400], msg[1200], when[32];
	time_t now = time(NULL);
	const char *fixed = getenv("TELEM_TEST_NOW");
	if (fixed && *fixed)
		now = (time_t)strtoll(fixed, NULL, 10);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int n = snprintf(line, sizeof line, "%s %s\n", when, msg);
	snprintf(path, sizeof path, "%s/upload.log", dir);
	size_t len = 0;
	char *old = read_file(path, &len);
	size_t keep = old ? len : 0, from = 0;
	if (keep + (size_t)n > LOG_MAX) { /* drop the oldest lines */
		from = keep + (size_t)n - LOG_MAX;
		const char *nl = memchr(old + from, '\n', keep - from);
		from = nl ? (size_t)(nl + 1 - old) : keep;
	}
	char *text = malloc(keep - from + (size_t)n + 1);
	if (text) {
		if (keep > from)
			memcpy(text, old + from, keep - from);
		memcpy(text + keep - from, line, (size_t)n);
		write_file_atomic(path, text, keep - from + (size_t)n, 0600); /* best effort */
	}
	free(text);
	free(old);
}

int upload_log_last(const char *dir, char *out, size_t cap)
{
	char path[1200];
	size_t len;
	snprintf(path, sizeof path, "%s/upload.log", dir);
	char *text = read_file(path, &len);
	while (text && len > 0 && text[len - 1] == '\n')
		text[--len] = 0;
	if (!text || len == 0) {
		free(text);
		return -1;
	}
	char *nl = memrchr(text, '\n', len);
	snprintf(out, cap, "%s", nl ? nl + 1 : text);
	free(text);
	return 0;
}

static int valid_url(const char *s)
{
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

int upload_server(const char *dir, const char *option, char *out, size_t cap)
{
	const char *env = getenv("TELEM_SERVER");
	char path[1200], *file = NULL;
	const char *s = option;
	if (!s && env && *env)
		s = env;
	if (!s) {
		size_t len;
		snprintf(path, sizeof path, "%s/upload.server", dir);
		file = read_file(path, &len);
		if (file)
			file[strcspn(file, "\r\n")] = 0;
		s = file && *file ? file : UPLOAD_DEFAULT_SERVER;
	}
	snprintf(out, cap, "%s", s);
	free(file);
	size_t n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = 0;
	return valid_url(out) && n + 1 < cap ? 0 : -1;
}

struct reply {
	char *p;
	size_t len;
	int too_long;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;
	if (r->len + n > MAX_REPLY) {
		r->too_long = 1;
		return 0; /* makes libcurl stop with an error */
	}
	char *p = realloc(r->p, r->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + r->len, data, n);
	r->p = p;
	r->len += n;
	r->p[r->len] = 0;
	return n;
}

static void set_options(CURL *c, const struct upload_options *o, const char *url, struct reply *r, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 o->timeout_ms < CONNECT_TIMEOUT_MS ? o->timeout_ms : CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cafile);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "telem/1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

/* The answer's first line, for a note on a terminal: the server is not
 * trusted with control characters. */
static void first_line(char *out, size_t cap, const char *text)
{
	size_t n = 0;
	for (; text[n] && text[n] != '\n' && text[n] != '\r' && n + 1 < cap; n++)
		out[n] = (unsigned char)text[n] < 0x20 || text[n] == 0x7f ? '?' : text[n];
	out[n] = 0;
}

int upload_request(const struct upload_options *o, const char *path, const char *body, size_t len,
		   struct upload_result *res, char **reply, size_t *reply_len)
{
	static int initialized;
	if (!initialized++ && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		abort();
	memset(res, 0, sizeof *res);
	char url[1200], errbuf[CURL_ERROR_SIZE] = "";
	snprintf(url, sizeof url, "%s%s", o->server, path);
	struct reply r = {0};
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(res->error, sizeof res->error, "cannot start libcurl");
		return -1;
	}
	set_options(c, o, url, &r, errbuf);
	/* "Expect: 100-continue" would cost a round trip for every report. */
	struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
	if (body) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	else
		snprintf(res->error, sizeof res->error, "%s", r.too_long ? "answer too long" : errbuf[0] ? errbuf : curl_easy_strerror(rc));
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	if (r.p)
		first_line(res->body, sizeof res->body, r.p);
	if (reply && rc == CURLE_OK) {
		*reply = r.p ? r.p : strdup("");
		*reply_len = r.len;
	} else {
		free(r.p);
	}
	return rc == CURLE_OK ? 0 : -1;
}

int upload_fetch_config(const char *dir, const struct upload_options *o)
{
	struct upload_result res;
	char *text, where[1100], path[1200];
	size_t len;
	snprintf(where, sizeof where, "%s/config", o->server);
	if (upload_request(o, "/config", NULL, 0, &res, &text, &len) < 0) {
		warn(o, where, "cannot fetch the upload config: cannot reach the collector: %s", res.error);
		upload_log(o->dir, "config %s not fetched: cannot reach the collector: %s", where, res.error);
		return 1;
	}
	if (res.status != 200) {
		warn(o, where, "cannot fetch the upload config: HTTP %ld %s", res.status, res.body);
		upload_log(o->dir, "config %s not fetched: HTTP %ld %s", where, res.status, res.body);
		free(text);
		return 1;
	}
	struct upload_config cfg;
	int rc = config_parse(text, len, where, o->quiet, &cfg);
	if (rc == 0) {
		config_free(&cfg);
		snprintf(path, sizeof path, "%s/config.cache.json", dir);
		if (write_file_atomic(path, text, len, 0600) < 0) {
			warn(o, path, "cannot write: %s", strerror(errno));
			rc = -1;
		}
	}
	free(text);
	return rc == 0 ? 0 : 1;
}

static int64_t name_date(const char *name);

/* "YYYY-MM-DD.json": a report waiting to be sent. */
static int is_pending(const char *name)
{
	return strlen(name) == 15 && strcmp(name + 10, ".json") == 0 && name_date(name) >= 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static size_t list_pending(const char *local, char ***names)
{
	size_t n = 0;
	*names = NULL;
	DIR *d = opendir(local);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (is_pending(e->d_name)) {
			*names = realloc(*names, (n + 1) * sizeof **names);
			(*names)[n++] = strdup(e->d_name);
		}
	closedir(d);
	if (n)
		qsort(*names, n, sizeof **names, by_name);
	return n;
}

/* What the protocol says to do with one answer. Returns 0 when done with. */
static int settle(const struct upload_options *o, const char *local, const char *copy, const char *body,
		  size_t len, const struct upload_result *res, int answered)
{
	if (answered && res->status == 200) {
		/* The copy first: once it exists, this report is never sent again. */
		if (write_file_atomic(copy, body, len, 0600) < 0)
			warn(o, copy, "sent, but cannot keep a copy: %s", strerror(errno));
		if (privdir_unlink(local) < 0 && errno != ENOENT)
			warn(o, local, "sent, but cannot delete: %s", strerror(errno));
		if (!o->quiet)
			printf("telem: %s: sent to %s\n", local, o->server);
		upload_log(o->dir, "sent %s to %s", copy, o->server);
		if (o->tally)
			o->tally->sent++;
		return 0;
	}
	if (answered && res->status >= 400 && res->status < 500) {
		warn(o, local, "dropped: the server refused it (HTTP %ld %s)", res->status, res->body);
		upload_log(o->dir, "dropped %s: %s refused it (HTTP %ld %s)", local, o->server, res->status, res->body);
		if (o->tally)
			o->tally->dropped++;
		privdir_unlink(local);
		return 1;
	}
	char why[2048];
	if (answered)
		snprintf(why, sizeof why, "HTTP %ld %s", res->status, res->body);
	else
		snprintf(why, sizeof why, "cannot reach the collector %s: %s", o->server, res->error);
	warn(o, local, "not sent, kept for a later day: %s", why);
	upload_log(o->dir, "kept %s: %s", local, why);
	if (o->tally) {
		o->tally->kept++;
		snprintf(o->tally->last_error, sizeof o->tally->last_error, "%s", why);
	}
	return 1;
}

static int64_t name_date(const char *name)
{
	char date[11];
	memcpy(date, name, 10);
	date[10] = 0;
	return week_parse_date(date);
}

static int send_one(const char *dir, const struct upload_options *o, const char *name, int64_t asof)
{
	char local[1200], copy[1200], path[64];
	snprintf(local, sizeof local, "%s/local/%s", dir, name);
	snprintf(copy, sizeof copy, "%s/upload/%s", dir, name);
	if (access(copy, F_OK) == 0) { /* sent before; only the deletion was lost */
		privdir_unlink(local);
		return 0;
	}
	if (name_date(name) <= asof) { /* made under an earlier "on", or by hand */
		warn(o, local, "dropped unsent: made before uploading was turned on (nothing collected before "
			       "uploading was turned on is ever uploaded)");
		upload_log(o->dir, "dropped %s unsent: made before uploading was turned on", local);
		privdir_unlink(local);
		return 1;
	}
	if (name_date(name) > today_days())
		return 0; /* from the future: a clock was wrong; it waits */
	size_t len;
	/* read_file: only a regular file of the user's, no symlink (a link to
	 * ~/secret.txt planted as a report is never sent). */
	char *body = read_file(local, &len);
	if (!body) {
		warn(o, local, "cannot read: %s", strerror(errno));
		return 1;
	}
	struct upload_result res;
	snprintf(path, sizeof path, "/upload/%.10s", name);
	int answered = upload_request(o, path, body, len, &res, NULL, NULL) == 0;
	int rc = settle(o, local, copy, body, len, &res, answered);
	free(body);
	return rc;
}

int upload_pending(const char *dir, const struct upload_options *o, int64_t asof)
{
	char local[1100], copies[1100];
	char **names;
	snprintf(local, sizeof local, "%s/local", dir);
	snprintf(copies, sizeof copies, "%s/upload", dir);
	size_t n = list_pending(local, &names);
	int status = 0;
	if (n && make_dirs(copies) < 0) {
		warn(o, copies, "cannot create: %s", strerror(errno));
		free_list(names, n);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		status |= send_one(dir, o, names[i], asof);
	free_list(names, n);
	return status;
}

int upload_lock(const char *dir, int wait)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/local/upload.lock", dir);
	int fd = privdir_open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return -1;
	int rc;
	while ((rc = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
