/* The collector's connections per client address (tools/collector/clients.c):
 * the limit per address, IPv6 keyed by /64, IPv4-mapped IPv6 as IPv4, slots
 * given back on close, and the saturating sum (saturate.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../../tools/collector/clients.c"
#include "../../tools/collector/saturate.h"

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	inet_pton(AF_INET, a, &s->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	s->sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &s->sin6_addr);
	return ss;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void limit_per_address(void **state)
{
	(void)state;
	struct clients *c = clients_new(2, 10);
	struct sockaddr_storage a = v4("10.0.0.1"), b = v4("10.0.0.2");
	assert_true(clients_admit(c, SA(a)));
	clients_started(c, SA(a));
	clients_started(c, SA(a));
	assert_false(clients_admit(c, SA(a)));
	assert_true(clients_admit(c, SA(b))); /* another client is not starved */
	clients_closed(c, SA(a));
	assert_true(clients_admit(c, SA(a))); /* a slot given back */
	clients_closed(c, SA(a));
	assert_int_equal(c->n, 0);
	clients_free(c);
}

static void ipv6_by_prefix(void **state)
{
	(void)state;
	struct clients *c = clients_new(1, 10);
	struct sockaddr_storage a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9"), d = v6("2001:db8:1:3::1");
	clients_started(c, SA(a));
	assert_false(clients_admit(c, SA(b))); /* same /64: one client */
	assert_true(clients_admit(c, SA(d)));  /* another /64 */
	clients_closed(c, SA(a));
	clients_free(c);
}

static void mapped_ipv4_is_ipv4(void **state)
{
	(void)state;
	struct clients *c = clients_new(1, 10);
	struct sockaddr_storage a = v4("192.0.2.7"), m = v6("::ffff:192.0.2.7"), other = v6("::ffff:192.0.2.8");
	clients_started(c, SA(a));
	assert_false(clients_admit(c, SA(m)));
	assert_true(clients_admit(c, SA(other))); /* not keyed by the mapped /64 */
	clients_closed(c, SA(m));
	assert_int_equal(c->n, 0);
	clients_free(c);
}

static void many_clients_fill_and_empty(void **state)
{
	(void)state;
	struct clients *c = clients_new(3, 300);
	char a[32];
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 300; i++) {
			snprintf(a, sizeof a, "10.1.%d.%d", i / 250, i % 250);
			struct sockaddr_storage s = v4(a);
			clients_started(c, SA(s));
		}
		assert_int_equal(c->n, 300);
		for (int i = 299; i >= 0; i--) {
			snprintf(a, sizeof a, "10.1.%d.%d", i / 250, i % 250);
			struct sockaddr_storage s = v4(a);
			clients_closed(c, SA(s));
		}
		assert_int_equal(c->n, 0);
	}
	clients_free(c);
}

static void saturating_sum(void **state)
{
	(void)state;
	assert_true(sat_add(INT64_MAX, INT64_MAX) == INT64_MAX);
	assert_true(sat_add(INT64_MAX - 1, 1) == INT64_MAX);
	assert_true(sat_add(INT64_MAX - 2, 1) == INT64_MAX - 1);
	assert_true(sat_add(0, 0) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(limit_per_address),    cmocka_unit_test(ipv6_by_prefix),
		cmocka_unit_test(mapped_ipv4_is_ipv4), cmocka_unit_test(many_clients_fill_and_empty),
		cmocka_unit_test(saturating_sum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
