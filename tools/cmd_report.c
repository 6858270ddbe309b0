/* telem report: the report step on its own (report.h). It never touches the
 * network: in mode on it filters with the config in force (the local
 * override, else the last one `telem upload` fetched). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "countermodel.h"
#include "ingest.h"
#include "report.h"
#include "upload.h"
#include "week.h"

static int load_local(void *dir, struct upload_config *cfg) { return config_load(dir, 0, cfg); }

/* The first TimeEnd among the counter files (-1: none), and whether a
 * week is over: without one, 'report' says so instead of nothing. */
static int week_due(const struct cli *cli, int64_t *next)
{
	char **names;
	size_t n;
	int due = 0;
	*next = -1;
	if (list_counter_files(cli->local, &names, &n) < 0)
		return 1; /* let the report step say what is wrong */
	for (size_t i = 0; i < n && !due; i++) {
		char path[4200];
		struct counter_data d;
		snprintf(path, sizeof path, "%s/%s", cli->local, names[i]);
		if (counter_data_load(path, &d) < 0) {
			due = 1; /* reported by the report step too */
			continue;
		}
		const char *end = counter_data_meta(&d, "TimeEnd");
		char day[11] = "";
		if (end && strlen(end) >= 10)
			memcpy(day, end, 10);
		int64_t e = week_parse_date(day);
		due = e < 0 || e <= today_days();
		if (e >= 0 && (*next < 0 || e < *next))
			*next = e;
		counter_data_free(&d);
	}
	free_list(names, n);
	return due;
}

int cmd_report(struct cli *cli, int argc, char **argv)
{
	int first;
	int rc = simple_options(find_command("report"), argc, argv, &first, 0, cli);
	if (rc >= 0)
		return rc;
	if (first < argc)
		return usage_error("report", "unexpected argument '%s'", argv[first]);
	if (make_dirs(cli->local) < 0)
		return fail(cli->local, "cannot create directory: %s", strerror(errno));
	int lock = upload_lock(cli->dir, 1);
	if (lock < 0)
		return fail(cli->local, "cannot lock upload.lock: %s", strerror(errno));
	int status = ingest_pending(cli->dir);
	int64_t next;
	if (!week_due(cli, &next)) {
		char date[16] = "";
		struct text t = TEXT_INIT(date, sizeof date);
		if (next >= 0)
			week_put_date(&t, next);
		date[next >= 0 ? 10 : 0] = 0;
		if (next >= 0)
			printf("telem: nothing to report: no week is over yet (the next ends %s)\n", date);
		else
			printf("telem: nothing to report: no counter files in %s\n", cli->local);
		close(lock);
		return status;
	}
	struct config_source src = {load_local, cli->dir};
	struct report_options o = {0};
	status |= report_run(cli->dir, &src, &o);
	close(lock);
	return status;
}
