/* gen_year DIR [WEEKS PROGRAMS COUNTERS [LAST_END_DAY]]: writes a year of
 * counter files into DIR/local, the data that telem view's budget is set
 * for (issue 4: 52 weeks x 20 programs x 200 counters), through the shim's
 * own counter file code, so the files are exactly what hosts would leave.
 *
 * One file per program and week (TimeBegin = TimeEnd - 7 days). Each
 * program has the counters the shim writes: invocations, exit codes, flags
 * (most of the 200), wall/cpu/maxrss buckets, the -us sums and a signal;
 * counts come from a fixed pseudo-random sequence, so runs are identical.
 *
 * gen_year --one DIR PROGRAM YYYY-MM-DD NAME COUNT [NAME COUNT...] writes
 * one file of program PROGRAM (version 0123456789ab) whose TimeEnd is that
 * day, with exactly the counters given: names the shim would never make
 * (quotes, markup) for the tools' escaping tests.
 *
 * Built by `make` like every test program: the shim's sources are included
 * here rather than linked, since the build rule compiles one file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../shim/counterfile.c"
#include "../../shim/beneath.c"
#include "../../shim/week.c"

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void add(struct counter_file *cf, const char *prog, const char *what, uint64_t n)
{
	char name[256];
	int len = snprintf(name, sizeof name, "%s/%s", prog, what);
	counter_file_add(cf, name, (size_t)len, n);
}

/* The counters of one program for one week: COUNTERS of them in all. */
static void fill(struct counter_file *cf, const char *prog, int counters)
{
	static const char *const time_buckets[] = {"<10ms", "<100ms", "<1s", "<10s", "<1m", "<10m", ">=10m"};
	static const char *const rss_buckets[] = {"<16MB", "<64MB", "<256MB", "<1GB", "<4GB", ">=4GB"};
	uint64_t runs = 1000 + next_random() % 9000;
	char what[64];
	int made = 0;
	add(cf, prog, "invocations", runs), made++;
	add(cf, prog, "wall-us", runs * 1000 * (50 + next_random() % 500)), made++;
	add(cf, prog, "cpu-us", runs * 1000 * (40 + next_random() % 400)), made++;
	add(cf, prog, "signal:SIGSEGV", next_random() % 3), made++;
	for (int i = 0; i < 7; i++, made += 2) {
		snprintf(what, sizeof what, "wall:%s", time_buckets[i]);
		add(cf, prog, what, next_random() % (runs / (i + 1)));
		snprintf(what, sizeof what, "cpu:%s", time_buckets[i]);
		add(cf, prog, what, next_random() % (runs / (i + 1)));
	}
	for (int i = 0; i < 6; i++, made++) {
		snprintf(what, sizeof what, "maxrss:%s", rss_buckets[i]);
		add(cf, prog, what, next_random() % (runs / (i + 1)));
	}
	for (int code = 0; code < 5; code++, made++) {
		snprintf(what, sizeof what, "exit:%d", code == 4 ? 127 : code);
		add(cf, prog, what, code ? next_random() % 50 : runs - 100);
	}
	for (int f = 0; made < counters; f++, made++) {
		snprintf(what, sizeof what, "flag:-fflag-number-%d", f);
		add(cf, prog, what, next_random() % (runs / (f % 20 + 1)) + 1);
	}
}

static int open_file(struct counter_file *cf, const char *local, const char *prog, const char *version,
		     int64_t end)
{
	char name[512], meta[CF_MAX_META + 1], path[2048];
	struct file_identity id = {prog, version, "glibc2.36", "linux", "amd64"};
	struct text n = TEXT_INIT(name, sizeof name), m = TEXT_INIT(meta, sizeof meta);
	week_file_name(&n, &id, end - 7);
	week_meta(&m, &id, end - 7, end);
	snprintf(path, sizeof path, "%s/%s", local, name);
	int err = 0;
	if (n.overflow || m.overflow || counter_file_open(cf, path, meta, m.len, 1, &err) != CF_OK) {
		fprintf(stderr, "gen_year: %s: cannot create (%d)\n", path, err);
		return -1;
	}
	return 0;
}

static int write_file(const char *local, const char *prog, int64_t end, int counters)
{
	char version[16];
	snprintf(version, sizeof version, "%012llx", (unsigned long long)(next_random() % 4 + 0xabc000));
	struct counter_file cf;
	if (open_file(&cf, local, prog, version, end) < 0)
		return -1;
	fill(&cf, prog, counters);
	counter_file_close(&cf);
	return 0;
}

static int write_one(int argc, char **argv)
{
	char local[1024];
	int64_t end = argc > 4 ? week_parse_date(argv[4]) : -1;
	if (argc < 7 || argc % 2 == 0 || end < 0) {
		fprintf(stderr, "usage: gen_year --one DIR PROGRAM YYYY-MM-DD NAME COUNT [NAME COUNT...]\n");
		return 2;
	}
	snprintf(local, sizeof local, "%s/local", argv[2]);
	mkdir(argv[2], 0775);
	mkdir(local, 0775);
	struct counter_file cf;
	if (open_file(&cf, local, argv[3], "0123456789ab", end) < 0)
		return 1;
	for (int i = 5; i + 1 < argc; i += 2)
		counter_file_add(&cf, argv[i], strlen(argv[i]), strtoull(argv[i + 1], NULL, 10));
	counter_file_close(&cf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--one") == 0)
		return write_one(argc, argv);
	if (argc != 2 && argc != 5 && argc != 6) {
		fprintf(stderr, "usage: gen_year DIR [WEEKS PROGRAMS COUNTERS [LAST_END_DAY]]\n");
		return 2;
	}
	int weeks = argc > 2 ? atoi(argv[2]) : 52, programs = argc > 3 ? atoi(argv[3]) : 20;
	int counters = argc > 4 ? atoi(argv[4]) : 200;
	int64_t last = argc > 5 ? strtoll(argv[5], NULL, 10) : week_days_from_civil(2024, 6, 12);
	char local[1024];
	snprintf(local, sizeof local, "%s/local", argv[1]);
	mkdir(argv[1], 0775);
	mkdir(local, 0775);
	for (int w = 0; w < weeks; w++)
		for (int p = 0; p < programs; p++) {
			char prog[32];
			snprintf(prog, sizeof prog, "tool%02d", p);
			if (write_file(local, prog, last - 7 * (weeks - 1 - w), counters) < 0)
				return 1;
		}
	return 0;
}
