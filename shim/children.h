/* The signals the host's reaped children died of, for telling a wrapper's
 * re-raise from a crash. */
#ifndef TELEM_CHILDREN_H
#define TELEM_CHILDREN_H

#include "state.h"

/* Whether a child the host reaped (through wait, waitpid, wait3, wait4 or
 * waitid) was killed by sig. Async-signal-safe. */
HIDDEN int children_killed_by(int sig);

#endif
