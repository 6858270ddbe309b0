#ifndef TELEM_SHIMPATH_H
#define TELEM_SHIMPATH_H
#include <stddef.h>
/* Absolute path of the libtelem.so that belongs with this telem; -1 if none. */
int shim_path(char *out, size_t cap);
#endif
