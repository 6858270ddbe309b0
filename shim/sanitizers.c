/* gcc's -fsanitize=address links the shared libasan.so, which exits 1 at
 * start ("ASan runtime does not come first in initial library list")
 * unless it is the first object after the program, so that its malloc and
 * its interceptors win. A preloaded shim comes first; it is safe there: it
 * defines no function libasan intercepts except the few it interposes
 * itself (sigaction, signal, pthread_create...), and those forward to the
 * next definition, libasan's (libc_symbol). So the check is turned off the
 * way ASan offers: its runtime reads its defaults from
 * __asan_default_options, bound like any symbol, the program's first (its
 * own definition always wins), then ours, then the runtime's. Ours returns
 * verify_asan_link_order=0 followed by the next definition's options, so
 * those still override it, and ASAN_OPTIONS overrides both. Called once,
 * at the runtime's start, before any thread. */
#include "bytes.h"
#include "libc.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT const char *__asan_default_options(void)
{
	static const char ours[] = "verify_asan_link_order=0:";
	static char options[4096];
	const char *(*next)(void) = (const char *(*)(void))libc_symbol("__asan_default_options");
	const char *theirs = next ? next() : "";
	size_t n = theirs ? bytes_len(theirs) : 0;
	if (n + sizeof ours > sizeof options)
		return theirs;
	bytes_copy(options, ours, sizeof ours - 1);
	bytes_copy(options + sizeof ours - 1, theirs, n);
	options[sizeof ours - 1 + n] = 0;
	return options;
}
