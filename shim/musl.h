/* What a musl host's C library lacks of what the shim uses from glibc. */
#ifndef TELEM_MUSL_H
#define TELEM_MUSL_H

#include "libc.h"

/* Fills the libc_api entries musl has no function for. */
void musl_adapt(struct libc_api *api);

/* Whether this is a vfork child of a musl host (its process id is not the
 * one the host started with). 0 in glibc hosts. */
int musl_in_vfork_child(void);

#endif
