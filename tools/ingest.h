/* Crash records (shim/crashrecord.h) become stack counters: each pending
 * record is checked, unwound offline with libdw, named by the privacy rules
 * (DESIGN.md "Counter names"), counted once in the crashed program's counter
 * file for its day, then deleted. */
#ifndef TELEM_INGEST_H
#define TELEM_INGEST_H

#include <stddef.h>

#include "counterfile.h"
#include "stackmodules.h"

#define INGEST_MAX_FRAMES 32

/* Ingests every complete record ("*.rec") in <dir>/crash. A garbage or truncated record is
 * reported ("telem: <file>: <what is wrong>") and moved to <dir>/crash/bad/.
 * Returns 0 when there was nothing to report, 1 otherwise. */
int ingest_pending(const char *dir);

/* Checks a whole record image strictly. Returns 0; or RECORD_SHORT when
 * it is only shorter than its header says (its writer may still be at
 * work); or -1. why says what is wrong. */
#define RECORD_SHORT (-2)
int crash_record_check(const unsigned char *data, size_t len, char *why, size_t why_cap);

/* A checked record of any version read, as a current-version image
 * (malloc'd; *len updated); NULL when out of memory. */
unsigned char *crash_record_current(const unsigned char *data, size_t *len);

/* The stack counter name of a checked, current-version record ("crash/crash\n<frame>..."),
 * at most CF_MAX_NAME bytes by Go's truncation rule; out holds
 * CF_MAX_NAME + 1. Returns the name's length; *frames gets the frame count;
 * mo (may be NULL) the modules of the frames shown. */
struct stack_modules_out {
	struct stack_module mods[INGEST_MAX_FRAMES];
	size_t n;
};
size_t crash_record_stack_name(const unsigned char *data, char *out, int *frames, struct stack_modules_out *mo);

#endif
