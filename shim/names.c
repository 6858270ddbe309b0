#include "names.h"

#include <stdint.h>

#include "bytes.h"

static const char *const gcc_programs[] = {
	"gcc", "g++", "cc", "c++", "cpp", "clang", "clang++", "cc1", "cc1plus", "cc1obj",
	"lto1", "f951", "gfortran", "collect2", "ld", "ld.bfd", "ld.gold", "ld.lld", "lld", "as", 0,
};

int names_gcc_family(const char *program)
{
	for (int i = 0; gcc_programs[i]; i++)
		if (str_equal(program, gcc_programs[i]))
			return 1;
	return 0;
}

/* Flags whose value is joined to them or follows as the next argument. */
static const char *const valued[] = {
	"-isystem", "-include", "-imacros", "-iquote", "-idirafter", "-iprefix", "-iwithprefix",
	"-iwithprefixbefore", "-isysroot", "-imultilib", "-iplugindir", "-dumpbase-ext", "-dumpbase",
	"-dumpdir", "-auxbase-strip", "-auxbase", "-aux-info", "-Xlinker", "-Xassembler",
	"-Xpreprocessor", "-Xclang", "-MF", "-MT", "-MQ", "-I", "-L", "-l", "-D", "-U", "-o", "-B",
	"-T", "-u", "-e", "-x", "-z", "-G", "-h", "-m", "-plugin-opt", "-plugin", "-soname",
	"-rpath-link", "-rpath", "-dynamic-linker", "--sysroot", "-specs", 0,
};

/* Joined-only prefixes whose value is private: keep just the prefix. */
static const char *const joined[] = {"-Wl,", "-Wa,", "-Wp,", "-fplugin-arg-", "-fprofile-", "-ffile-prefix-map", "-fdebug-prefix-map", "-fmacro-prefix-map", 0};

static int flag_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '+' || c == '.' || c == ',';
}

static size_t put(char *out, const char *s, size_t n)
{
	bytes_copy(out, s, n);
	out[n] = 0;
	return n;
}

static size_t gcc_flag(const char *arg, char *out, int *skip_next)
{
	for (int i = 0; joined[i]; i++)
		if (str_after(arg, joined[i]))
			return put(out, joined[i], bytes_len(joined[i]));
	for (int i = 0; valued[i]; i++) {
		const char *rest = str_after(arg, valued[i]);
		/* "-m" and "-e"... prefixes also start real flags (-march, -mtune):
		 * only single letters and the long names above take a separate value. */
		if (!rest)
			continue;
		size_t vl = bytes_len(valued[i]);
		int single = vl == 2 && valued[i][1] != '-';
		if (*rest == 0) {
			*skip_next = 1;
			return put(out, valued[i], vl);
		}
		if (single && arg[1] != 'm') /* -march, -m64 are flags, not -m values */
			return put(out, valued[i], vl);
		if (!single && *rest != '=' && vl >= 3)
			return put(out, valued[i], vl);
	}
	return (size_t)-1; /* not special: the generic rule decides */
}

size_t names_flag(int gcc_family, const char *arg, char *out, int *skip_next)
{
	*skip_next = 0;
	if (arg[0] != '-' || arg[1] == 0 || (arg[1] == '-' && arg[2] == 0))
		return 0; /* operands, "-" (stdin) and "--" are not flags */
	if (gcc_family) {
		size_t n = gcc_flag(arg, out, skip_next);
		if (n != (size_t)-1)
			return n;
	}
	size_t n = 0;
	while (arg[n] && arg[n] != '=' && n <= FLAG_NAME_MAX)
		n++;
	/* Outside gcc's family a single dash means getopt letters, where
	 * anything after the first letter may be a joined value (-j8, -Wignore). */
	if (!gcc_family && arg[1] != '-')
		n = 2;
	int ok = n <= FLAG_NAME_MAX;
	for (size_t i = 1; ok && i < n; i++)
		ok = flag_char_ok(arg[i]);
	return ok ? put(out, arg, n) : put(out, "other", 5);
}

static const struct bucket {
	uint64_t below;
	const char *name;
} time_buckets[] = {
	{10, "<10ms"}, {100, "<100ms"}, {1000, "<1s"}, {10000, "<10s"},
	{60000, "<1m"}, {600000, "<10m"}, {UINT64_MAX, ">=10m"},
}, rss_buckets[] = {
	{16 << 10, "<16MB"}, {64 << 10, "<64MB"}, {256 << 10, "<256MB"},
	{1 << 20, "<1GB"}, {4ull << 20, "<4GB"}, {UINT64_MAX, ">=4GB"},
};

static const char *bucket_of(const struct bucket *b, uint64_t v)
{
	while (v >= b->below && b->below != UINT64_MAX)
		b++;
	return b->name;
}

const char *names_time_bucket(uint64_t ms) { return bucket_of(time_buckets, ms); }
const char *names_rss_bucket(uint64_t kb) { return bucket_of(rss_buckets, kb); }

static int rank_of(const struct bucket *b, const char *name)
{
	for (int i = 0;; i++) {
		if (str_equal(b[i].name, name))
			return i;
		if (b[i].below == UINT64_MAX)
			return -1;
	}
}

int names_rss_rank(const char *bucket) { return rank_of(rss_buckets, bucket); }
int names_time_rank(const char *bucket) { return rank_of(time_buckets, bucket); }
