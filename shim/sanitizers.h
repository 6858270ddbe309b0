/* Hosts built with a sanitizer (gcc's shared runtimes, clang's linked in). */
#ifndef TELEM_SANITIZERS_H
#define TELEM_SANITIZERS_H

#include "libc.h"

/* Registers the runtime's death callback, when there is a runtime, so that
 * its exits are counted with its exit code. After libc_resolve. */
void sanitizers_watch(void);

/* Notes the status of exit(), for the death callback to correct. */
void sanitizers_watch_exit(struct libc_api *api);

#endif
