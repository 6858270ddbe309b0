/* The strict reader (shim/counterparse.c) on file images built by hand here,
 * byte by byte, without the writer: valid files, orphaned records,
 * duplicates, and every kind of damage a shared directory could hold. Each
 * damaged image must give its own cf_status and never crash or hang. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "counterfile.h"

static const char META[] = "TimeBegin: 2026-11-27T00:00:00Z\nTimeEnd: 2026-11-29T00:00:00Z\n"
			   "Program: cc1\nVersion: 0123456789ab\nGoVersion: glibc2.36\n"
			   "GOOS: linux\nGOARCH: amd64\n\n";
#define META_LEN (sizeof META - 1)
#define HDR 192u /* round_up(32 + 145, 32) */
#define FIRST (HDR + 2080u)

/* ---- a hand-made image ---- */

struct img {
	unsigned char *d;
	size_t len;
	uint32_t end; /* where the next record goes */
};

static uint32_t fnv_bucket(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return (h ^ (h >> 16)) % 512;
}

static void set32(struct img *im, uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		im->d[off + i] = (unsigned char)(v >> (8 * i));
}

static void set64(struct img *im, uint32_t off, uint64_t v)
{
	set32(im, off, (uint32_t)v);
	set32(im, off + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const struct img *im, uint32_t off)
{
	const unsigned char *p = im->d + off;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void img_init(struct img *im, size_t len)
{
	im->d = calloc(1, len);
	assert_non_null(im->d);
	im->len = len;
	memcpy(im->d, "# telemetry/counter file v1\n", 28);
	set32(im, 28, HDR);
	memcpy(im->d + 32, META, META_LEN);
	im->end = FIRST;
}

static void img_free(struct img *im) { free(im->d); }

static uint32_t head_off(const char *name) { return HDR + 4 + 4 * fnv_bucket(name, strlen(name)); }

/* Appends a record (Go's placement: never reaching the next page) and
 * moves the limit past it; it is not linked. */
static uint32_t img_put(struct img *im, const char *name, uint64_t count, uint32_t next)
{
	uint32_t n = (uint32_t)strlen(name), size = (16 + n + 31) & ~31u, off = im->end;
	if (off / CF_PAGE != (off + size) / CF_PAGE)
		off = (off + CF_PAGE - 1) & ~(uint32_t)(CF_PAGE - 1);
	assert_true(off + size <= im->len);
	set64(im, off, count);
	set32(im, off + 8, n | 0xFF000000u);
	set32(im, off + 12, next);
	memcpy(im->d + off + 16, name, n);
	im->end = off + size;
	set32(im, HDR, im->end);
	return off;
}

/* Links the record at off at the head of its bucket, as the writer does. */
static void img_link(struct img *im, uint32_t off)
{
	uint32_t n = get32(im, off + 8) & 0xFFFFFFu;
	uint32_t head = HDR + 4 + 4 * fnv_bucket((const char *)im->d + off + 16, n);
	set32(im, off + 12, get32(im, head));
	set32(im, head, off);
}

static uint32_t img_add(struct img *im, const char *name, uint64_t count)
{
	uint32_t off = img_put(im, name, count, 0);
	img_link(im, off);
	return off;
}

/* A name other than base that falls into base's bucket. */
static void same_bucket(char *out, size_t cap, const char *base)
{
	uint32_t b = fnv_bucket(base, strlen(base));
	for (int i = 0;; i++) {
		snprintf(out, cap, "z/%d", i);
		if (fnv_bucket(out, strlen(out)) == b && strcmp(out, base))
			return;
	}
}

/* ---- visiting ---- */

struct seen {
	int n;
	char names[64][64];
	uint64_t counts[64];
	int stop_after; /* 0 = never */
};

static int collect(void *arg, const struct cf_record_view *rec)
{
	struct seen *s = arg;
	if (s->n < 64) {
		size_t k = rec->len < 63 ? rec->len : 63;
		memcpy(s->names[s->n], rec->name, k);
		s->names[s->n][k] = 0;
		s->counts[s->n] = rec->count;
	}
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

static enum cf_status parse(const struct img *im, struct seen *s)
{
	const char *meta = 0;
	size_t meta_len = 0;
	memset(s, 0, sizeof *s);
	return counter_file_parse(im->d, im->len, &meta, &meta_len, collect, s);
}

static uint64_t count_of(const struct seen *s, const char *name)
{
	int found = -1;
	for (int i = 0; i < s->n && i < 64; i++)
		if (strcmp(s->names[i], name) == 0) {
			assert_int_equal(found, -1);
			found = i;
		}
	assert_true(found >= 0);
	return s->counts[found];
}

/* ---- valid files ---- */

static void test_empty_file(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, CF_PAGE);
	const char *meta;
	size_t meta_len;
	struct seen s = {0};
	assert_int_equal(counter_file_parse(im.d, im.len, &meta, &meta_len, collect, &s), CF_OK);
	assert_int_equal(s.n, 0);
	assert_int_equal(meta_len, META_LEN);
	assert_memory_equal(meta, META, META_LEN);
	uint32_t hdr_len = 0;
	assert_int_equal(counter_file_header_parse(im.d, im.len, &hdr_len, &meta, &meta_len), CF_OK);
	assert_int_equal(hdr_len, HDR);
	assert_int_equal(meta_len, META_LEN);
	img_free(&im);
}

static void test_hand_made_records(void **state)
{
	(void)state;
	struct img im;
	struct seen s;
	char twin[16];
	img_init(&im, 3 * CF_PAGE);
	same_bucket(twin, sizeof twin, "cc1/invocations");
	img_add(&im, "cc1/invocations", 12);
	img_add(&im, twin, 3);
	img_add(&im, "cc1/exit:0", UINT64_MAX);
	/* A 4096-byte name, the largest allowed, pushed to the second page. */
	static char big[CF_MAX_NAME + 1];
	memset(big, 'b', CF_MAX_NAME);
	for (int i = 0; i < 4; i++) {
		big[0] = (char)('0' + i);
		img_add(&im, big, (uint64_t)i);
	}
	assert_int_equal(parse(&im, &s), CF_OK);
	assert_int_equal(s.n, 7);
	assert_int_equal(count_of(&s, "cc1/invocations"), 12);
	assert_int_equal(count_of(&s, twin), 3);
	assert_int_equal(count_of(&s, "cc1/exit:0"), UINT64_MAX);
	img_free(&im);
}

static void test_visit_stops(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, CF_PAGE);
	img_add(&im, "a", 1);
	img_add(&im, "b", 2);
	img_add(&im, "c", 3);
	struct seen s = {.stop_after = 1};
	const char *meta;
	size_t meta_len;
	assert_int_equal(counter_file_parse(im.d, im.len, &meta, &meta_len, collect, &s), CF_OK);
	assert_int_equal(s.n, 1);
	/* Without a visitor, only validation. */
	assert_int_equal(counter_file_parse(im.d, im.len, &meta, &meta_len, 0, 0), CF_OK);
	img_free(&im);
}

/* ---- orphans and duplicates ---- */

static void test_orphan_ignored(void **state)
{
	(void)state;
	struct img im;
	struct seen s;
	img_init(&im, CF_PAGE);
	img_add(&im, "gcc/invocations", 5);
	img_put(&im, "gcc/invocations", 99, CF_ORPHAN); /* lost the link race */
	img_put(&im, "gcc/lonely", 7, CF_ORPHAN);
	img_add(&im, "gcc/exit:0", 1);
	assert_int_equal(parse(&im, &s), CF_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(count_of(&s, "gcc/invocations"), 5);
	assert_int_equal(count_of(&s, "gcc/exit:0"), 1);
	img_free(&im);
}

static void test_linked_duplicate_is_corrupt(void **state)
{
	(void)state;
	struct img im;
	struct seen s;
	img_init(&im, CF_PAGE);
	img_add(&im, "gcc/invocations", 5);
	img_add(&im, "gcc/exit:0", 1);
	img_add(&im, "gcc/invocations", 6);
	assert_int_equal(parse(&im, &s), CF_ERR_CORRUPT);
	img_free(&im);

	/* Also with another name between the two. */
	char twin[16];
	same_bucket(twin, sizeof twin, "gcc/invocations");
	img_init(&im, CF_PAGE);
	img_add(&im, "gcc/invocations", 5);
	img_add(&im, twin, 1);
	img_add(&im, "gcc/invocations", 6);
	assert_int_equal(parse(&im, &s), CF_ERR_CORRUPT);
	img_free(&im);
}

/* ---- damage: one table, one image per row ---- */

enum damage {
	D_HEAD_PAST_END, D_HEAD_PAST_LIMIT, D_HEAD_UNALIGNED, D_HEAD_IN_HEADER, D_HEAD_IN_HASH,
	D_SELF_CYCLE, D_LONG_CYCLE, D_NO_MARK, D_PARTIAL_MARK, D_LEN_ZERO, D_LEN_TOO_BIG,
	D_NAME_PAST_LIMIT, D_WRONG_BUCKET, D_CROSSES_PAGE, D_LIMIT_PAST_END, D_LIMIT_IN_HEADER,
	D_NEXT_PAST_END, D_HDR_NOT_32, D_HDR_HUGE, D_HDR_ZERO, D_HDR_PAST_FILE, D_PADDING,
	D_META_NO_COLON, D_PREFIX, D_SHORT, D_TINY, D_EMPTY,
};

static const struct {
	enum damage d;
	const char *what;
	enum cf_status want;
} damages[] = {
	{D_HEAD_PAST_END, "bucket head past the end", CF_ERR_CORRUPT},
	{D_HEAD_PAST_LIMIT, "bucket head past the limit", CF_ERR_CORRUPT},
	{D_HEAD_UNALIGNED, "bucket head unaligned", CF_ERR_CORRUPT},
	{D_HEAD_IN_HEADER, "bucket head into the header", CF_ERR_CORRUPT},
	{D_HEAD_IN_HASH, "bucket head into the hash table", CF_ERR_CORRUPT},
	{D_SELF_CYCLE, "record linked to itself", CF_ERR_CORRUPT},
	{D_LONG_CYCLE, "chain cycle through three records", CF_ERR_CORRUPT},
	{D_NO_MARK, "length word without 0xFF mark", CF_ERR_CORRUPT},
	{D_PARTIAL_MARK, "length word with 0x7F mark", CF_ERR_CORRUPT},
	{D_LEN_ZERO, "name length 0", CF_ERR_CORRUPT},
	{D_LEN_TOO_BIG, "name length 4097", CF_ERR_CORRUPT},
	{D_NAME_PAST_LIMIT, "name runs past the limit", CF_ERR_CORRUPT},
	{D_WRONG_BUCKET, "record in a bucket its name does not hash to", CF_ERR_CORRUPT},
	{D_CROSSES_PAGE, "record crossing a 16 KiB boundary", CF_ERR_CORRUPT},
	{D_LIMIT_PAST_END, "limit beyond the file size", CF_ERR_CORRUPT},
	{D_LIMIT_IN_HEADER, "limit inside the header", CF_ERR_CORRUPT},
	{D_NEXT_PAST_END, "next pointer past the end", CF_ERR_CORRUPT},
	{D_HDR_NOT_32, "hdrLen not a multiple of 32", CF_ERR_HEADER},
	{D_HDR_HUGE, "hdrLen huge", CF_ERR_HEADER},
	{D_HDR_ZERO, "hdrLen 0", CF_ERR_HEADER},
	{D_HDR_PAST_FILE, "hdrLen 0xFFFFFFE0", CF_ERR_HEADER},
	{D_PADDING, "non-zero header padding", CF_ERR_HEADER},
	{D_META_NO_COLON, "meta line without ': '", CF_ERR_HEADER},
	{D_PREFIX, "wrong first line", CF_ERR_PREFIX},
	{D_SHORT, "16383 bytes", CF_ERR_SHORT},
	{D_TINY, "10 bytes of the prefix", CF_ERR_SHORT},
	{D_EMPTY, "empty", CF_ERR_SHORT},
};

/* Three records, a, b and c, with b and c sharing a's bucket. */
struct victim {
	uint32_t a, b, c, head;
};

static void build_victim(struct img *im, struct victim *v)
{
	char b[16], c[16];
	same_bucket(b, sizeof b, "v/a");
	snprintf(c, sizeof c, "%s", b);
	for (int i = 0; strcmp(c, b) == 0 || fnv_bucket(c, strlen(c)) != fnv_bucket("v/a", 3); i++)
		snprintf(c, sizeof c, "y/%d", i);
	img_init(im, 2 * CF_PAGE);
	v->a = img_add(im, "v/a", 1);
	v->b = img_add(im, b, 2);
	v->c = img_add(im, c, 3);
	v->head = head_off("v/a");
	assert_int_equal(get32(im, v->head), v->c);
}

static void apply(struct img *im, const struct victim *v, enum damage d)
{
	switch (d) {
	case D_HEAD_PAST_END: set32(im, v->head, 1u << 20); break;
	case D_HEAD_PAST_LIMIT: set32(im, v->head, im->end + 64); break;
	case D_HEAD_UNALIGNED: set32(im, v->head, v->c + 8); break;
	case D_HEAD_IN_HEADER: set32(im, v->head, 32); break;
	case D_HEAD_IN_HASH: set32(im, v->head, HDR + 64); break;
	case D_SELF_CYCLE: set32(im, v->c + 12, v->c); break;
	case D_LONG_CYCLE: set32(im, v->a + 12, v->c); break;
	case D_NO_MARK: set32(im, v->b + 8, 3); break;
	case D_PARTIAL_MARK: set32(im, v->b + 8, 0x7F000003u); break;
	case D_LEN_ZERO: set32(im, v->b + 8, 0xFF000000u); break;
	case D_LEN_TOO_BIG: set32(im, v->b + 8, 0xFF000000u | 4097); break;
	case D_NAME_PAST_LIMIT: set32(im, HDR, v->c + 17); break;
	case D_WRONG_BUCKET: {
		uint32_t other = HDR + 4 + 4 * ((fnv_bucket("v/a", 3) + 1) % 512);
		set32(im, other, v->c);
		set32(im, v->head, 0);
		break;
	}
	case D_CROSSES_PAGE: {
		/* A record placed to end past the first page boundary. */
		uint32_t off = CF_PAGE - 32;
		set64(im, off, 1);
		set32(im, off + 8, 20 | 0xFF000000u);
		set32(im, off + 12, 0);
		memcpy(im->d + off + 16, "cross/the/boundary!!", 20);
		set32(im, head_off("cross/the/boundary!!"), off);
		set32(im, HDR, CF_PAGE + 32);
		break;
	}
	case D_LIMIT_PAST_END: set32(im, HDR, (uint32_t)im->len + 32); break;
	case D_LIMIT_IN_HEADER: set32(im, HDR, 100); break;
	case D_NEXT_PAST_END: set32(im, v->a + 12, 1u << 24); break;
	case D_HDR_NOT_32: set32(im, 28, HDR + 8); break;
	case D_HDR_HUGE: set32(im, 28, 1u << 30); break;
	case D_HDR_ZERO: set32(im, 28, 0); break;
	case D_HDR_PAST_FILE: set32(im, 28, 0xFFFFFFE0u); break;
	case D_PADDING: im->d[HDR - 1] = 'x'; break;
	case D_META_NO_COLON: memcpy(im->d + 32 + 32, "TimeEnd= ", 9); break;
	case D_PREFIX: im->d[26] = '2'; break;
	case D_SHORT: im->len = CF_PAGE - 1; break;
	case D_TINY: im->len = 10; break;
	case D_EMPTY: im->len = 0; break;
	}
}

static void test_damage_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof damages / sizeof damages[0]; i++) {
		struct img im;
		struct victim v;
		struct seen s;
		build_victim(&im, &v);
		assert_int_equal(parse(&im, &s), CF_OK); /* the image is valid before damage */
		apply(&im, &v, damages[i].d);
		enum cf_status got = parse(&im, &s);
		if (got != damages[i].want)
			fail_msg("%s: got %d (%s), want %d (%s)", damages[i].what, got,
				 cf_status_text(got), damages[i].want, cf_status_text(damages[i].want));
		img_free(&im);
	}
}

/* A file larger than any counter file should be: a sparse anonymous
 * mapping, so no memory is used beyond the page holding the header. */
static void test_too_big(void **state)
{
	(void)state;
	size_t len = (size_t)CF_MAX_FILE + CF_PAGE;
	unsigned char *d = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(d != MAP_FAILED);
	struct img im = {d, len, FIRST};
	memcpy(d, "# telemetry/counter file v1\n", 28);
	set32(&im, 28, HDR);
	memcpy(d + 32, META, META_LEN);
	const char *meta;
	size_t meta_len;
	assert_int_equal(counter_file_parse(d, len, &meta, &meta_len, 0, 0), CF_ERR_TOO_BIG);
	munmap(d, len);
}

/* Every single bit flipped in the header, hash table and first records:
 * the parser returns one of its statuses, and whatever it visits lies
 * inside the image. */
static int check_inside(void *arg, const struct cf_record_view *rec)
{
	const struct img *im = arg;
	const char *lo = (const char *)im->d;
	assert_true(rec->len >= 1 && rec->len <= CF_MAX_NAME);
	assert_true(rec->name >= lo + FIRST && rec->name + rec->len <= lo + im->len);
	return 0;
}

static void test_every_bit_flip(void **state)
{
	(void)state;
	struct img im;
	struct victim v;
	build_victim(&im, &v);
	const char *meta;
	size_t meta_len;
	int ok = 0, bad = 0;
	for (uint32_t off = 0; off < v.c + 32; off++) {
		for (int bit = 0; bit < 8; bit++) {
			im.d[off] ^= (unsigned char)(1u << bit);
			enum cf_status s = counter_file_parse(im.d, im.len, &meta, &meta_len, check_inside, &im);
			assert_true(s >= CF_OK && s <= CF_ERR_TOO_BIG);
			s == CF_OK ? ok++ : bad++;
			im.d[off] ^= (unsigned char)(1u << bit);
		}
	}
	assert_true(ok > 0 && bad > 0);
	img_free(&im);
}

static void test_status_text(void **state)
{
	(void)state;
	for (int s = CF_OK; s <= CF_ERR_TOO_BIG; s++) {
		assert_non_null(cf_status_text((enum cf_status)s));
		assert_true(strlen(cf_status_text((enum cf_status)s)) > 0);
		for (int t = CF_OK; t < s; t++)
			assert_string_not_equal(cf_status_text((enum cf_status)s), cf_status_text((enum cf_status)t));
	}
	assert_string_equal(cf_status_text((enum cf_status)99), "unknown error");
}

int main(void)
{
	alarm(60); /* a loop on a corrupt image fails instead of blocking the suite */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_hand_made_records),
		cmocka_unit_test(test_visit_stops),
		cmocka_unit_test(test_orphan_ignored),
		cmocka_unit_test(test_linked_duplicate_is_corrupt),
		cmocka_unit_test(test_damage_table),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_status_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
