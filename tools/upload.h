/* Talking to the collector with libcurl: GET <server>/config and
 * POST <server>/upload/<date>. Only ever called in mode on. */
#ifndef TELEM_UPLOAD_H
#define TELEM_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#define UPLOAD_DEFAULT_SERVER "https://telemetry.invalid"

/* What became of the reports sent (upload_pending adds to it). */
struct upload_tally {
	size_t sent, kept, dropped;
	char last_error[2048]; /* why the last one was kept */
};

struct upload_options {
	char server[1024];  /* no trailing slash */
	const char *cafile; /* a private collector's CA bundle, or NULL */
	long timeout_ms;    /* whole request; connecting gets at most 5 s of it */
	int quiet;
	const char *dir;             /* for the upload log; NULL: no log */
	struct upload_tally *tally;  /* NULL: not counted */
};

/* DIR/upload.log: one line per upload event (sent, refused, kept and why,
 * config not fetched), newest last, the oldest dropped past 64 KiB, so that
 * a background upload that failed leaves a trace. */
void upload_log(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The log's last line (without newline) into out; 0, or -1 when there is none. */
int upload_log_last(const char *dir, char *out, size_t cap);

/* What one request gave: the HTTP status (0 when there was no answer),
 * the start of the answer's body, and libcurl's error otherwise. */
struct upload_result {
	long status;
	char body[512];
	char error[256];
};

/* The server: --server, else $TELEM_SERVER, else DIR/upload.server, else
 * UPLOAD_DEFAULT_SERVER. Returns 0, or -1 when it is not an http(s) URL. */
int upload_server(const char *dir, const char *option, char *out, size_t cap);

/* One request; body NULL means GET. *reply, when not NULL, receives the
 * whole answer (malloc'd, NUL-terminated). Returns 0 when an HTTP answer
 * came back (see status), -1 otherwise (see error). */
int upload_request(const struct upload_options *o, const char *path, const char *body, size_t len,
		   struct upload_result *res, char **reply, size_t *reply_len);

/* Fetches <server>/config; when it parses, keeps it in DIR/config.cache.json.
 * Returns 0, or 1 (reported) when the cached config must do. */
int upload_fetch_config(const char *dir, const struct upload_options *o);

/* Sends every DIR/local/<YYYY-MM-DD>.json: 200 -> exact copy in DIR/upload/
 * and the local copy removed; 4xx -> dropped; anything else -> kept. A
 * report dated on or before asof (the day uploading was last turned on) is
 * dropped unsent, one dated after today is left alone (Go's checks). The
 * caller holds the upload lock. Returns 0, or 1 when one was not sent. */
int upload_pending(const char *dir, const struct upload_options *o, int64_t asof);

/* DIR/local/upload.lock, held with flock until the process ends, so two
 * report steps or uploaders never work on the same reports. wait = 0 gives
 * up at once when another holds it. Returns the descriptor, or -1 (errno
 * EWOULDBLOCK when busy). */
int upload_lock(const char *dir, int wait);

#endif
