/* Fatal-signal handling: our handler stays installed at the kernel; the
 * host sees (and gets called with) exactly the dispositions it set. */
#ifndef TELEM_SIGNALS_H
#define TELEM_SIGNALS_H

#include <signal.h>

#include "state.h"

/* Installs the alternate stack and the handlers; called at start when counting. */
HIDDEN void signals_install(void);

/* At exit: if this thread is inside a host handler called for a fault, the
 * fault ended the process: record it (GCC turns SIGSEGV into exit 4). */
HIDDEN void signals_exit_check(int status);

/* Name of a fatal signal ("SIGSEGV"), NULL for others. */
HIDDEN const char *signals_name(int sig);

#endif
