/* The counters of rebuilt programs (include/telem/counter.h): the two
 * functions a program built with the header binds to, weakly, when the
 * shim is loaded.
 *
 * telem_abi1_counter_add(name, n): adds n to "<program>/<name>" in the
 * shim's own counter file, the one named after the program's identity.
 * Any thread, any signal handler: the name is checked (countername.h),
 * built on the stack, and found or allocated with the counter file's
 * lock-free code; nothing here allocates, locks or makes a libc call.
 *
 * telem_abi1_stack_inc(name) (entry in callsite_<arch>.c): counts the same
 * way, exactly, every time; in addition, the first time a call site (the
 * return address) is seen in this process, a CRASH_BUG record of the
 * caller's registers and stack goes to <dir>/crash/ through crash_capture,
 * which telem ingests into the stack counter "<program>/<name>\n<frame>...".
 * A site seen before costs a table probe. Records are rate-limited: one
 * capture at a time, crashes included (a thread that finds one running
 * skips, its site stays new), at most BUG_RECORDS per process, and none
 * while half of the directory's record slots are pending. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>

#include "bytes.h"
#include "callsite.h"
#include "countername.h"
#include "crashcapture.h"
#include "signals.h"
#include "sys.h"

#define EXPORT __attribute__((visibility("default")))
/* New names stop being created once the file holds this many record bytes:
 * a program that puts data in its names cannot grow the file without end. */
#define API_FILE_CAP (1u << 20)
#define SITES 64 /* distinct call sites remembered per process (a power of 2) */
#define BUG_RECORDS 8
#define BUG_DIR_SHARE (CRASH_MAX_RECORDS / 2)

static int refused_said;  /* TELEM_DEBUG says once why a name was refused */
static uintptr_t sites[SITES];
static int records_taken; /* under the recorder claim */

/* Names already counted, by the address of the caller's string: most are
 * literals, so a call costs a probe and a compare instead of the name rules,
 * the hash and the bucket walk. A slot is a seqlock: writers take it with a
 * CAS (a loser just does not cache), readers retry nothing: an odd or
 * changed sequence means "not cached". Count words stay valid for the
 * process (counterfile.c never unmaps on a remap). */
#define CACHE 64 /* a power of 2 */
static struct cached {
	unsigned seq;
	const char *ptr;
	uint64_t *count;
	uint32_t len;
	char name[COUNTER_NAME_MAX];
} cache[CACHE];

static struct cached *slot_of(const char *name)
{
	uintptr_t a = (uintptr_t)name;
	return &cache[(uint32_t)(a ^ a >> 7 ^ a >> 13) & (CACHE - 1)];
}

/* Async-signal-safe. name[0..c->len) and its terminator, byte by byte:
 * a shorter name stops at its own NUL, never reading past it. */
static int same_name(const struct cached *c, const char *name)
{
	for (uint32_t i = 0; i < c->len; i++)
		if (name[i] != c->name[i])
			return 0;
	return name[c->len] == 0;
}

static uint64_t *cached_count(const char *name)
{
	struct cached *c = slot_of(name);
	unsigned seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
	if (seq & 1 || c->ptr != name)
		return 0;
	uint64_t *count = c->count;
	int same = same_name(c, name);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return same && __atomic_load_n(&c->seq, __ATOMIC_RELAXED) == seq ? count : 0;
}

static void cache_put(const char *name, size_t len, uint64_t *count)
{
	struct cached *c = slot_of(name);
	unsigned seq = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
	if (seq & 1 || !__atomic_compare_exchange_n(&c->seq, &seq, seq + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	c->ptr = name;
	c->count = count;
	c->len = (uint32_t)len;
	bytes_copy(c->name, name, len);
	__atomic_store_n(&c->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Async-signal-safe. The count word of "<program>/<name>", after adding n. */
static uint64_t *count_name(const char *name, uint64_t n)
{
	if (!__atomic_load_n(&telem.active, __ATOMIC_RELAXED) || !name)
		return 0;
	uint64_t *count = cached_count(name);
	if (count) {
		counter_add_at(count, n);
		return count;
	}
	size_t len = 0;
	while (len <= COUNTER_NAME_MAX && name[len])
		len++;
	const char *why = counter_name_refused(name, len);
	if (why) {
		if (!__atomic_exchange_n(&refused_said, 1, __ATOMIC_RELAXED))
			telem_debug("a counter name was refused", why);
		return 0;
	}
	char full[ID_PROGRAM_MAX + 2 + COUNTER_NAME_MAX];
	bytes_copy(full, telem.prefix, telem.prefix_len);
	bytes_copy(full + telem.prefix_len, name, len);
	count = counter_file_find(&telem.file, full, telem.prefix_len + len, 0);
	if (!count && counter_file_used(&telem.file) <= API_FILE_CAP)
		count = counter_file_find(&telem.file, full, telem.prefix_len + len, 1);
	if (!count)
		return 0;
	counter_add_at(count, n);
	cache_put(name, len, count);
	return count;
}

EXPORT void telem_abi1_counter_add(const char *name, uint64_t n) { count_name(name, n); }

/* Async-signal-safe. The slot of pc in sites; with claim, takes a free slot
 * for it. -1 when pc is not there (or the table is full). */
static int site_slot(uintptr_t pc, int claim)
{
	uint32_t h = (uint32_t)(pc ^ pc >> 17) * 2654435761u;
	for (uint32_t i = 0; i < SITES; i++) {
		uint32_t k = (h + i) & (SITES - 1);
		uintptr_t v = __atomic_load_n(&sites[k], __ATOMIC_ACQUIRE), none = 0;
		if (v == pc)
			return (int)k;
		if (v == 0) {
			if (!claim)
				return -1;
			if (__atomic_compare_exchange_n(&sites[k], &none, pc, 0, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE) || none == pc)
				return (int)k;
		}
	}
	return -1;
}

/* Called with the capture lock held: the record, its counter named by the
 * offset of the plain counter's record in the counter file (crashrecord.h,
 * CRASH_BUG), which telem reads back to name the stack counter. */
static void capture(uint64_t *count, const struct caller_regs *r)
{
	/* Zero but for what is set below; static (no memset call), under the lock. */
	static ucontext_t uc;
	static siginfo_t si;
	const unsigned char *at = (const unsigned char *)count, *map = telem.file.map;
	if (at < map || at >= map + telem.file.map_len)
		return; /* the file was remapped meanwhile: no record this time */
	si.si_addr = (void *)(uintptr_t)(at - map);
	callsite_context(&uc, r);
	crash_capture(CRASH_BUG, 0, &si, &uc, -1);
}

/* Async-signal-safe. Bug records leave half of the directory's record
 * slots to crashes: a bug that every process of a build reaches must not
 * crowd out the crash records until telem next ingests. Counts the pending
 * "*.rec" files (3 system calls, on the rare path only). */
static int room_for_bug(void)
{
	static char buf[4096]; /* under the recorder claim */
	char dir[CF_PATH_MAX];
	struct text d = TEXT_INIT(dir, sizeof dir);
	text_str(&d, telem.dir);
	text_lit(&d, "/crash");
	if (d.overflow)
		return 0;
	int fd = sys_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd == -ENOENT;
	int pending = 0;
	long n;
	while (pending < BUG_DIR_SHARE && (n = sys_call3(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			const struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *e = (const void *)(buf + off);
			size_t len = bytes_len(e->name);
			pending += len > 4 && bytes_equal(e->name + len - 4, ".rec", 4);
			off += e->reclen ? e->reclen : n;
		}
	}
	sys_close(fd);
	return pending < BUG_DIR_SHARE;
}

/* Async-signal-safe, like the plain counter. */
void counter_stack_at(const char *name, const struct caller_regs *r)
{
	uint64_t *count = count_name(name, 1);
	if (!count || site_slot(r->pc, 0) >= 0)
		return;
	/* One record at a time, crashes included: a thread that finds one being
	 * written (or a signal handler interrupting ours) only counts, and its
	 * site stays new for a later hit. */
	if (!signals_claim_recorder())
		return;
	if (records_taken < BUG_RECORDS && site_slot(r->pc, 1) >= 0) {
		records_taken++;
		if (room_for_bug())
			capture(count, r);
	}
	signals_release_recorder();
}
