#define _GNU_SOURCE
#include "libc.h"

#include <elf.h>
#include <link.h>

#include <fcntl.h>

#include "bytes.h"
#include "musl.h"
#include "sys.h"

struct image {
	unsigned long base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const ElfW(Half) *versym;
	const uint32_t *gnu_hash;
};

/* glibc rewrites these entries to absolute addresses when it loads an
 * object; a value below the base is still relative. */
static unsigned long dyn_ptr(unsigned long base, ElfW(Addr) v)
{
	return v < base ? base + v : v;
}

static int image_of(struct image *im, unsigned long base, const ElfW(Dyn) *dyn)
{
	im->base = base;
	im->symtab = 0;
	im->strtab = 0;
	im->versym = 0;
	im->gnu_hash = 0;
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			im->symtab = (const void *)dyn_ptr(base, dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			im->strtab = (const void *)dyn_ptr(base, dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_VERSYM)
			im->versym = (const void *)dyn_ptr(base, dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_GNU_HASH)
			im->gnu_hash = (const void *)dyn_ptr(base, dyn->d_un.d_ptr);
	}
	return im->symtab && im->strtab && im->gnu_hash ? 0 : -1;
}

uint32_t libc_gnu_hash(const char *s)
{
	uint32_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* The standard DT_GNU_HASH walk; of several versions of one name, the one
 * not marked hidden is the default a new link would bind to. */
static void *image_lookup_n(const struct image *im, const char *name, size_t len, uint32_t hash)
{
	const uint32_t *h = im->gnu_hash;
	uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2], shift = h[3];
	const ElfW(Addr) *bloom = (const void *)(h + 4);
	const uint32_t *buckets = (const void *)(bloom + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	const unsigned bits = sizeof(ElfW(Addr)) * 8;
	ElfW(Addr) word = bloom[(hash / bits) % bloom_size];
	ElfW(Addr) mask = (ElfW(Addr))1 << (hash % bits) | (ElfW(Addr))1 << ((hash >> shift) % bits);
	if ((word & mask) != mask || nbuckets == 0)
		return 0;
	uint32_t i = buckets[hash % nbuckets];
	if (i < symoffset)
		return 0;
	for (;; i++) {
		uint32_t ch = chain[i - symoffset];
		const ElfW(Sym) *sym = &im->symtab[i];
		if ((ch | 1) == (hash | 1) && sym->st_shndx != SHN_UNDEF && sym->st_value &&
		    (!im->versym || !(im->versym[i] & 0x8000)) && bytes_equal(im->strtab + sym->st_name, name, len + 1))
			return (void *)(im->base + sym->st_value);
		if (ch & 1)
			return 0;
	}
}

static void *image_lookup(const struct image *im, const char *name, uint32_t hash)
{
	return image_lookup_n(im, name, bytes_len(name), hash);
}

void *libc_lookup(unsigned long base, const void *dynamic, const char *name)
{
	struct image im;
	return image_of(&im, base, dynamic) == 0 ? image_lookup(&im, name, libc_gnu_hash(name)) : 0;
}

static unsigned long auxv_value(const unsigned long *auxv, unsigned long type)
{
	for (; auxv[0] != AT_NULL; auxv += 2)
		if (auxv[0] == type)
			return auxv[1];
	return 0;
}

/* The dynamic section of the ELF image whose program headers are phdr. */
static const ElfW(Dyn) *dynamic_of(const ElfW(Phdr) *ph, unsigned long n, unsigned long *bias)
{
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			*bias = (unsigned long)ph - ph[i].p_vaddr;
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			return (const void *)(*bias + ph[i].p_vaddr);
	return 0;
}

/* The dynamic linker's list of loaded objects: from the main program's
 * DT_DEBUG entry (filled in by ld.so before any code runs), else from
 * ld.so's own _r_debug, found through AT_BASE. Memory reads only. */
static const struct link_map *loaded_objects(const unsigned long *auxv)
{
	unsigned long bias = 0;
	const ElfW(Dyn) *dyn = dynamic_of((const void *)auxv_value(auxv, AT_PHDR),
					  auxv_value(auxv, AT_PHNUM), &bias);
	for (; dyn && dyn->d_tag != DT_NULL; dyn++)
		if (dyn->d_tag == DT_DEBUG && dyn->d_un.d_ptr)
			return ((const struct r_debug *)dyn->d_un.d_ptr)->r_map;
	unsigned long base = auxv_value(auxv, AT_BASE);
	if (!base)
		return 0;
	const ElfW(Ehdr) *eh = (const void *)base;
	const ElfW(Phdr) *ph = (const void *)(base + eh->e_phoff);
	bias = base;
	const struct r_debug *r = libc_lookup(base, dynamic_of(ph, eh->e_phnum, &bias), "_r_debug");
	return r ? r->r_map : 0;
}



static const char *base_name(const char *path)
{
	const char *base = path;
	for (const char *p = path; *p; p++)
		if (*p == '/')
			base = p + 1;
	return base;
}

/* musl's C library is its dynamic linker, ld-musl-<arch>.so.1. */
static int is_musl(const struct link_map *m) { return str_after(base_name(m->l_name), "ld-musl-") != 0; }


/* What interposers forward to, published once for every thread: state 0 =
 * none, 1 = one thread is copying it in, 2 = ready. A thread that finds it
 * not ready uses the copy it computed itself, so nobody waits and nobody
 * reads a half-written one. */
struct lookup_scope {
	struct image libc;
	const struct link_map *libc_map;
	const struct link_map *after_us; /* the objects after ours, in lookup order */
};
static struct lookup_scope scope;
static int scope_state;

static const struct lookup_scope *published_scope(void)
{
	return __atomic_load_n(&scope_state, __ATOMIC_ACQUIRE) == 2 ? &scope : 0;
}

static void publish_scope(const struct lookup_scope *s)
{
	int none = 0;
	if (__atomic_compare_exchange_n(&scope_state, &none, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		scope = *s;
		__atomic_store_n(&scope_state, 2, __ATOMIC_RELEASE);
	}
}

static int sanitized; /* a sanitizer runtime is in the process: see libc_sanitized */

/* gcc's shared sanitizer runtimes: libasan.so.8, libtsan.so.2, liblsan.so.0, libubsan.so.1. */
static int is_sanitizer_runtime(const char *base)
{
	return str_after(base, "libasan.so") || str_after(base, "libtsan.so") || str_after(base, "liblsan.so") ||
	       str_after(base, "libubsan.so");
}

/* Each name is scanned once: this runs in every host process. The main
 * program (no name) and this library are skipped (our own long path). */
static const struct link_map *find_libc(const struct link_map *m)
{
	for (; m; m = m->l_next) {
		if (!m->l_name || !m->l_name[0] || m->l_ld == (const void *)_DYNAMIC)
			continue;
		const char *b = base_name(m->l_name);
		if (str_after(b, "libc.so.") || str_after(b, "ld-musl-"))
			return m;
		if (m->l_name[0] == '/' && is_sanitizer_runtime(b))
			__atomic_store_n(&sanitized, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

/* The dynamic linker's initial list is the program, the preloaded objects,
 * then their dependencies: the order in which it binds symbols. */
static int scope_of(struct lookup_scope *s, const struct link_map *objs)
{
	const struct link_map *m = find_libc(objs);
	if (!m || image_of(&s->libc, m->l_addr, m->l_ld) != 0)
		return -1;
	s->libc_map = m;
	s->after_us = 0;
	for (const struct link_map *o = objs; o; o = o->l_next)
		if (o->l_ld == (const void *)_DYNAMIC)
			s->after_us = o->l_next;
	return 0;
}

/* Before __libc_start_main (a sanitizer runtime initializing from the
 * program's .preinit_array calls sigaction, pthread_create...) nobody has
 * given us the auxiliary vector yet: read it from /proc/self/auxv with raw
 * system calls into this thread's stack. Only on that early path; the
 * dynamic linker has relocated every object by then, so its list is whole. */
static int early_scope(struct lookup_scope *s)
{
	unsigned long auxv[256];
	int fd = sys_openat(AT_FDCWD, "/proc/self/auxv", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	long n = sys_read(fd, auxv, sizeof auxv - 2 * sizeof auxv[0]);
	sys_close(fd);
	if (n <= 0)
		return -1;
	/* Only a runtime linked into the program calls us this early (clang's
	 * sanitizers all do: they install their signal handlers). */
	__atomic_store_n(&sanitized, 1, __ATOMIC_RELAXED);
	auxv[n / sizeof auxv[0]] = AT_NULL;
	auxv[n / sizeof auxv[0] + 1] = 0;
	return scope_of(s, loaded_objects(auxv));
}

static const struct link_map *objects;

/* The next definition after ours, as dlsym(RTLD_NEXT) would find it: a
 * sanitizer's interceptor when its runtime is a shared library loaded after
 * us (gcc's libtsan must see the threads created), else libc's. */
void *libc_symbol(const char *name)
{
	const struct lookup_scope *s = published_scope();
	struct lookup_scope early;
	if (!s) {
		if (early_scope(&early) != 0)
			return 0;
		publish_scope(&early);
		s = &early;
	}
	size_t len = bytes_len(name);
	uint32_t hash = libc_gnu_hash(name);
	for (const struct link_map *m = s->after_us; m && m != s->libc_map; m = m->l_next) {
		struct image im;
		void *f;
		if (m->l_name && m->l_name[0] && image_of(&im, m->l_addr, m->l_ld) == 0 &&
		    (f = image_lookup_n(&im, name, len, hash)))
			return f;
	}
	return image_lookup_n(&s->libc, name, len, hash);
}

const struct link_map *libc_loaded_objects(void) { return objects; }

/* Hashes are constants (checked by tests/unit/test_libc.c against
 * libc_gnu_hash): hashing the names costs more than the lookups. */
#define LOOKUP(field, name, hash) (*(void **)&api->field = image_lookup_n(&im, name, sizeof name - 1, hash))

int libc_resolve(struct libc_api *api, const unsigned long *auxv)
{
	struct lookup_scope s;
	if (scope_of(&s, objects = loaded_objects(auxv)) == 0) {
		const struct image im = s.libc;
		publish_scope(&s);
		LOOKUP(libc_start_main, "__libc_start_main", 0xf63d4e2eu);
		LOOKUP(clock_gettime, "clock_gettime", 0x71dd557fu);
		if (is_musl(s.libc_map)) {
			musl_adapt(api);
		} else {
			LOOKUP(on_exit, "on_exit", 0x6bc7f0dbu);
			LOOKUP(register_atfork, "__register_atfork", 0xfa697a6eu);
			LOOKUP(gnu_get_libc_version, "gnu_get_libc_version", 0xc5dc856cu);
		}
	}
	return api->libc_start_main && api->on_exit && api->register_atfork && api->clock_gettime &&
			       api->gnu_get_libc_version
		       ? 0
		       : -1;
}

/* Any other object's __libc_start_main, for a C library we do not know:
 * the host then starts untouched instead of not at all. */
void *libc_next_start_main(void)
{
	for (const struct link_map *m = objects; m; m = m->l_next) {
		struct image im;
		void *f;
		if (m->l_name && m->l_name[0] && m->l_ld != (const void *)_DYNAMIC &&
		    image_of(&im, m->l_addr, m->l_ld) == 0 &&
		    (f = image_lookup_n(&im, "__libc_start_main", 17, 0xf63d4e2eu)))
			return f;
	}
	return 0;
}

int libc_sanitized(void) { return __atomic_load_n(&sanitized, __ATOMIC_RELAXED); }

void *libc_program_symbol(const char *name)
{
	struct image im;
	if (!objects || image_of(&im, objects->l_addr, objects->l_ld) != 0)
		return 0;
	return image_lookup(&im, name, libc_gnu_hash(name));
}
