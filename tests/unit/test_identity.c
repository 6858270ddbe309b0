/* Who the host is (shim/identity.c): program name normalization, and the
 * build-id read from loaded program headers, checked against the build-id
 * this test reads from its own ELF file with plain reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"

static void check_name(const char *path, const char *want)
{
	char out[ID_PROGRAM_MAX + 2];
	out[ID_PROGRAM_MAX + 1] = 'Z';
	identity_program_name(out, path, strlen(path));
	if (strcmp(out, want) != 0)
		fail_msg("\"%s\": got \"%s\", want \"%s\"", path, out, want);
	assert_int_equal(out[ID_PROGRAM_MAX + 1], 'Z');
}

static void test_program_names(void **state)
{
	(void)state;
	check_name("/usr/bin/x86_64-linux-gnu-gcc-12", "gcc");
	check_name("cc1", "cc1");
	check_name("python3.11", "python3.11");
	check_name("python3", "python3");
	check_name("ld.bfd", "ld.bfd");
	check_name("x86_64-linux-gnu-as", "as");
	check_name("gcc-12", "gcc");
	check_name("g++-12", "g++");
	check_name("/usr/bin/x86_64-linux-gnu-g++-12", "g++");
	check_name("/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus", "cc1plus");
	check_name("aarch64-linux-gnu-ld.gold", "ld.gold");
	check_name("i686-linux-gnu-cpp-12", "cpp");
	check_name("clang-14", "clang");
	check_name("collect2", "collect2");
	check_name("lto-wrapper", "lto-wrapper");
	check_name("make", "make");
	check_name("/bin/dash", "dash");
	check_name("12", "12");
}

static void test_program_name_odd_chars(void **state)
{
	(void)state;
	check_name("a b$c", "a_b_c");
	check_name("/tmp/-x", "_x");
	check_name("caf\xc3\xa9", "caf__");
	check_name("tab\tname", "tab_name");
	check_name("", "_");
	check_name("/usr/bin/", "_");
	check_name("quote\"name'", "quote_name_");
}

static void test_program_name_length(void **state)
{
	(void)state;
	char path[200], want[ID_PROGRAM_MAX + 1];
	memset(path, 'a', 100);
	path[100] = 0;
	memset(want, 'a', ID_PROGRAM_MAX);
	want[ID_PROGRAM_MAX] = 0;
	check_name(path, want);
	strcpy(path + 70, "-12");
	check_name(path, want);
	/* Only path_len bytes are read. */
	char out[ID_PROGRAM_MAX + 1];
	identity_program_name(out, "/usr/bin/gccXXXX", 12);
	assert_string_equal(out, "gcc");
}

/* ---- build-id ---- */

static unsigned char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	unsigned char *buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
}

/* The GNU build-id in the file's PT_NOTE segments, as lowercase hex. */
static int file_build_id(const char *path, char *hex, size_t cap)
{
	size_t len;
	unsigned char *f = read_all(path, &len);
	ElfW(Ehdr) eh;
	memcpy(&eh, f, sizeof eh);
	assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
	int found = 0;
	for (int i = 0; i < eh.e_phnum && !found; i++) {
		ElfW(Phdr) ph;
		memcpy(&ph, f + eh.e_phoff + (size_t)i * eh.e_phentsize, sizeof ph);
		if (ph.p_type != PT_NOTE)
			continue;
		for (size_t off = ph.p_offset; off + 12 <= ph.p_offset + ph.p_filesz && !found;) {
			uint32_t namesz, descsz, type;
			memcpy(&namesz, f + off, 4);
			memcpy(&descsz, f + off + 4, 4);
			memcpy(&type, f + off + 8, 4);
			size_t name_at = off + 12, desc_at = name_at + ((namesz + 3) & ~3u);
			if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(f + name_at, "GNU", 4) == 0) {
				assert_true(descsz * 2 < cap);
				for (uint32_t k = 0; k < descsz; k++)
					snprintf(hex + 2 * k, 3, "%02x", f[desc_at + k]);
				found = 1;
			}
			off = desc_at + ((descsz + 3) & ~3u);
		}
	}
	free(f);
	return found;
}

static void test_build_id_of_self(void **state)
{
	(void)state;
	char full[129] = {0};
	assert_true(file_build_id("/proc/self/exe", full, sizeof full));
	assert_true(strlen(full) >= 12);
	unsigned long phdr = getauxval(AT_PHDR), phnum = getauxval(AT_PHNUM);
	assert_true(phdr != 0 && phnum != 0);
	char out[ID_VERSION_HEX + 1];
	memset(out, 'Z', sizeof out);
	identity_build_id(out, (const void *)phdr, phnum, phdr);
	assert_int_equal(strlen(out), 12);
	assert_memory_equal(out, full, 12);

	/* And readelf, a third opinion, when it is installed. */
	if (access("/usr/bin/readelf", X_OK) != 0)
		return;
	FILE *p = popen("readelf -n /proc/$PPID/exe", "r");
	assert_non_null(p);
	char line[256];
	int seen = 0;
	while (fgets(line, sizeof line, p)) {
		char *b = strstr(line, "Build ID: ");
		if (b) {
			assert_memory_equal(b + 10, out, 12);
			seen++;
		}
	}
	pclose(p);
	assert_int_equal(seen, 1);
}

/* Program headers and notes laid out in memory by hand. */
struct fake {
	ElfW(Phdr) ph[3];
	unsigned char notes[128];
	size_t notes_len;
};

static void fake_note(struct fake *f, uint32_t type, const char *name, uint32_t namesz,
		      const unsigned char *desc, uint32_t descsz)
{
	unsigned char *p = f->notes + f->notes_len;
	memcpy(p, &namesz, 4);
	memcpy(p + 4, &descsz, 4);
	memcpy(p + 8, &type, 4);
	size_t nlen = (namesz + 3) & ~3u, dlen = (descsz + 3) & ~3u;
	memset(p + 12, 0, nlen + dlen);
	memcpy(p + 12, name, namesz < 8 ? namesz : 8);
	memcpy(p + 12 + nlen, desc, descsz);
	f->notes_len += 12 + nlen + dlen;
	assert_true(f->notes_len <= sizeof f->notes);
}

/* PT_PHDR at vaddr 0x40, the notes at their offset from it: the bias is
 * at_phdr - 0x40, as for a position independent executable. */
static void fake_run(struct fake *f, size_t note_memsz, char *out)
{
	unsigned long at = (unsigned long)f->ph;
	f->ph[0] = (ElfW(Phdr)){.p_type = PT_PHDR, .p_vaddr = 0x40};
	f->ph[1] = (ElfW(Phdr)){.p_type = PT_LOAD, .p_vaddr = 0};
	f->ph[2] = (ElfW(Phdr)){.p_type = PT_NOTE,
				.p_vaddr = 0x40 + ((unsigned long)f->notes - at),
				.p_memsz = note_memsz};
	identity_build_id(out, f->ph, 3, at);
}

static const unsigned char ID20[20] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
				       0xcd, 0xef, 0, 1, 2, 3, 4, 5, 6, 7};

static void test_build_id_fake(void **state)
{
	(void)state;
	struct fake f = {0};
	char out[ID_VERSION_HEX + 1];
	static const unsigned char abi[16] = {0};

	fake_note(&f, NT_GNU_ABI_TAG, "GNU", 4, abi, 16);
	fake_note(&f, NT_GNU_BUILD_ID, "GNU", 4, ID20, 20);
	fake_run(&f, f.notes_len, out);
	assert_string_equal(out, "deadbeef0123");

	/* The note cut short by the segment: not read past it. */
	fake_run(&f, f.notes_len - 4, out);
	assert_string_equal(out, "devel");

	/* Build-id too short for 12 hex digits, or from another vendor. */
	memset(&f, 0, sizeof f);
	fake_note(&f, NT_GNU_BUILD_ID, "GNU", 4, ID20, 4);
	fake_note(&f, NT_GNU_BUILD_ID, "XYZ", 4, ID20, 20);
	fake_run(&f, f.notes_len, out);
	assert_string_equal(out, "devel");

	/* A name size that would wrap around. */
	memset(&f, 0, sizeof f);
	fake_note(&f, NT_GNU_BUILD_ID, "GNU", 4, ID20, 20);
	memcpy(f.notes, &(uint32_t){0xFFFFFFFEu}, 4);
	fake_run(&f, f.notes_len, out);
	assert_string_equal(out, "devel");

	/* No PT_NOTE at all. */
	ElfW(Phdr) only_load = {.p_type = PT_LOAD};
	identity_build_id(out, &only_load, 1, (unsigned long)&only_load);
	assert_string_equal(out, "devel");
	identity_build_id(out, &only_load, 0, (unsigned long)&only_load);
	assert_string_equal(out, "devel");
}

static void test_identity_read(void **state)
{
	(void)state;
	unsigned long auxv[] = {AT_PHDR, getauxval(AT_PHDR), AT_PHNUM, getauxval(AT_PHNUM), AT_NULL, 0};
	struct identity id;
	memset(&id, 'Z', sizeof id);
	identity_read(&id, auxv, "2.36");
	assert_string_equal(id.program, "test_identity");
	char full[129] = {0};
	assert_true(file_build_id("/proc/self/exe", full, sizeof full));
	full[12] = 0;
	assert_string_equal(id.version, full);
	assert_string_equal(id.runtime, "glibc2.36");
	assert_string_equal(id.goos, "linux");
#if defined(__x86_64__)
	assert_string_equal(id.goarch, "amd64");
#elif defined(__aarch64__)
	assert_string_equal(id.goarch, "arm64");
#endif
	assert_string_equal(identity_goarch(), id.goarch);
	char exe[256];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	assert_true(n > 0);
	exe[n] = 0;
	assert_string_equal(id.path, exe);

	unsigned long empty[] = {AT_NULL, 0};
	identity_read(&id, empty, "2.36");
	assert_string_equal(id.version, "devel");
	assert_string_equal(id.program, "test_identity");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_names),
		cmocka_unit_test(test_program_name_odd_chars),
		cmocka_unit_test(test_program_name_length),
		cmocka_unit_test(test_build_id_of_self),
		cmocka_unit_test(test_build_id_fake),
		cmocka_unit_test(test_identity_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
