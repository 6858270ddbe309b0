/* i386 entry of telem_abi1_stack_inc(name): see callsite.h. Saves ebx,
 * ebp, esi, edi, the caller's stack pointer after the return and the
 * return address in a struct caller_regs on our stack, then calls
 * counter_stack_at(name, &regs) (cdecl). 44 bytes keep the call 16-byte
 * aligned (the entry's esp is 4 off). */
#if defined(__i386__)
__asm__(".text\n"
	".globl telem_abi1_stack_inc\n"
	".type telem_abi1_stack_inc,@function\n"
	"telem_abi1_stack_inc:\n"
	"\t.cfi_startproc\n"
	"\tsubl $44, %esp\n"
	"\t.cfi_adjust_cfa_offset 44\n"
	"\tmovl %ebx, 8(%esp)\n"
	"\tmovl %ebp, 12(%esp)\n"
	"\tmovl %esi, 16(%esp)\n"
	"\tmovl %edi, 20(%esp)\n"
	"\tleal 48(%esp), %eax\n"
	"\tmovl %eax, 24(%esp)\n"
	"\tmovl 44(%esp), %eax\n"
	"\tmovl %eax, 28(%esp)\n"
	"\tmovl 48(%esp), %eax\n"
	"\tmovl %eax, 0(%esp)\n"
	"\tleal 8(%esp), %eax\n"
	"\tmovl %eax, 4(%esp)\n"
	"\tcall counter_stack_at\n"
	"\taddl $44, %esp\n"
	"\t.cfi_adjust_cfa_offset -44\n"
	"\tret\n"
	"\t.cfi_endproc\n"
	".size telem_abi1_stack_inc,.-telem_abi1_stack_inc\n");
#else
typedef int callsite_i386_unused; /* ISO C: a translation unit is never empty */
#endif
