/* aarch64: DWARF 0..30 = x0..x30, 31 = sp, 32 = pc. */
static inline void arch_fill_registers(struct crash_header *h, const ucontext_t *uc)
{
	for (int i = 0; i < 31; i++)
		h->regs[i] = uc->uc_mcontext.regs[i];
	h->regs[31] = uc->uc_mcontext.sp;
	h->regs[32] = uc->uc_mcontext.pc;
	h->n_regs = 33;
	h->sp_reg = 31;
	h->pc_reg = 32;
}

static inline uint64_t arch_sp(const ucontext_t *uc) { return uc->uc_mcontext.sp; }
static inline uint64_t arch_pc(const ucontext_t *uc) { return uc->uc_mcontext.pc; }
