/* What jansson does not offer: a nesting limit checked before parsing
 * (its parser recurses up to 2048 levels). The line on which a value stands,
 * for the config's FILE:LINE errors, is found in tools/config.c. */
#ifndef COLLECTOR_JSONSCAN_H
#define COLLECTOR_JSONSCAN_H

#include <stddef.h>

/* 1 when arrays/objects nest deeper than limit anywhere in text (strings
 * and their escapes are skipped), else 0. Linear, no recursion. */
int json_nesting_exceeds(const char *text, size_t len, int limit);

#endif
