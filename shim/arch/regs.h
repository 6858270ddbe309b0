/* Register accessors for a signal's ucontext, one file per CPU:
 *   arch_fill_registers  the crash record's registers, in DWARF order
 *   arch_sp, arch_pc     the interrupted stack pointer and program counter
 * Async-signal-safe: memory reads only. */
#ifndef TELEM_ARCH_REGS_H
#define TELEM_ARCH_REGS_H

#include <stdint.h>
#include <ucontext.h>

#include "../crashrecord.h"

#if defined(__x86_64__)
#include "regs-x86_64.h"
#elif defined(__aarch64__)
#include "regs-aarch64.h"
#elif defined(__i386__)
#include "regs-i386.h"
#else
#error "telem's shim supports x86_64, i386 and aarch64"
#endif

/* The record's layout is the same on every CPU (uint64_t fields aligned
 * to 8 even where the ABI aligns them to 4), so one telem reads them all. */
_Static_assert(sizeof(struct crash_header) == 680, "crash_header layout differs between CPUs");
_Static_assert(sizeof(struct crash_module) == 368, "crash_module layout differs between CPUs");

#endif
