/* Module names chosen by the crashed process never leave the machine
 * unasked: in an uploaded stack, a frame of a module that is neither the
 * program's own nor an installed system library (stackmodules.h classes)
 * becomes PLACEHOLDER_FRAME, unless the program's rule in the upload config
 * names the module ("Modules"). Local reports and `telem crashes` keep every
 * name. A module the local record does not know is treated as "other". */
#ifndef TELEM_PLACEHOLDER_H
#define TELEM_PLACEHOLDER_H

#include <jansson.h>
#include <stddef.h>

#include "config.h"

#define PLACEHOLDER_FRAME "(other)"

/* The upload form of stack (len bytes) of program: NULL when it is
 * unchanged, else a malloc'd name (*out_len bytes). modules is
 * stack_modules_load()'s object; rule the program's upload rule. */
char *placeholder_stack(const char *stack, size_t len, const char *program, const struct config_program *rule,
			json_t *modules, size_t *out_len);

#endif
