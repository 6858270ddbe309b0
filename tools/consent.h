/* Asking once (Go learned that opt-in needs asking, and asking everyone),
 * and saying, wherever consent is asked or given, what is collected, where
 * it is kept and where uploads would go. */
#ifndef TELEM_CONSENT_H
#define TELEM_CONSENT_H

#include <stdio.h>

#include "cli.h"

/* The one phrasing of Go's cut-off rule, used by every message. */
#define CONSENT_CUTOFF "nothing collected before uploading was turned on is ever uploaded"

/* What telem collects, the real directory, the collector and the config URL. */
void consent_explain(FILE *out, const struct cli *cli);

/* The first `telem run` on a terminal, with no mode ever chosen and CI
 * unset: explains, asks (default no; no answer within
 * $TELEM_CONSENT_TIMEOUT seconds, default 60, is no), records the answer
 * in the mode file. Does nothing otherwise. */
void consent_maybe_ask(struct cli *cli);

/* Writes "<mode> <date>" to DIR/mode; returns 0 or 1 (reported). */
int consent_write_mode(const struct cli *cli, const char *mode, int64_t date);

#endif
