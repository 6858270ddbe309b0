/* No fault inside the host from telem's own mapping, whatever another
 * process does to the counter file: an access beyond the end of a file that
 * was truncated under us raises SIGBUS (or SIGSEGV) at an address inside
 * the mapping. The handler replaces the whole mapping with anonymous memory
 * at the same address (the interrupted store then completes, into memory
 * nobody reads), marks the file broken so nothing more is counted, and
 * returns. Async-signal-safe. */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "signals.h"
#include "sys.h"

int faultguard_recover(int sig, const siginfo_t *si)
{
	if ((sig != SIGBUS && sig != SIGSEGV) || si->si_code <= 0)
		return 0;
	/* remap() replaces map and map_len together; an address inside the
	 * pair read here is inside a mapping of ours either way. */
	uintptr_t addr = (uintptr_t)si->si_addr, base = (uintptr_t)telem.file.map;
	size_t len = telem.file.map_len;
	if (!base || addr < base || addr - base >= len)
		return 0;
	void *p = sys_mmap((void *)base, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (sys_mmap_failed(p))
		return 0;
	telem.file.broken = 1;
	return 1;
}
