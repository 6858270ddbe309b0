/* The telem directory and its mode file.
 *   dir  = $TELEM_DIR, else ${XDG_CONFIG_HOME:-$HOME/.config}/telem
 *   mode = "on <date>" | "off" | "local <date>"; missing = local.
 * TELEM_MODE=off in the environment overrides everything. */
#ifndef TELEM_MODE_H
#define TELEM_MODE_H

#include <stddef.h>
#include <stdint.h>

enum telem_mode { MODE_LOCAL = 0, MODE_ON, MODE_OFF };

/* Builds the telem directory from the three variables (any may be NULL).
 * Returns 0, or -1 when none is usable (then telem does nothing). */
int mode_dir(char *out, size_t cap, const char *telem_dir, const char *xdg, const char *home);

/* Parses a mode file's text. *asof gets the date in days since the epoch
 * when one is given, else -1. Unknown text counts as local: collect, never upload. */
enum telem_mode mode_parse(const char *buf, size_t len, int64_t *asof);
/* An asof for callers that need no date (the shim): saves parsing it. */
extern int64_t mode_no_date;

/* Reads <dir>/mode. A missing or unreadable file is local. */
enum telem_mode mode_read(const char *dir, int64_t *asof);
/* The same, leaving the file open in *keep (-1 when none) for the caller to
 * close later: the shim closes it with the counter file's, in one call. */
enum telem_mode mode_read_keep(const char *dir, int64_t *asof, int *keep);

/* TELEM_MODE's value: MODE_OFF for "off", MODE_LOCAL for "local", else -1 (ignored).
 * "on" is never accepted from the environment: uploading needs the user's choice. */
int mode_from_env(const char *value);

const char *mode_name(enum telem_mode m);

#endif
