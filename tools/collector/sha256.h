/* SHA-256 (FIPS 180-4): the identity of a stored report body, and the CSP
 * hash of the dashboard's inline style. */
#ifndef COLLECTOR_SHA256_H
#define COLLECTOR_SHA256_H

#include <stddef.h>

#define SHA256_LEN 32

void sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);
/* Standard base64 (with padding) of n bytes into out (4*ceil(n/3)+1 bytes). */
void base64(const unsigned char *in, size_t n, char *out);

#endif
