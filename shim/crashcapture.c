#define _GNU_SOURCE
/* The crash record writer. Everything here runs inside a signal handler:
 * raw system calls only, no allocation, no locks, bounded work. */
#include "crashcapture.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>

#include "arch/regs.h"
#include "beneath.h"
#include "bytes.h"
#include "libc.h"
#include "signals.h"
#include "sys.h"

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? bytes_len(src) : 0;
	if (n >= cap)
		n = cap - 1;
	bytes_copy(dst, src, n);
	dst[n] = 0;
}

/* Module address range, build-id, from its program headers in memory. */
static int describe_module(struct crash_module *m, const ElfW(Phdr) *ph, size_t n, unsigned long bias)
{
	m->bias = bias;
	m->start = ~0ull;
	m->end = 0;
	m->build_id_len = 0;
	for (size_t i = 0; i < n; i++) {
		if (ph[i].p_type == PT_LOAD) {
			uint64_t lo = bias + ph[i].p_vaddr, hi = lo + ph[i].p_memsz;
			m->start = lo < m->start ? lo : m->start;
			m->end = hi > m->end ? hi : m->end;
		} else if (ph[i].p_type == PT_NOTE && !m->build_id_len) {
			const unsigned char *p = (const void *)(bias + ph[i].p_vaddr), *end = p + ph[i].p_memsz;
			while (p + sizeof(ElfW(Nhdr)) <= end) {
				const ElfW(Nhdr) *nh = (const void *)p;
				const unsigned char *d = p + sizeof *nh + ((nh->n_namesz + 3) & ~3u);
				if (d + nh->n_descsz > end)
					break;
				if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && nh->n_descsz <= 20) {
					bytes_copy(m->build_id, d, nh->n_descsz);
					m->build_id_len = nh->n_descsz;
					break;
				}
				p = d + ((nh->n_descsz + 3) & ~3u);
			}
		}
	}
	return m->end > m->start ? 0 : -1;
}

/* DT_SONAME from the dynamic section in memory. glibc has relocated the
 * d_ptr entries in place on most architectures, musl has not: an address
 * outside the module is taken as a vaddr. */
static void module_soname(struct crash_module *m, const ElfW(Dyn) *dyn)
{
	uint64_t strtab = 0, soname = ~0ull;
	for (int i = 0; dyn && dyn[i].d_tag != DT_NULL && i < 512; i++) {
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = dyn[i].d_un.d_ptr;
		else if (dyn[i].d_tag == DT_SONAME)
			soname = dyn[i].d_un.d_val;
	}
	m->soname[0] = 0;
	if (!strtab || soname == ~0ull)
		return;
	if (strtab < m->start || strtab >= m->end)
		strtab += m->bias;
	if (strtab < m->start || strtab + soname >= m->end)
		return;
	const char *s = (const char *)(uintptr_t)(strtab + soname);
	size_t n = 0;
	while (n < sizeof m->soname - 1 && strtab + soname + n < m->end && s[n])
		n++;
	bytes_copy(m->soname, s, n);
	m->soname[n] = 0;
}

static uint32_t write_modules(int fd, const unsigned long *auxv_phdr, unsigned long phnum)
{
	uint32_t n = 0;
	uint64_t self = (uint64_t)(uintptr_t)&write_modules;
	for (const struct link_map *l = libc_loaded_objects(); l && n < CRASH_MAX_MODULES; l = l->l_next) {
		static struct crash_module m; /* one crashing thread at a time (signals.c) */
		const ElfW(Phdr) *ph;
		size_t count;
		for (size_t i = 0; i < sizeof m; i++) /* no stale bytes in the record */
			((volatile char *)&m)[i] = 0;
		if (!l->l_name || !l->l_name[0]) { /* the main program */
			if (!auxv_phdr)
				continue;
			ph = (const void *)auxv_phdr;
			count = phnum;
			copy_str(m.path, sizeof m.path, telem.id.path);
			m.flags = CRASH_MODULE_MAIN;
		} else {
			const ElfW(Ehdr) *eh = (const void *)l->l_addr;
			if (l->l_addr == 0 || !bytes_equal(eh->e_ident, ELFMAG, SELFMAG))
				continue;
			ph = (const void *)(l->l_addr + eh->e_phoff);
			count = eh->e_phnum;
			copy_str(m.path, sizeof m.path, l->l_name);
		}
		unsigned long bias = l->l_addr;
		if (describe_module(&m, ph, count, bias) != 0)
			continue;
		module_soname(&m, m.flags & CRASH_MODULE_MAIN ? 0 : l->l_ld);
		if (self >= m.start && self < m.end)
			m.flags |= CRASH_MODULE_TELEM;
		if (sys_write(fd, &m, sizeof m) == (long)sizeof m)
			n++;
	}
	return n;
}

/* Copies the stack from sp with write(2): an unmapped page makes write
 * fail with EFAULT instead of faulting in the handler. Never at or past
 * limit (the main thread's argv: the argument and environment strings
 * above it are the host's secrets, and no frame lies there). */
static uint64_t write_stack(int fd, uint64_t *start, uint64_t limit)
{
	uint64_t done = 0, sp = *start;
	if (sp >= limit) /* another stack than the main thread's */
		limit = UINT64_MAX;
	/* After a stack overflow the stack pointer sits in the guard area: the
	 * frames worth having start at the first readable page above it. */
	for (int skipped = 0; skipped < 16 && sp < limit; skipped++) {
		uint64_t first = 4096 - (sp & 4095);
		if (limit - sp < first)
			first = limit - sp;
		long w = sys_write(fd, (const void *)(uintptr_t)sp, first);
		if (w > 0) {
			done = (uint64_t)w;
			break;
		}
		sp = (sp | 4095) + 1;
	}
	*start = sp;
	uint64_t max = sp < limit && limit - sp < CRASH_STACK_MAX ? limit - sp : CRASH_STACK_MAX;
	if (sp >= limit)
		max = 0;
	while (done && done < max) {
		uint64_t addr = sp + done, chunk = 4096 - (addr & 4095);
		if (done + chunk > max)
			chunk = max - done;
		long w = sys_write(fd, (const void *)(uintptr_t)addr, chunk);
		if (w <= 0)
			break;
		done += (uint64_t)w;
	}
	return done;
}

/* Takes the first free slot: crash/<n>.rec beneath the telem directory,
 * created exclusively, 0600 (a record holds stack bytes: environment
 * strings, perhaps a password), no symlink followed on the way. */
static int take_slot(int dirfd)
{
	for (int n = 0; n < CRASH_MAX_RECORDS; n++) {
		char rel[32];
		struct text t = TEXT_INIT(rel, sizeof rel);
		text_lit(&t, "crash/");
		text_uint(&t, (uint64_t)n, 1);
		text_lit(&t, ".rec");
		int fd = beneath_open(dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, BENEATH_FILE_MODE);
		if (fd != -EEXIST)
			return fd;
	}
	return -EEXIST;
}

/* The telem directory again, checked as at start (it may have changed). */
static int open_slot(void)
{
	enum dir_problem why;
	int dirfd = mode_dir_open(telem.dir, telem.file.euid, &why);
	if (dirfd < 0)
		return -1;
	beneath_mkdir(dirfd, "crash");
	int fd = take_slot(dirfd);
	sys_close(dirfd);
	return fd;
}

static unsigned long auxv_phdr_value(unsigned long type);

void crash_capture(enum crash_kind kind, int sig, const siginfo_t *si, const ucontext_t *uc, int exit_code)
{
	crash_capture2(kind, sig, si, uc, exit_code, 0);
}

void crash_capture2(enum crash_kind kind, int sig, const siginfo_t *si, const ucontext_t *uc, int exit_code,
		    uint64_t sp2)
{
	int fd = open_slot();
	if (fd == -EEXIST) /* Go's unprefixed crash counters: one name for every program */
		counter_file_add(&telem.file, "crash/dropped", 13, 1);
	if (fd < 0)
		return;
	static struct crash_header h; /* one crashing thread at a time (signals.c) */
	bytes_copy(h.magic, CRASH_MAGIC, 8);
	h.format_version = CRASH_VERSION;
	h.header_size = sizeof h;
	h.module_size = sizeof(struct crash_module);
	h.kind = kind;
	h.signo = sig;
	h.code = si ? si->si_code : 0;
	h.exit_code = exit_code;
	h.fault_addr = si ? (uint64_t)(uintptr_t)si->si_addr : 0;
	struct timespec now = {0, 0};
	sys_call2(SYS_clock_gettime, CLOCK_REALTIME, &now);
	h.time = now.tv_sec;
	h.today = telem.today;
	copy_str(h.program, sizeof h.program, telem.id.program);
	copy_str(h.prog_version, sizeof h.prog_version, telem.id.version);
	copy_str(h.runtime, sizeof h.runtime, telem.id.runtime);
	copy_str(h.goos, sizeof h.goos, telem.id.goos);
	copy_str(h.goarch, sizeof h.goarch, telem.id.goarch);
	const char *slash = telem.file.path;
	for (const char *p = telem.file.path; *p; p++)
		if (*p == '/')
			slash = p + 1;
	copy_str(h.counter_file, sizeof h.counter_file, slash);
	arch_fill_registers(&h, uc);
	h.stack_start = h.regs[h.sp_reg];
	h.stack_len = 0;
	h.stack2_start = 0;
	h.stack2_len = 0;
	h.n_modules = 0;
	h.complete = 0;
	int ok = sys_write(fd, &h, sizeof h) == (long)sizeof h;
	if (ok) {
		h.n_modules = write_modules(fd, (const unsigned long *)auxv_phdr_value(AT_PHDR),
					    auxv_phdr_value(AT_PHNUM));
		uint64_t top = (uint64_t)(uintptr_t)telem.argv;
		h.stack_len = write_stack(fd, &h.stack_start, top);
		/* The regions must not overlap: the second only when it is elsewhere. */
		if (sp2 && (sp2 + CRASH_STACK_MAX <= h.stack_start || sp2 >= h.stack_start + h.stack_len)) {
			h.stack2_start = sp2;
			h.stack2_len = write_stack(fd, &h.stack2_start, top);
		}
		h.complete = 1;
		sys_pwrite(fd, &h, sizeof h, 0);
	}
	sys_close(fd);
}

static unsigned long auxv_phdr_value(unsigned long type)
{
	for (const unsigned long *a = telem.auxv; a && a[0] != AT_NULL; a += 2)
		if (a[0] == type)
			return a[1];
	return 0;
}
