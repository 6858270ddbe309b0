/* telem view --serve (view_serve.h). Bound to loopback only, and requests
 * must name that address in Host: a web page elsewhere cannot read the
 * counters through DNS rebinding. */
#define _GNU_SOURCE
#include "view_serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"

#define REQUEST_MAX 8192

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

struct listener {
	int fd;
	char host[64]; /* as the client must send it in Host: "127.0.0.1:8080" */
	char alias[64];
};

/* "HOST:PORT" with HOST loopback. Returns 0, or -1 with why set. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len, const char **why)
{
	const char *colon = strrchr(addr, ':');
	char host[64], *end;
	*why = "expected 127.0.0.1:PORT, localhost:PORT or [::1]:PORT";
	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host || !colon[1])
		return -1;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (strcmp(host, "[::1]") == 0) {
		v6->sin6_family = AF_INET6;
		v6->sin6_addr = in6addr_loopback;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof *v6;
		return 0;
	}
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	*len = sizeof *v4;
	if (strcmp(host, "localhost") == 0)
		host[0] = 0, v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
		return -1;
	*why = "only a loopback address (127.0.0.0/8, ::1) may serve the page";
	return (ntohl(v4->sin_addr.s_addr) >> 24) == 127 ? 0 : -1;
}

static int open_listener(const char *addr, struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *why;
	if (parse_addr(addr, &ss, &len, &why) < 0)
		return usage_error("view", "--serve %s: %s", addr, why);
	l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(l->fd, (struct sockaddr *)&ss, len) < 0 || listen(l->fd, 16) < 0 ||
	    getsockname(l->fd, (struct sockaddr *)&ss, &len) < 0)
		return fail(addr, "cannot listen: %s", strerror(errno));
	char ip[INET6_ADDRSTRLEN];
	if (ss.ss_family == AF_INET6) {
		snprintf(l->host, sizeof l->host, "[::1]:%d", ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
		snprintf(l->alias, sizeof l->alias, "localhost:%d", ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
		snprintf(l->host, sizeof l->host, "%s:%d", ip, ntohs(((struct sockaddr_in *)&ss)->sin_port));
		snprintf(l->alias, sizeof l->alias, "localhost:%d", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	return 0;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the client went away: nothing to tell anyone */
		p += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, int code, const char *reason, const char *type, const char *body, size_t len,
		    int head_only)
{
	char head[512];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Content-Security-Policy: " VIEW_CSP "\r\nX-Content-Type-Options: nosniff\r\n"
			 "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
			 code, reason, type, len);
	send_all(fd, head, (size_t)n);
	if (!head_only)
		send_all(fd, body, len);
}

/* Reads the request head (up to the blank line); 0 when complete. */
static int read_head(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	struct timeval tv = {5, 0}; /* a silent client cannot hold the server */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while (n + 1 < cap) {
		ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
	return -1;
}

/* The Host header's value equals one of the listener's names. */
static int host_ok(const char *req, const struct listener *l)
{
	for (const char *p = strchr(req, '\n'); p; p = strchr(p + 1, '\n')) {
		if (strncasecmp(p + 1, "Host:", 5) != 0)
			continue;
		const char *v = p + 6;
		v += strspn(v, " \t");
		size_t n = strcspn(v, " \t\r\n");
		return (n == strlen(l->host) && !strncmp(v, l->host, n)) ||
		       (n == strlen(l->alias) && !strncmp(v, l->alias, n));
	}
	return 0;
}

static void serve_one(int fd, const struct listener *l, view_page_fn make_page, void *arg)
{
	char req[REQUEST_MAX], method[8] = "", target[256] = "";
	if (read_head(fd, req, sizeof req) < 0)
		return;
	sscanf(req, "%7s %255s", method, target);
	int head_only = strcmp(method, "HEAD") == 0;
	static const char text[] = "text/plain; charset=utf-8";
	if (strcmp(method, "GET") != 0 && !head_only) {
		respond(fd, 405, "Method Not Allowed", text, "GET only\n", 9, 0);
	} else if (!host_ok(req, l)) {
		respond(fd, 403, "Forbidden", text, "wrong Host\n", 11, head_only);
	} else if (strcmp(target, "/") != 0 && strncmp(target, "/?", 2) != 0 && strcmp(target, "/index.html") != 0) {
		respond(fd, 404, "Not Found", text, "not found\n", 10, head_only);
	} else {
		struct hbuf page = {0};
		make_page(arg, &page);
		respond(fd, 200, "OK", "text/html; charset=utf-8", page.data, page.len, head_only);
		hb_free(&page);
	}
}

int view_serve(const char *addr, view_page_fn make_page, void *arg)
{
	struct listener l;
	int rc = open_listener(addr, &l);
	if (rc)
		return rc;
	/* The signals stay blocked except inside ppoll: none is lost between
	 * checking the flag and waiting. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigdelset(&old, SIGINT);
	sigdelset(&old, SIGTERM);
	printf("serving http://%s/ (Ctrl-C to stop)\n", l.host);
	fflush(stdout);
	while (!stop_signal) {
		struct pollfd p = {l.fd, POLLIN, 0};
		int ready = ppoll(&p, 1, NULL, &old);
		if (ready < 0 && errno != EINTR) {
			rc = fail(l.host, "cannot wait for requests: %s", strerror(errno));
			break;
		}
		if (ready <= 0)
			continue;
		int c = accept4(l.fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve_one(c, &l, make_page, arg);
		close(c);
	}
	close(l.fd);
	return rc;
}
