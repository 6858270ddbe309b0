#ifndef TELEM_SHIMPATH_H
#define TELEM_SHIMPATH_H
#include <stddef.h>
/* Absolute path of the libtelem.so that belongs with this telem; -1 if none. */
int shim_path(char *out, size_t cap);
/* Prints the line a shell profile or CI image exports to count everything:
 * single-quoted, since $LIB is ld.so's token, not the shell's. */
void shim_print_preload_line(const char *shim);
#endif
