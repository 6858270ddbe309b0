/* x86-64: DWARF 0..16 = rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
static inline void arch_fill_registers(struct crash_header *h, const ucontext_t *uc)
{
	static const int order[17] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
				      REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
				      REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP};
	for (int i = 0; i < 17; i++)
		h->regs[i] = (uint64_t)uc->uc_mcontext.gregs[order[i]];
	h->n_regs = 17;
	h->sp_reg = 7;
	h->pc_reg = 16;
}

static inline uint64_t arch_sp(const ucontext_t *uc) { return (uint64_t)uc->uc_mcontext.gregs[REG_RSP]; }
static inline uint64_t arch_pc(const ucontext_t *uc) { return (uint64_t)uc->uc_mcontext.gregs[REG_RIP]; }
