#include "identity.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>

#include "bytes.h"
#include "sys.h"

const char *identity_goarch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "386";
#else
	return "unknown";
#endif
}

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '+';
}

/* Debian's toolchain names its programs <triplet>-<tool>-<major>; the
 * triplet is arch (already in the file name) and the major version is in the
 * build-id, so both are dropped. */
#define TRIPLET(s) {s, sizeof s - 1}
static const struct {
	char text[24]; /* in place: a pointer would be a load-time relocation */
	size_t len;
} triplets[] = {
	TRIPLET("x86_64-linux-gnu-"), TRIPLET("aarch64-linux-gnu-"),
	TRIPLET("i686-linux-gnu-"), TRIPLET("x86_64-pc-linux-gnu-"),
};

void identity_program_name(char *out, const char *path, size_t len)
{
	const char *base = path;
	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	size_t n = (size_t)(path + len - base);
	for (size_t i = 0; i < sizeof triplets / sizeof triplets[0]; i++) {
		size_t tl = triplets[i].len;
		if (n > tl && bytes_equal(base, triplets[i].text, tl)) {
			base += tl;
			n -= tl;
			break;
		}
	}
	size_t end = n;
	while (end > 0 && base[end - 1] >= '0' && base[end - 1] <= '9')
		end--;
	if (end > 1 && end < n && base[end - 1] == '-')
		n = end - 1;
	if (n > ID_PROGRAM_MAX)
		n = ID_PROGRAM_MAX;
	for (size_t i = 0; i < n; i++)
		out[i] = name_char_ok(base[i]) || (i > 0 && base[i] == '-') ? base[i] : '_';
	if (n == 0)
		out[n++] = '_';
	out[n] = 0;
}

static unsigned long auxv_get(const unsigned long *auxv, unsigned long type)
{
	for (; auxv && auxv[0] != AT_NULL; auxv += 2)
		if (auxv[0] == type)
			return auxv[1];
	return 0;
}

/* Finds NT_GNU_BUILD_ID in the PT_NOTE segments of a loaded image. */
void identity_build_id(char *out, const void *phdr_mem, size_t phnum, unsigned long at_phdr)
{
	const ElfW(Phdr) *ph = phdr_mem;
	unsigned long bias = 0;
	bytes_copy(out, "devel", 6);
	for (size_t i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_PHDR)
			bias = at_phdr - ph[i].p_vaddr;
	for (size_t i = 0; i < phnum; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		const unsigned char *p = (const unsigned char *)(bias + ph[i].p_vaddr);
		const unsigned char *end = p + ph[i].p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const void *)p;
			size_t name = (nh->n_namesz + 3) & ~3u, desc = (nh->n_descsz + 3) & ~3u;
			const unsigned char *d = p + sizeof *nh + name;
			if (d + desc > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    bytes_equal(p + sizeof *nh, "GNU", 4) && nh->n_descsz >= ID_VERSION_HEX / 2) {
				bytes_hex(out, d, ID_VERSION_HEX / 2);
				out[ID_VERSION_HEX] = 0;
				return;
			}
			p = d + desc;
		}
	}
}

void identity_read(struct identity *id, const unsigned long *auxv, const char *libc_version)
{
	char exe[4096];
	long n = sys_readlinkat(AT_FDCWD, "/proc/self/exe", exe, sizeof exe);
	if (n <= 0 || n >= (long)sizeof exe) {
		const char *fn = (const char *)auxv_get(auxv, AT_EXECFN);
		fn = fn ? fn : "unknown";
		n = (long)bytes_len(fn);
		bytes_copy(exe, fn, (size_t)n < sizeof exe ? (size_t)n : sizeof exe);
	}
	static const char deleted[] = " (deleted)";
	if (n > (long)sizeof deleted && bytes_equal(exe + n - (sizeof deleted - 1), deleted, sizeof deleted - 1))
		n -= (long)sizeof deleted - 1;
	identity_program_name(id->program, exe, (size_t)n);
	size_t keep = (size_t)n < sizeof id->path - 1 ? (size_t)n : 0;
	bytes_copy(id->path, exe, keep);
	id->path[keep] = 0;
	unsigned long phdr = auxv_get(auxv, AT_PHDR);
	if (phdr)
		identity_build_id(id->version, (const void *)phdr, auxv_get(auxv, AT_PHNUM), phdr);
	else
		bytes_copy(id->version, "devel", 6);
	struct text t = TEXT_INIT(id->runtime, sizeof id->runtime);
	/* glibc gives its version number; another C library its whole name
	 * ("musl", which has no version call). */
	if (libc_version[0] >= '0' && libc_version[0] <= '9')
		text_str(&t, "glibc");
	text_str(&t, libc_version);
	id->goos = "linux";
	id->goarch = identity_goarch();
}
