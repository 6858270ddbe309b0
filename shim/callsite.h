/* The caller's registers at a call into the shim, for a bug record taken
 * outside any signal: the exported entry (callsite_<arch>.c, assembly)
 * saves the callee-saved registers, the stack pointer the caller will see
 * after the return and the return address, before any C code can change
 * them, and passes them to counter_stack_at. With these (and the caller's
 * CFI) libdw unwinds offline from the caller's frame exactly as from a
 * signal's context: the first frame is the function that called. */
#ifndef TELEM_CALLSITE_H
#define TELEM_CALLSITE_H

#include <stdint.h>
#include <ucontext.h>

#include "state.h"

struct caller_regs {
#if defined(__x86_64__)
	uint64_t rbx, rbp, r12, r13, r14, r15, sp, pc;
#elif defined(__aarch64__)
	uint64_t x19_x30[12];
	uint64_t sp, pc;
#elif defined(__i386__)
	uint32_t ebx, ebp, esi, edi, sp, pc;
#endif
};

/* Called by the assembly entry with the caller's name argument untouched. */
HIDDEN void counter_stack_at(const char *name, const struct caller_regs *r);

/* Fills the registers of a zeroed uc from r, as crash_capture reads them. */
static inline void callsite_context(ucontext_t *uc, const struct caller_regs *r)
{
#if defined(__x86_64__)
	greg_t *g = uc->uc_mcontext.gregs;
	g[REG_RBX] = (greg_t)r->rbx, g[REG_RBP] = (greg_t)r->rbp;
	g[REG_R12] = (greg_t)r->r12, g[REG_R13] = (greg_t)r->r13;
	g[REG_R14] = (greg_t)r->r14, g[REG_R15] = (greg_t)r->r15;
	g[REG_RSP] = (greg_t)r->sp, g[REG_RIP] = (greg_t)r->pc;
#elif defined(__aarch64__)
	for (int i = 0; i < 12; i++)
		uc->uc_mcontext.regs[19 + i] = r->x19_x30[i];
	uc->uc_mcontext.sp = r->sp;
	uc->uc_mcontext.pc = r->pc;
#elif defined(__i386__)
	greg_t *g = uc->uc_mcontext.gregs;
	g[REG_EBX] = (greg_t)r->ebx, g[REG_EBP] = (greg_t)r->ebp;
	g[REG_ESI] = (greg_t)r->esi, g[REG_EDI] = (greg_t)r->edi;
	g[REG_ESP] = (greg_t)r->sp, g[REG_EIP] = (greg_t)r->pc;
#endif
}

#endif
