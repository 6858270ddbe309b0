/* Where libtelem.so is: next to this telem in the build tree
 * (tools/telem -> shim/libtelem.so) or installed (bin/telem ->
 * $LIB/telem/libtelem.so, with ld.so's $LIB token left in: every ld.so
 * expands it to its own library directory, and `make install` adds a
 * directory literally named $LIB for musl's, which does not; else the
 * older lib/telem/libtelem.so). */
#define _GNU_SOURCE
#include "shimpath.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int shim_path(char *out, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;
	static const char *const rel[] = {"/../shim/libtelem.so", "/../$LIB/telem/libtelem.so",
					  "/../lib/telem/libtelem.so"};
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		char cand[PATH_MAX + 64];
		snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
		char *real = realpath(cand, NULL);
		if (real && i == 1) { /* keep the token: the prefix resolved, then $LIB/... */
			snprintf(cand, sizeof cand, "%s/..", exe);
			free(real);
			real = realpath(cand, NULL);
			if (real && strlen(real) + sizeof "/$LIB/telem/libtelem.so" <= cap) {
				snprintf(out, cap, "%s/$LIB/telem/libtelem.so", real);
				free(real);
				return 0;
			}
		}
		if (real && strlen(real) < cap) {
			strcpy(out, real);
			free(real);
			return 0;
		}
		free(real);
	}
	return -1;
}

void shim_print_preload_line(const char *shim)
{
	printf("  export LD_PRELOAD='%s'\"${LD_PRELOAD:+:$LD_PRELOAD}\"\n", shim);
}
