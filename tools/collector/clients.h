/* Connections per client address. A global connection limit alone lets one
 * client that opens slow connections (a header that never ends) take every
 * slot and starve all others; with a limit per address, it only starves
 * itself. An IPv6 client is keyed by its /64 (one host can have a whole
 * /64), an IPv4-mapped IPv6 address by its IPv4 address. */
#ifndef COLLECTOR_CLIENTS_H
#define COLLECTOR_CLIENTS_H

#include <stddef.h>
#include <sys/socket.h>

struct clients;

/* limit: connections at once per address; total: the global limit. */
struct clients *clients_new(unsigned limit, unsigned total);
void clients_free(struct clients *c);

/* Whether a new connection from addr may be accepted (libmicrohttpd's
 * accept policy). Counting happens on start and close, so connections
 * accepted at the same moment by several threads may overshoot the limit
 * by at most the number of threads, never leak a slot. */
int clients_admit(struct clients *c, const struct sockaddr *addr);
void clients_started(struct clients *c, const struct sockaddr *addr);
void clients_closed(struct clients *c, const struct sockaddr *addr);

#endif
