/* telem-collector: receives telem's weekly reports, checks them against the
 * published upload config, stores and merges them in SQLite or PostgreSQL
 * (db/db.h), and serves the
 * config, a dashboard and its data as JSON. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/resource.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dates.h"
#include "http.h"
#include "store.h"

#define DRAIN_SECONDS 30 /* how long SIGTERM waits for requests in flight */
#ifndef COLLECTOR_VERSION
#define COLLECTOR_VERSION "0.3"
#endif

static const char USAGE[] =
	"usage: telem-collector --db FILE|URL --listen HOST:PORT --config FILE [options]\n\n"
	"Receives telem reports (POST /upload/YYYY-MM-DD), checks each against the\n"
	"upload config it publishes (GET /config), stores it once in the database\n"
	"(a SQLite file, or PostgreSQL shared by several collectors), and serves\n"
	"a dashboard (GET /) and its data as JSON\n"
	"(GET /api/summary, /api/programs, /api/counters?program=NAME,\n"
	"/api/stacks[?program=NAME]). One log line per request on stderr.\n"
	"SIGTERM or SIGINT: stop accepting, finish the requests in flight, close.\n\n"
	"  --db FILE          a SQLite database (created when missing; WAL mode)\n"
	"  --db postgresql://[USER[:PASSWORD]@][HOST][:PORT]/DB[?host=SOCKETDIR...]\n"
	"                     a PostgreSQL database (libpq's URI), which any number\n"
	"                     of collectors may share\n"
	"  --listen HOST:PORT address to serve on, e.g. 127.0.0.1:8080 or [::1]:8080;\n"
	"                     port 0 picks a free port (printed on stderr)\n"
	"  --config FILE      the upload config (Go's UploadConfig plus \"Version\")\n"
	"  --threads N        request threads (default 4)\n"
	"  --per-client N     connections at once per client address (IPv6: per /64;\n"
	"                     default 64); more are refused, so that one client's slow\n"
	"                     connections cannot starve the others\n"
	"  --body-limit BYTES largest report accepted (default 1048576)\n"
	"  --sync full        every commit on disk before the answer: nothing lost on\n"
	"                     power failure (default normal: nothing lost when the\n"
	"                     collector dies)\n"
	"  --version          print the version and exit\n";

struct options {
	const char *db, *listen, *config;
	unsigned threads, per_client;
	size_t body_limit;
	int full_sync;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "telem-collector: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nrun 'telem-collector --help' for usage\n");
	return 2;
}

static int parse_number(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	*o = (struct options){NULL, NULL, NULL, 4, 64, 1 << 20, 0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		unsigned long long n;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(USAGE, stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			printf("telem-collector %s\n", COLLECTOR_VERSION);
			return 0;
		}
		if (i + 1 >= argc)
			return usage_error("%s: unknown option or missing value", a);
		const char *v = argv[++i];
		if (strcmp(a, "--db") == 0)
			o->db = v;
		else if (strcmp(a, "--listen") == 0)
			o->listen = v;
		else if (strcmp(a, "--config") == 0)
			o->config = v;
		else if (strcmp(a, "--threads") == 0 && parse_number(v, 1, 64, &n) == 0)
			o->threads = (unsigned)n;
		else if (strcmp(a, "--per-client") == 0 && parse_number(v, 1, HTTP_MAX_CONNECTIONS, &n) == 0)
			o->per_client = (unsigned)n;
		else if (strcmp(a, "--body-limit") == 0 && parse_number(v, 1024, 1 << 30, &n) == 0)
			o->body_limit = (size_t)n;
		else if (strcmp(a, "--sync") == 0 && (strcmp(v, "full") == 0 || strcmp(v, "normal") == 0))
			o->full_sync = strcmp(v, "full") == 0;
		else
			return usage_error("%s: unknown option or bad value", a);
	}
	if (!o->db || !o->listen || !o->config)
		return usage_error("%s", "--db, --listen and --config are required");
	return -1;
}

/* "127.0.0.1:8080", "[::1]:8080", "localhost:8080" -> a socket address. */
static int parse_listen(const char *spec, struct sockaddr_storage *out)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host)
		return -1;
	const char *h = spec;
	size_t hlen = (size_t)(colon - spec);
	if (h[0] == '[' && h[hlen - 1] == ']')
		h++, hlen -= 2;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	unsigned long long port;
	if (parse_number(colon + 1, 0, 65535, &port) < 0) /* getaddrinfo would wrap 99999 around */
		return -1;
	struct addrinfo hints = {.ai_flags = AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Every connection is a descriptor: a soft limit of 1024 (a common
 * default) would make accept fail with EMFILE long before the connection
 * limit, for every client alike. */
static void raise_fd_limit(void)
{
	struct rlimit r;
	rlim_t want = HTTP_MAX_CONNECTIONS + 256; /* the database, the log, the pool's own */
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < want) {
		r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max > want ? want : r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* Stops accepting, lets the requests in flight finish, then stops. */
static void drain(struct MHD_Daemon *d, struct collector *c)
{
	atomic_store(&c->stopping, 1);
	MHD_socket fd = MHD_quiesce_daemon(d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	int in_flight = atomic_load(&c->in_flight);
	fprintf(stderr, "telem-collector: stopping: no new connections; %d request(s) in flight\n", in_flight);
	for (int i = 0; i < DRAIN_SECONDS * 100 && atomic_load(&c->in_flight) > 0; i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	if (atomic_load(&c->in_flight) > 0)
		fprintf(stderr, "telem-collector: %d request(s) still running after %ds: closing them\n",
			atomic_load(&c->in_flight), DRAIN_SECONDS);
	MHD_stop_daemon(d);
}

int main(int argc, char **argv)
{
	struct options o;
	int rc = parse_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	char err[1024];
	struct sockaddr_storage addr;
	if (parse_listen(o.listen, &addr) < 0)
		return usage_error("--listen %s: expected HOST:PORT, e.g. 127.0.0.1:8080", o.listen);
	struct served_config cfg;
	date_today(); /* reads TELEM_TEST_NOW once, before the threads */
	if (served_config_load(o.config, &cfg, err, sizeof err) < 0) {
		fprintf(stderr, "telem-collector: %s\n", err);
		return 1;
	}
	struct collector c = {.config = &cfg, .body_limit = o.body_limit};
	raise_fd_limit();
	if (!(c.clients = clients_new(o.per_client, HTTP_MAX_CONNECTIONS))) {
		fprintf(stderr, "telem-collector: out of memory\n");
		served_config_free(&cfg);
		return 1;
	}
	if (!(c.store = store_open(o.db, o.full_sync, err, sizeof err))) {
		fprintf(stderr, "telem-collector: %s\n", err);
		clients_free(c.clients);
		served_config_free(&cfg);
		return 1;
	}
	/* blocked before the threads start, so that only sigwait sees them */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct MHD_Daemon *d = http_start(&c, (struct sockaddr *)&addr, o.threads, err, sizeof err);
	if (!d) {
		fprintf(stderr, "telem-collector: %s: %s\n", o.listen, err);
		store_close(c.store);
		clients_free(c.clients);
		served_config_free(&cfg);
		return 1;
	}
	char shown[256];
	db_spec_shown(o.db, shown, sizeof shown);
	fprintf(stderr, "telem-collector: listening on port %u (config %s, database %s, %u threads)\n", http_port(d),
		cfg.rules.version, shown, o.threads);
	int sig;
	sigwait(&stop, &sig);
	drain(d, &c);
	store_close(c.store);
	clients_free(c.clients);
	served_config_free(&cfg);
	fprintf(stderr, "telem-collector: stopped (%s)\n", strsignal(sig));
	return 0;
}
