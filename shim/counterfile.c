/* Go v1 counter files: open, map, find, allocate, add, grow, parse.
 * See counterfile.h for the layout. Concurrency: many processes map one file.
 * The allocation limit and the bucket heads only ever change by 32-bit CAS;
 * a record's name is written before its length word, and the length word is
 * stored before the record is linked, so a linked record is always complete. */
#define _GNU_SOURCE /* O_PATH */
#include "counterfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "beneath.h"
#include "bytes.h"
#include "sys.h"

#define HASH_OFF 4
#define RECORDS_OFF (HASH_OFF + 4 * CF_NUM_HASH + 28) /* hdrLen + 2080 */
#define FILE_MODE BENEATH_FILE_MODE /* private: see beneath.h */
#define RETRY_LIMIT 4096

/* A switch, not a table of pointers: no load-time relocations in the shim. */
const char *cf_status_text(enum cf_status s)
{
	switch (s) {
	case CF_OK: return "ok";
	case CF_ERR_IO: return "cannot read or write it";
	case CF_ERR_SHORT: return "truncated (a counter file is at least 16384 bytes)";
	case CF_ERR_PREFIX: return "not a counter file (wrong first line)";
	case CF_ERR_HEADER: return "corrupt header (bad length or meta lines)";
	case CF_ERR_MISMATCH: return "header differs from the expected one";
	case CF_ERR_CORRUPT: return "corrupt records (an offset or chain out of bounds)";
	case CF_ERR_TOO_BIG: return "larger than any counter file should be";
	case CF_ERR_OWNER: return "not a regular file of yours (a symlink, a device, or another user's)";
	case CF_ERR_SPACE: return "has holes and the disk has no room to fill them";
	}
	return "unknown error";
}

static uint32_t round_up(uint32_t x, uint32_t unit) { return (x + unit - 1) & ~(unit - 1); }

/* FNV-1a 32, folded: a frozen part of the v1 format. */
uint32_t cf_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	const unsigned char *p = (const unsigned char *)name;
	size_t i = 0;
	for (; i + 4 <= len; i += 4) { /* unrolled: this runs for every counter of every host */
		h = (h ^ p[i]) * 16777619u;
		h = (h ^ p[i + 1]) * 16777619u;
		h = (h ^ p[i + 2]) * 16777619u;
		h = (h ^ p[i + 3]) * 16777619u;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return (h ^ (h >> 16)) % CF_NUM_HASH;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

uint32_t cf_header(unsigned char *buf, const char *meta, size_t meta_len)
{
	if (meta_len > CF_MAX_META)
		return 0;
	uint32_t hdr_len = round_up((uint32_t)(32 + meta_len), 32);
	bytes_copy(buf, CF_PREFIX, CF_PREFIX_LEN);
	put32(buf + CF_PREFIX_LEN, hdr_len);
	bytes_copy(buf + 32, meta, meta_len);
	return hdr_len;
}

/* The mapped image starts with exactly the header meta gives. */
static int header_matches(const unsigned char *map, uint32_t map_len, const char *meta, size_t meta_len)
{
	uint32_t hdr_len = round_up((uint32_t)(32 + meta_len), 32);
	if (meta_len > CF_MAX_META || map_len < hdr_len + RECORDS_OFF)
		return 0;
	if (!bytes_equal(map, CF_PREFIX, CF_PREFIX_LEN) || get32(map + CF_PREFIX_LEN) != hdr_len)
		return 0;
	if (!bytes_equal(map + 32, meta, meta_len))
		return 0;
	for (uint32_t i = 32 + (uint32_t)meta_len; i < hdr_len; i++)
		if (map[i] != 0)
			return 0;
	return 1;
}

/* Gives [off, off+len) real blocks, so that writing through the mapping can
 * never meet a full disk (Go's sparse files raise SIGBUS there: go#74651).
 * With zero_fill, a file system without fallocate gets zeros written
 * instead; only for a range past the end of the data. */
static int allocate_blocks(int fd, uint32_t off, uint32_t len, int zero_fill)
{
	int rc = sys_fallocate(fd, 0, off, len);
	if (rc != -EOPNOTSUPP || !zero_fill)
		return rc;
	static const unsigned char zeros[4096];
	for (uint32_t done = 0; done < len; done += sizeof zeros) {
		long w = sys_pwrite(fd, zeros, sizeof zeros, (long)(off + done));
		if (w != (long)sizeof zeros)
			return w < 0 ? (int)w : -ENOSPC;
	}
	return 0;
}

/* Maps all of fd after checking it: a regular file of the user's, 16 KiB
 * to CF_MAX_FILE (touching a page past the end of a truncated file would
 * raise SIGBUS in the host; a huge one would take its address space), and
 * no holes. A file with fewer blocks than bytes (a hole, or a file system
 * that compresses) gets them now: the one extra system call is paid only
 * by such files, never in the steady state of telem's own. */
static enum cf_status map_fd(struct counter_file *cf, int fd, int *err)
{
	struct stat st;
	int rc = sys_fstat(fd, &st);
	if (rc < 0) {
		*err = rc;
		return CF_ERR_IO;
	}
	if (beneath_file_ok(&st, cf->euid) < 0)
		return CF_ERR_OWNER;
	if (st.st_size < CF_PAGE)
		return CF_ERR_SHORT;
	if (st.st_size > (off_t)CF_MAX_FILE)
		return CF_ERR_TOO_BIG;
	if ((uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size) {
		rc = allocate_blocks(fd, 0, (uint32_t)st.st_size, 0);
		if (rc < 0 && rc != -EOPNOTSUPP) /* nothing better to do where it is missing */
			return CF_ERR_SPACE;
	}
	void *p = sys_mmap(0, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sys_mmap_failed(p)) {
		*err = (int)(long)p;
		return CF_ERR_IO;
	}
	cf->map = p;
	cf->map_len = (uint32_t)st.st_size;
	return CF_OK;
}

static void unmap(struct counter_file *cf)
{
	if (cf->map)
		sys_munmap(cf->map, cf->map_len);
	cf->map = 0;
	cf->map_len = 0;
}

/* Builds "<name>.tmp-<16 hex>" for a file that will be linked into place. */
static int temp_name(char *out, size_t cap, const char *name)
{
	size_t n = bytes_len(name);
	unsigned char rnd[8];
	if (n + 22 > cap || sys_getrandom(rnd, sizeof rnd, 1 /* GRND_NONBLOCK */) != sizeof rnd)
		return -1;
	bytes_copy(out, name, n);
	bytes_copy(out + n, ".tmp-", 5);
	bytes_hex(out + n + 5, rnd, sizeof rnd);
	out[n + 21] = 0;
	return 0;
}

/* The directory holding rel (beneath dirfd, no symlink) and rel's last
 * component: what creating and replacing need, on their rare paths. */
static int parent_of(int dirfd, const char *rel, const char **name)
{
	size_t slash = 0, n = bytes_len(rel);
	for (size_t i = 0; i < n; i++)
		if (rel[i] == '/')
			slash = i + 1;
	*name = rel + slash;
	if (!slash)
		return sys_call3(SYS_fcntl, dirfd, F_DUPFD_CLOEXEC, 0);
	char dir[CF_PATH_MAX];
	bytes_copy(dir, rel, slash - 1);
	dir[slash - 1] = 0;
	return beneath_open(dirfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
}

/* Creates the complete first page under a temporary name, then links it to
 * name in pfd. Returns an open fd on the file, or -errno. */
static int create_file(int pfd, const char *name, const char *meta, size_t meta_len)
{
	char tmp[CF_PATH_MAX];
	unsigned char hdr[CF_MAX_META + 64] = {0};
	uint32_t hdr_len = cf_header(hdr, meta, meta_len);
	if (hdr_len == 0 || temp_name(tmp, sizeof tmp, name) < 0)
		return -EINVAL;
	int fd = sys_openat(pfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, FILE_MODE);
	if (fd < 0)
		return fd;
	int rc = sys_fchmod(fd, FILE_MODE); /* exactly 0600, whatever the host's umask */
	if (rc == 0)
		rc = allocate_blocks(fd, 0, CF_PAGE, 1);
	if (rc == 0 && sys_pwrite(fd, hdr, hdr_len, 0) != (long)hdr_len)
		rc = -EIO;
	if (rc == 0)
		rc = sys_linkat(pfd, tmp, pfd, name, 0);
	sys_unlinkat(pfd, tmp, 0);
	if (rc == 0)
		return fd;
	sys_close(fd);
	if (rc == -EEXIST) /* another process won the race: use its file */
		return sys_openat(pfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
	return rc;
}

/* A file shorter than 16 KiB holds exactly a start of the header meta
 * gives, then zeros: its creator died before finishing it (Go's writer
 * grows a file after writing its header). */
static int short_is_ours(int fd, uint32_t size, const char *meta, size_t meta_len)
{
	static unsigned char have[CF_PAGE]; /* static: 16 KiB is too much for some threads' stacks */
	unsigned char want[CF_MAX_META + 64] = {0};
	uint32_t hdr_len = cf_header(want, meta, meta_len);
	if (hdr_len == 0 || sys_call4(SYS_pread64, fd, have, size, 0) != (long)size)
		return 0;
	for (uint32_t i = 0; i < size; i++)
		if (have[i] != (i < hdr_len ? want[i] : 0))
			return 0;
	return 1;
}

/* Completes a short file of ours in place (the same bytes whoever does it,
 * so racing repairers agree), or replaces a short file of anything else.
 * Returns an fd on the usable file, or -errno. */
static int repair_short(struct counter_file *cf, int dirfd, int fd, const char *meta, size_t meta_len)
{
	struct stat st;
	if (sys_fstat(fd, &st) < 0 || st.st_size >= CF_PAGE)
		return fd; /* someone else repaired it meanwhile */
	unsigned char hdr[CF_MAX_META + 64] = {0};
	uint32_t hdr_len = cf_header(hdr, meta, meta_len);
	if (short_is_ours(fd, (uint32_t)st.st_size, meta, meta_len)) {
		if (sys_pwrite(fd, hdr, hdr_len, 0) == (long)hdr_len &&
		    allocate_blocks(fd, (uint32_t)st.st_size, CF_PAGE - (uint32_t)st.st_size, 1) == 0) {
			cf->repaired = 1;
			return fd;
		}
		sys_close(fd);
		return -ENOSPC;
	}
	const char *name;
	int pfd = parent_of(dirfd, cf->path + cf->rel_off, &name), nfd = -EIO;
	struct stat now;
	/* Only the very file we looked at: not a good one someone just put there. */
	if (pfd >= 0 && sys_call4(SYS_newfstatat, pfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_ino == st.st_ino && now.st_dev == st.st_dev && sys_unlinkat(pfd, name, 0) == 0) {
		nfd = create_file(pfd, name, meta, meta_len);
		cf->repaired = nfd >= 0 ? 2 : 0;
	}
	if (pfd >= 0)
		sys_close(pfd);
	sys_close(fd);
	return nfd;
}

/* Descriptors of the caller's (the shim's directory and mode file) to
 * close together with the next file's: three adjacent descriptors, the
 * common case, go in one close_range call. */
static int deferred[2] = {-1, -1};

static void close_with_deferred(int fd)
{
	int lo = fd, hi = fd, n = fd >= 0;
	for (int i = 0; i < 2; i++) {
		int d = deferred[i];
		if (d < 0)
			continue;
		lo = n && lo < d ? lo : d;
		hi = n && hi > d ? hi : d;
		n++;
	}
	if (n > 1 && hi - lo + 1 == n && sys_call3(SYS_close_range, lo, hi, 0) == 0) {
		deferred[0] = deferred[1] = -1;
		return;
	}
	sys_close_two(deferred[0], deferred[1]);
	sys_close_two(fd, -1);
	deferred[0] = deferred[1] = -1;
}

void counter_file_defer_close(int fd)
{
	if (fd < 0) {
		close_with_deferred(-1);
		return;
	}
	if (deferred[1] >= 0)
		sys_close(deferred[1]);
	deferred[1] = deferred[0];
	deferred[0] = fd;
}

static enum cf_status open_path(struct counter_file *cf, int dirfd, const char *path, uint32_t rel_off,
				unsigned euid, int create, const char *meta, size_t meta_len, int *err)
{
	size_t n = bytes_len(path);
	*err = 0;
	cf->map = 0;
	cf->map_len = 0;
	cf->broken = 0;
	cf->repaired = 0;
	cf->euid = euid;
	if (n >= CF_PATH_MAX || rel_off >= n) {
		*err = -ENAMETOOLONG;
		return CF_ERR_IO;
	}
	bytes_copy(cf->path, path, n + 1);
	cf->rel_off = rel_off;
	/* O_NONBLOCK: a FIFO here must not hang; map_fd then refuses it. */
	int fd = beneath_open(dirfd, path + rel_off, O_RDWR | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd == -ENOENT && create) {
		const char *name;
		int pfd = parent_of(dirfd, path + rel_off, &name);
		fd = pfd < 0 ? pfd : create_file(pfd, name, meta, meta_len);
		if (pfd >= 0)
			sys_close(pfd);
	}
	if (fd < 0) {
		*err = fd;
		return fd == -ELOOP || fd == -EXDEV ? CF_ERR_OWNER : CF_ERR_IO;
	}
	enum cf_status s = map_fd(cf, fd, err);
	if (s == CF_ERR_SHORT && create) {
		fd = repair_short(cf, dirfd, fd, meta, meta_len);
		s = fd < 0 ? CF_ERR_SHORT : map_fd(cf, fd, err);
	}
	/* The caller's descriptors go with a usable file's; after a failure
	 * the caller may still need them (to create or repair). */
	if (s == CF_OK)
		close_with_deferred(fd);
	else
		sys_close(fd);
	return s;
}

enum cf_status counter_file_open_at(struct counter_file *cf, int dirfd, const char *path, uint32_t rel_off,
				    unsigned euid, const char *meta, size_t meta_len, int create, int *err)
{
	enum cf_status s = open_path(cf, dirfd, path, rel_off, euid, create, meta, meta_len, err);
	if (s != CF_OK)
		return s;
	if (!header_matches(cf->map, cf->map_len, meta, meta_len)) {
		unmap(cf);
		return CF_ERR_MISMATCH;
	}
	cf->hdr_len = round_up((uint32_t)(32 + meta_len), 32);
	return CF_OK;
}

enum cf_status counter_file_adopt_at(struct counter_file *cf, int dirfd, const char *path, uint32_t rel_off,
				     unsigned euid, int *err)
{
	enum cf_status s = open_path(cf, dirfd, path, rel_off, euid, 0, 0, 0, err);
	if (s != CF_OK)
		return s;
	cf->hdr_len = get32(cf->map + CF_PREFIX_LEN);
	if (!bytes_equal(cf->map, CF_PREFIX, CF_PREFIX_LEN))
		s = CF_ERR_PREFIX;
	else if (cf->hdr_len < 32 || cf->hdr_len % 32 || cf->hdr_len > 32 + CF_MAX_META + 31 ||
		 cf->hdr_len + RECORDS_OFF > cf->map_len)
		s = CF_ERR_HEADER;
	if (s != CF_OK)
		unmap(cf);
	return s;
}

/* The directory of path, as the tools' callers name it (DIR/local): a
 * symlink as its last component is refused, as every other on the way
 * beneath the telem directory is. */
static int open_parent(const char *path, uint32_t *rel_off)
{
	size_t slash = 0, n = bytes_len(path);
	for (size_t i = 0; i < n; i++)
		if (path[i] == '/')
			slash = i + 1;
	*rel_off = (uint32_t)slash;
	if (!slash)
		return sys_openat(AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	char dir[CF_PATH_MAX];
	if (slash > sizeof dir)
		return -ENAMETOOLONG;
	bytes_copy(dir, path, slash - 1);
	dir[slash - 1] = 0;
	return sys_openat(AT_FDCWD, slash == 1 ? "/" : dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
}

enum cf_status counter_file_open(struct counter_file *cf, const char *path,
				 const char *meta, size_t meta_len, int create, int *err)
{
	uint32_t rel_off;
	int dirfd = open_parent(path, &rel_off);
	if (dirfd < 0) {
		*err = dirfd;
		return CF_ERR_IO;
	}
	enum cf_status s = counter_file_open_at(cf, dirfd, path, rel_off, beneath_geteuid(), meta, meta_len,
						create, err);
	sys_close(dirfd);
	return s;
}

enum cf_status counter_file_adopt(struct counter_file *cf, const char *path, int *err)
{
	uint32_t rel_off;
	int dirfd = open_parent(path, &rel_off);
	if (dirfd < 0) {
		*err = dirfd;
		return CF_ERR_IO;
	}
	enum cf_status s = counter_file_adopt_at(cf, dirfd, path, rel_off, beneath_geteuid(), err);
	sys_close(dirfd);
	return s;
}

void counter_file_close(struct counter_file *cf) { unmap(cf); }

static uint32_t load32(const struct counter_file *cf, uint32_t off)
{
	return __atomic_load_n((uint32_t *)(cf->map + off), __ATOMIC_ACQUIRE);
}

static int cas32(struct counter_file *cf, uint32_t off, uint32_t old, uint32_t new)
{
	return __atomic_compare_exchange_n((uint32_t *)(cf->map + off), &old, new, 0,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Remaps the file at its current size, keeping the same header. Needed when
 * another process grew it, or after we grew it. */
/* One remap at a time in the process. Two threads growing the file at once
 * published their (map, length) pairs interleaved: the smaller mapping with
 * the larger length, and a count beyond its end was a SIGSEGV in the host
 * (25-counter-api.t, 8 threads). The owner is a thread id, so that a signal
 * handler interrupting a remap on its own thread gives up instead of
 * waiting for itself; a waiter gives up too after a bounded while. Only the
 * rare growth path pays these system calls. */
static int remap_owner;

static int remap_claim(void)
{
	int tid = (int)sys_call0(SYS_gettid);
	for (int tries = 0; tries < 10000; tries++) {
		int none = 0;
		if (__atomic_compare_exchange_n(&remap_owner, &none, tid, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 0;
		if (none == tid)
			return -1;
		sys_call0(SYS_sched_yield);
	}
	return -1;
}

static int remap_locked(struct counter_file *cf, uint32_t need, int grow);

static int remap(struct counter_file *cf, uint32_t need, int grow)
{
	if (remap_claim() != 0)
		return -1;
	/* Grown meanwhile by the thread we waited for: nothing to do. */
	int rc = __atomic_load_n(&cf->map_len, __ATOMIC_ACQUIRE) >= need ? 0 : remap_locked(cf, need, grow);
	__atomic_store_n(&remap_owner, 0, __ATOMIC_RELEASE);
	return rc;
}

static int remap_locked(struct counter_file *cf, uint32_t need, int grow)
{
	/* The trusted directory again, then the file beneath it: the rare path
	 * (growth) pays for the walk, not every host's start. */
	char dir[CF_PATH_MAX];
	bytes_copy(dir, cf->path, cf->rel_off);
	dir[cf->rel_off ? cf->rel_off - 1 : 0] = 0;
	int dirfd = sys_openat(AT_FDCWD, cf->rel_off > 1 ? dir : cf->rel_off ? "/" : ".",
			       O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	int fd = dirfd < 0 ? dirfd : beneath_open(dirfd, cf->path + cf->rel_off, O_RDWR | O_CLOEXEC | O_NONBLOCK, 0);
	if (dirfd >= 0)
		sys_close(dirfd);
	if (fd < 0)
		return -1;
	struct stat st;
	int ok = sys_fstat(fd, &st) == 0;
	if (ok && grow && st.st_size < (off_t)need)
		ok = allocate_blocks(fd, (uint32_t)st.st_size, need - (uint32_t)st.st_size, 1) == 0;
	struct counter_file next = *cf;
	int err;
	ok = ok && map_fd(&next, fd, &err) == CF_OK;
	sys_close(fd);
	if (!ok)
		return -1;
	if (next.map_len < need || !bytes_equal(next.map, cf->map, cf->hdr_len)) {
		unmap(&next); /* replaced by a different file under our feet */
		cf->broken = 1;
		return -1;
	}
	/* The old mapping stays: another thread of the host (a rebuilt
	 * program's counters, include/telem/counter.h) may be reading it or
	 * hold a count word in it, and unmapping would make that a fault. It
	 * maps the same pages; remaps are a few per process. The new map is
	 * published before its larger length. */
	__atomic_store_n(&cf->map, next.map, __ATOMIC_RELEASE);
	__atomic_store_n(&cf->map_len, next.map_len, __ATOMIC_RELEASE);
	return 0;
}

/* A valid, complete, linked record at off; -1 corrupt; 0 beyond our mapping. */
static int record_at(struct counter_file *cf, uint32_t off, uint32_t *len, uint32_t *next)
{
	if (off % CF_RECORD_UNIT || off < cf->hdr_len + RECORDS_OFF)
		return -1;
	if ((uint64_t)off + 16 > cf->map_len)
		return 0;
	uint32_t word = load32(cf, off + 8);
	*len = word & ~CF_NAME_MARK;
	if ((word & CF_NAME_MARK) != CF_NAME_MARK || *len == 0 || *len > CF_MAX_NAME)
		return -1;
	if ((uint64_t)off + 16 + *len > cf->map_len)
		return 0;
	*next = load32(cf, off + 12);
	return 1;
}

/* Walks the chain from off to stop; returns the record offset of name, 0 if
 * absent, CF_ORPHAN on corruption, or the offset needing a remap in *grow. */
static uint32_t chain_find(struct counter_file *cf, uint32_t off, uint32_t stop,
			   const char *name, size_t len, uint32_t *grow)
{
	for (uint32_t steps = 0; off != stop && off != 0; steps++) {
		uint32_t rlen, next;
		int r = steps > cf->map_len / CF_RECORD_UNIT ? -1 : record_at(cf, off, &rlen, &next);
		if (r < 0)
			return CF_ORPHAN;
		if (r == 0) {
			*grow = off + 16 + CF_MAX_NAME;
			return 0;
		}
		if (rlen == len && bytes_equal(cf->map + off + 16, name, len))
			return off;
		off = next;
	}
	return 0;
}

/* Go's placement: after the last record, moved to the next 16 KiB page
 * rather than crossing a page boundary. */
static void place(uint32_t hdr_len, uint32_t limit, size_t len, uint32_t *start, uint32_t *end)
{
	if (limit == 0)
		limit = hdr_len + HASH_OFF + 4 * CF_NUM_HASH;
	uint32_t n = round_up((uint32_t)(16 + len), CF_RECORD_UNIT);
	*start = round_up(limit, CF_RECORD_UNIT);
	if (*start / CF_PAGE != (*start + n) / CF_PAGE)
		*start = round_up(limit, CF_PAGE);
	*end = *start + n;
}

/* Reserves space for a record by CAS on limit, growing the file first. */
static uint32_t reserve(struct counter_file *cf, size_t len)
{
	for (int i = 0; i < RETRY_LIMIT && !cf->broken; i++) {
		uint32_t limit = load32(cf, cf->hdr_len), start, end;
		/* The writer never moves limit past the file's end: a limit beyond
		 * it, even after a remap, is a tampered file, not a reason to grow. */
		if (limit > cf->map_len && remap(cf, limit, 0) < 0) {
			cf->broken = 1;
			break;
		}
		if (limit != 0 && (limit < cf->hdr_len + RECORDS_OFF || limit > cf->map_len)) {
			cf->broken = 1;
			break;
		}
		place(cf->hdr_len, limit, len, &start, &end);
		if (end > CF_MAX_FILE)
			return 0;
		if (end > cf->map_len) {
			if (remap(cf, round_up(end, CF_PAGE), 1) < 0)
				return 0;
			continue;
		}
		if (cas32(cf, cf->hdr_len, limit, end))
			return start;
	}
	return 0;
}

/* Links the record at start into its bucket, unless another process linked
 * the same name meanwhile: then ours is marked orphaned and theirs is used. */
static uint32_t link_record(struct counter_file *cf, uint32_t head_off, uint32_t head, uint32_t start,
			    const char *name, size_t len)
{
	for (int i = 0; i < RETRY_LIMIT; i++) {
		__atomic_store_n((uint32_t *)(cf->map + start + 12), head, __ATOMIC_RELEASE);
		if (cas32(cf, head_off, head, start))
			return start;
		uint32_t old = head, grow = 0;
		head = load32(cf, head_off);
		uint32_t theirs = chain_find(cf, head, old, name, len, &grow);
		if (theirs == CF_ORPHAN)
			break;
		if (grow) { /* the newer records lie past our mapping */
			if (remap(cf, round_up(load32(cf, cf->hdr_len), CF_PAGE), 0) < 0)
				break;
			head = old; /* walk the new records again after the next failed CAS */
			continue;
		}
		if (theirs) {
			__atomic_store_n((uint32_t *)(cf->map + start + 12), CF_ORPHAN, __ATOMIC_RELEASE);
			return theirs;
		}
	}
	cf->broken = 1;
	return 0;
}

uint64_t *counter_file_find(struct counter_file *cf, const char *name, size_t len, int allocate)
{
	if (!cf->map || cf->broken || len == 0 || len > CF_MAX_NAME)
		return 0;
	uint32_t head_off = cf->hdr_len + HASH_OFF + 4 * cf_hash(name, len), head, off;
	for (int tries = 0;; tries++) {
		uint32_t grow = 0;
		head = load32(cf, head_off);
		off = chain_find(cf, head, 0, name, len, &grow);
		if (!grow || tries > 2)
			break;
		/* A record beyond our mapping: remap if another process grew the file. */
		uint32_t limit = load32(cf, cf->hdr_len);
		if (limit <= cf->map_len || remap(cf, round_up(limit, CF_PAGE), 0) < 0) {
			cf->broken = 1;
			return 0;
		}
	}
	if (off == CF_ORPHAN) {
		cf->broken = 1;
		return 0;
	}
	if (off == 0 && allocate) {
		uint32_t start = reserve(cf, len);
		if (start == 0)
			return 0;
		bytes_copy(cf->map + start + 16, name, len);
		__atomic_store_n((uint32_t *)(cf->map + start + 8), (uint32_t)len | CF_NAME_MARK, __ATOMIC_RELEASE);
		off = link_record(cf, head_off, head, start, name, len);
	}
	return off ? (uint64_t *)(cf->map + off) : 0;
}

void counter_file_add(struct counter_file *cf, const char *name, size_t len, uint64_t n)
{
	uint64_t *p = counter_file_find(cf, name, len, 1);
	if (p)
		counter_add_at(p, n);
}

void counter_add_at(uint64_t *p, uint64_t n)
{
	uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED), sum;
	do
		sum = old + n < old ? UINT64_MAX : old + n;
	while (!__atomic_compare_exchange_n(p, &old, sum, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

uint32_t counter_file_used(const struct counter_file *cf)
{
	if (!cf->map)
		return 0;
	uint32_t limit = load32(cf, cf->hdr_len);
	return limit > cf->hdr_len + RECORDS_OFF ? limit - cf->hdr_len - RECORDS_OFF : 0;
}
