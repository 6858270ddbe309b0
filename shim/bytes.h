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

/* GCC 12 warns about the 8-byte loads in code it has proven dead for
 * short constant strings (a known false positive); the loops check n. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"

/* Eight bytes at a time: the shim's start-up cost is mostly these loops.
 * __builtin_memcpy of a constant 8 compiles to one unaligned load or store. */
static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return v;
}

static inline void bytes_copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = load64(s + i);
		__builtin_memcpy(d + i, &v, 8);
	}
	for (; i < n; i++)
		d[i] = s[i];
}

static inline int bytes_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		if (load64(x + i) != load64(y + i))
			return 0;
	for (; i < n; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

#pragma GCC diagnostic pop

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

/* Packed string lists, "one\0two\0" (the literal's own NUL ends the list
 * with an empty string): tables of names with no pointer to relocate. */
static inline const char *list_next(const char *item) { return item + bytes_len(item) + 1; }

static inline int list_has(const char *list, const char *s)
{
	for (; *list; list = list_next(list))
		if (str_equal(list, s))
			return 1;
	return 0;
}

static inline void bytes_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

/* A bounded text builder. Appends to buf (always NUL-terminated) within
 * cap; overflow is set once something did not fit. With expect set, it
 * compares instead of writing: overflow then means "differs", which lets
 * one function both write a header and check an existing one. */
struct text {
	char *buf;
	size_t len, cap;
	int overflow;
	const char *expect;
};

#define TEXT_INIT(buf, cap) {(buf), 0, (cap), 0, 0}

static inline void text_put(struct text *t, const char *s, size_t n)
{
	if (t->overflow || t->len + n + 1 > t->cap) {
		t->overflow = 1;
		return;
	}
	if (t->expect) {
		t->overflow = !bytes_equal(t->expect + t->len, s, n);
		t->len += n;
		return;
	}
	bytes_copy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = 0;
}

static inline void text_str(struct text *t, const char *s) { text_put(t, s, bytes_len(s)); }

/* A string literal, without measuring it at run time. */
#define text_lit(t, lit) text_put((t), lit, sizeof lit - 1)

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
