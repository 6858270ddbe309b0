/* Fatal-signal handling: our handler stays installed at the kernel; the
 * host sees (and gets called with) exactly the dispositions it set. */
#ifndef TELEM_SIGNALS_H
#define TELEM_SIGNALS_H

#include <signal.h>

#include "state.h"

/* Installs the alternate stack and the handlers; called at start when counting. */
HIDDEN void signals_install(void);

/* At exit: if this thread is inside a host handler called for a fault, the
 * fault ended the process: record it (GCC turns SIGSEGV into exit 4).
 * Otherwise applies the exit-code rules (a compiler proper exiting 4 is an
 * internal compiler error). Returns 1 when a crash was recorded. */
HIDDEN int signals_exit_check(int status);

HIDDEN int signals_installed(void);

/* Name of a fatal signal ("SIGSEGV"), NULL for others. */
HIDDEN const char *signals_name(int sig);

/* Async-signal-safe: the claim of the one thread writing a crash record,
 * for records taken outside a fatal signal (bug records). 1 when taken. */
HIDDEN int signals_claim_recorder(void);
HIDDEN void signals_release_recorder(void);

#endif
