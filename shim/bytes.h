/* Byte helpers for the shim. Written out instead of calling libc's memcpy and
 * friends: each libc function the shim calls costs a lazy binding in every
 * host process, and these must also be safe inside a signal handler. The
 * shim is compiled with -fno-tree-loop-distribute-patterns so the compiler
 * does not turn these loops back into libc calls. */
#ifndef TELEM_BYTES_H
#define TELEM_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline size_t bytes_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static inline void bytes_copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

static inline int bytes_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

static inline int str_equal(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* a starts with prefix: returns the rest, or NULL. */
static inline const char *str_after(const char *a, const char *prefix)
{
	while (*prefix)
		if (*a++ != *prefix++)
			return 0;
	return a;
}

static inline void bytes_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

/* Appends s to buf at *pos within cap, always leaving room for a NUL.
 * Returns 0, or -1 (and stops appending) when it does not fit. */
struct text {
	char *buf;
	size_t len, cap;
	int overflow;
};

static inline void text_put(struct text *t, const char *s, size_t n)
{
	if (t->overflow || t->len + n + 1 > t->cap) {
		t->overflow = 1;
		return;
	}
	bytes_copy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = 0;
}

static inline void text_str(struct text *t, const char *s) { text_put(t, s, bytes_len(s)); }

static inline void text_uint(struct text *t, uint64_t v, int min_digits)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v || n < min_digits);
	text_put(t, tmp + sizeof tmp - n, (size_t)n);
}

#endif
