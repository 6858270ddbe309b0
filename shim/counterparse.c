/* Reading a whole counter file image, for the tools and the tests. Stricter
 * than Go's reader: every offset, length and chain is checked, since the
 * directory may be shared and its contents are untrusted. A file that
 * passes here also passes Go's counter.Parse. */
#include "counterfile.h"

#include "bytes.h"

#define RECORDS_OFF (4 + 4 * CF_NUM_HASH + 28)

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

/* Go's parser needs "key: value" on every non-empty meta line. */
static int meta_valid(const char *meta, size_t len)
{
	size_t line = 0;
	for (size_t i = 0; i < len; i++) {
		if (meta[i] != '\n')
			continue;
		int colon = 0;
		for (size_t j = line; j + 1 < i; j++)
			colon |= meta[j] == ':' && meta[j + 1] == ' ';
		if (i > line && !colon)
			return 0;
		line = i + 1;
	}
	return line == len;
}

enum cf_status counter_file_header_parse(const unsigned char *data, size_t len, uint32_t *hdr_len,
				   const char **meta, size_t *meta_len)
{
	if (len < CF_PREFIX_LEN || !bytes_equal(data, CF_PREFIX, CF_PREFIX_LEN))
		return len < CF_PAGE && len < CF_PREFIX_LEN ? CF_ERR_SHORT : CF_ERR_PREFIX;
	if (len < CF_PAGE)
		return CF_ERR_SHORT;
	if (len > CF_MAX_FILE)
		return CF_ERR_TOO_BIG;
	*hdr_len = get32(data + CF_PREFIX_LEN);
	if (*hdr_len < 32 || *hdr_len % 32 || *hdr_len > 32 + CF_MAX_META + 31)
		return CF_ERR_HEADER;
	size_t n = 0;
	while (32 + n < *hdr_len && data[32 + n])
		n++;
	for (size_t i = 32 + n; i < *hdr_len; i++)
		if (data[i])
			return CF_ERR_HEADER;
	*meta = (const char *)data + 32;
	*meta_len = n;
	return meta_valid(*meta, n) ? CF_OK : CF_ERR_HEADER;
}

/* Checks one linked record; 0 when valid. */
static int check_record(const unsigned char *data, uint32_t hdr_len, uint32_t limit, uint32_t bucket,
			uint32_t off, struct cf_record_view *rec, uint32_t *next)
{
	if (off % CF_RECORD_UNIT || off < hdr_len + RECORDS_OFF || (uint64_t)off + 16 > limit)
		return -1;
	uint32_t word = get32(data + off + 8);
	uint32_t len = word & ~CF_NAME_MARK;
	if ((word & CF_NAME_MARK) != CF_NAME_MARK || len == 0 || len > CF_MAX_NAME)
		return -1;
	uint32_t size = (16 + len + CF_RECORD_UNIT - 1) & ~(uint32_t)(CF_RECORD_UNIT - 1);
	/* Go's writer never lets a record reach the next 16 KiB page. */
	if ((uint64_t)off + size > limit || off / CF_PAGE != (off + size) / CF_PAGE)
		return -1;
	rec->name = (const char *)data + off + 16;
	rec->len = len;
	rec->count = get64(data + off);
	*next = get32(data + off + 12);
	return cf_hash(rec->name, len) == bucket ? 0 : -1;
}

/* A name already seen earlier in the same chain (the only place a
 * duplicate can be, since each name hashes to one bucket). */
static int duplicate_before(const unsigned char *data, uint32_t head, uint32_t upto,
			    const struct cf_record_view *rec)
{
	for (uint32_t off = head; off != upto;) {
		uint32_t len = get32(data + off + 8) & ~CF_NAME_MARK;
		if (len == rec->len && bytes_equal(data + off + 16, rec->name, len))
			return 1;
		off = get32(data + off + 12);
	}
	return 0;
}

enum cf_status counter_file_parse(const unsigned char *data, size_t len,
				  const char **meta, size_t *meta_len,
				  cf_visit_fn visit, void *arg)
{
	uint32_t hdr_len;
	enum cf_status s = counter_file_header_parse(data, len, &hdr_len, meta, meta_len);
	if (s != CF_OK)
		return s;
	if ((size_t)hdr_len + RECORDS_OFF > len)
		return CF_ERR_SHORT;
	uint32_t limit = get32(data + hdr_len);
	if (limit != 0 && (limit < hdr_len + RECORDS_OFF || limit > len))
		return CF_ERR_CORRUPT;
	uint32_t max_steps = (uint32_t)(len / CF_RECORD_UNIT);
	for (uint32_t b = 0; b < CF_NUM_HASH; b++) {
		uint32_t head = get32(data + hdr_len + 4 + 4 * b), next, steps = 0;
		for (uint32_t off = head; off != 0; off = next) {
			struct cf_record_view rec;
			if (++steps > max_steps || check_record(data, hdr_len, limit, b, off, &rec, &next) < 0)
				return CF_ERR_CORRUPT;
			if (duplicate_before(data, head, off, &rec))
				return CF_ERR_CORRUPT;
			if (visit && visit(arg, &rec))
				return CF_OK;
		}
	}
	return CF_OK;
}
