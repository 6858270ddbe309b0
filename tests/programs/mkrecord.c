/* A crash record of our own stack, written as the shim's handler would but
 * without a crash, so that telem's ingestion can be tested on its own.
 *
 *   mkrecord [ice]     writes $TELEM_DIR/crash/<pid>.rec (kind CRASH_ICE with
 *                      "ice") from the bottom of main -> level1 -> ... -> level8,
 *                      and prints the record's path
 *   mkrecord deep      the record from 40 calls of recurse() deep, for the
 *                      32-frame cap
 *   mkrecord long      the same with a function name of 200 characters, for
 *                      Go's 4096-byte truncation rule
 *   mkrecord noreturn  the record from main -> calls_noreturn -> dies_here
 *                      (noreturn): calls_noreturn's return address is the
 *                      first byte of the function after it, so only pc - 1
 *                      names it right
 *   mkrecord --offsets prints "field=offset" lines of struct crash_header,
 *                      for tests that corrupt records field by field
 *
 * Built -O2 -fomit-frame-pointer -g like every test program: the unwinder
 * needs CFI, as with Debian's gcc. Registers come from getcontext(), called
 * in level8; the stack is copied from that sp with write(2), so the first
 * unmapped page ends the copy. Links libc only. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../../shim/crashrecord.h"

#define NOT_INLINED __attribute__((noipa)) /* noinline, noclone: names stay */

static struct crash_header header;
static struct crash_module modules[CRASH_MAX_MODULES];

static void die(const char *what)
{
	fprintf(stderr, "mkrecord: %s: %s\n", what, strerror(errno));
	exit(1);
}

#if defined(__x86_64__)
static void fill_registers(const ucontext_t *uc)
{
	static const int order[17] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
				      REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
				      REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP};
	for (int i = 0; i < 17; i++)
		header.regs[i] = (uint64_t)uc->uc_mcontext.gregs[order[i]];
	header.n_regs = 17;
	header.sp_reg = 7;
	header.pc_reg = 16;
}
#define GOARCH "amd64"
#elif defined(__aarch64__)
static void fill_registers(const ucontext_t *uc)
{
	for (int i = 0; i < 31; i++)
		header.regs[i] = uc->uc_mcontext.regs[i];
	header.regs[31] = uc->uc_mcontext.sp;
	header.regs[32] = uc->uc_mcontext.pc;
	header.n_regs = 33;
	header.sp_reg = 31;
	header.pc_reg = 32;
}
#define GOARCH "arm64"
#endif

static void note_build_id(struct crash_module *m, const unsigned char *p, const unsigned char *end)
{
	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *nh = (const void *)p;
		const unsigned char *d = p + sizeof *nh + ((nh->n_namesz + 3) & ~3u);
		if (d + nh->n_descsz > end)
			return;
		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && nh->n_descsz <= sizeof m->build_id) {
			memcpy(m->build_id, d, nh->n_descsz);
			m->build_id_len = nh->n_descsz;
			return;
		}
		p = d + ((nh->n_descsz + 3) & ~3u);
	}
}

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size, (void)arg;
	if (header.n_modules == CRASH_MAX_MODULES)
		return 1;
	struct crash_module *m = &modules[header.n_modules];
	memset(m, 0, sizeof *m);
	m->bias = info->dlpi_addr;
	m->start = UINT64_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD) {
			m->start = lo < m->start ? lo : m->start;
			m->end = lo + ph->p_memsz > m->end ? lo + ph->p_memsz : m->end;
		} else if (ph->p_type == PT_NOTE && !m->build_id_len) {
			note_build_id(m, (const void *)lo, (const unsigned char *)lo + ph->p_memsz);
		}
	}
	if (info->dlpi_name[0]) {
		snprintf(m->path, sizeof m->path, "%s", info->dlpi_name);
	} else { /* the main program: its real path, as the shim records it */
		ssize_t n = readlink("/proc/self/exe", m->path, sizeof m->path - 1);
		m->path[n > 0 ? n : 0] = 0;
		m->flags = CRASH_MODULE_MAIN;
	}
	if (m->end > m->start)
		header.n_modules++;
	return 0;
}

/* Identity as the shim computes it: short build-id hex of the program,
 * glibc version, and the day (TELEM_TEST_NOW fixes the clock). */
static void fill_identity(int kind)
{
	memcpy(header.magic, CRASH_MAGIC, 8);
	header.format_version = CRASH_VERSION;
	header.header_size = sizeof header;
	header.module_size = sizeof(struct crash_module);
	header.kind = (uint32_t)kind;
	header.signo = kind == CRASH_ICE ? 0 : 11;
	header.exit_code = kind == CRASH_ICE ? 4 : -1;
	const char *now = getenv("TELEM_TEST_NOW");
	header.time = now && *now ? strtoll(now, NULL, 10) : (int64_t)time(NULL);
	header.today = header.time / 86400;
	snprintf(header.program, sizeof header.program, "mkrecord");
	snprintf(header.prog_version, sizeof header.prog_version, "devel");
	if (header.n_modules && modules[0].build_id_len >= 6)
		for (int i = 0; i < 6; i++)
			snprintf(header.prog_version + 2 * i, 3, "%02x", modules[0].build_id[i]);
	snprintf(header.runtime, sizeof header.runtime, "glibc%s", gnu_get_libc_version());
	snprintf(header.goos, sizeof header.goos, "linux");
	snprintf(header.goarch, sizeof header.goarch, GOARCH);
	time_t day = (time_t)(header.today * 86400);
	struct tm tm;
	gmtime_r(&day, &tm);
	char name[512];
	snprintf(name, sizeof name, "%s@%s-%s-%s-%s-%04d-%02d-%02d.v1.count", header.program,
		 header.prog_version, header.runtime, header.goos, header.goarch, tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday);
	if (strlen(name) >= sizeof header.counter_file) {
		errno = ENAMETOOLONG;
		die("counter file name");
	}
	memcpy(header.counter_file, name, strlen(name) + 1);
}

/* From sp upwards, a page at a time: write(2) fails with EFAULT at the first
 * unmapped page instead of faulting here. */
static uint64_t write_stack(int fd, uint64_t sp)
{
	uint64_t done = 0;
	while (done < CRASH_STACK_MAX) {
		uint64_t addr = sp + done, chunk = 4096 - (addr & 4095);
		if (done + chunk > CRASH_STACK_MAX)
			chunk = CRASH_STACK_MAX - done;
		ssize_t w = write(fd, (const void *)addr, chunk);
		if (w <= 0)
			break;
		done += (uint64_t)w;
	}
	return done;
}

static void write_all(int fd, const void *p, size_t n, const char *what)
{
	if (write(fd, p, n) != (ssize_t)n)
		die(what);
}

NOT_INLINED static void write_record(const ucontext_t *uc, int kind)
{
	fill_registers(uc);
	dl_iterate_phdr(add_module, NULL);
	fill_identity(kind);
	header.stack_start = header.regs[header.sp_reg];
	const char *dir = getenv("TELEM_DIR");
	char crash[4096], tmp[4200], rec[4200];
	if (!dir || !*dir) {
		errno = EINVAL;
		die("TELEM_DIR");
	}
	snprintf(crash, sizeof crash, "%s/crash", dir);
	mkdir(dir, 0775);
	mkdir(crash, 0775);
	snprintf(tmp, sizeof tmp, "%s/%d.tmp", crash, (int)getpid());
	snprintf(rec, sizeof rec, "%s/%d.rec", crash, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(tmp);
	write_all(fd, &header, sizeof header, tmp);
	write_all(fd, modules, header.n_modules * sizeof modules[0], tmp);
	header.stack_len = write_stack(fd, header.stack_start);
	header.complete = 1; /* as the shim: set last */
	if (pwrite(fd, &header, sizeof header, 0) != (ssize_t)sizeof header || close(fd) < 0)
		die(tmp);
	if (rename(tmp, rec) < 0)
		die(rec);
	printf("%s\n", rec);
}

/* The chain the record must show, level8 first. Each adds to its callee's
 * result, so no call is a tail call and every frame stays on the stack. */
NOT_INLINED static int level8(int kind)
{
	ucontext_t uc;
	if (getcontext(&uc) < 0)
		die("getcontext");
	write_record(&uc, kind);
	return kind + 8;
}
NOT_INLINED static int level7(int kind) { return level8(kind) + 7; }
NOT_INLINED static int level6(int kind) { return level7(kind) + 6; }
NOT_INLINED static int level5(int kind) { return level6(kind) + 5; }
NOT_INLINED static int level4(int kind) { return level5(kind) + 4; }
NOT_INLINED static int level3(int kind) { return level4(kind) + 3; }
NOT_INLINED static int level2(int kind) { return level3(kind) + 2; }
NOT_INLINED static int level1(int kind) { return level2(kind) + 1; }

/* The empty asm hides the result from GCC, which would otherwise turn
 * "return f(n - 1) + 1" into a loop (and the deep stack into one frame). */
#define OPAQUE(x) __asm__ volatile("" : "+r"(x))

/* Deep stacks: real recursion, capturing at the bottom. */
NOT_INLINED static int recurse(int depth, int kind)
{
	int r = depth ? recurse(depth - 1, kind) : level8(kind);
	OPAQUE(r);
	return r + 1;
}

#define LONG_NAME \
	a_function_name_of_two_hundred_characters_so_that_thirty_two_frames_of_it_are_longer_than_the_four_thousand_ninety_six_bytes_a_counter_name_may_hold_in_go_telemetry_and_the_name_must_be_truncated_xyz
NOT_INLINED static int LONG_NAME(int depth, int kind)
{
	int r = depth ? LONG_NAME(depth - 1, kind) : level8(kind);
	OPAQUE(r);
	return r + 1;
}

NOT_INLINED __attribute__((noreturn)) static void dies_here(void)
{
	ucontext_t uc;
	if (getcontext(&uc) < 0)
		die("getcontext");
	write_record(&uc, CRASH_SIGNAL);
	exit(0);
}
/* Its call is its last instruction: nothing follows a noreturn call. */
NOT_INLINED static void calls_noreturn(void) { dies_here(); }
NOT_INLINED int placed_after_calls_noreturn(int x) { return x * 3 + 1; }

static void print_offsets(void)
{
#define OFFSET(f) printf(#f "=%zu\n", offsetof(struct crash_header, f))
	OFFSET(magic), OFFSET(format_version), OFFSET(header_size), OFFSET(module_size);
	OFFSET(kind), OFFSET(n_regs), OFFSET(today), OFFSET(program), OFFSET(counter_file);
	OFFSET(regs), OFFSET(sp_reg), OFFSET(pc_reg), OFFSET(n_modules), OFFSET(stack_start);
	OFFSET(stack_len);
	printf("header_size_value=%zu\nmodule_size_value=%zu\n", sizeof(struct crash_header),
	       sizeof(struct crash_module));
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--offsets") == 0) {
		print_offsets();
		return 0;
	}
	const char *mode = argc > 1 ? argv[1] : "";
	int kind = strcmp(mode, "ice") == 0 ? CRASH_ICE : CRASH_SIGNAL;
	if (strcmp(mode, "deep") == 0)
		return recurse(40, kind) == kind + 49 ? 0 : 1;
	if (strcmp(mode, "noreturn") == 0) {
		calls_noreturn();
		return placed_after_calls_noreturn(argc);
	}
	if (strcmp(mode, "long") == 0)
		return LONG_NAME(40, kind) == kind + 49 ? 0 : 1;
	int r = level1(kind);
	return r == kind + 36 ? 0 : 1;
}
