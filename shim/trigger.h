/* The daily upload trigger (mode on only). */
#ifndef TELEM_TRIGGER_H
#define TELEM_TRIGGER_H

#include "state.h"

/* After the host's main has finished: at most once a day, starts a fully
 * detached `telem upload`. The common case (today's token exists) costs
 * one system call. now: unix seconds. */
HIDDEN void trigger_upload(int64_t now);

#endif
