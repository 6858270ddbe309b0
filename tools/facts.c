#include "facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"

#define FACT_MAX 48

struct facts {
	char arch[FACT_MAX], libc[FACT_MAX], os[FACT_MAX], env[FACT_MAX], container[FACT_MAX];
	char runtime[32]; /* GoVersion of the program: the C library, as counter files spell it */
};

/* An os-release ID is a lower-case token ([a-z0-9._-]); anything else, or
 * anything long, is "other": the value must stay a public family name. */
static void os_id(char *out, size_t len)
{
	snprintf(out, len, "os:unknown");
	FILE *f = fopen("/etc/os-release", "re");
	if (!f)
		f = fopen("/usr/lib/os-release", "re");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "ID=", 3) != 0)
			continue;
		char *v = line + 3, *end = v + strcspn(v, "\n");
		*end = '\0';
		if (*v == '"' || *v == '\'') {
			v++;
			if (end > v && (end[-1] == '"' || end[-1] == '\''))
				*--end = '\0';
		}
		int token = *v && strlen(v) <= 32 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(v);
		snprintf(out, len, "os:%s", token ? v : "other");
		break;
	}
	fclose(f);
}

/* The variables CI services set (GitHub, GitLab, Jenkins, Buildkite,
 * CircleCI, Travis, Azure Pipelines, TeamCity, and the generic CI). */
static int in_ci(void)
{
	static const char *const vars[] = {"CI",	 "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL",	    "BUILDKITE",
					   "CIRCLECI",	 "TRAVIS",	   "TF_BUILD",	"TEAMCITY_VERSION", "BUILD_NUMBER",
					   NULL};
	for (size_t i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v && strcmp(v, "false") != 0 && strcmp(v, "0") != 0)
			return 1;
	}
	return 0;
}

static int in_container(void)
{
	const char *c = getenv("container"); /* systemd-nspawn, podman, LXC */
	return (c && *c) || access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0;
}

static void read_facts(struct facts *f)
{
	snprintf(f->arch, sizeof f->arch, "arch:%s", identity_goarch());
	char v[64] = "";
	size_t n = confstr(_CS_GNU_LIBC_VERSION, v, sizeof v); /* "glibc 2.36"; musl has none */
	if (n > 0 && n <= sizeof v && strncmp(v, "glibc ", 6) == 0)
		snprintf(f->runtime, sizeof f->runtime, "glibc%.20s", v + 6);
	else
		snprintf(f->runtime, sizeof f->runtime, "musl");
	snprintf(f->libc, sizeof f->libc, "libc:%s", f->runtime);
	os_id(f->os, sizeof f->os);
	snprintf(f->env, sizeof f->env, "env:%s", in_ci() ? "ci" : "interactive");
	snprintf(f->container, sizeof f->container, "container:%s", in_container() ? "yes" : "no");
}

/* The counter names live as long as the process: reports point at them. */
static struct facts facts;
static char names[5][FACT_MAX + 8];

void facts_add(struct report *r, const struct upload_config *cfg)
{
	if (!cfg || !config_find_program(cfg, "telem"))
		return;
	read_facts(&facts);
	const char *values[5] = {facts.arch, facts.container, facts.env, facts.libc, facts.os}; /* sorted, as Go's maps */
	struct rcount *counters = calloc(5, sizeof *counters);
	struct rprogram *programs = realloc(r->programs, (r->n + 1) * sizeof *programs);
	if (!counters || !programs) {
		free(counters);
		if (programs)
			r->programs = programs;
		return;
	}
	r->programs = programs;
	for (int i = 0; i < 5; i++) {
		int len = snprintf(names[i], sizeof names[i], "telem/%s", values[i]);
		counters[i] = (struct rcount){names[i], (size_t)len, 1};
	}
	r->programs[r->n++] = (struct rprogram){.program = "telem", .version = "devel", .goversion = facts.runtime,
						.goos = "linux", .goarch = identity_goarch(), .counters = counters,
						.n_counters = 5};
}
