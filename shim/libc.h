/* The few libc functions the shim calls, found once at start by a direct
 * GNU-hash lookup in libc's dynamic symbol table.
 *
 * Why: every symbol the dynamic linker binds for us costs about 700
 * instructions in every host process, and dlsym about 2,000 more; the
 * issue's budget for the whole shim is 20,000. Reading libc's own tables,
 * found through the main program's DT_DEBUG, costs about 150 a symbol.
 * The C library is glibc's libc.so.6 or musl's ld-musl-<arch>.so.1; what
 * musl lacks is supplied by musl.c. */
#ifndef TELEM_LIBC_H
#define TELEM_LIBC_H

#include <stdint.h>
#include <signal.h>
#include <time.h>

struct libc_api {
	int (*libc_start_main)(int (*)(int, char **, char **), int, char **, void (*)(void),
			       void (*)(void), void (*)(void), void *);
	int (*on_exit)(void (*)(int, void *), void *);
	int (*register_atfork)(void (*)(void), void (*)(void), void (*)(void), void *);
	int (*clock_gettime)(clockid_t, struct timespec *);
	const char *(*gnu_get_libc_version)(void);
	/* main's return must reach exit() through us: libc's own call to it
	 * cannot be interposed (musl's __libc_start_main). */
	int main_exits;
};

/* Fills api from libc; at_phdr/at_phnum locate the main program's program
 * headers (auxiliary vector). Returns 0 when every function was found. */
int libc_resolve(struct libc_api *api, const unsigned long *auxv);

/* Looks one symbol up, default version, in an ELF image loaded at base with
 * the given dynamic section. NULL when absent. Exposed for tests. */
void *libc_lookup(unsigned long base, const void *dynamic, const char *name);

/* Any other libc function, looked up on first use (interposers forward to
 * libc's own definitions with it). NULL when not found. Works before
 * __libc_start_main too (sanitizer runtimes call interposed functions from
 * .preinit_array), from any thread. */
void *libc_symbol(const char *name);

/* The dynamic linker's list of loaded objects (for crash records). */
const struct link_map *libc_loaded_objects(void);

/* __libc_start_main from any loaded object but us and the program, after a
 * libc_resolve that found no C library it knows. NULL when none. */
void *libc_next_start_main(void);

/* Whether a sanitizer runtime may be in the process: a gcc one was in the
 * list of objects, or something called an interposed function before
 * __libc_start_main (clang's runtimes, linked into the program). */
int libc_sanitized(void);

/* A symbol the main program defines (after libc_resolve). NULL if none. */
void *libc_program_symbol(const char *name);

/* The DT_GNU_HASH function. */
uint32_t libc_gnu_hash(const char *name);

#endif
