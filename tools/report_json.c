/* Go's encoding/json rules for reports (report_json.h), checked against Go
 * itself by tests/fixtures/upload/gocheck.go. */
#include "report_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void put_str(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_line(struct buf *b, int level)
{
	put(b, "\n", 1);
	for (int i = 0; i < level; i++)
		put(b, " ", 1);
}

/* Length of the valid UTF-8 sequence at s (Go's utf8.DecodeRune), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *rune)
{
	unsigned char c = s[0];
	size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c < 0xC2 || c > 0xF4 || n < len)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	*rune = c & (0xFF >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if (i > 1 && (s[i] < 0x80 || s[i] > 0xBF))
			return 0;
		*rune = (*rune << 6) | (s[i] & 0x3F);
	}
	return len;
}

/* Go's escaping with escapeHTML (the default): <, >, & and U+2028/9 as
 * \u sequences, invalid UTF-8 as \ufffd. */
static void put_string(struct buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			uint32_t rune = 0;
			size_t len = utf8_len(s + i, n - i, &rune);
			if (len == 0)
				put_str(b, "\\ufffd"), len = 1;
			else if (rune == 0x2028 || rune == 0x2029)
				put_str(b, rune == 0x2028 ? "\\u2028" : "\\u2029");
			else
				put(b, str + i, len);
			i += len;
			continue;
		}
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f"
			: c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
		if (esc) {
			put_str(b, esc);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF], 0};
			put_str(b, u);
		} else {
			put(b, str + i, 1);
		}
		i++;
	}
	put(b, "\"", 1);
}

/* Go's float64 text: the shortest digits that read back as x, in %f style
 * unless |x| < 1e-6 or >= 1e21; there "1e-07" is written "1e-7". */
static void put_float(struct buf *b, double x)
{
	char e[40], digits[24];
	if (x == 0 || !isfinite(x)) {
		put_str(b, "0");
		return;
	}
	if (x < 0)
		put_str(b, "-");
	x = fabs(x);
	for (int p = 0; p < 17; p++) {
		snprintf(e, sizeof e, "%.*e", p, x);
		if (strtod(e, NULL) == x)
			break;
	}
	int nd = 0, exp;
	const char *s = e;
	for (; *s != 'e'; s++)
		if (*s != '.')
			digits[nd++] = *s;
	digits[nd] = 0;
	exp = atoi(s + 1);
	if (x < 1e-6 || x >= 1e21) {
		char out[48];
		snprintf(out, sizeof out, "%c%s%s", digits[0], nd > 1 ? "." : "", digits + 1);
		put_str(b, out);
		snprintf(out, sizeof out, exp < 0 && exp > -10 ? "e-%d" : "e%+03d", exp < 0 && exp > -10 ? -exp : exp);
		put_str(b, out);
	} else if (exp < 0) {
		put_str(b, "0.");
		for (int i = 0; i < -exp - 1; i++)
			put_str(b, "0");
		put_str(b, digits);
	} else {
		for (int i = 0; i <= exp || i < nd; i++) {
			if (i == exp + 1)
				put_str(b, ".");
			put(b, i < nd ? &digits[i] : "0", 1);
		}
	}
}

static void put_key(struct buf *b, int level, const char *key)
{
	put_line(b, level);
	put_string(b, key, strlen(key));
	put(b, ": ", 2);
}

static void put_field(struct buf *b, int level, const char *key, const char *value, int comma)
{
	put_key(b, level, key);
	put_string(b, value, strlen(value));
	if (comma)
		put(b, ",", 1);
}

/* A map[string]int64: keys in byte order (our arrays are sorted so). */
static void put_counts(struct buf *b, int level, const char *key, const struct rcount *c, size_t n, int comma)
{
	put_key(b, level, key);
	put(b, "{", 1);
	for (size_t i = 0; i < n; i++) {
		char num[24];
		put_line(b, level + 1);
		put_string(b, c[i].name, c[i].len);
		snprintf(num, sizeof num, ": %lld", (long long)(c[i].count > INT64_MAX ? INT64_MAX : c[i].count));
		put_str(b, num);
		if (i + 1 < n)
			put(b, ",", 1);
	}
	if (n)
		put_line(b, level);
	put_str(b, comma ? "}," : "}");
}

static void put_program(struct buf *b, const struct rprogram *p, int local)
{
	int human = local && p->human;
	put_line(b, 2);
	put(b, "{", 1);
	put_field(b, 3, "Program", p->program, 1);
	put_field(b, 3, "Version", p->version, 1);
	put_field(b, 3, "GoVersion", p->goversion, 1);
	put_field(b, 3, "GOOS", p->goos, 1);
	put_field(b, 3, "GOARCH", p->goarch, 1);
	put_counts(b, 3, "Counters", p->counters, p->n_counters, 1);
	put_counts(b, 3, "Stacks", p->stacks, p->n_stacks, human);
	if (human)
		put_field(b, 3, "HumanVersion", p->human, 0);
	put_line(b, 2);
	put(b, "}", 1);
}

char *report_json(const struct report *r, int local, size_t *len)
{
	struct buf b = {0};
	put(&b, "{", 1);
	put_field(&b, 1, "Week", r->week, 1);
	put_field(&b, 1, "LastWeek", r->last_week, 1);
	put_key(&b, 1, "X");
	put_float(&b, r->x);
	put(&b, ",", 1);
	put_key(&b, 1, "Programs");
	if (!r->programs) {
		put_str(&b, "null");
	} else if (r->n == 0) {
		put_str(&b, "[]");
	} else {
		put(&b, "[", 1);
		for (size_t i = 0; i < r->n; i++) {
			put_program(&b, &r->programs[i], local);
			if (i + 1 < r->n)
				put(&b, ",", 1);
		}
		put_line(&b, 1);
		put(&b, "]", 1);
	}
	put(&b, ",", 1);
	put_field(&b, 1, "Config", r->config, local && r->partial);
	if (local && r->partial) {
		put_key(&b, 1, "Partial");
		put_str(&b, "true");
	}
	put_line(&b, 0);
	put(&b, "}", 1);
	b.p[b.len] = 0;
	*len = b.len;
	return b.p;
}
