/* Crash records: what the shim's signal handler writes into <dir>/crash/,
 * and what `telem` reads to unwind and symbolize offline with libdw.
 *
 * Layout (host byte order, written with write(2) only):
 *   struct crash_header        fixed size, magic "TELEMCR1"
 *   struct crash_module[n_modules]
 *   stack bytes [stack_len]    copied from regs[sp] upwards, never past
 *                              the main thread's argv (the argument and
 *                              environment strings lie above it)
 *   stack bytes [stack2_len]   a second region: when the crash happened in
 *                              a host handler running on an alternate stack
 *                              (LLVM re-raises from there), the interrupted
 *                              stack of the fault it was handling, so that
 *                              unwinding goes on through the signal frame
 * Files are <dir>/crash/<slot>.rec, slot 0..CRASH_MAX_RECORDS-1, created
 * with O_EXCL: taking a free slot is atomic, so the limit holds even when a
 * thousand processes crash at once. The writer sets `complete` last; a
 * record without it is still being written (or its writer died: the tools
 * set aside incomplete records older than a minute). */
#ifndef TELEM_CRASHRECORD_H
#define TELEM_CRASHRECORD_H

#include <stdint.h>

#define CRASH_MAGIC "TELEMCR1"
/* 3: modules carry flags and a soname. Version-2 records (modules of
 * CRASH_MODULE_V2_SIZE bytes, no flags) are still read by the tools. */
#define CRASH_VERSION 3
#define CRASH_MODULE_V2_SIZE 304
#define CRASH_MAX_REGS 34
#define CRASH_MAX_MODULES 256
#define CRASH_STACK_MAX (128u << 10)
#define CRASH_PATH_MAX 256
/* Per directory: beyond these, crashes are only counted (crash/dropped). */
#define CRASH_MAX_RECORDS 64
#define CRASH_MAX_BYTES (16u << 20)

enum crash_kind {
	CRASH_SIGNAL = 1, /* a fatal signal, or a fault whose host handler then exited */
	CRASH_ICE = 2,    /* an exit-code rule: e.g. cc1 exiting 4 (internal compiler error) */
	/* Not a crash: a rebuilt program's bug stack counter (include/telem/counter.h),
	 * taken at the caller of telem_stack_inc, once per call site per process.
	 * signo and code are 0; fault_addr is the offset, in counter_file, of the
	 * record of the plain counter "<program>/<name>", whose name heads the
	 * stack counter "<program>/<name>\n<frame>..." (tools/ingest_bug.c). */
	CRASH_BUG = 3,
};

/* DWARF register numbers: x86_64 0..16 = rax rdx rcx rbx rsi rdi rbp rsp
 * r8..r15 rip; aarch64 0..30 = x0..x30, 31 = sp, 32 = pc. */
struct crash_header {
	char magic[8];
	uint32_t format_version; /* CRASH_VERSION */
	uint32_t header_size;  /* sizeof(struct crash_header) */
	uint32_t module_size;  /* sizeof(struct crash_module) */
	uint32_t kind;         /* enum crash_kind */
	int32_t signo, code;   /* signal and si_code; 0 for CRASH_ICE */
	int32_t exit_code;     /* for CRASH_ICE or a handler that exited; -1 if none */
	uint32_t n_regs;
	uint64_t fault_addr;
	int64_t time;          /* unix seconds */
	int64_t today;         /* days since the epoch of the counter file to use */
	char program[68];
	char prog_version[16];
	char runtime[32];
	char goos[8];
	char goarch[8];
	char counter_file[160]; /* basename of the counter file in local/ */
	uint64_t regs[CRASH_MAX_REGS] __attribute__((aligned(8))); /* 8 on i386 too */
	uint32_t sp_reg, pc_reg; /* indexes into regs */
	uint32_t n_modules;
	uint32_t complete;     /* 1 once everything below is written */
	uint64_t stack_start;  /* address of the first stack byte: regs[sp_reg], or the
				  first readable page above it after a stack overflow */
	uint64_t stack_len;
	uint64_t stack2_start; /* the second region, 0 and 0 when none */
	uint64_t stack2_len;
};

struct crash_module {
	uint64_t bias;         /* load bias: runtime address = ELF vaddr + bias */
	uint64_t start, end;   /* lowest and highest address of its PT_LOAD segments */
	uint8_t build_id[20];
	uint32_t build_id_len;
	char path[CRASH_PATH_MAX]; /* as loaded; local only (--symbolize), never in a name */
	uint32_t flags;        /* CRASH_MODULE_* */
	char soname[60];       /* DT_SONAME when the module has one, "" otherwise */
};

enum crash_module_flags {
	CRASH_MODULE_MAIN = 1,  /* the program itself (whatever its path looks like) */
	CRASH_MODULE_TELEM = 2, /* libtelem.so: its frames are never shown */
};

#endif
