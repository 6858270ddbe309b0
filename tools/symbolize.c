/* libdw names: frames for stack counters, and (display only) functions and
 * file:line for recorded frames.
 *
 * Recorded frames carry no paths and no build-ids beyond the program's
 * short one, so `--symbolize` finds module files by basename where a
 * system keeps them, checks the main program against the counter file's
 * Version, and lets libdw find debug information (debug directories,
 * debuginfod when DEBUGINFOD_URLS is set). Nothing here changes a name. */
#define _GNU_SOURCE
#include "symbolize.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"

/* Bytes that would end a frame line or open Go's ditto mark ('"' first)
 * become '_'; nothing from outside printable ASCII reaches a counter. */
static void make_safe(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			*p = '_';
	if (s[0] == '"')
		s[0] = '_';
}

void frame_module_name(const char *path, char *out, size_t cap)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(out, cap, "%s", *base ? base : "?");
	make_safe(out);
}

size_t frame_name(Dwfl_Module *mod, Dwarf_Addr pc, const char *module, uint64_t bias, char *out, size_t cap)
{
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *fn = mod ? dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL) : NULL;
	/* "name@@GLIBC_2.34" in some symbol tables, "name" in others: the
	 * version would make one crash two stacks. */
	int n, fn_len = fn ? (int)strcspn(fn, "@") : 0;
	if (fn_len > 0)
		n = snprintf(out, cap, "%s!%.*s+0x%" PRIx64, module, fn_len, fn, (uint64_t)off);
	else
		n = snprintf(out, cap, "%s+0x%" PRIx64, module, (uint64_t)(pc - bias));
	make_safe(out);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

/* ---- display: resolving recorded frames on this machine ---- */

struct sym_module {
	char *name;
	Dwfl *dwfl;
	Dwfl_Module *mod; /* NULL: not found here */
};

struct symbolizer {
	struct sym_module *m;
	size_t n;
	char *(*demangle)(const char *, char *, size_t *, int *);
};

static char *debuginfo_path;
static const Dwfl_Callbacks display_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct symbolizer *symbolizer_new(void)
{
	elf_version(EV_CURRENT);
	struct symbolizer *s = calloc(1, sizeof *s);
	/* C++ names demangled for people when libstdc++ is around; telem does
	 * not link it, and counters keep the mangled names. */
	void *cxx = s ? dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL) : NULL;
	if (cxx)
		*(void **)&s->demangle = dlsym(cxx, "__cxa_demangle");
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->m[i].name);
		if (s->m[i].dwfl)
			dwfl_end(s->m[i].dwfl);
	}
	free(s->m);
	free(s);
}

static int build_id_starts(const char *path, const char *hex)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const unsigned char *id = NULL;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, (const void **)&id) : -1;
	char got[2 * 20 + 1] = "devel";
	for (ssize_t i = 0; i < n && i < 20; i++)
		snprintf(got + 2 * i, 3, "%02x", id[i]);
	if (elf)
		elf_end(elf);
	close(fd);
	return strncmp(got, hex, strlen(hex)) == 0;
}

static int regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Where programs and libraries live: PATH, GCC's private programs (cc1,
 * lto1 ...), the dynamic loader's standard directories. */
static const char *const lib_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
};
static const char *const gcc_globs[] = {"/usr/lib/gcc/*/*/", "/usr/libexec/gcc/*/*/"};

/* First candidate for which ok() holds, into out. */
static int search(const char *name, char *out, size_t cap, int (*ok)(const char *, const char *),
		  const char *arg)
{
	const char *path = getenv("PATH");
	char *dirs = strdup(path ? path : "/usr/bin:/bin"), *save = NULL;
	int found = 0;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save))
		found = (size_t)snprintf(out, cap, "%s/%s", *d ? d : ".", name) < cap && ok(out, arg);
	free(dirs);
	for (size_t i = 0; i < sizeof gcc_globs / sizeof *gcc_globs && !found; i++) {
		char pattern[512];
		glob_t g;
		snprintf(pattern, sizeof pattern, "%s%s", gcc_globs[i], name);
		if (glob(pattern, 0, NULL, &g) == 0)
			for (size_t j = g.gl_pathc; j-- > 0 && !found;) /* newest version first */
				found = (size_t)snprintf(out, cap, "%s", g.gl_pathv[j]) < cap && ok(out, arg);
		globfree(&g);
	}
	for (size_t i = 0; i < sizeof lib_dirs / sizeof *lib_dirs && !found; i++)
		found = (size_t)snprintf(out, cap, "%s/%s", lib_dirs[i], name) < cap && ok(out, arg);
	return found;
}

static int same_build(const char *path, const char *version)
{
	return regular_file(path) && build_id_starts(path, version);
}

static int any_file(const char *path, const char *unused)
{
	(void)unused;
	return regular_file(path);
}

/* The main program must be the very build the counter file names; a
 * library is known only by its name, so the one installed here is used. */
static struct sym_module *find_module(struct symbolizer *s, const char *name, const char *program,
				      const char *version)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->m[i].name, name) == 0)
			return &s->m[i];
	struct sym_module *grown = realloc(s->m, (s->n + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	s->m = grown;
	struct sym_module *m = &s->m[s->n++];
	*m = (struct sym_module){strdup(name), NULL, NULL};
	char normalized[ID_PROGRAM_MAX + 1], path[4096];
	identity_program_name(normalized, name, strlen(name));
	int main_program = strcmp(normalized, program) == 0;
	if (!search(name, path, sizeof path, main_program ? same_build : any_file, version))
		return m;
	m->dwfl = dwfl_begin(&display_callbacks);
	if (m->dwfl) {
		dwfl_report_begin(m->dwfl);
		m->mod = dwfl_report_elf(m->dwfl, name, path, -1, 0, true); /* bias 0: addresses are vaddrs */
		dwfl_report_end(m->dwfl, NULL, NULL);
	}
	return m;
}

static int symbol_address(Dwfl_Module *mod, const char *fn, GElf_Addr *addr)
{
	int n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &value, NULL, NULL, NULL);
		size_t len = name ? strcspn(name, "@") : 0; /* recorded without the version */
		if (len && strncmp(name, fn, len) == 0 && fn[len] == 0 && GELF_ST_TYPE(sym.st_info) == STT_FUNC) {
			*addr = value;
			return 0;
		}
	}
	return -1;
}

/* The innermost function at addr by DWARF (an inlined one included),
 * else the symbol table's. */
static const char *function_at(Dwfl_Module *mod, GElf_Addr addr)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias), *scopes = NULL;
	int n = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
	const char *name = NULL;
	for (int i = 0; i < n && !name; i++)
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram || dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine)
			name = dwarf_diename(&scopes[i]);
	free(scopes);
	if (name)
		return name;
	GElf_Off off;
	GElf_Sym sym;
	return dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
}

static char *describe(struct symbolizer *s, Dwfl_Module *mod, GElf_Addr addr)
{
	const char *fn = function_at(mod, addr), *file = NULL;
	char *demangled = fn && s->demangle && strncmp(fn, "_Z", 2) == 0 ? s->demangle(fn, NULL, NULL, NULL) : NULL;
	Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
	int lineno = 0;
	if (line)
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	char *out = NULL;
	if (!fn && !file)
		return NULL;
	const char *shown = demangled ? demangled : fn ? fn : "??";
	int rc = file ? asprintf(&out, "%s at %s:%d", shown, file, lineno) : asprintf(&out, "%s", shown);
	free(demangled);
	return rc < 0 ? NULL : out;
}

char *symbolizer_resolve(struct symbolizer *s, const char *frame, const char *program, const char *version)
{
	const char *plus = strstr(frame, "+0x"), *next;
	while (plus && (next = strstr(plus + 1, "+0x")))
		plus = next;
	if (!s || !plus)
		return NULL;
	const char *bang = memchr(frame, '!', (size_t)(plus - frame));
	char module[256], fn[4096];
	size_t mlen = (size_t)((bang ? bang : plus) - frame);
	if (mlen == 0 || mlen >= sizeof module)
		return NULL;
	memcpy(module, frame, mlen);
	module[mlen] = 0;
	GElf_Addr addr = strtoull(plus + 3, NULL, 16), base = 0;
	struct sym_module *m = find_module(s, module, program, version);
	if (!m || !m->mod)
		return NULL;
	if (bang) {
		size_t flen = (size_t)(plus - bang - 1);
		if (flen >= sizeof fn)
			return NULL;
		memcpy(fn, bang + 1, flen);
		fn[flen] = 0;
		if (symbol_address(m->mod, fn, &base) < 0)
			return NULL;
	}
	return describe(s, m->mod, base + addr);
}
