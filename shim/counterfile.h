/* Go's v1 counter files (golang.org/x/telemetry internal/counter), byte for byte.
 *
 * Layout, little-endian, shared by every process that maps the file:
 *
 *   offset            size  contents
 *   0                 28    "# telemetry/counter file v1\n"
 *   28                4     hdrLen = round_up(32 + len(meta), 32)
 *   32                ...   meta text, zero padded up to hdrLen
 *   hdrLen            4     limit: end of the last record (0 = no record yet)
 *   hdrLen+4          2048  512 bucket heads: record offsets, 0 = empty
 *   hdrLen+2080 ...         records, 32-byte aligned, never crossing a 16 KiB page:
 *     +0  u64 count (atomic)
 *     +8  u32 len(name) | 0xFF000000 (stored last: a record is visible once it is set)
 *     +12 u32 next record in the bucket (0 = end, 0xFFFFFFFF = orphaned duplicate)
 *     +16 name bytes
 *
 * The bucket hash (FNV-1a 32, folded, mod 512) is a frozen part of the format.
 * Files are at least 16 KiB and grow in 16 KiB steps.
 *
 * Shared by the shim and the tools: no allocation, libc-free system calls. */
#ifndef TELEM_COUNTERFILE_H
#define TELEM_COUNTERFILE_H

#include <stddef.h>
#include <stdint.h>

#define CF_PREFIX "# telemetry/counter file v1\n"
#define CF_PREFIX_LEN 28
#define CF_MAX_META 512
#define CF_NUM_HASH 512
#define CF_RECORD_UNIT 32
#define CF_PAGE 16384
#define CF_MAX_NAME 4096
#define CF_NAME_MARK 0xFF000000u
#define CF_ORPHAN 0xFFFFFFFFu
/* Our own bound, and the most the shim ever maps: a real counter file is
 * tens of KiB (the flag cap stops new names at 256 KiB of records), so a
 * larger file is corrupt or hostile, not a reason to take a host's address
 * space (a sparse 250 MiB file costs 16 KiB of disk). */
#define CF_MAX_FILE (16u << 20)
#define CF_PATH_MAX 1024

struct counter_file {
	unsigned char *map; /* shared mapping of the whole file; NULL = not counting */
	uint32_t map_len;
	uint32_t hdr_len;
	int broken;          /* a corrupt file was seen: stop for this process */
	int repaired;        /* set by opening: 1 = a short file was completed, 2 = replaced */
	unsigned euid;       /* files must be owned by this user (or root) */
	uint32_t rel_off;    /* path + rel_off: the part beneath the trusted directory */
	char path[CF_PATH_MAX];
};

/* Outcomes of opening or parsing, so the tools can say what is wrong. */
enum cf_status {
	CF_OK = 0,
	CF_ERR_IO,        /* system call failed (errno-style code kept by caller) */
	CF_ERR_SHORT,     /* shorter than 16 KiB or than its header */
	CF_ERR_PREFIX,    /* not a counter file */
	CF_ERR_HEADER,    /* header length or meta malformed */
	CF_ERR_MISMATCH,  /* header differs from the one we would write */
	CF_ERR_CORRUPT,   /* a record, chain or offset out of bounds */
	CF_ERR_TOO_BIG,
	CF_ERR_OWNER,     /* not a regular file of the user's (or root's) */
	CF_ERR_SPACE,     /* has holes, and the disk has no room to fill them */
};

const char *cf_status_text(enum cf_status s);

uint32_t cf_hash(const char *name, size_t len);

/* Writes the header for meta into buf (which must hold CF_PAGE bytes and be
 * zeroed by the caller beyond what it writes). Returns hdrLen, 0 if meta is too long. */
uint32_t cf_header(unsigned char *buf, const char *meta, size_t meta_len);

/* Opens path and maps it if its header is exactly the one meta gives.
 * With create, a missing file is made complete under a temporary name and
 * linked into place, so no process ever maps a half-written file, and a
 * file shorter than 16 KiB (a creator that died mid-way) is completed when
 * what it holds is a start of this header, else replaced (cf->repaired).
 * The file must be a regular file of the user's (or root's), reached
 * without a symlink; a file with holes gets real blocks before it is mapped
 * (writing into a hole on a full disk would raise SIGBUS in the host).
 * Returns CF_OK, or a status with *err holding -errno for CF_ERR_IO.
 * This form (the tools') opens path's directory as named, refusing only a
 * symlink as its last component (DIR/local) or as the file itself;
 * counter_file_open_at walks beneath a trusted directory. */
enum cf_status counter_file_open(struct counter_file *cf, const char *path,
				 const char *meta, size_t meta_len, int create, int *err);
/* The same for path = <trusted directory>/<rel>, rel = path + rel_off,
 * opened beneath dirfd (that directory) following no symlink at all. */
enum cf_status counter_file_open_at(struct counter_file *cf, int dirfd, const char *path, uint32_t rel_off,
				    unsigned euid, const char *meta, size_t meta_len, int create, int *err);

/* Checks the header of a file image; gives hdrLen and the meta text. */
enum cf_status counter_file_header_parse(const unsigned char *data, size_t len, uint32_t *hdr_len,
					 const char **meta, size_t *meta_len);

/* Opens an existing file, adopting its header after checking only the
 * prefix and the header length: the caller compares the meta it expects,
 * or validates everything with counter_file_parse. */
enum cf_status counter_file_adopt(struct counter_file *cf, const char *path, int *err);
enum cf_status counter_file_adopt_at(struct counter_file *cf, int dirfd, const char *path, uint32_t rel_off,
				     unsigned euid, int *err);

/* The count word of name, allocating a record when allocate is set.
 * NULL when the file is unusable, full, or the name is invalid. */
uint64_t *counter_file_find(struct counter_file *cf, const char *name, size_t len, int allocate);

/* Adds n (saturating). Silently does nothing when the file is unusable. */
void counter_file_add(struct counter_file *cf, const char *name, size_t len, uint64_t n);

/* Adds n (saturating) to a count word from counter_file_find. */
void counter_add_at(uint64_t *p, uint64_t n);

/* Bytes of records in use, for caps on new names. */
uint32_t counter_file_used(const struct counter_file *cf);

void counter_file_close(struct counter_file *cf);

/* Hands over fd (the shim's directory and mode file: at most two) to be
 * closed with the next opened file's descriptor, in one system call when
 * they are adjacent; -1 closes what was handed over now. */
void counter_file_defer_close(int fd);

/* Reading, for the tools and the tests: validates every offset. */
struct cf_record_view {
	const char *name;
	uint32_t len;
	uint64_t count;
};
typedef int (*cf_visit_fn)(void *arg, const struct cf_record_view *rec);

/* Checks data (a whole file image) and calls visit for every linked record.
 * meta/meta_len receive the meta text (without zero padding). A non-zero
 * return from visit stops the walk and is returned as CF_OK. */
enum cf_status counter_file_parse(const unsigned char *data, size_t len,
				  const char **meta, size_t *meta_len,
				  cf_visit_fn visit, void *arg);

#endif
