/* Which module files each crash stack's frames came from, kept locally
 * only (<dir>/crash/modules.json; never in a counter, a report or an
 * upload): the path each module was loaded from, its build-id, and its
 * class. `telem crashes --symbolize` looks there by build-id first; the
 * upload filter reduces frames of "other" modules to a placeholder. */
#ifndef TELEM_STACKMODULES_H
#define TELEM_STACKMODULES_H

#include <jansson.h>
#include <stddef.h>

#include "crashrecord.h"

/* The program's own module, an installed system library (root-owned, in
 * the system's library directories), or anything else. */
#define MODULE_PROGRAM "program"
#define MODULE_SYSTEM "system"
#define MODULE_OTHER "other"

struct stack_module {
	char name[CRASH_PATH_MAX]; /* as in the frames */
	const struct crash_module *m;
};

/* The class of a recorded module (see above). */
const char *stack_module_class(const struct crash_module *m);

/* Records the n modules of the stack counter name (len bytes) under dir;
 * bounded (STACK_MODULES_MAX stacks). Returns 0, or -1 having said why. */
#define STACK_MODULES_MAX 4096
int stack_modules_add(const char *dir, const char *name, size_t len, const struct stack_module *mods, size_t n);

/* All of dir's entries: an object of stack name -> array of
 * {"name","path","build_id","class"}; an empty object when there are none. */
json_t *stack_modules_load(const char *dir);

/* The entry for module name in the array of one stack; NULL if none. */
json_t *stack_modules_find(json_t *stack, const char *name);

#endif
