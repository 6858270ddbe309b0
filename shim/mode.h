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
 * Returns 0; -2 when telem_dir is relative (refused, by the shim and the
 * tools alike: a relative path would mean another directory in every
 * working directory); -1 when none is usable (then telem does nothing). */
int mode_dir(char *out, size_t cap, const char *telem_dir, const char *xdg, const char *home);

/* Why a telem directory cannot be used (see beneath.h for the trust model). */
enum dir_problem { DIR_USABLE = 0, DIR_MISSING, DIR_NOT_DIR, DIR_NOT_OWNER, DIR_WRITABLE, DIR_UNREADABLE };
/* Opens dir (O_PATH) if the user may trust it: a directory owned by euid or
 * root, not writable by group or others. The fd, or -1 with *why set. */
int mode_dir_open(const char *dir, unsigned euid, enum dir_problem *why);
/* Creates dir, and with parents every missing parent, mode 0700. 0 or -errno. */
int mode_dir_create(const char *dir, int parents);
const char *mode_dir_problem_text(enum dir_problem p);

/* Parses a mode file's text. *asof gets the date in days since the epoch
 * when one is given, else -1. Unknown text counts as local: collect, never upload. */
enum telem_mode mode_parse(const char *buf, size_t len, int64_t *asof);
/* An asof for callers that need no date (the shim): saves parsing it. */
extern int64_t mode_no_date;

/* Reads <dir>/mode (a regular file of the user's, no symlink followed).
 * A missing or unusable file is local. For the tools. */
enum telem_mode mode_read(const char *dir, int64_t *asof);
/* The shim's read beneath the directory's descriptor, leaving the file open
 * in *keep (-1 when none) for the caller to close with the counter file's,
 * in one call. */
enum telem_mode mode_read_at(int dirfd, int64_t *asof, int *keep);

/* TELEM_MODE's value: MODE_OFF for "off", MODE_LOCAL for "local", else -1 (ignored).
 * "on" is never accepted from the environment: uploading needs the user's choice. */
int mode_from_env(const char *value);

const char *mode_name(enum telem_mode m);

#endif
