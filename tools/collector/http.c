#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dashboard.h"
#include "query.h"
#include "report.h"

/* A body this many times over the limit, sent without Content-Length,
 * is not worth reading to the end: the connection is dropped. */
#define DISCARD_FACTOR 16

struct request {
	struct timespec start;
	char client[INET6_ADDRSTRLEN];
	char method[8];
	char *url;
	struct buf body;
	size_t received;
	int too_large;
	unsigned status;
	size_t sent;
	char note[240]; /* the reason given, for the log line */
};

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "telem-collector: %s\n", line); /* one call: lines from threads do not mix */
}

static void client_address(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, len, "?");
	if (!info || !info->client_addr)
		return;
	const struct sockaddr *sa = info->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)len);
}

/* Queues data (malloc'd, taken over) as the answer. */
static enum MHD_Result respond(struct collector *c, struct MHD_Connection *conn, struct request *req, unsigned status,
			       const char *type, char *data, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (strncmp(type, "text/html", 9) == 0)
		MHD_add_response_header(resp, "Content-Security-Policy", dashboard_csp());
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, strncmp(req->url, "/upload/", 8) == 0 ? "POST" : "GET, HEAD");
	if (atomic_load(&c->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	req->status = status;
	req->sent = len;
	return rc;
}

/* A one-line text answer; the line is also what the log shows. */
static enum MHD_Result respond_text(struct collector *c, struct MHD_Connection *conn, struct request *req,
				    unsigned status, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result respond_text(struct collector *c, struct MHD_Connection *conn, struct request *req,
				    unsigned status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(req->note, sizeof req->note, fmt, ap);
	va_end(ap);
	char *text = NULL;
	int n = asprintf(&text, "%s\n", req->note);
	if (n < 0)
		return MHD_NO;
	return respond(c, conn, req, status, "text/plain; charset=utf-8", text, (size_t)n);
}

static enum MHD_Result respond_json(struct collector *c, struct MHD_Connection *conn, struct request *req,
				    json_t *value)
{
	if (!value)
		return respond_text(c, conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "database error");
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(value);
	if (!text)
		return respond_text(c, conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return respond(c, conn, req, MHD_HTTP_OK, "application/json", text, strlen(text));
}

static enum MHD_Result upload(struct collector *c, struct MHD_Connection *conn, struct request *req)
{
	const char *date = req->url + strlen("/upload/");
	char why[200];
	struct report r;
	if (req->too_large)
		return respond_text(c, conn, req, MHD_HTTP_CONTENT_TOO_LARGE, "request body over %zu bytes", c->body_limit);
	const char *body = req->body.data ? req->body.data : "";
	if (report_check(body, req->body.len, date, &c->config->rules, &r, why, sizeof why) < 0)
		return respond_text(c, conn, req, MHD_HTTP_BAD_REQUEST, "%s", why);
	enum store_outcome out = store_add(c->store, body, req->body.len, &r, why, sizeof why);
	size_t rows = r.n_rows;
	report_free(&r);
	if (out == STORE_ADDED)
		return respond_text(c, conn, req, MHD_HTTP_OK, "stored (%zu counters)", rows);
	if (out == STORE_DUPLICATE)
		return respond_text(c, conn, req, MHD_HTTP_OK, "already stored");
	/* 5xx: the client keeps the report and tries again another day */
	return respond_text(c, conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot store the report now: %s", why);
}

/* ?arch=arm64&os=alpine...: the reporter facets to filter by. */
static void read_filter(struct MHD_Connection *conn, struct query_filter *f)
{
	for (int i = 0; i < FACET_N; i++) {
		const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, FACET_NAMES[i]);
		f->value[i] = v && *v && strlen(v) <= FACET_MAX ? v : NULL;
	}
}

static enum MHD_Result api(struct collector *c, struct MHD_Connection *conn, struct request *req)
{
	struct db *db = store_reader(c->store);
	const char *program = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "program");
	if (!db)
		return respond_text(c, conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot open the database");
	if (strcmp(req->url, "/api/summary") == 0)
		return respond_json(c, conn, req, query_summary(db));
	if (strcmp(req->url, "/api/programs") == 0)
		return respond_json(c, conn, req, query_programs(db));
	if (strcmp(req->url, "/api/facets") == 0)
		return respond_json(c, conn, req, query_facets(db));
	if (strcmp(req->url, "/api/stacks") == 0)
		return respond_json(c, conn, req, query_stacks(db, program, 1000));
	if (strcmp(req->url, "/api/counters") != 0)
		return respond_text(c, conn, req, MHD_HTTP_NOT_FOUND, "no such API: try /api/programs, /api/counters?program=NAME, /api/stacks");
	if (!program)
		return respond_text(c, conn, req, MHD_HTTP_BAD_REQUEST, "/api/counters needs ?program=NAME");
	struct query_filter filter;
	read_filter(conn, &filter);
	json_t *counters = query_counters(db, program, &filter);
	if (json_is_null(counters))
		return respond_text(c, conn, req, MHD_HTTP_NOT_FOUND, "no report has program %.100s", program);
	return respond_json(c, conn, req, counters);
}

static enum MHD_Result dashboard(struct collector *c, struct MHD_Connection *conn, struct request *req)
{
	struct db *db = store_reader(c->store);
	if (!db)
		return respond_text(c, conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot open the database");
	const char *program = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "program");
	size_t len;
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	struct query_filter filter;
	read_filter(conn, &filter);
	char *html = dashboard_render(db, &c->config->rules, program, &filter, host, &len);
	if (!html)
		return respond_text(c, conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "database error");
	return respond(c, conn, req, MHD_HTTP_OK, "text/html; charset=utf-8", html, len);
}

static enum MHD_Result route(struct collector *c, struct MHD_Connection *conn, struct request *req)
{
	int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	if (strncmp(req->url, "/upload/", 8) == 0) {
		if (strcmp(req->method, "POST") != 0)
			return respond_text(c, conn, req, MHD_HTTP_METHOD_NOT_ALLOWED, "uploads are POSTed");
		return upload(c, conn, req);
	}
	int known = strcmp(req->url, "/") == 0 || strcmp(req->url, "/config") == 0 || strncmp(req->url, "/api/", 5) == 0;
	if (!known)
		return respond_text(c, conn, req, MHD_HTTP_NOT_FOUND, "not found");
	if (!get)
		return respond_text(c, conn, req, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET here");
	if (strcmp(req->url, "/config") == 0) {
		char *copy = strndup(c->config->published, c->config->published_len);
		return copy ? respond(c, conn, req, MHD_HTTP_OK, "application/json", copy, c->config->published_len) : MHD_NO;
	}
	if (strcmp(req->url, "/") == 0)
		return dashboard(c, conn, req);
	return api(c, conn, req);
}

static struct request *begin(struct collector *c, struct MHD_Connection *conn, const char *url, const char *method)
{
	struct request *req = calloc(1, sizeof *req);
	if (!req || !(req->url = strdup(url))) {
		free(req);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	snprintf(req->method, sizeof req->method, "%s", method);
	client_address(conn, req->client, sizeof req->client);
	atomic_fetch_add(&c->in_flight, 1);
	return req;
}

/* Body bytes arrive in pieces; beyond the limit they are counted, not kept. */
static enum MHD_Result take_body(struct collector *c, struct request *req, const char *data, size_t len)
{
	req->received += len;
	if (!req->too_large && req->body.len + len > c->body_limit) {
		req->too_large = 1;
		buf_free(&req->body);
	}
	if (req->too_large)
		return req->received > DISCARD_FACTOR * c->body_limit ? MHD_NO : MHD_YES;
	buf_add(&req->body, data, len);
	return req->body.failed ? MHD_NO : MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct collector *c = cls;
	struct request *req = *con_cls;
	(void)version;
	if (!req) {
		if (!(req = *con_cls = begin(c, conn, url, method)))
			return MHD_NO;
		const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (length && strtoull(length, NULL, 10) > c->body_limit) {
			/* answered before the body is read: curl's Expect: 100-continue never sends it */
			req->too_large = 1;
			return respond_text(c, conn, req, MHD_HTTP_CONTENT_TOO_LARGE, "request body over %zu bytes",
					    c->body_limit);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		enum MHD_Result rc = take_body(c, req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return rc;
	}
	return route(c, conn, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct collector *c = cls;
	struct request *req = *con_cls;
	(void)conn;
	if (!req)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - req->start.tv_sec) * 1e3 + (double)(now.tv_nsec - req->start.tv_nsec) / 1e6;
	char status[16];
	snprintf(status, sizeof status, req->status ? "%u" : "-", req->status);
	log_line("%s \"%s %.200s\" %s in=%zu out=%zu %.2fms%s%s%s", req->client, req->method, req->url, status,
		 req->received, req->sent, ms, req->note[0] ? " " : "", req->note,
		 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)");
	buf_free(&req->body);
	free(req->url);
	free(req);
	*con_cls = NULL;
	atomic_fetch_sub(&c->in_flight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_line("libmicrohttpd: %s", line);
}

static enum MHD_Result admit(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct collector *c = cls;
	(void)len;
	return clients_admit(c->clients, addr) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct collector *c = cls;
	(void)socket_context;
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *addr = info ? info->client_addr : NULL;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		clients_started(c->clients, addr);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		clients_closed(c->clients, addr);
}

struct MHD_Daemon *http_start(struct collector *c, const struct sockaddr *addr, unsigned threads, char *err,
			      size_t errlen)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, admit, c, on_request, c, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
		addr, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, c, MHD_OPTION_NOTIFY_CONNECTION, on_connection, c,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS, MHD_OPTION_LISTEN_BACKLOG_SIZE,
		1024u, MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "cannot listen: %s", strerror(errno ? errno : EINVAL));
	return d;
}

unsigned http_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : 0;
}
