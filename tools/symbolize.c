/* libdw names: frames for stack counters, and (display only) functions and
 * file:line for recorded frames.
 *
 * Frame names carry no paths and no build-ids, but ingestion kept, locally
 * (stackmodules.h), where each stack's modules were loaded from and their
 * build-ids: `--symbolize` uses that file if it is still the same build,
 * else finds the build by build-id (debug directories, debuginfod when
 * DEBUGINFOD_URLS is set, within a bound), else by name of the same
 * build; and says exactly what was missing. Nothing here changes a name. */
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
#include <time.h>
#include <unistd.h>

#include "identity.h"
#include "stackmodules.h"

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
	char *key;  /* name and build-id */
	char *path; /* the file used, NULL: none */
	char *why;  /* what was missing, when nothing was found */
	Dwfl *dwfl;
	Dwfl_Module *mod;
};

struct symbolizer {
	struct sym_module *m;
	size_t n;
	char *(*demangle)(const char *, char *, size_t *, int *);
};

/* debuginfod may be asked only here, and within a bound: each request
 * gives up after DEBUGINFOD_BOUND_S without data, and after one that timed
 * out it is not asked again in this run. */
#define DEBUGINFOD_BOUND_S 5
static int debuginfod_gave_up;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void after_lookup(double t0)
{
	if (now_s() - t0 >= DEBUGINFOD_BOUND_S - 0.5 && getenv("DEBUGINFOD_URLS")) {
		unsetenv("DEBUGINFOD_URLS");
		debuginfod_gave_up = 1;
	}
}

static int bounded_find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, char **file,
			    Elf **elf)
{
	double t0 = now_s();
	int fd = dwfl_build_id_find_elf(mod, userdata, name, base, file, elf);
	after_lookup(t0);
	return fd;
}

static int bounded_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
				  const char *file, const char *debuglink, GElf_Word crc, char **debuginfo)
{
	double t0 = now_s();
	int fd = dwfl_standard_find_debuginfo(mod, userdata, name, base, file, debuglink, crc, debuginfo);
	after_lookup(t0);
	return fd;
}

static char *debuginfo_path;
static const Dwfl_Callbacks display_callbacks = {
	.find_elf = bounded_find_elf,
	.find_debuginfo = bounded_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct symbolizer *symbolizer_new(void)
{
	elf_version(EV_CURRENT);
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (urls && *urls) {
		setenv("DEBUGINFOD_TIMEOUT", "5", 0); /* the seconds of DEBUGINFOD_BOUND_S */
		setenv("DEBUGINFOD_MAXTIME", "30", 0);
	}
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
		free(s->m[i].key);
		free(s->m[i].path);
		free(s->m[i].why);
		if (s->m[i].dwfl)
			dwfl_end(s->m[i].dwfl);
	}
	free(s->m);
	free(s);
}

/* The file's build-id in hex ("" when it has none or is no ELF file). */
static void file_build_id(const char *path, char *out, size_t cap)
{
	out[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const unsigned char *id = NULL;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, (const void **)&id) : -1;
	for (ssize_t i = 0; i < n && (size_t)(2 * i + 2) < cap; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
	if (elf)
		elf_end(elf);
	close(fd);
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

/* A file of this build: its build-id starts with want (a full build-id,
 * or the counter file's short Version). */
static int same_build(const char *path, const char *want)
{
	char got[41];
	if (!regular_file(path))
		return 0;
	file_build_id(path, got, sizeof got);
	return want[0] && strncmp(got, want, strlen(want)) == 0;
}

/* First candidate of this build by name, into out. */
static int search(const char *name, char *out, size_t cap, const char *want)
{
	const char *path = getenv("PATH");
	char *dirs = strdup(path ? path : "/usr/bin:/bin"), *save = NULL;
	int found = 0;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save))
		found = (size_t)snprintf(out, cap, "%s/%s", *d ? d : ".", name) < cap && same_build(out, want);
	free(dirs);
	for (size_t i = 0; i < sizeof gcc_globs / sizeof *gcc_globs && !found; i++) {
		char pattern[512];
		glob_t g;
		snprintf(pattern, sizeof pattern, "%s%s", gcc_globs[i], name);
		if (glob(pattern, 0, NULL, &g) == 0)
			for (size_t j = g.gl_pathc; j-- > 0 && !found;) /* newest version first */
				found = (size_t)snprintf(out, cap, "%s", g.gl_pathv[j]) < cap && same_build(out, want);
		globfree(&g);
	}
	for (size_t i = 0; i < sizeof lib_dirs / sizeof *lib_dirs && !found; i++)
		found = (size_t)snprintf(out, cap, "%s/%s", lib_dirs[i], name) < cap && same_build(out, want);
	return found;
}

/* The debug directories' file for a build-id (Debian's -dbg packages). */
static int in_debug_dir(const char *id, char *out, size_t cap)
{
	if (strlen(id) < 4)
		return 0;
	snprintf(out, cap, "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
	return same_build(out, id);
}

static void report_file(struct sym_module *m, const char *name, const char *path)
{
	m->path = strdup(path);
	m->dwfl = dwfl_begin(&display_callbacks);
	if (m->dwfl) {
		dwfl_report_begin(m->dwfl);
		m->mod = dwfl_report_elf(m->dwfl, name, path, -1, 0, true); /* bias 0: addresses are vaddrs */
		dwfl_report_end(m->dwfl, NULL, NULL);
	}
}

/* The build from debuginfod, through libdw (a module known by build-id). */
static int from_debuginfod(struct sym_module *m, const char *name, const char *id)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	unsigned char bin[20];
	size_t n = strlen(id) / 2;
	if (!urls || !*urls || n == 0 || n > sizeof bin)
		return 0;
	for (size_t i = 0; i < n; i++)
		sscanf(id + 2 * i, "%2hhx", &bin[i]);
	Dwfl *dwfl = dwfl_begin(&display_callbacks);
	if (!dwfl)
		return 0;
	dwfl_report_begin(dwfl);
	Dwfl_Module *mod = dwfl_report_module(dwfl, name, 0, (Dwarf_Addr)1 << 40);
	dwfl_report_end(dwfl, NULL, NULL);
	Dwarf_Addr bias;
	if (!mod || dwfl_module_report_build_id(mod, bin, n, 0) != 0 || !dwfl_module_getelf(mod, &bias)) {
		dwfl_end(dwfl);
		return 0;
	}
	m->dwfl = dwfl;
	m->mod = mod;
	m->path = strdup("debuginfod");
	return 1;
}

static char *missing(const char *name, const char *id, const char *loaded)
{
	char *out = NULL, *where = NULL;
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (!loaded || !*loaded || asprintf(&where, "%s %s", loaded, regular_file(loaded) ? "is another build" : "is missing") < 0)
		where = strdup("loaded from a path not recorded");
	if (asprintf(&out, "%s: no file with build-id %s: %s; not in /usr/lib/debug/.build-id, PATH or the system "
		       "library directories; %s",
		 name, *id ? id : "(none)", where ? where : "?",
		 debuginfod_gave_up ? "debuginfod did not answer within 5 s"
		 : urls && *urls    ? "debuginfod has none"
				    : "debuginfod not asked (DEBUGINFOD_URLS is not set)") < 0)
		out = NULL;
	free(where);
	return out;
}

/* A .symtab, or DWARF (in the file or a debug file found for it). */
static int has_symbols(struct sym_module *m)
{
	Dwarf_Addr bias;
	Elf *elf = m->mod ? dwfl_module_getelf(m->mod, &bias) : NULL;
	for (Elf_Scn *scn = elf ? elf_nextscn(elf, NULL) : NULL; scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return 1;
	}
	return m->mod && dwfl_module_getdwarf(m->mod, &bias) != NULL;
}

static void drop_module(struct sym_module *m)
{
	free(m->path);
	if (m->dwfl)
		dwfl_end(m->dwfl);
	m->path = NULL, m->dwfl = NULL, m->mod = NULL;
}

/* The module file for a frame: where it was loaded from, when that is
 * still the build that crashed; else by build-id (debug directories,
 * debuginfod); else by name where a system keeps it, of the same build. */
static struct sym_module *find_module(struct symbolizer *s, const char *name, json_t *entry,
				      const char *program, const char *version)
{
	const char *id = json_string_value(json_object_get(entry, "build_id"));
	const char *loaded = json_string_value(json_object_get(entry, "path"));
	char key[512], normalized[ID_PROGRAM_MAX + 1], path[4096];
	snprintf(key, sizeof key, "%s %s", name, id ? id : "");
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->m[i].key, key) == 0)
			return &s->m[i];
	struct sym_module *grown = realloc(s->m, (s->n + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	s->m = grown;
	struct sym_module *m = &s->m[s->n++];
	*m = (struct sym_module){strdup(key), NULL, NULL, NULL, NULL};
	identity_program_name(normalized, name, strlen(name));
	/* Without a record of the build (stacks ingested by an older telem),
	 * the main program is known by the counter file's Version. */
	const char *want = id ? id : strcmp(normalized, program) == 0 ? version : "";
	/* The first candidate with symbols wins (a stripped file of the same
	 * build only if there is nothing better). */
	struct sym_module first = {0};
	for (int step = 0; step < 4 && !has_symbols(m); step++) {
		int found = 0;
		if (step == 0)
			found = loaded && loaded[0] == '/' && same_build(loaded, want) && snprintf(path, sizeof path, "%s", loaded) > 0;
		else if (step == 1)
			found = id && in_debug_dir(id, path, sizeof path);
		else if (step == 2)
			found = search(name, path, sizeof path, want);
		if (step == 3) {
			if (!first.mod && id)
				from_debuginfod(m, name, id);
		} else if (found) {
			drop_module(m);
			report_file(m, name, path);
		}
		if (m->mod && !first.mod && !has_symbols(m)) {
			first = *m; /* kept aside */
			m->path = NULL, m->dwfl = NULL, m->mod = NULL;
		}
	}
	if (!has_symbols(m) && first.mod) {
		drop_module(m);
		m->path = first.path, m->dwfl = first.dwfl, m->mod = first.mod;
	} else if (first.mod) {
		drop_module(&first);
	}
	if (!m->mod)
		m->why = missing(name, want, loaded);
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

static char *shown_name(struct symbolizer *s, const char *fn)
{
	char *demangled = fn && s->demangle && strncmp(fn, "_Z", 2) == 0 ? s->demangle(fn, NULL, NULL, NULL) : NULL;
	return demangled ? demangled : strdup(fn ? fn : "??");
}

/* Adds "name at file:line" (or just the name) as a line of its own. */
static void append_frame(char **out, const char *name, const char *file, int line)
{
	char *more = NULL, *joined = NULL;
	if ((file ? asprintf(&more, "%s at %s:%d", name, file, line) : asprintf(&more, "%s", name)) < 0)
		return;
	if (!*out) {
		*out = more;
		return;
	}
	if (asprintf(&joined, "%s\n%s", *out, more) >= 0) {
		free(*out);
		*out = joined;
	}
	free(more);
}

/* A DW_AT_call_file index as a file name, from the CU's line table. */
static const char *call_file(Dwarf_Die *die, Dwarf_Die *cu)
{
	Dwarf_Attribute attr;
	Dwarf_Word idx;
	Dwarf_Files *files;
	size_t nfiles;
	if (!dwarf_attr(die, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &idx) != 0 ||
	    dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

/* Each function at addr as gdb shows it: the innermost inlined one at the
 * pc's line, then each one it was inlined into at the line of the call,
 * ending with the physical function; "\n" between them. */
static char *describe(struct symbolizer *s, Dwfl_Module *mod, GElf_Addr addr)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias), *scopes = NULL, innermost;
	int n = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
	/* dwarf_getscopes follows an inlined function into its abstract
	 * definition; the concrete chain (what it was inlined into) is the
	 * innermost scope's parents. */
	if (n > 0) {
		innermost = scopes[0];
		free(scopes);
		scopes = NULL;
		n = dwarf_getscopes_die(&innermost, &scopes);
	}
	Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
	int lineno = 0;
	const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	char *out = NULL;
	for (int i = 0; i < n; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		char *name = shown_name(s, dwarf_diename(&scopes[i]));
		append_frame(&out, name, file, lineno);
		free(name);
		if (tag == DW_TAG_subprogram)
			break;
		/* The next one out is at this inlined call's place. */
		Dwarf_Attribute attr;
		Dwarf_Word call_line = 0;
		file = call_file(&scopes[i], cu);
		if (dwarf_attr(&scopes[i], DW_AT_call_line, &attr) && dwarf_formudata(&attr, &call_line) == 0)
			lineno = (int)call_line;
	}
	free(scopes);
	if (out)
		return out;
	GElf_Off off;
	GElf_Sym sym;
	const char *fn = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!fn && !file)
		return NULL;
	char *name = shown_name(s, fn);
	append_frame(&out, name, file, lineno);
	free(name);
	return out;
}

static char *why_fmt(const char *fmt, const char *a, const char *b) __attribute__((format(printf, 1, 0)));
static char *why_fmt(const char *fmt, const char *a, const char *b)
{
	char *out = NULL;
	return asprintf(&out, fmt, a, b) < 0 ? NULL : out;
}

char *symbolizer_resolve(struct symbolizer *s, const char *frame, json_t *modules, const char *program,
			 const char *version, char **why)
{
	*why = NULL;
	const char *plus = strstr(frame, "+0x"), *next;
	while (plus && (next = strstr(plus + 1, "+0x")))
		plus = next;
	if (!s || !plus) {
		*why = strdup(strcmp(frame, "??") == 0 ? "no module: the pc lay outside every module"
						       : "not a module+offset frame");
		return NULL;
	}
	const char *bang = memchr(frame, '!', (size_t)(plus - frame));
	char module[256], fn[4096];
	size_t mlen = (size_t)((bang ? bang : plus) - frame);
	if (mlen == 0 || mlen >= sizeof module)
		return NULL;
	memcpy(module, frame, mlen);
	module[mlen] = 0;
	GElf_Addr addr = strtoull(plus + 3, NULL, 16), base = 0;
	struct sym_module *m = find_module(s, module, stack_modules_find(modules, module), program, version);
	if (!m)
		return NULL;
	if (!m->mod) {
		*why = strdup(m->why ? m->why : "cannot be read");
		return NULL;
	}
	if (bang) {
		size_t flen = (size_t)(plus - bang - 1);
		if (flen >= sizeof fn)
			return NULL;
		memcpy(fn, bang + 1, flen);
		fn[flen] = 0;
		if (symbol_address(m->mod, fn, &base) < 0) {
			*why = why_fmt("%s (the very build) has no symbols for %s", m->path, fn);
			return NULL;
		}
	}
	char *out = describe(s, m->mod, base + addr);
	if (!out)
		*why = why_fmt("%s (the very build) has no symbols or line information there%s", m->path, "");
	return out;
}
