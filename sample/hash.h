/* FNV-1a, shared by the generator (build time) and the program (run time). */
#ifndef SAMPLE_HASH_H
#define SAMPLE_HASH_H

#include <stdint.h>

uint32_t hash_name(const char *name);

#endif
