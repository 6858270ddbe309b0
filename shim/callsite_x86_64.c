/* x86_64 entry of telem_abi1_stack_inc(name): see callsite.h. Saves rbx,
 * rbp, r12..r15, the caller's stack pointer after the return and the
 * return address in a struct caller_regs on our stack, then calls
 * counter_stack_at(name, &regs) with rdi untouched. 72 bytes keep the call
 * 16-byte aligned (the entry's rsp is 8 off). */
#if defined(__x86_64__)
__asm__(".text\n"
	".globl telem_abi1_stack_inc\n"
	".type telem_abi1_stack_inc,@function\n"
	"telem_abi1_stack_inc:\n"
	"\t.cfi_startproc\n"
	"\tsubq $72, %rsp\n"
	"\t.cfi_adjust_cfa_offset 72\n"
	"\tmovq %rbx, 0(%rsp)\n"
	"\tmovq %rbp, 8(%rsp)\n"
	"\tmovq %r12, 16(%rsp)\n"
	"\tmovq %r13, 24(%rsp)\n"
	"\tmovq %r14, 32(%rsp)\n"
	"\tmovq %r15, 40(%rsp)\n"
	"\tleaq 80(%rsp), %rax\n"
	"\tmovq %rax, 48(%rsp)\n"
	"\tmovq 72(%rsp), %rax\n"
	"\tmovq %rax, 56(%rsp)\n"
	"\tmovq %rsp, %rsi\n"
	"\tcall counter_stack_at\n"
	"\taddq $72, %rsp\n"
	"\t.cfi_adjust_cfa_offset -72\n"
	"\tret\n"
	"\t.cfi_endproc\n"
	".size telem_abi1_stack_inc,.-telem_abi1_stack_inc\n");
#else
typedef int callsite_x86_64_unused; /* ISO C wants a declaration in every file */
#endif
