/* Crash records -> offline libdw unwind -> one stack counter.
 *
 * Records come from a directory that a whole CI fleet may share: every
 * field is checked before use, every read the unwinder asks for is bounded
 * by the recorded stack or by a module file's contents, and a bad record is
 * set aside in crash/bad/, never trusted and never silently deleted.
 * The libdw part follows perf's util/unwind-libdw.c: callbacks in one static
 * const table, one context through void *arg, all frames collected first and
 * named after, and a failed unwind keeps the frames it found. */
#define _GNU_SOURCE
#include "ingest.h"

#include <ctype.h>
#include <dirent.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "privdir.h"
#include "crashrecord.h"
#include "ingest_bug.h"
#include "stackmodules.h"
#include "symbolize.h"
#include "week.h"

#define RECORD_MAX                                                                          \
	(sizeof(struct crash_header) + CRASH_MAX_MODULES * sizeof(struct crash_module) + \
	 CRASH_STACK_MAX)
#define LAST_DAY 2932896 /* 9999-12-31: anything later is garbage */
#define TRUNCATED "\ntruncated\n"

static int why_fmt(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_fmt(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -1;
}

/* Identity fields name a file and go into its meta: short tokens of the
 * characters the shim itself produces. */
static int is_token(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == 0 || n == cap)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._+-", s[i]))
			return 0;
	return 1;
}

static int expected_file_name(const struct crash_header *h, char *out, size_t cap)
{
	struct file_identity id = {h->program, h->prog_version, h->runtime, h->goos, h->goarch};
	struct text t = TEXT_INIT(out, cap);
	week_file_name(&t, &id, h->today);
	return t.overflow ? -1 : 0;
}

/* Version 2 modules are version 3's without the fields after path. */
static size_t module_size_of(uint32_t version)
{
	return version == 2 ? CRASH_MODULE_V2_SIZE : sizeof(struct crash_module);
}

static int check_sizes(const struct crash_header *h, size_t len, char *why, size_t cap)
{
	if (memcmp(h->magic, CRASH_MAGIC, 8) != 0)
		return why_fmt(why, cap, "not a crash record (bad magic)");
	if (h->format_version != 2 && h->format_version != CRASH_VERSION)
		return why_fmt(why, cap, "record format %u, this telem reads 2 and %d", h->format_version,
			       CRASH_VERSION);
	if (h->header_size != sizeof *h || h->module_size != module_size_of(h->format_version))
		return why_fmt(why, cap, "header/module size %u/%u, expected %zu/%zu", h->header_size,
			       h->module_size, sizeof *h, module_size_of(h->format_version));
	if (h->kind != CRASH_SIGNAL && h->kind != CRASH_ICE && h->kind != CRASH_BUG)
		return why_fmt(why, cap, "unknown crash kind %u", h->kind);
	if (h->n_regs == 0 || h->n_regs > CRASH_MAX_REGS || h->sp_reg >= h->n_regs ||
	    h->pc_reg >= h->n_regs)
		return why_fmt(why, cap, "registers out of range (%u registers, sp %u, pc %u)", h->n_regs,
			       h->sp_reg, h->pc_reg);
	if (h->n_modules > CRASH_MAX_MODULES)
		return why_fmt(why, cap, "%u modules (at most %d)", h->n_modules, CRASH_MAX_MODULES);
	if (h->stack_len > CRASH_STACK_MAX)
		return why_fmt(why, cap, "stack of %llu bytes (at most %u)", (unsigned long long)h->stack_len,
			       CRASH_STACK_MAX);
	if (h->stack_start + h->stack_len < h->stack_start)
		return why_fmt(why, cap, "stack wraps around the address space");
	if (h->stack2_len > CRASH_STACK_MAX || h->stack2_start + h->stack2_len < h->stack2_start)
		return why_fmt(why, cap, "second stack region out of range");
	uint64_t want = sizeof *h + (uint64_t)h->n_modules * h->module_size + h->stack_len +
			h->stack2_len;
	if (len < want) {
		why_fmt(why, cap, "truncated: %zu bytes, the header says %llu", len, (unsigned long long)want);
		return RECORD_SHORT;
	}
	if (len > want)
		return why_fmt(why, cap, "trailing bytes: %zu bytes, the header says %llu", len,
			       (unsigned long long)want);
	return 0;
}

static int check_identity(const struct crash_header *h, char *why, size_t cap)
{
	if (!is_token(h->program, sizeof h->program) || !is_token(h->prog_version, sizeof h->prog_version) ||
	    !is_token(h->runtime, sizeof h->runtime) || !is_token(h->goos, sizeof h->goos) ||
	    !is_token(h->goarch, sizeof h->goarch))
		return why_fmt(why, cap, "malformed program identity");
	if (h->today < 0 || h->today > LAST_DAY)
		return why_fmt(why, cap, "day %lld out of range", (long long)h->today);
	/* The record may only name the file its own identity gives: no other
	 * file in local/ (or elsewhere) can be written through it. */
	char want[sizeof h->counter_file + 64];
	if (!memchr(h->counter_file, 0, sizeof h->counter_file) || expected_file_name(h, want, sizeof want) < 0 ||
	    strcmp(want, h->counter_file) != 0)
		return why_fmt(why, cap, "counter file name does not match the program identity");
	return 0;
}

static int check_modules(const unsigned char *base, const struct crash_header *h, char *why, size_t cap)
{
	for (uint32_t i = 0; i < h->n_modules; i++) {
		struct crash_module m = {0};
		memcpy(&m, base + (size_t)i * h->module_size, h->module_size);
		if (!memchr(m.path, 0, sizeof m.path))
			return why_fmt(why, cap, "module %u: path not terminated", i);
		if (h->format_version >= 3 && !memchr(m.soname, 0, sizeof m.soname))
			return why_fmt(why, cap, "module %u: soname not terminated", i);
		if (m.build_id_len > sizeof m.build_id)
			return why_fmt(why, cap, "module %u: build-id of %u bytes", i, m.build_id_len);
		/* Frames are named by start - bias and above: ELF addresses only. */
		if (m.start >= m.end || m.bias > m.start)
			return why_fmt(why, cap, "module %u: bad address range", i);
	}
	return 0;
}

int crash_record_check(const unsigned char *data, size_t len, char *why, size_t cap)
{
	const struct crash_header *h = (const void *)data;
	if (len < sizeof *h) {
		why_fmt(why, cap, "truncated: %zu bytes, shorter than a record header", len);
		return RECORD_SHORT;
	}
	if (h->complete != 1) { /* the shim sets it last, after the stack */
		why_fmt(why, cap, "incomplete: its writer did not finish");
		return RECORD_SHORT;
	}
	int rc = check_sizes(h, len, why, cap);
	if (rc == 0)
		rc = check_identity(h, why, cap);
	return rc ? rc : check_modules(data + sizeof *h, h, why, cap);
}

/* A version-2 record had no module flags: the main program was the module
 * with an empty or /proc/ path, telem's own known by its file name. */
static uint32_t v2_flags(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	uint32_t f = path[0] == 0 || strncmp(path, "/proc/", 6) == 0 ? CRASH_MODULE_MAIN : 0;
	return f | (strcmp(base, "libtelem.so") == 0 ? CRASH_MODULE_TELEM : 0);
}

unsigned char *crash_record_current(const unsigned char *data, size_t *len)
{
	const struct crash_header *h = (const void *)data;
	size_t mods = (size_t)h->n_modules * sizeof(struct crash_module);
	size_t stacks = *len - sizeof *h - (size_t)h->n_modules * h->module_size;
	unsigned char *out = malloc(sizeof *h + mods + stacks);
	if (!out)
		return NULL;
	memcpy(out, data, sizeof *h);
	struct crash_header *oh = (void *)out;
	for (uint32_t i = 0; i < h->n_modules; i++) {
		struct crash_module m = {0};
		memcpy(&m, data + sizeof *h + (size_t)i * h->module_size, h->module_size);
		if (h->format_version == 2)
			m.flags = v2_flags(m.path);
		memcpy(out + sizeof *h + (size_t)i * sizeof m, &m, sizeof m);
	}
	memcpy(out + sizeof *h + mods, data + sizeof *h + (size_t)h->n_modules * h->module_size, stacks);
	oh->format_version = CRASH_VERSION;
	oh->module_size = sizeof(struct crash_module);
	*len = sizeof *h + mods + stacks;
	return out;
}

/* ---- offline unwinding ---- */

struct unwind {
	const struct crash_header *h;
	const struct crash_module *mods;
	const unsigned char *stack;
	uint64_t regs[CRASH_MAX_REGS]; /* the state unwinding starts from */
	int from_return;               /* regs' pc is a return address (bad-pointer fallback) */
	int cut;                       /* the unwinder wanted bytes past a copy cut at its cap */
	int dwfl_frames;               /* frames libdw gave so far */
	Dwarf_Addr pcs[INGEST_MAX_FRAMES];
	int n;
};

/* Ingestion names frames from the crashed modules alone: no separate debug
 * files, no build-id directories, no debuginfod (no network, and names
 * that are the same on every machine). --symbolize may use them. */
static int no_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, char **file,
		  Elf **elf)
{
	(void)mod, (void)userdata, (void)name, (void)base, (void)file, (void)elf;
	return -1;
}

static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
			const char *file, const char *debuglink, GElf_Word crc, char **debuginfo)
{
	(void)mod, (void)userdata, (void)name, (void)base, (void)file, (void)debuglink, (void)crc;
	(void)debuginfo;
	return -1;
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = no_elf,
	.find_debuginfo = no_debuginfo,
};

/* Bytes of a module at addr, from its file: what CFI expressions may read
 * besides the stack (constant data in a PT_LOAD segment). */
static bool module_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	Dwarf_Addr bias = 0;
	Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
	size_t phnum, size = 0;
	const char *image = elf ? elf_rawfile(elf, &size) : NULL;
	if (!image || addr < bias || elf_getphdrnum(elf, &phnum) != 0)
		return false;
	GElf_Addr vaddr = addr - bias;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || vaddr < ph.p_vaddr ||
		    vaddr - ph.p_vaddr > ph.p_filesz || ph.p_filesz - (vaddr - ph.p_vaddr) < sizeof *result)
			continue;
		uint64_t off = ph.p_offset + (vaddr - ph.p_vaddr);
		if (off < ph.p_offset || off > size || size - off < sizeof *result)
			return false;
		memcpy(result, image + off, sizeof *result);
		return true;
	}
	return false;
}

/* A word of the recorded stack regions; notes reads just past a region
 * that the shim cut at CRASH_STACK_MAX (the stack went on). */
static bool stack_read(struct unwind *u, uint64_t addr, uint64_t *result)
{
	const struct crash_header *h = u->h;
	if (addr + sizeof *result < addr)
		return false;
	if (addr >= h->stack_start && addr + sizeof *result <= h->stack_start + h->stack_len) {
		memcpy(result, u->stack + (addr - h->stack_start), sizeof *result);
		return true;
	}
	if (h->stack2_len && addr >= h->stack2_start && addr + sizeof *result <= h->stack2_start + h->stack2_len) {
		memcpy(result, u->stack + h->stack_len + (addr - h->stack2_start), sizeof *result);
		return true;
	}
	/* Above a region cut at the cap, within any plausible stack size. */
	const uint64_t above = 64u << 20;
	if ((h->stack_len == CRASH_STACK_MAX && addr >= h->stack_start + h->stack_len &&
	     addr - (h->stack_start + h->stack_len) < above) ||
	    (h->stack2_len == CRASH_STACK_MAX && addr >= h->stack2_start + h->stack2_len &&
	     addr - (h->stack2_start + h->stack2_len) < above))
		u->cut = 1;
	return false;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	uint64_t v;
	if (stack_read(arg, addr, &v)) {
		*result = v;
		return true;
	}
	return module_read(dwfl, addr, result);
}

/* One thread: the one that crashed. */
static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	if (*thread_argp)
		return 0;
	*thread_argp = arg;
	return dwfl_pid(dwfl);
}

/* Registers are recorded in DWARF order (x86_64: 17, rip the last). One
 * at a time, so a number this architecture lacks costs only itself. */
static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	const struct unwind *u = arg;
	const struct crash_header *h = u->h;
	for (uint32_t i = 0; i < h->n_regs; i++) {
		Dwarf_Word v = u->regs[i];
		if (!dwfl_thread_state_registers(thread, (int)i, 1, &v) && i == h->sp_reg)
			return false;
	}
	dwfl_thread_state_register_pc(thread, u->regs[h->pc_reg]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static const struct crash_module *module_at(const struct unwind *u, Dwarf_Addr pc);

static int collect_frame(Dwfl_Frame *state, void *arg)
{
	struct unwind *u = arg;
	Dwarf_Addr pc;
	bool activation;
	if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0)
		return DWARF_CB_ABORT;
	/* A caller outside every module is no return address (a frame-pointer
	 * chain gone wrong): named "??", and nothing after it is trusted. */
	int implausible = u->dwfl_frames++ > 0 && !module_at(u, pc);
	/* A caller's pc is its return address, just past the call (and past the
	 * function's end when the call was its last instruction). */
	if (u->from_return) { /* the first frame, taken from the stack: a return address too */
		activation = false;
		u->from_return = 0;
	}
	u->pcs[u->n++] = activation ? pc : pc - 1;
	return u->n < INGEST_MAX_FRAMES && !implausible ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* A module loaded from a memfd (dlopen of /proc/self/fd/N): its path says
 * nothing, and is certainly not the main program. */
static int from_memfd(const char *path)
{
	return strncmp(path, "/proc/", 6) == 0 || strncmp(path, "/memfd:", 7) == 0;
}

static void module_name(const struct crash_header *h, const struct crash_module *m, char *out, size_t cap)
{
	if (m->flags & CRASH_MODULE_MAIN)
		frame_module_name(h->program, out, cap); /* the main program, by another name */
	else if (from_memfd(m->path))
		frame_module_name(m->soname[0] ? m->soname : "memfd", out, cap);
	else
		frame_module_name(m->path, out, cap);
}

/* The module's file, if it is still the very build that crashed. */
static int open_module_file(const struct crash_module *m)
{
	struct stat st;
	/* The path is untrusted: never open a device or a FIFO it names. */
	if (m->path[0] != '/' || m->build_id_len == 0 || stat(m->path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	int fd = open(m->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	Elf *elf = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	const void *id = NULL;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
	int same = n == (ssize_t)m->build_id_len && memcmp(id, m->build_id, (size_t)n) == 0;
	if (elf)
		elf_end(elf);
	if (!same) {
		close(fd);
		return -1;
	}
	return fd;
}

static void report_module(Dwfl *dwfl, const struct crash_header *h, const struct crash_module *m)
{
	char name[CRASH_PATH_MAX];
	module_name(h, m, name, sizeof name);
	int fd = open_module_file(m);
	if (fd >= 0) {
		if (!dwfl_report_elf(dwfl, name, m->path, fd, m->bias, true))
			close(fd); /* on success libdw owns fd */
		return;
	}
	/* Not on disk as it was: its frames keep module+vaddr names. */
	dwfl_report_module(dwfl, name, m->start & ~(uint64_t)4095, m->end);
}

static const struct crash_module *module_at(const struct unwind *u, Dwarf_Addr pc)
{
	for (uint32_t i = 0; i < u->h->n_modules; i++)
		if (pc >= u->mods[i].start && pc < u->mods[i].end)
			return &u->mods[i];
	return NULL;
}

/* A call through a bad pointer (NULL, wild, freed JIT code) leaves the pc
 * in no module: that frame is "??", and the caller's return address is
 * where the call put it (x86_64: at the stack pointer; aarch64: in x30). */
static void skip_bad_pc(struct unwind *u)
{
	const struct crash_header *h = u->h;
	uint64_t pc = u->regs[h->pc_reg], ret = 0, sp = u->regs[h->sp_reg];
	if (module_at(u, pc))
		return;
	u->pcs[u->n++] = pc;
	if (h->n_regs == 17 && stack_read(u, sp, &ret) && module_at(u, ret)) {
		u->regs[h->pc_reg] = ret;
		u->regs[h->sp_reg] = sp + 8;
		u->from_return = 1;
	} else if (h->n_regs == 33 && module_at(u, u->regs[30])) {
		u->regs[h->pc_reg] = u->regs[30];
		u->from_return = 1;
	}
}

static int has_cfi(Dwfl_Module *mod, Dwarf_Addr pc)
{
	Dwarf_Addr bias;
	Dwarf_Frame *frame = NULL;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, pc - bias, &frame) == 0) {
		free(frame);
		return 1;
	}
	cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, pc - bias, &frame) == 0) {
		free(frame);
		return 1;
	}
	return 0;
}

/* Where the return address of an x86_64 function without CFI lies, by
 * its first instructions: libdw's fallback follows the frame-pointer
 * chain, which skips the caller of a function that has not set up its
 * frame (a leaf built -momit-leaf-frame-pointer, or a fault in a
 * prologue). Returns the offset from sp, or -1 when the chain is right. */
static int return_slot_without_cfi(struct unwind *u, Dwfl *dwfl, uint64_t pc)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, pc);
	GElf_Off off = 0;
	GElf_Sym sym;
	if (!mod || u->h->n_regs != 17 || has_cfi(mod, pc) ||
	    !dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL))
		return -1;
	Dwarf_Word code;
	uint64_t entry = pc - off, at = entry;
	if (!module_read(dwfl, entry, &code))
		return -1;
	unsigned char b[8];
	memcpy(b, &code, 8);
	int i = 0;
	if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa) /* endbr64 */
		i = 4;
	at = entry + (uint64_t)i;
	if (b[i] != 0x55) /* no push %rbp: a frameless function, nothing pushed assumed */
		return 0;
	if (pc <= at)
		return 0; /* before the push */
	if (b[i + 1] == 0x48 && b[i + 2] == 0x89 && b[i + 3] == 0xe5 && pc <= at + 1)
		return 8; /* pushed, rbp not yet set */
	return -1;
}

static void skip_frameless(struct unwind *u, Dwfl *dwfl)
{
	const struct crash_header *h = u->h;
	uint64_t pc = u->regs[h->pc_reg], sp = u->regs[h->sp_reg], ret;
	int slot = dwfl ? return_slot_without_cfi(u, dwfl, pc) : -1;
	if (slot < 0 || !stack_read(u, sp + (uint64_t)slot, &ret) || !module_at(u, ret))
		return;
	u->pcs[u->n++] = pc;
	u->regs[h->pc_reg] = ret;
	u->regs[h->sp_reg] = sp + (uint64_t)slot + 8;
	u->from_return = 1;
}

static void unwind_stack(struct unwind *u, Dwfl *dwfl)
{
	const pid_t pid = 1; /* any: the state is the record's, not a live process */
	memcpy(u->regs, u->h->regs, sizeof u->regs);
	skip_bad_pc(u);
	if (!u->n)
		skip_frameless(u, dwfl);
	if (u->n && !u->from_return)
		return; /* no way on from a pc in no module */
	u->dwfl_frames = 0;
	if (dwfl && dwfl_attach_state(dwfl, NULL, pid, &thread_callbacks, u))
		dwfl_getthread_frames(dwfl, pid, collect_frame, u); /* errors keep the frames so far */
	if (u->n == 0)
		u->pcs[u->n++] = u->h->regs[u->h->pc_reg];
}

/* Go's rule for names over the limit: cut, then say so. */
static size_t go_truncate(char *name, size_t len)
{
	if (len <= CF_MAX_NAME)
		return len;
	len = CF_MAX_NAME - (sizeof TRUNCATED - 1);
	memcpy(name + len, TRUNCATED, sizeof TRUNCATED);
	return CF_MAX_NAME;
}

/* Frames that are not the program's: telem's own (the thread start
 * wrapper, the signal handler) anywhere, and in an exit-code record the
 * exit machinery it was taken from. */
static int hidden_frame(const struct unwind *u, const struct crash_module *m, int *leading)
{
	if (m && (m->flags & CRASH_MODULE_TELEM))
		return 1;
	if (!*leading)
		return 0;
	char module[CRASH_PATH_MAX];
	if (m) {
		module_name(u->h, m, module, sizeof module);
		if (strncmp(module, "libc.so", 7) == 0)
			return 1;
	}
	*leading = 0;
	return 0;
}

/* Notes the module of a shown frame, once. */
static void note_module(struct stack_modules_out *mo, const char *name, const struct crash_module *m)
{
	if (!mo)
		return;
	for (size_t i = 0; i < mo->n; i++)
		if (mo->mods[i].m == m)
			return;
	if (mo->n < INGEST_MAX_FRAMES) {
		snprintf(mo->mods[mo->n].name, sizeof mo->mods[mo->n].name, "%s", name);
		mo->mods[mo->n++].m = m;
	}
}

static size_t name_frames(const struct unwind *u, Dwfl *dwfl, char *out, struct stack_modules_out *mo)
{
	char buf[2 * CF_MAX_NAME + 2], frame[CF_MAX_NAME + 1], module[CRASH_PATH_MAX];
	size_t len = (size_t)snprintf(buf, sizeof buf, "%s", u->h->kind == CRASH_ICE ? "crash/ice" : "crash/crash");
	/* An exit-code record is taken inside our exit hook: its first frames
	 * are telem's and libc's exit machinery, not the program's. */
	int leading = u->h->kind == CRASH_ICE;
	for (int i = 0; i < u->n && len <= CF_MAX_NAME; i++) {
		const struct crash_module *m = module_at(u, u->pcs[i]);
		size_t n = 2;
		if (hidden_frame(u, m, &leading))
			continue;
		if (m) {
			module_name(u->h, m, module, sizeof module);
			note_module(mo, module, m);
			n = frame_name(dwfl ? dwfl_addrmodule(dwfl, u->pcs[i]) : NULL, u->pcs[i], module, m->bias,
				       frame, sizeof frame);
		} else {
			memcpy(frame, "??", 3); /* no module: no address may be shown */
		}
		buf[len++] = '\n';
		memcpy(buf + len, frame, n + 1);
		len += n;
	}
	/* A stack the copy cut short says so, as Go's cut names do. */
	if (u->cut && u->n < INGEST_MAX_FRAMES && len + sizeof TRUNCATED <= sizeof buf) {
		memcpy(buf + len, TRUNCATED, sizeof TRUNCATED);
		len += sizeof TRUNCATED - 1;
	}
	len = go_truncate(buf, len);
	memcpy(out, buf, len);
	out[len] = 0;
	return len;
}

size_t crash_record_stack_name(const unsigned char *data, char *out, int *frames, struct stack_modules_out *mo)
{
	const struct crash_header *h = (const void *)data;
	struct unwind u = {.h = h, .mods = (const void *)(data + sizeof *h)};
	u.stack = data + sizeof *h + (size_t)h->n_modules * sizeof(struct crash_module);
	Dwfl *dwfl = dwfl_begin(&offline_callbacks);
	if (dwfl) {
		dwfl_report_begin(dwfl);
		for (uint32_t i = 0; i < h->n_modules; i++)
			report_module(dwfl, h, &u.mods[i]);
		dwfl_report_end(dwfl, NULL, NULL);
	}
	unwind_stack(&u, dwfl);
	size_t len = name_frames(&u, dwfl, out, mo);
	dwfl_end(dwfl);
	*frames = u.n;
	return len;
}

/* ---- counting ---- */

static enum cf_status create_counter_file(struct counter_file *cf, const char *local, const char *path,
					  const struct crash_header *h, int *err)
{
	if (make_dirs(local) < 0) {
		*err = -errno;
		return CF_ERR_IO;
	}
	int weekday = week_weekends(local);
	if (weekday < 0) {
		*err = -EIO;
		return CF_ERR_IO;
	}
	char meta[CF_MAX_META + 1];
	struct text t = TEXT_INIT(meta, sizeof meta);
	struct file_identity id = {h->program, h->prog_version, h->runtime, h->goos, h->goarch};
	week_meta(&t, &id, h->today, h->today + week_days_to_end(h->today, weekday));
	if (t.overflow)
		return CF_ERR_HEADER;
	return counter_file_open(cf, path, meta, t.len, 1, err);
}

static void add_saturating(uint64_t *p)
{
	uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED), sum;
	do
		sum = old == UINT64_MAX ? old : old + 1;
	while (!__atomic_compare_exchange_n(p, &old, sum, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

/* Adds one to name in the crashed program's counter file for its day,
 * creating the file (as the shim would) when it is missing. */
static int count_stack(const char *dir, const struct crash_header *h, const char *name, size_t len)
{
	char local[CF_PATH_MAX], path[CF_PATH_MAX];
	if ((size_t)snprintf(local, sizeof local, "%s/local", dir) >= sizeof local ||
	    (size_t)snprintf(path, sizeof path, "%s/%s", local, h->counter_file) >= sizeof path)
		return fail(dir, "directory name too long");
	struct counter_file cf;
	int err = 0;
	enum cf_status s = counter_file_adopt(&cf, path, &err);
	if (s != CF_OK)
		s = create_counter_file(&cf, local, path, h, &err);
	if (s != CF_OK)
		return fail(path, "cannot count a crash: %s",
			    s == CF_ERR_IO && err ? strerror(-err) : cf_status_text(s));
	uint64_t *count = counter_file_find(&cf, name, len, 1);
	if (count)
		add_saturating(count);
	counter_file_close(&cf);
	return count ? 0 : fail(path, "cannot count a crash: the counter file is full or corrupt");
}

/* ---- the crash directory ---- */

static int entries_in(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static int move_no_replace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL) /* a file system without RENAME_NOREPLACE */
		return -1;
	if (access(to, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

/* Reports a bad record and moves it to crash/bad/ (bounded like the
 * records themselves: beyond the limit it is deleted, and that is said). */
static int set_aside(const char *crash, const char *name, const char *why)
{
	char path[2048], bad[2048], dest[2100];
	snprintf(path, sizeof path, "%s/%s", crash, name);
	snprintf(bad, sizeof bad, "%s/bad", crash);
	if (mkdir(bad, 0700) < 0 && errno != EEXIST)
		return fail(path, "%s; cannot create %s: %s", why, bad, strerror(errno));
	if (entries_in(bad) >= CRASH_MAX_RECORDS) {
		if (unlink(path) < 0)
			return fail(path, "%s; cannot delete it: %s", why, strerror(errno));
		return fail(path, "%s; deleted, %s already holds %d records", why, bad, CRASH_MAX_RECORDS);
	}
	/* The shim reuses slot names (0.rec ...): later ones get a time suffix. */
	for (int i = 0; i < 10; i++) {
		snprintf(dest, sizeof dest, i ? "%s/%s.%lld-%d" : "%s/%s", bad, name, (long long)time(NULL), i);
		if (move_no_replace(path, dest) == 0)
			return fail(path, "%s; moved to %s", why, dest);
		if (errno != EEXIST)
			break;
	}
	return fail(path, "%s; cannot move it to %s: %s", why, bad, strerror(errno));
}

/* The record is still the file named path (not ingested and removed by
 * another telem between our open and our lock). */
static int still_named(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A short record this recent may still be being written (a writer that
 * creates "*.rec" in place); after that, it never will be. */
#define WRITE_GRACE_S 60
static int written_recently(int fd)
{
	struct stat st;
	time_t now = time(NULL);
	return fstat(fd, &st) == 0 && st.st_mtime > now - WRITE_GRACE_S && st.st_mtime <= now + WRITE_GRACE_S;
}

static unsigned char *read_record(int fd, size_t *len, char *why, size_t cap)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		why_fmt(why, cap, "not a regular file");
		return NULL;
	}
	if ((uint64_t)st.st_size > RECORD_MAX) {
		why_fmt(why, cap, "%lld bytes, larger than any record", (long long)st.st_size);
		return NULL;
	}
	unsigned char *data = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	for (ssize_t r = 1; data && r > 0 && n < (size_t)st.st_size; n += r > 0 ? (size_t)r : 0)
		r = pread(fd, data + n, (size_t)st.st_size - n, (off_t)n);
	if (!data || n != (size_t)st.st_size) {
		why_fmt(why, cap, "cannot read: %s", data ? "short read" : strerror(ENOMEM));
		free(data);
		return NULL;
	}
	*len = n;
	return data;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int ingest_checked(const char *dir, const char *path, const unsigned char *data)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	static char name[CF_MAX_NAME + 1];
	static struct stack_modules_out mods;
	int frames;
	mods.n = 0;
	size_t len = crash_record_stack_name(data, name, &frames, &mods);
	len = bug_stack_name(dir, data, name, len); /* a bug record: the program's counter first */
	double unwound = ms_since(&t0);
	if (count_stack(dir, (const void *)data, name, len) != 0)
		return 1; /* kept: the record is fine, the counter file is not */
	/* Only for --symbolize and the upload filter: a failure is said, and
	 * the crash stays counted. */
	int status = stack_modules_add(dir, name, len, mods.mods, mods.n) != 0;
	if (privdir_unlink(path) < 0 && errno != ENOENT)
		return fail(path, "counted, but cannot delete: %s", strerror(errno));
	const char *debug = getenv("TELEM_DEBUG");
	if (debug && strcmp(debug, "1") == 0)
		fprintf(stderr, "telem: %s: %d frames, named in %.1f ms, ingested in %.1f ms\n", path, frames,
			unwound, ms_since(&t0));
	return status;
}

static int ingest_file(const char *dir, const char *crash, const char *name)
{
	char path[2048], why[256];
	snprintf(path, sizeof path, "%s/%s", crash, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP)
		return set_aside(crash, name, "a symbolic link, not a record");
	if (fd < 0)
		return errno == ENOENT ? 0 : fail(path, "cannot open: %s", strerror(errno));
	/* Two telem commands at once: the one holding the lock ingests; the
	 * other skips the record, or finds it already gone. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || !still_named(fd, path)) {
		close(fd);
		return 0;
	}
	size_t len;
	unsigned char *data = read_record(fd, &len, why, sizeof why);
	int bad = data ? crash_record_check(data, len, why, sizeof why) : -1, status = 0;
	if (bad == 0)
		bad = bug_record_check(dir, data, why, sizeof why);
	if (bad == RECORD_SHORT && written_recently(fd))
		status = 0; /* left for a later command */
	else if (bad)
		status = set_aside(crash, name, why);
	else {
		unsigned char *cur = crash_record_current(data, &len);
		status = cur ? ingest_checked(dir, path, cur) : fail(path, "%s", strerror(ENOMEM));
		free(cur);
	}
	free(data);
	close(fd);
	return status;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Complete records only: a "*.tmp" is still being written. */
static int list_records(const char *crash, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	/* Beneath the telem directory, no symlink: a crash/ linked elsewhere is
	 * an error, never a place to read or delete records from. */
	int dfd = privdir_open(crash, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return errno == ENOENT ? 0 : -1;
	}
	size_t cap = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l < 5 || e->d_name[0] == '.' || strcmp(e->d_name + l - 4, ".rec") != 0)
			continue;
		if (*n == cap) {
			char **grown = realloc(*names, (cap = cap ? 2 * cap : 16) * sizeof *grown);
			if (!grown)
				break;
			*names = grown;
		}
		if (((*names)[*n] = strdup(e->d_name)))
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, by_name);
	return 0;
}

int ingest_pending(const char *dir)
{
	char crash[CF_PATH_MAX];
	if ((size_t)snprintf(crash, sizeof crash, "%s/crash", dir) >= sizeof crash)
		return fail(dir, "directory name too long");
	char **names;
	size_t n;
	if (list_records(crash, &names, &n) < 0)
		return fail(crash, "cannot list crash records: %s", strerror(errno));
	if (n)
		elf_version(EV_CURRENT);
	int status = 0;
	for (size_t i = 0; i < n; i++)
		status |= ingest_file(dir, crash, names[i]);
	free_list(names, n);
	return status;
}
