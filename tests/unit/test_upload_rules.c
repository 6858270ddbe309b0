/* Go's upload selection, case by case (tools/config.c). Each expected
 * outcome is derived from Go's code, not from telem's output:
 * golang.org/x/telemetry internal/upload/reports.go, createReport:
 *     if report.X > u.config.SampleRate && u.config.SampleRate > 0 { uploadOK = false }
 *     if !cfg.HasGoVersion(p.GoVersion) || !cfg.HasProgram(p.Program) || !cfg.HasVersion(p.Program, p.Version) { continue }
 *     counters: cfg.HasCounter(p.Program, k) && report.X <= cfg.Rate(p.Program, k)
 *     stacks:   before, _, _ := strings.Cut(k, "\n"); cfg.HasStack(p.Program, before) && report.X <= cfg.Rate(p.Program, before)
 *               x.Stacks[k] = v   (the whole stack: Depth is not applied)
 * and internal/config/config.go, NewConfig: sets built from the lists (an
 * absent list is an empty set), counters expanded by Expand("a:{b,c}"),
 * rate[(program, name)] assigned counters first, then stacks, in list
 * order (the last assignment wins); GOOS/GOARCH are not consulted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"

/* Go's published config (config/config.json) in miniature: no Version. */
#define HEAD "{\"GOOS\": [\"linux\"], \"GOARCH\": [\"amd64\"], \"GoVersion\": [\"glibc2.36\"], "

struct rule_case {
	const char *why;
	const char *config;
	double x;
	const char *program, *version, *goversion;
	const char *name; /* a counter, or a stack (has '\n'); NULL: only the program's selection */
	int want;         /* 1: in the upload report */
};

static const struct rule_case cases[] = {
	/* SampleRate */
	{"SampleRate 0 means no sampling", HEAD "\"SampleRate\": 0, \"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 1}]}]}", 0.99, "gcc", "v1", "glibc2.36", "gcc/a", 1},
	{"SampleRate absent is Go's zero value: no sampling", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 1}]}]}", 0.99, "gcc", "v1", "glibc2.36", "gcc/a", 1},
	{"X equal to SampleRate is sampled in", HEAD "\"SampleRate\": 0.5, \"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 1}]}]}", 0.5, "gcc", "v1", "glibc2.36", "gcc/a", 1},
	{"X above SampleRate: nothing uploaded", HEAD "\"SampleRate\": 0.5, \"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 1}]}]}", 0.5000001, "gcc", "v1", "glibc2.36", "gcc/a", 0},
	/* counter rates */
	{"X equal to a counter's Rate is kept", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 0.25}]}]}", 0.25, "gcc", "v1", "glibc2.36", "gcc/a", 1},
	{"X above a counter's Rate is dropped", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 0.25}]}]}", 0.2500001, "gcc", "v1", "glibc2.36", "gcc/a", 0},
	{"Rate 0 with X 0: kept (0 <= 0)", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 0}]}]}", 0, "gcc", "v1", "glibc2.36", "gcc/a", 1},
	{"Rate absent is 0", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\"}]}]}", 0.01, "gcc", "v1", "glibc2.36", "gcc/a", 0},
	{"a counter not listed", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 1}]}]}", 0, "gcc", "v1", "glibc2.36", "gcc/b", 0},
	{"expanded bucket", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/exit:{0,1}\", \"Rate\": 1}]}]}", 0.5, "gcc", "v1", "glibc2.36", "gcc/exit:1", 1},
	{"a bucket not in the list", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/exit:{0,1}\", \"Rate\": 1}]}]}", 0.5, "gcc", "v1", "glibc2.36", "gcc/exit:2", 0},
	{"the unexpanded name is not a counter", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/exit:{0,1}\", \"Rate\": 1}]}]}", 0.5, "gcc", "v1", "glibc2.36", "gcc/exit:{0,1}", 0},
	{"a name listed twice: the last rate wins (0)", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 1}, {\"Name\": \"gcc/a\", \"Rate\": 0}]}]}", 0.5, "gcc", "v1",
	 "glibc2.36", "gcc/a", 0},
	{"a name listed twice: the last rate wins (1)", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"gcc/exit:{0,1}\", \"Rate\": 0}, {\"Name\": \"gcc/exit:1\", \"Rate\": 1}]}]}", 0.5,
	 "gcc", "v1", "glibc2.36", "gcc/exit:1", 1},
	{"a stack of the same name sets the counter's rate", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"crash/crash\", \"Rate\": 1}], \"Stacks\": [{\"Name\": \"crash/crash\", \"Rate\": 0.1}]}]}",
	 0.5, "gcc", "v1", "glibc2.36", "crash/crash", 0},
	/* stacks */
	{"a stack by its first line, X <= Rate", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Stacks\": [{\"Name\": \"crash/crash\", \"Rate\": 0.5, \"Depth\": 1}]}]}", 0.5, "gcc", "v1", "glibc2.36",
	 "crash/crash\ncc1!a+0x1\ncc1!b+0x2\ncc1!c+0x3", 1},
	{"a stack above its Rate", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Stacks\": [{\"Name\": \"crash/crash\", \"Rate\": 0.5}]}]}", 0.6, "gcc", "v1", "glibc2.36",
	 "crash/crash\ncc1!a+0x1", 0},
	{"a stack whose first line is not listed", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Stacks\": [{\"Name\": \"crash/crash\", \"Rate\": 1}]}]}", 0, "gcc", "v1", "glibc2.36", "crash/ice\ncc1!a+0x1", 0},
	{"stack names are not expanded", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Stacks\": [{\"Name\": \"crash/{crash,ice}\", \"Rate\": 1}]}]}", 0, "gcc", "v1", "glibc2.36", "crash/crash\nx", 0},
	{"a stack is not a counter", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], "
	 "\"Counters\": [{\"Name\": \"crash/crash\", \"Rate\": 1}]}]}", 0, "gcc", "v1", "glibc2.36", "crash/crash\nx", 0},
	/* programs */
	{"GoVersion absent: an empty set, nothing uploaded", "{\"GOOS\": [\"linux\"], \"GOARCH\": [\"amd64\"], "
	 "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], \"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 1}]}]}",
	 0, "gcc", "v1", "glibc2.36", NULL, 0},
	{"GoVersion not listed", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"]}]}", 0, "gcc", "v1",
	 "glibc2.31", NULL, 0},
	{"Versions absent: an empty set, nothing uploaded", HEAD "\"Programs\": [{\"Name\": \"gcc\", "
	 "\"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 1}]}]}", 0, "gcc", "v1", "glibc2.36", NULL, 0},
	{"a version listed exactly", HEAD "\"Programs\": [{\"Name\": \"gopls\", \"Versions\": [\"v0.16.1\"]}]}", 0,
	 "gopls", "v0.16.1", "glibc2.36", NULL, 1},
	{"a version prefix is not Go's match", HEAD "\"Programs\": [{\"Name\": \"gopls\", \"Versions\": [\"v0.16\"]}]}", 0,
	 "gopls", "v0.16.1", "glibc2.36", NULL, 0},
	{"a program not listed", HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"]}]}", 0, "cc1", "v1",
	 "glibc2.36", NULL, 0},
	{"GOOS is not consulted by the uploader", "{\"GOOS\": [\"darwin\"], \"GOARCH\": [\"arm64\"], \"GoVersion\": [\"glibc2.36\"], "
	 "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"], \"Counters\": [{\"Name\": \"gcc/a\", \"Rate\": 1}]}]}",
	 0, "gcc", "v1", "glibc2.36", "gcc/a", 1},
};

/* Whether name would be in the upload report, by the functions report.c uses. */
static int selected(const struct upload_config *c, const struct rule_case *k)
{
	if (!config_uploadable(c, k->x))
		return 0;
	const struct config_program *p = config_match_program(c, k->program, k->version, NULL, k->goversion);
	if (!p || !k->name)
		return p != NULL;
	size_t len = strlen(k->name);
	return strchr(k->name, '\n') ? config_uploads_stack(p, k->name, len, k->x)
				     : config_uploads_counter(p, k->name, len, k->x);
}

static void test_go_rules(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct upload_config c;
		struct config_error err;
		if (config_check(cases[i].config, strlen(cases[i].config), &c, &err) < 0) {
			print_error("%s: config refused: %d: %s\n", cases[i].why, err.line, err.text);
			bad++;
			continue;
		}
		int got = selected(&c, &cases[i]);
		if (got != cases[i].want) {
			print_error("%s: got %d, Go's rule says %d\n", cases[i].why, got, cases[i].want);
			bad++;
		}
		config_free(&c);
	}
	if (bad)
		fail_msg("%d of %zu cases differ from Go's uploader", bad, sizeof cases / sizeof *cases);
}

/* Go's published config has no Version; it is named by its content, the
 * same however it is indented, different when a rule changes. */
static void test_derived_version(void **state)
{
	(void)state;
	const char *a = HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v1\"]}]}";
	const char *b = "{\n  \"GOARCH\": [\"amd64\"],\n  \"GOOS\": [\"linux\"],  \"GoVersion\": [\"glibc2.36\"],\n"
			"\"Programs\": [{\"Versions\": [\"v1\"], \"Name\": \"gcc\"}]}";
	const char *d = HEAD "\"Programs\": [{\"Name\": \"gcc\", \"Versions\": [\"v2\"]}]}";
	struct upload_config ca, cb, cd;
	struct config_error err;
	assert_int_equal(config_check(a, strlen(a), &ca, &err), 0);
	assert_int_equal(config_check(b, strlen(b), &cb, &err), 0);
	assert_int_equal(config_check(d, strlen(d), &cd, &err), 0);
	assert_int_equal(strncmp(ca.version, "v0.0.0-h", 8), 0);
	assert_int_equal(strlen(ca.version), 24);
	assert_string_equal(ca.version, cb.version);
	assert_string_not_equal(ca.version, cd.version);
	config_free(&ca);
	config_free(&cb);
	config_free(&cd);
	const char *own = "{\"Version\": \"telem-3\", \"GOOS\": [\"linux\"], \"GOARCH\": [\"amd64\"], \"Programs\": []}";
	assert_int_equal(config_check(own, strlen(own), &ca, &err), 0);
	assert_string_equal(ca.version, "telem-3");
	config_free(&ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_rules),
		cmocka_unit_test(test_derived_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
