/* Asking once (Go learned that opt-in needs asking, and asking everyone). */
#ifndef TELEM_CONSENT_H
#define TELEM_CONSENT_H

#include "cli.h"

/* What telem collects and what uploading would send, for `telem on` and the prompt. */
extern const char consent_explanation[];

/* The first `telem run` on a terminal, with no mode ever chosen and CI
 * unset: explains, asks (default no), records the answer in the mode file.
 * Does nothing otherwise. */
void consent_maybe_ask(struct cli *cli);

#endif
