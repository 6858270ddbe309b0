/* What telem view shows, gathered from every counter file of DIR/local:
 * per program its counters grouped into charts (Go's "chart:bucket" names)
 * with one count per week, its crash stacks, and the identities (version,
 * runtime, os, arch) its files carry; plus the local reports.
 *
 * A week is a report week: the files that share a TimeEnd go into one
 * report (DESIGN.md), so they share one column of every chart. */
#ifndef TELEM_VIEW_MODEL_H
#define TELEM_VIEW_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Charted weeks at most (two years): older weeks still count in totals. */
#define VM_MAX_WEEKS 104
/* Distinct crash stacks listed per program; more still count in charts. */
#define VM_MAX_STACKS 200

/* One bucket of one chart: a counter, or for stacks their first line. */
struct vm_series {
	char *key;          /* full counter name, or a stack's first line */
	size_t key_len;
	const char *bucket; /* inside key: after "chart:", or the whole name */
	size_t bucket_len;
	size_t group;       /* index into the program's groups */
	int is_stack;
	uint64_t total;     /* all weeks, charted or not */
	uint64_t *weeks;    /* one count per charted week */
};

struct vm_group {
	char *name;      /* "flag", "exit", "wall", "invocations", "crash" ... */
	size_t *series;  /* indexes into the program's series */
	size_t n_series;
};

struct vm_stack {
	char *name; /* the whole counter name: first line, then one frame a line */
	size_t len;
	char *version;
	uint64_t count;
	int64_t first_week, last_week; /* week end days */
};

/* A distinct (version, runtime, os, arch) seen in the program's files. */
struct vm_identity {
	char *version, *runtime, *goos, *goarch;
};

struct vm_program {
	char *name;
	struct vm_identity *ids;
	size_t n_ids;
	struct vm_series *series;
	size_t n_series, cap_series;
	uint32_t *index; /* open addressing over series keys: index + 1, 0 = empty */
	size_t index_cap;
	struct vm_group *groups;
	size_t n_groups;
	struct vm_stack *stacks;
	size_t n_stacks, stacks_dropped;
	uint64_t runs, failures, crashes, wall_us, cpu_us;
	uint64_t ends; /* Σ exit:* + Σ signal:*: runs − ends were not seen ending */
	int64_t first_week, last_week;
};

struct view_model {
	int64_t today;      /* days since the epoch */
	int64_t *weeks;     /* charted weeks' end days, ascending */
	size_t n_weeks;
	size_t weeks_older; /* weeks with data before the first charted one */
	struct vm_program *programs; /* by name */
	size_t n_programs;
	size_t n_files;     /* counter files */
	size_t n_reported;  /* program entries read from local reports */
	char **bad;         /* files that could not be read (already reported) */
	size_t n_bad;
};

/* Loads every counter file of local_dir. Returns 0, or 1 when some files
 * were reported unreadable (the rest is loaded). */
int view_model_load(struct view_model *m, const char *local_dir, int64_t today);
void view_model_free(struct view_model *m);

/* A week whose TimeEnd has not passed: not yet reported. */
static inline int vm_pending(const struct view_model *m, int64_t week_end)
{
	return week_end > m->today;
}

/* The week end day of a file's TimeEnd ("YYYY-MM-DDT00:00:00Z"), -1 if malformed. */
int64_t vm_time_end_day(const char *time_end);

struct view_report {
	char *name;    /* file name in DIR/local */
	char *week;    /* its "Week", or NULL when it is not a report */
	size_t programs;
	char *problem; /* why it cannot be read, or NULL */
};

/* The reports DIR/local/ *.json, newest Week first. Returns 0, or 1 after
 * reporting files that are not valid reports (they are still listed). */
int view_reports_load(const char *local_dir, struct view_report **out, size_t *n);
void view_reports_free(struct view_report *r, size_t n);

#endif
