/* i386: DWARF 0..8 = eax ecx edx ebx esp ebp esi edi eip. Values are
 * zero-extended: the record holds 64-bit registers on every CPU. */
static inline void arch_fill_registers(struct crash_header *h, const ucontext_t *uc)
{
	static const int order[9] = {REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP,
				     REG_EBP, REG_ESI, REG_EDI, REG_EIP};
	for (int i = 0; i < 9; i++)
		h->regs[i] = (uint32_t)uc->uc_mcontext.gregs[order[i]];
	h->n_regs = 9;
	h->sp_reg = 4;
	h->pc_reg = 8;
}

static inline uint64_t arch_sp(const ucontext_t *uc) { return (uint32_t)uc->uc_mcontext.gregs[REG_ESP]; }
static inline uint64_t arch_pc(const ucontext_t *uc) { return (uint32_t)uc->uc_mcontext.gregs[REG_EIP]; }
