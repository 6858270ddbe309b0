/* memcpy and memset for the shim's own use, hidden: clang emits calls to
 * them for structure copies and loops (gcc does not with the flags the
 * Makefile gives it), and the shim imports nothing from libc. The linker
 * drops them where nothing calls them. Compilers do not turn a loop inside
 * a function of these names into a call to itself. */
#include <stddef.h>

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

HIDDEN void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}
