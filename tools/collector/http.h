/* The HTTP side (libmicrohttpd, a pool of threads with epoll): routes,
 * request bodies with a size limit, one log line per request. */
#ifndef COLLECTOR_HTTP_H
#define COLLECTOR_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>

#include "clients.h"
#include "config.h"
#include "store.h"

struct collector {
	const struct served_config *config;
	struct store *store;
	size_t body_limit;
	struct clients *clients; /* connections per client address */
	atomic_int in_flight; /* requests begun and not yet completed */
	atomic_int stopping;  /* set on SIGTERM: answers say Connection: close */
};

struct MHD_Daemon;

#define HTTP_MAX_CONNECTIONS 2000u

/* Starts serving on addr; NULL and err filled when it cannot. */
struct MHD_Daemon *http_start(struct collector *c, const struct sockaddr *addr, unsigned threads, char *err,
			      size_t errlen);
/* The port actually bound (for --listen HOST:0). */
unsigned http_port(struct MHD_Daemon *d);

#endif
