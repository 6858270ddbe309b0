/* Counter names, and the privacy rules that shape them: a counter name
 * never holds a path, a file name, a macro or argument value, a user or a
 * host name. Flags are reduced to their name. */
#ifndef TELEM_NAMES_H
#define TELEM_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define FLAG_NAME_MAX 40
#define FLAGS_PER_PROCESS 64

/* Programs whose command lines follow gcc's conventions (joined values). */
int names_gcc_family(const char *program);
/* Wrappers (timeout, env, nice, xargs, sudo, ccache ...): only the options
 * before their first operand are their own flags. */
int names_wrapper(const char *program);

/* Reduces one argv element to a flag name in out (FLAG_NAME_MAX+1 bytes):
 * "-O2" -> "-O2", "-std=c11" -> "-std", "-I/x" -> "-I" (gcc family),
 * "-Wl,--foo" -> "-Wl,", anything odd or long -> "other".
 * Returns the name's length, or 0 when arg is not a flag (operands: never counted).
 * *skip_next is set when the flag takes the next argument as its value. */
size_t names_flag(int gcc_family, const char *arg, char *out, int *skip_next);

/* Bucket labels: wall and CPU time in milliseconds, peak RSS in KiB. */
const char *names_time_bucket(uint64_t ms);
const char *names_rss_bucket(uint64_t kb);
/* Position of a bucket label in its series (for ordering), -1 if unknown. */
int names_rss_rank(const char *bucket);
int names_time_rank(const char *bucket);

#endif
