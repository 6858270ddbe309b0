/* aarch64 entry of telem_abi1_stack_inc(name): see callsite.h. Saves
 * x19..x30 (x29 the frame pointer, x30 the return address), the caller's
 * sp and pc = x30 in a struct caller_regs on our stack, then calls
 * counter_stack_at(name, &regs) with x0 untouched. */
#if defined(__aarch64__)
__asm__(".text\n"
	".globl telem_abi1_stack_inc\n"
	".type telem_abi1_stack_inc,%function\n"
	"telem_abi1_stack_inc:\n"
	"\t.cfi_startproc\n"
	"\tsub sp, sp, #112\n"
	"\t.cfi_def_cfa_offset 112\n"
	"\tstp x19, x20, [sp, #0]\n"
	"\tstp x21, x22, [sp, #16]\n"
	"\tstp x23, x24, [sp, #32]\n"
	"\tstp x25, x26, [sp, #48]\n"
	"\tstp x27, x28, [sp, #64]\n"
	"\tstp x29, x30, [sp, #80]\n"
	"\t.cfi_offset 29, -32\n"
	"\t.cfi_offset 30, -24\n"
	"\tadd x9, sp, #112\n"
	"\tstp x9, x30, [sp, #96]\n"
	"\tmov x1, sp\n"
	"\tbl counter_stack_at\n"
	"\tldp x29, x30, [sp, #80]\n"
	"\tadd sp, sp, #112\n"
	"\t.cfi_def_cfa_offset 0\n"
	"\tret\n"
	"\t.cfi_endproc\n"
	".size telem_abi1_stack_inc,.-telem_abi1_stack_inc\n");
#else
typedef int callsite_aarch64_unused; /* ISO C wants a declaration in every file */
#endif
