/* Counter files written through the shim's API (shim/counterfile.c):
 * the byte layout against values computed by hand, reading back with the
 * strict parser, growth, two mappings of one file, hostile files, opening
 * rules (mismatch, reuse, symlinks, mode), saturation, racing processes.
 *
 * Expected values are computed here independently of the code under test
 * (own FNV-1a, own little-endian reads), never by asking the code itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "counterfile.h"

/* A fixed meta, as week_meta would write it: 145 bytes, so hdrLen = 192. */
static const char META[] = "TimeBegin: 2026-11-27T00:00:00Z\nTimeEnd: 2026-11-29T00:00:00Z\n"
			   "Program: gcc\nVersion: 0123456789ab\nGoVersion: glibc2.36\n"
			   "GOOS: linux\nGOARCH: amd64\n\n";
#define META_LEN (sizeof META - 1)
#define HDR_LEN 192u /* round_up(32 + 145, 32), by hand */
#define FIRST_RECORD (HDR_LEN + 2080u)

static char dir[64];

/* ---- helpers, independent of the code under test ---- */

static uint32_t fnv_bucket(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return (h ^ (h >> 16)) % 512;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p + 4) << 32 | le32(p); }

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t up32(uint32_t x) { return (x + 31) & ~31u; }

static const char *path_in(const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof buf[0], "%s/%s", dir, name);
	return p;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	unsigned char *buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void spill(const char *path, const unsigned char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
	close(fd);
}

static off_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void open_new(struct counter_file *cf, const char *path)
{
	int err = 0;
	memset(cf, 0, sizeof *cf);
	assert_int_equal(counter_file_open(cf, path, META, META_LEN, 1, &err), CF_OK);
	assert_non_null(cf->map);
}

static void add(struct counter_file *cf, const char *name, uint64_t n)
{
	counter_file_add(cf, name, strlen(name), n);
}

/* What counter_file_parse reports, collected for comparison. */
struct seen {
	int n;
	char name[400][1500];
	uint64_t count[400];
	uint32_t off[400];
	const unsigned char *base;
};

static int collect(void *arg, const struct cf_record_view *rec)
{
	struct seen *s = arg;
	assert_true(s->n < 400);
	assert_true(rec->len < sizeof s->name[0]);
	memcpy(s->name[s->n], rec->name, rec->len);
	s->name[s->n][rec->len] = 0;
	s->count[s->n] = rec->count;
	s->off[s->n] = (uint32_t)((const unsigned char *)rec->name - s->base) - 16;
	s->n++;
	return 0;
}

static int seen_index(const struct seen *s, const char *name)
{
	int found = -1;
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0) {
			assert_int_equal(found, -1); /* never twice */
			found = i;
		}
	return found;
}

static struct seen *parse_file(const char *path, enum cf_status want)
{
	size_t len;
	unsigned char *data = slurp(path, &len);
	static struct seen s;
	memset(&s, 0, sizeof s);
	s.base = data;
	const char *meta;
	size_t meta_len;
	/* On a damaged file the visits before the damage are not of interest. */
	cf_visit_fn visit = want == CF_OK ? collect : 0;
	assert_int_equal(counter_file_parse(data, len, &meta, &meta_len, visit, &s), want);
	if (want == CF_OK) {
		assert_int_equal(meta_len, META_LEN);
		assert_memory_equal(meta, META, META_LEN);
	}
	free(data);
	s.base = 0;
	return &s;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/telem-cf-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return rmdir(dir);
}

/* ---- golden layout ---- */

static void test_hash_known_values(void **state)
{
	(void)state;
	/* Hard-coded once from FNV-1a-32 by hand (Python), then folded mod 512. */
	assert_int_equal(fnv_bucket("gcc/invocations", 15), 214);
	assert_int_equal(fnv_bucket("a", 1), 288);
	assert_int_equal(cf_hash("gcc/invocations", 15), 214);
	assert_int_equal(cf_hash("a", 1), 288);
	assert_int_equal(cf_hash("cc1/invocations", 15), 317);
	char name[64];
	for (int i = 0; i < 2000; i++) {
		int n = snprintf(name, sizeof name, "prog%d/flag:-f%x", i, i * 7919);
		assert_int_equal(cf_hash(name, (size_t)n), fnv_bucket(name, (size_t)n));
	}
}

static void test_header_bytes(void **state)
{
	(void)state;
	static unsigned char buf[CF_PAGE];
	memset(buf, 0, sizeof buf);
	assert_int_equal(cf_header(buf, META, META_LEN), HDR_LEN);
	assert_memory_equal(buf, "# telemetry/counter file v1\n", 28);
	assert_int_equal(le32(buf + 28), HDR_LEN);
	assert_memory_equal(buf + 32, META, META_LEN);
	for (uint32_t i = 32 + META_LEN; i < HDR_LEN; i++)
		assert_int_equal(buf[i], 0);
	/* Exact multiples of 32 get no extra padding: 32 + 32 = 64. */
	assert_int_equal(cf_header(buf, "abcdefghijklmnopqrstuvwxyz: 123\n", 32), 64);
	char big[CF_MAX_META + 1];
	memset(big, 'x', sizeof big);
	assert_int_equal(cf_header(buf, big, sizeof big), 0);
}

static void test_golden_first_record(void **state)
{
	(void)state;
	struct counter_file cf;
	const char *path = path_in("golden.v1.count");
	open_new(&cf, path);
	add(&cf, "gcc/invocations", 1);
	counter_file_close(&cf);

	size_t len;
	unsigned char *d = slurp(path, &len);
	assert_int_equal(len, 16384);
	assert_memory_equal(d, "# telemetry/counter file v1\n", 28);
	assert_int_equal(le32(d + 28), HDR_LEN);
	assert_memory_equal(d + 32, META, META_LEN);
	for (uint32_t i = 32 + META_LEN; i < HDR_LEN; i++)
		assert_int_equal(d[i], 0);

	uint32_t rec = FIRST_RECORD; /* 2272 */
	assert_int_equal(le32(d + HDR_LEN), rec + 32); /* limit: 16+15 -> 32 bytes */
	for (uint32_t b = 0; b < 512; b++)
		assert_int_equal(le32(d + HDR_LEN + 4 + 4 * b), b == 214 ? rec : 0);
	assert_int_equal(le64(d + rec), 1);
	assert_int_equal(le32(d + rec + 8), 15u | 0xFF000000u);
	assert_int_equal(le32(d + rec + 12), 0);
	assert_memory_equal(d + rec + 16, "gcc/invocations", 15);
	for (size_t i = rec + 31; i < len; i++) /* name padding and the rest: zero */
		assert_int_equal(d[i], 0);
	free(d);
}

/* Two names in one bucket: the newer record heads the chain, linked to the older. */
static void test_golden_chain(void **state)
{
	(void)state;
	char other[32];
	int n = 0;
	for (int i = 0;; i++) {
		n = snprintf(other, sizeof other, "x/%d", i);
		if (fnv_bucket(other, (size_t)n) == 214)
			break;
	}
	struct counter_file cf;
	const char *path = path_in("chain.v1.count");
	open_new(&cf, path);
	add(&cf, "gcc/invocations", 3);
	add(&cf, other, 5);
	add(&cf, "gcc/invocations", 4);
	counter_file_close(&cf);

	size_t len;
	unsigned char *d = slurp(path, &len);
	uint32_t first = FIRST_RECORD, second = first + 32;
	assert_int_equal(le32(d + HDR_LEN), second + up32(16 + (uint32_t)n));
	assert_int_equal(le32(d + HDR_LEN + 4 + 4 * 214), second);
	assert_int_equal(le32(d + second + 12), first);
	assert_int_equal(le32(d + first + 12), 0);
	assert_int_equal(le64(d + first), 7);
	assert_int_equal(le64(d + second), 5);
	assert_int_equal(le32(d + second + 8), (uint32_t)n | 0xFF000000u);
	free(d);
}

static void test_file_mode_and_blocks(void **state)
{
	(void)state;
	mode_t old = umask(077);
	struct counter_file cf;
	const char *path = path_in("mode.v1.count");
	open_new(&cf, path);
	umask(old);
	counter_file_close(&cf);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600); /* private (issue 10) */
	assert_int_equal(st.st_size, 16384);
	assert_true((off_t)st.st_blocks * 512 >= st.st_size);
	/* No temporary file left behind. */
	DIR *d = opendir(dir);
	int entries = 0;
	for (struct dirent *e; (e = readdir(d));)
		entries += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(entries, 1);
}

/* ---- reading back what was written ---- */

static void test_round_trip(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint64_t n;
	} adds[] = {
		{"gcc/invocations", 1}, {"gcc/flag:-O2", 1}, {"gcc/exit:0", 1},
		{"gcc/invocations", 1}, {"gcc/wall-ms", 1234}, {"cc1/wall:<100ms", 1},
		{"gcc/wall-ms", 66}, {"gcc/invocations", 40}, {"x", 0}, {"gcc/maxrss:<256MB", 1},
	};
	static const struct {
		const char *name;
		uint64_t total;
	} want[] = {
		{"gcc/invocations", 42}, {"gcc/flag:-O2", 1}, {"gcc/exit:0", 1}, {"gcc/wall-ms", 1300},
		{"cc1/wall:<100ms", 1}, {"x", 0}, {"gcc/maxrss:<256MB", 1},
	};
	struct counter_file cf;
	const char *path = path_in("rt.v1.count");
	open_new(&cf, path);
	for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++)
		add(&cf, adds[i].name, adds[i].n);
	assert_int_equal(cf.broken, 0);
	counter_file_close(&cf);

	struct seen *s = parse_file(path, CF_OK);
	assert_int_equal(s->n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int k = seen_index(s, want[i].name);
		assert_true(k >= 0);
		assert_int_equal(s->count[k], want[i].total);
	}
}

static void test_find_without_allocate(void **state)
{
	(void)state;
	struct counter_file cf;
	open_new(&cf, path_in("find.v1.count"));
	assert_null(counter_file_find(&cf, "a/b", 3, 0));
	assert_int_equal(counter_file_used(&cf), 0);
	uint64_t *p = counter_file_find(&cf, "a/b", 3, 1);
	assert_non_null(p);
	assert_ptr_equal(counter_file_find(&cf, "a/b", 3, 0), p);
	assert_int_equal(counter_file_used(&cf), 32);
	/* Invalid names are never allocated. */
	static char big[CF_MAX_NAME + 2];
	memset(big, 'n', sizeof big);
	assert_null(counter_file_find(&cf, "", 0, 1));
	assert_null(counter_file_find(&cf, big, CF_MAX_NAME + 1, 1));
	assert_non_null(counter_file_find(&cf, big, CF_MAX_NAME, 1));
	assert_int_equal(cf.broken, 0);
	counter_file_close(&cf);
	assert_null(cf.map);
}

static void test_saturation(void **state)
{
	(void)state;
	struct counter_file cf;
	const char *path = path_in("sat.v1.count");
	open_new(&cf, path);
	add(&cf, "big", UINT64_MAX - 1);
	add(&cf, "big", 5);
	add(&cf, "big", 1);
	add(&cf, "full", UINT64_MAX);
	add(&cf, "full", UINT64_MAX);
	counter_file_close(&cf);
	struct seen *s = parse_file(path, CF_OK);
	assert_int_equal(s->count[seen_index(s, "big")], UINT64_MAX);
	assert_int_equal(s->count[seen_index(s, "full")], UINT64_MAX);
}

/* Long names of varied sizes, some records exactly 1024 bytes so that one
 * would end exactly on a page boundary (Go moves those to the next page). */
static int long_name(char *out, int i)
{
	int len = i % 3 == 0 ? 1008 : 60 + (i * 37) % 1400;
	int n = snprintf(out, 16, "n%04d/", i);
	memset(out + n, 'a' + i % 26, (size_t)(len - n));
	out[len] = 0;
	return len;
}

static void check_page_rule(const struct seen *s)
{
	for (int i = 0; i < s->n; i++) {
		uint32_t off = s->off[i], size = up32(16 + (uint32_t)strlen(s->name[i]));
		assert_int_equal(off % 32, 0);
		assert_true(off >= FIRST_RECORD);
		/* Go's rule: start/16384 == (start+size)/16384. */
		assert_int_equal(off / 16384, (off + size) / 16384);
	}
}

static void test_growth_pages(void **state)
{
	(void)state;
	struct counter_file cf;
	const char *path = path_in("grow.v1.count");
	open_new(&cf, path);
	static char name[1500];
	for (int i = 0; i < 200; i++) {
		int n = long_name(name, i);
		counter_file_add(&cf, name, (size_t)n, (uint64_t)i + 1);
	}
	assert_int_equal(cf.broken, 0);
	counter_file_close(&cf);

	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size >= 5 * 16384);
	assert_int_equal(st.st_size % 16384, 0);
	assert_true((off_t)st.st_blocks * 512 >= st.st_size);

	struct seen *s = parse_file(path, CF_OK);
	assert_int_equal(s->n, 200);
	for (int i = 0; i < 200; i++) {
		long_name(name, i);
		int k = seen_index(s, name);
		assert_true(k >= 0);
		assert_int_equal(s->count[k], (uint64_t)i + 1);
	}
	check_page_rule(s);
	/* At least one record was moved to a page start by the rule. */
	int at_page_start = 0;
	for (int i = 0; i < s->n; i++)
		at_page_start += s->off[i] % 16384 == 0;
	assert_true(at_page_start > 0);
}

/* Two mappings of one file, as two processes would have: each sees the
 * records the other adds, across growth (remap). */
static void test_two_mappings(void **state)
{
	(void)state;
	struct counter_file a, b;
	int err;
	const char *path = path_in("two.v1.count");
	open_new(&a, path);
	memset(&b, 0, sizeof b);
	assert_int_equal(counter_file_open(&b, path, META, META_LEN, 0, &err), CF_OK);
	add(&b, "early", 1);

	static char name[1500];
	for (int i = 0; i < 100; i++) {
		int n = long_name(name, i);
		counter_file_add(&a, name, (size_t)n, 10);
	}
	assert_true(a.map_len > 16384);
	assert_int_equal(b.map_len, 16384);

	int n = long_name(name, 99);
	uint64_t *p = counter_file_find(&b, name, (size_t)n, 0);
	assert_non_null(p);
	assert_int_equal(*p, 10);
	assert_int_equal(b.map_len, a.map_len);

	add(&b, "late", 7);                        /* allocated by b after a's growth */
	counter_file_add(&b, name, (size_t)n, 5); /* a's record, incremented by b */
	add(&a, "early", 1);
	assert_non_null(counter_file_find(&a, "late", 4, 0));
	assert_int_equal(*counter_file_find(&a, "late", 4, 0), 7);
	assert_int_equal(*counter_file_find(&a, name, (size_t)n, 0), 15);
	assert_int_equal(*counter_file_find(&b, "early", 5, 0), 2);

	/* b grows the file while a's mapping is the smaller one. */
	for (int i = 100; i < 160; i++) {
		n = long_name(name, i);
		counter_file_add(&b, name, (size_t)n, 1);
	}
	assert_non_null(counter_file_find(&a, name, (size_t)n, 0));
	assert_int_equal(a.broken, 0);
	assert_int_equal(b.broken, 0);
	counter_file_close(&a);
	counter_file_close(&b);

	struct seen *s = parse_file(path, CF_OK);
	assert_int_equal(s->n, 162);
	check_page_rule(s);
}

/* ---- opening rules ---- */

static void test_open_mismatch(void **state)
{
	(void)state;
	struct counter_file cf;
	int err;
	const char *path = path_in("mm.v1.count");
	open_new(&cf, path);
	add(&cf, "keep", 1);
	counter_file_close(&cf);

	static const char other[] = "TimeBegin: 2026-11-27T00:00:00Z\nTimeEnd: 2026-11-30T00:00:00Z\n"
				    "Program: gcc\nVersion: 0123456789ab\nGoVersion: glibc2.36\n"
				    "GOOS: linux\nGOARCH: amd64\n\n";
	assert_int_equal(counter_file_open(&cf, path, other, sizeof other - 1, 1, &err), CF_ERR_MISMATCH);
	assert_null(cf.map);
	/* A prefix of the real meta, same hdrLen: the padding differs. */
	assert_int_equal(counter_file_open(&cf, path, META, META_LEN - 1, 1, &err), CF_ERR_MISMATCH);
	assert_null(cf.map);
	/* A longer meta. */
	static const char longer[] = "TimeBegin: 2026-11-27T00:00:00Z\nTimeEnd: 2026-11-29T00:00:00Z\n"
				     "Program: gcc\nVersion: 0123456789ab\nGoVersion: glibc2.36\n"
				     "GOOS: linux\nGOARCH: amd64\nX: y\n\n";
	assert_int_equal(counter_file_open(&cf, path, longer, sizeof longer - 1, 1, &err), CF_ERR_MISMATCH);
	/* Nothing was written to the file. */
	struct seen *s = parse_file(path, CF_OK);
	assert_int_equal(s->n, 1);
}

static void test_open_reuses_existing(void **state)
{
	(void)state;
	struct counter_file cf;
	const char *path = path_in("reuse.v1.count");
	open_new(&cf, path);
	add(&cf, "n", 2);
	counter_file_close(&cf);
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	open_new(&cf, path);
	add(&cf, "n", 3);
	counter_file_close(&cf);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	struct seen *s = parse_file(path, CF_OK);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->count[0], 5);
}

static void test_open_missing_without_create(void **state)
{
	(void)state;
	struct counter_file cf;
	int err = 0;
	const char *path = path_in("none.v1.count");
	assert_int_equal(counter_file_open(&cf, path, META, META_LEN, 0, &err), CF_ERR_IO);
	assert_int_equal(err, -ENOENT);
	assert_int_equal(access(path, F_OK), -1);
	/* The tools' view: adopt also refuses a missing file. */
	assert_int_equal(counter_file_adopt(&cf, path, &err), CF_ERR_IO);
}

static void test_open_refuses_symlink(void **state)
{
	(void)state;
	struct counter_file cf;
	int err = 0;
	const char *target = path_in("target");
	const char *link = path_in("link.v1.count");
	int fd = open(target, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "precious\n", 9), 9);
	close(fd);
	assert_int_equal(symlink(target, link), 0);
	assert_int_not_equal(counter_file_open(&cf, link, META, META_LEN, 1, &err), CF_OK);
	assert_null(cf.map);
	size_t len;
	unsigned char *d = slurp(target, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(d, "precious\n", 9);
	free(d);

	/* A link to a valid counter file with the very same header: still
	 * refused, and nothing is counted into the file it points to. */
	const char *real = path_in("real.v1.count");
	const char *alias = path_in("alias.v1.count");
	open_new(&cf, real);
	add(&cf, "x", 1);
	counter_file_close(&cf);
	assert_int_equal(symlink(real, alias), 0);
	memset(&cf, 0, sizeof cf);
	assert_int_equal(counter_file_open(&cf, alias, META, META_LEN, 1, &err), CF_ERR_OWNER);
	assert_int_equal(err, -ELOOP);
	add(&cf, "x", 1);
	add(&cf, "y", 1);
	assert_int_not_equal(counter_file_adopt(&cf, alias, &err), CF_OK);
	struct seen *s = parse_file(real, CF_OK);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->count[0], 1);

	/* A dangling link: its target must not be created. */
	const char *ghost = path_in("ghost");
	const char *dangling = path_in("dangling.v1.count");
	assert_int_equal(symlink(ghost, dangling), 0);
	assert_int_not_equal(counter_file_open(&cf, dangling, META, META_LEN, 1, &err), CF_OK);
	assert_int_equal(access(ghost, F_OK), -1);
	struct stat st;
	assert_int_equal(lstat(dangling, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

static void test_open_short_and_foreign(void **state)
{
	(void)state;
	struct counter_file cf;
	int err;
	const char *path = path_in("short.v1.count");
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "# telemetry/counter file v1\n", 28), 28);
	close(fd);
	/* Adopting (no meta to compare with) leaves a short file alone. */
	assert_int_equal(counter_file_adopt(&cf, path, &err), CF_ERR_SHORT);
	assert_int_equal(file_size(path), 28);
	/* A creator that died after the first bytes of our header: completed
	 * in place (issue 11.5), and it counts. */
	assert_int_equal(counter_file_open(&cf, path, META, META_LEN, 1, &err), CF_OK);
	assert_int_equal(cf.repaired, 1);
	assert_int_equal(file_size(path), 16384);
	add(&cf, "x", 2);
	counter_file_close(&cf);
	struct seen *s = parse_file(path, CF_OK);
	assert_int_equal(s->n, 1);

	/* Short and not ours: replaced by a complete file. */
	assert_int_equal(truncate(path, 100), 0);
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "garbage", 7, 0), 7);
	close(fd);
	assert_int_equal(counter_file_open(&cf, path, META, META_LEN, 1, &err), CF_OK);
	assert_int_equal(cf.repaired, 2);
	counter_file_close(&cf);
	assert_int_equal(file_size(path), 16384);

	assert_int_equal(truncate(path, 16384), 0);
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "not a counter file\n", 19, 0), 19);
	close(fd);
	assert_int_equal(counter_file_open(&cf, path, META, META_LEN, 1, &err), CF_ERR_MISMATCH);
	assert_int_equal(counter_file_adopt(&cf, path, &err), CF_ERR_PREFIX);
	assert_null(cf.map);
}

/* Issue 10.3: a record area that is a hole gets real blocks before it is
 * mapped; 10.4: a file larger than any counter file is not mapped at all;
 * a FIFO is refused without blocking. */
static void test_holes_sizes_fifos(void **state)
{
	(void)state;
	struct counter_file cf;
	int err;
	const char *path = path_in("sparse.v1.count");
	open_new(&cf, path);
	counter_file_close(&cf);
	assert_int_equal(truncate(path, 4096), 0);
	assert_int_equal(truncate(path, 3 * 16384), 0); /* pages 1..2 and most of 0 are a hole */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true((off_t)st.st_blocks * 512 < st.st_size);
	assert_int_equal(counter_file_adopt(&cf, path, &err), CF_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_true((off_t)st.st_blocks * 512 >= st.st_size);
	counter_file_close(&cf);

	assert_int_equal(truncate(path, (off_t)CF_MAX_FILE + 16384), 0);
	assert_int_equal(counter_file_adopt(&cf, path, &err), CF_ERR_TOO_BIG);
	assert_null(cf.map);
	assert_int_equal(stat(path, &st), 0);
	assert_true((off_t)st.st_blocks * 512 < 1 << 20); /* never filled */

	const char *fifo = path_in("fifo.v1.count");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(counter_file_open(&cf, fifo, META, META_LEN, 1, &err), CF_ERR_OWNER);
	assert_int_equal(counter_file_adopt(&cf, fifo, &err), CF_ERR_OWNER);
}

static void test_adopt(void **state)
{
	(void)state;
	struct counter_file cf;
	int err;
	const char *path = path_in("adopt.v1.count");
	open_new(&cf, path);
	add(&cf, "a", 9);
	counter_file_close(&cf);
	memset(&cf, 0, sizeof cf);
	assert_int_equal(counter_file_adopt(&cf, path, &err), CF_OK);
	assert_int_equal(cf.hdr_len, HDR_LEN);
	uint64_t *p = counter_file_find(&cf, "a", 1, 0);
	assert_non_null(p);
	assert_int_equal(*p, 9);
	counter_file_close(&cf);

	/* hdrLen not a multiple of 32, and huge. */
	size_t len;
	unsigned char *d = slurp(path, &len);
	put_le32(d + 28, 200);
	spill(path, d, len);
	assert_int_equal(counter_file_adopt(&cf, path, &err), CF_ERR_HEADER);
	put_le32(d + 28, 0x7fffffe0);
	spill(path, d, len);
	assert_int_equal(counter_file_adopt(&cf, path, &err), CF_ERR_HEADER);
	assert_null(cf.map);
	free(d);
}

/* ---- hostile files: counting stops, nothing loops, nothing crashes ---- */

struct target {
	uint32_t rec;    /* offset of the record of "a/1" */
	uint32_t bucket; /* its bucket */
	char other[16];  /* a name not in the file, in the same bucket */
};

static void make_victim(const char *path, struct target *t)
{
	struct counter_file cf;
	open_new(&cf, path);
	add(&cf, "a/1", 1);
	add(&cf, "a/2", 1);
	add(&cf, "a/3", 1);
	counter_file_close(&cf);
	t->rec = FIRST_RECORD;
	t->bucket = fnv_bucket("a/1", 3);
	for (int i = 0;; i++) {
		int n = snprintf(t->other, sizeof t->other, "b/%d", i);
		if (fnv_bucket(t->other, (size_t)n) == t->bucket)
			break;
	}
}

enum poke {
	HEAD_PAST_END, HEAD_UNALIGNED, HEAD_IN_HEADER, HEAD_IN_HASH_TABLE, CYCLE, NO_MARK,
	LEN_ZERO, LEN_HUGE, NUM_POKES
};

static const char *const poke_names[] = {
	"head past end", "head unaligned", "head in header", "head in hash table", "cycle",
	"length without 0xFF mark", "name length 0", "name length 5000",
};

static void poke(unsigned char *d, const struct target *t, enum poke p)
{
	unsigned char *head = d + HDR_LEN + 4 + 4 * t->bucket;
	switch (p) {
	case HEAD_PAST_END: put_le32(head, 1u << 20); break;
	case HEAD_UNALIGNED: put_le32(head, t->rec + 8); break;
	case HEAD_IN_HEADER: put_le32(head, 64); break;
	case HEAD_IN_HASH_TABLE: put_le32(head, HDR_LEN + 32); break;
	case CYCLE: put_le32(d + t->rec + 12, t->rec); break;
	case NO_MARK: put_le32(d + t->rec + 8, 3); break;
	case LEN_ZERO: put_le32(d + t->rec + 8, 0xFF000000u); break;
	case LEN_HUGE: put_le32(d + t->rec + 8, 0xFF000000u | 5000); break;
	case NUM_POKES: break;
	}
}

static void test_find_on_corrupt_file(void **state)
{
	(void)state;
	for (int p = 0; p < NUM_POKES; p++) {
		struct target t;
		const char *path = path_in("corrupt.v1.count");
		unlink(path);
		make_victim(path, &t);
		size_t len;
		unsigned char *d = slurp(path, &len);
		poke(d, &t, (enum poke)p);
		spill(path, d, len);
		free(d);

		struct counter_file cf;
		int err;
		assert_int_equal(counter_file_open(&cf, path, META, META_LEN, 0, &err), CF_OK);
		/* The name searched for walks the damaged chain to its end. */
		if (counter_file_find(&cf, t.other, strlen(t.other), 1) || !cf.broken)
			fail_msg("damage %s: not detected", poke_names[p]);
		/* Detected once: every later call returns at once. */
		assert_null(counter_file_find(&cf, "a/2", 3, 0));
		add(&cf, "a/2", 1);
		counter_file_close(&cf);
		assert_int_equal(file_size(path), 16384);
		parse_file(path, CF_ERR_CORRUPT);
	}
}

/* A limit no writer could have set (beyond the file's size): the process
 * must stop counting, not extend the file to whatever a hostile limit says. */
static void test_limit_beyond_file(void **state)
{
	(void)state;
	struct target t;
	const char *path = path_in("limit.v1.count");
	make_victim(path, &t);
	size_t len;
	unsigned char *d = slurp(path, &len);
	put_le32(d + HDR_LEN, 8u << 20);
	spill(path, d, len);
	free(d);
	parse_file(path, CF_ERR_CORRUPT);

	struct counter_file cf;
	int err;
	assert_int_equal(counter_file_open(&cf, path, META, META_LEN, 0, &err), CF_OK);
	uint64_t *p = counter_file_find(&cf, "new/name", 8, 1);
	int broken = cf.broken;
	counter_file_close(&cf);
	assert_int_equal(file_size(path), 16384); /* not grown to the hostile limit */
	assert_null(p);
	assert_int_equal(broken, 1);
}

static void test_limit_in_header(void **state)
{
	(void)state;
	struct target t;
	const char *path = path_in("limit2.v1.count");
	make_victim(path, &t);
	size_t len;
	unsigned char *d = slurp(path, &len);
	put_le32(d + HDR_LEN, 100);
	spill(path, d, len);
	free(d);
	struct counter_file cf;
	int err;
	assert_int_equal(counter_file_open(&cf, path, META, META_LEN, 0, &err), CF_OK);
	assert_null(counter_file_find(&cf, "new/name", 8, 1));
	assert_int_equal(cf.broken, 1);
	counter_file_close(&cf);
}

/* Random damage to the records and bucket heads (never the limit, which
 * test_limit_beyond_file covers): lookups never crash or hang, and a file
 * that still parses keeps parsing after the writes. */
static void test_random_damage(void **state)
{
	(void)state;
	const char *path = path_in("fuzz.v1.count");
	struct target t;
	make_victim(path, &t);
	size_t len;
	unsigned char *orig = slurp(path, &len);
	unsigned char *d = malloc(len);
	uint32_t seed = 12345;
	for (int iter = 0; iter < 300; iter++) {
		memcpy(d, orig, len);
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			uint32_t span = FIRST_RECORD + 96 - (HDR_LEN + 4);
			uint32_t off = HDR_LEN + 4 + (seed >> 8) % span;
			d[off] ^= (unsigned char)(1u << ((seed >> 4) % 8));
		}
		spill(path, d, len);
		struct counter_file cf;
		int err;
		assert_int_equal(counter_file_open(&cf, path, META, META_LEN, 0, &err), CF_OK);
		add(&cf, "a/1", 1);
		add(&cf, "a/2", 1);
		add(&cf, t.other, 1);
		add(&cf, "fresh", 1);
		counter_file_close(&cf);
		unsigned char *after = slurp(path, &len);
		const char *meta;
		size_t meta_len;
		enum cf_status s = counter_file_parse(d, len, &meta, &meta_len, 0, 0);
		if (s == CF_OK && !cf.broken)
			assert_int_equal(counter_file_parse(after, len, &meta, &meta_len, 0, 0), CF_OK);
		free(after);
	}
	free(d);
	free(orig);
}

/* ---- processes racing to create the file and allocate the same names ---- */

#define RACERS 4
#define RACE_NAMES 300
#define RACE_ADDS 20000

static int race_name(char *out, int i)
{
	int n = snprintf(out, 32, "race/%d/", i);
	memset(out + n, 'r', 150);
	out[n + 150] = 0;
	return n + 150;
}

static void racer(const char *path, int id)
{
	struct counter_file cf;
	int err;
	if (counter_file_open(&cf, path, META, META_LEN, 1, &err) != CF_OK)
		_exit(2);
	char name[200];
	for (int i = 0; i < RACE_ADDS; i++) {
		int n = race_name(name, (i * 7 + id * 13) % RACE_NAMES);
		counter_file_add(&cf, name, (size_t)n, 1);
	}
	_exit(cf.broken ? 3 : 0);
}

static void test_racing_processes(void **state)
{
	(void)state;
	const char *path = path_in("race.v1.count");
	uint64_t want[RACE_NAMES] = {0};
	for (int id = 0; id < RACERS; id++)
		for (int i = 0; i < RACE_ADDS; i++)
			want[(i * 7 + id * 13) % RACE_NAMES]++;
	pid_t pids[RACERS];
	for (int id = 0; id < RACERS; id++) {
		pids[id] = fork();
		assert_true(pids[id] >= 0);
		if (pids[id] == 0)
			racer(path, id);
	}
	for (int id = 0; id < RACERS; id++) {
		int status;
		assert_int_equal(waitpid(pids[id], &status, 0), pids[id]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	struct seen *s = parse_file(path, CF_OK);
	assert_int_equal(s->n, RACE_NAMES);
	char name[200];
	for (int i = 0; i < RACE_NAMES; i++) {
		race_name(name, i);
		int k = seen_index(s, name);
		assert_true(k >= 0);
		assert_int_equal(s->count[k], want[i]);
	}
	check_page_rule(s);
}

int main(void)
{
	alarm(120); /* a hang (a loop on a corrupt file) fails instead of blocking the suite */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_known_values),
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test_setup_teardown(test_golden_first_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_golden_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_mode_and_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_without_allocate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saturation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_growth_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_mappings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_reuses_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_without_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_short_and_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_on_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_beyond_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_in_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_racing_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holes_sizes_fifos, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
