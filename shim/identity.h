/* Who the host is: program name, build-id version, C library, os/arch in
 * Go's spelling. Read from memory the kernel already gave us (the auxiliary
 * vector and the loaded program headers), plus one readlink to resolve
 * symlinks so that cc, gcc and gcc-12 are one program. */
#ifndef TELEM_IDENTITY_H
#define TELEM_IDENTITY_H

#include <stddef.h>

#define ID_PROGRAM_MAX 64
#define ID_VERSION_HEX 12

struct identity {
	char program[ID_PROGRAM_MAX + 1];
	char version[ID_VERSION_HEX + 1]; /* short build-id hex, "devel" without one */
	char runtime[32];                 /* e.g. glibc2.36 */
	const char *goos, *goarch;
	char path[256]; /* the executable's resolved path, for crash records only */
};

/* auxv: the auxiliary vector (found after envp); libc_version: e.g. "2.36". */
void identity_read(struct identity *id, const unsigned long *auxv, const char *libc_version);

/* The normalized program name for an executable path's basename:
 * "x86_64-linux-gnu-gcc-12" -> "gcc". Exposed for tests and the tools. */
void identity_program_name(char *out, const char *path, size_t path_len);

/* Short build-id of the ELF image whose program headers are at phdr. */
void identity_build_id(char *out, const void *phdr, size_t phnum, unsigned long at_phdr);

const char *identity_goarch(void);

#endif
