#include "names.h"

#include <stdint.h>

#include "bytes.h"

/* The tables here are packed string lists (see bytes.h), not arrays of
 * pointers: a pointer in data is a relocation the dynamic linker applies in
 * every process, and every process pays for it. */
static const char gcc_programs[] = "gcc\0g++\0cc\0c++\0cpp\0clang\0clang++\0cc1\0cc1plus\0cc1obj\0"
				   "lto1\0f951\0gfortran\0collect2\0ld\0ld.bfd\0ld.gold\0ld.lld\0lld\0as\0";

int names_gcc_family(const char *program) { return list_has(gcc_programs, program); }

/* Programs that run a command given as operands (README, "Flags"). */
static const char wrappers[] = "timeout\0env\0nice\0nohup\0stdbuf\0setsid\0taskset\0ionice\0chrt\0"
			       "flock\0xargs\0time\0sudo\0ccache\0sccache\0distcc\0";

int names_wrapper(const char *program) { return list_has(wrappers, program); }

/* Flags whose value is joined to them or follows as the next argument. */
static const char valued[] =
	"-isystem\0-include\0-imacros\0-iquote\0-idirafter\0-iprefix\0-iwithprefix\0"
	"-iwithprefixbefore\0-isysroot\0-imultilib\0-iplugindir\0-dumpbase-ext\0-dumpbase\0"
	"-dumpdir\0-auxbase-strip\0-auxbase\0-aux-info\0-Xlinker\0-Xassembler\0"
	"-Xpreprocessor\0-Xclang\0-MF\0-MT\0-MQ\0-I\0-L\0-l\0-D\0-U\0-o\0-B\0"
	"-T\0-u\0-e\0-x\0-z\0-G\0-h\0-m\0-plugin-opt\0-plugin\0-soname\0"
	"-rpath-link\0-rpath\0-dynamic-linker\0--sysroot\0-specs\0";

/* Joined-only prefixes whose value is private: keep just the prefix. */
static const char joined[] = "-Wl,\0-Wa,\0-Wp,\0-fplugin-arg-\0-fprofile-\0-ffile-prefix-map\0"
			     "-fdebug-prefix-map\0-fmacro-prefix-map\0";

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
	for (const char *j = joined; *j; j = list_next(j))
		if (str_after(arg, j))
			return put(out, j, bytes_len(j));
	for (const char *v = valued; *v; v = list_next(v)) {
		const char *rest = str_after(arg, v);
		/* "-m" and "-e"... prefixes also start real flags (-march, -mtune):
		 * only single letters and the long names above take a separate value. */
		if (!rest)
			continue;
		size_t vl = bytes_len(v);
		int single = vl == 2 && v[1] != '-';
		if (*rest == 0) {
			*skip_next = 1;
			return put(out, v, vl);
		}
		if (single && arg[1] != 'm') /* -march, -m64 are flags, not -m values */
			return put(out, v, vl);
		if (!single && *rest != '=' && vl >= 3)
			return put(out, v, vl);
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
	char name[8];
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
