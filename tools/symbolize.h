/* libdw names. Frame names for stack counters follow the privacy rules:
 * module basename and function, or module and ELF address; never runtime
 * addresses or paths. For display only, `telem crashes --symbolize` turns
 * recorded frames back into functions and file:line with the program's own
 * files found on this machine (and debuginfod when DEBUGINFOD_URLS is set). */
#ifndef TELEM_SYMBOLIZE_H
#define TELEM_SYMBOLIZE_H

#include <elfutils/libdwfl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The frame for pc (a caller frame's pc is already pc - 1, so that it lies
 * inside the call): "<module>!<function>+0x<offset>" when a symbol of mod
 * covers pc, else "<module>+0x<ELF vaddr>" with vaddr = pc - bias. mod may
 * be NULL. Bytes that would break a counter name are replaced. Returns the
 * length written; out is always NUL-terminated. */
size_t frame_name(Dwfl_Module *mod, Dwarf_Addr pc, const char *module, uint64_t bias, char *out,
		  size_t cap);

/* Module display name: the basename of path, made safe for counter names. */
void frame_module_name(const char *path, char *out, size_t cap);

struct symbolizer;
struct symbolizer *symbolizer_new(void);
/* The functions (gdb's frames: inlined ones first, "\n" between them) and
 * file:line for a recorded frame of program (whose short build-id is
 * version). modules is the stack's entry of stack_modules_load (may be
 * NULL): the module files it was loaded from, by build-id. NULL when it
 * cannot be resolved here, with *why saying exactly what was missing.
 * The caller frees the result and *why. */
char *symbolizer_resolve(struct symbolizer *s, const char *frame, json_t *modules, const char *program,
			 const char *version, char **why);
void symbolizer_free(struct symbolizer *s);

#endif
