#include "clients.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A client: 4 bytes of IPv4 or the 8-byte IPv6 prefix, tagged. */
struct key {
	unsigned char bytes[9];
};

struct entry {
	struct key key;
	unsigned held;
};

/* At most `total` connections are open, so at most `total` clients hold
 * one: a flat array scanned in order is small and fast enough (a scan per
 * accept and close), and needs no hashing an attacker could aim at. */
struct clients {
	pthread_mutex_t lock;
	unsigned limit, total;
	struct entry *entries;
	size_t n;
	time_t last_log;
	unsigned long refused_since_log;
};

static int key_of(const struct sockaddr *sa, struct key *k)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memset(k, 0, sizeof *k);
	if (sa && sa->sa_family == AF_INET) {
		k->bytes[0] = 4;
		memcpy(k->bytes + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa && sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, mapped, sizeof mapped) == 0) {
			k->bytes[0] = 4;
			memcpy(k->bytes + 1, a + 12, 4);
		} else {
			k->bytes[0] = 6;
			memcpy(k->bytes + 1, a, 8);
		}
		return 0;
	}
	return -1; /* no address (a Unix socket): not limited per client */
}

static void key_text(const struct key *k, char *out, size_t len)
{
	if (k->bytes[0] == 4) {
		inet_ntop(AF_INET, k->bytes + 1, out, (socklen_t)len);
		return;
	}
	unsigned char a[16] = {0};
	memcpy(a, k->bytes + 1, 8);
	inet_ntop(AF_INET6, a, out, (socklen_t)len);
	strncat(out, "/64", len - strlen(out) - 1);
}

static struct entry *find(struct clients *c, const struct key *k)
{
	for (size_t i = 0; i < c->n; i++)
		if (memcmp(&c->entries[i].key, k, sizeof *k) == 0)
			return &c->entries[i];
	return NULL;
}

struct clients *clients_new(unsigned limit, unsigned total)
{
	struct clients *c = calloc(1, sizeof *c);
	if (!c || !(c->entries = calloc(total + 1, sizeof *c->entries))) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->limit = limit;
	c->total = total;
	return c;
}

void clients_free(struct clients *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->entries);
	free(c);
}

/* At most one line a second, so that a flood cannot flood the log too. */
static void log_refusal(struct clients *c, const struct key *k)
{
	time_t now = time(NULL);
	c->refused_since_log++;
	if (now == c->last_log)
		return;
	char who[INET6_ADDRSTRLEN + 4];
	key_text(k, who, sizeof who);
	fprintf(stderr, "telem-collector: %s holds %u connections, the limit per client: refused (%lu refused since the last such line)\n",
		who, c->limit, c->refused_since_log);
	c->last_log = now;
	c->refused_since_log = 0;
}

int clients_admit(struct clients *c, const struct sockaddr *addr)
{
	struct key k;
	if (key_of(addr, &k) < 0)
		return 1;
	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, &k);
	int ok = !e || e->held < c->limit;
	if (!ok)
		log_refusal(c, &k);
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void clients_started(struct clients *c, const struct sockaddr *addr)
{
	struct key k;
	if (key_of(addr, &k) < 0)
		return;
	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, &k);
	if (!e && c->n <= c->total) { /* the array has one slot per possible connection */
		e = &c->entries[c->n++];
		*e = (struct entry){k, 0};
	}
	if (e)
		e->held++;
	pthread_mutex_unlock(&c->lock);
}

void clients_closed(struct clients *c, const struct sockaddr *addr)
{
	struct key k;
	if (key_of(addr, &k) < 0)
		return;
	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, &k);
	if (e && --e->held == 0)
		*e = c->entries[--c->n]; /* the last one fills the hole */
	pthread_mutex_unlock(&c->lock);
}
