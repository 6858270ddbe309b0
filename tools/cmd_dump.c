/* telem dump: meta and counters of counter files, for people or --json. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "counterfile.h"
#include "countermodel.h"
#include "ingest.h"

static void print_name(const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '\n')
			fputs("\n        ", stdout); /* one stack frame a line */
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void print_text(const struct counter_data *d)
{
	printf("%s\n", d->path);
	for (size_t i = 0; i < d->n_meta; i++)
		printf("  %s: %s\n", d->meta[i].key, d->meta[i].value);
	for (size_t i = 0; i < d->n; i++) {
		printf("  %8llu ", (unsigned long long)count_shown(d->counters[i].count));
		print_name(d->counters[i].name, d->counters[i].len);
		putchar('\n');
	}
}

static json_t *to_json(const struct counter_data *d)
{
	json_t *meta = json_object(), *counters = json_object();
	for (size_t i = 0; i < d->n_meta; i++)
		json_object_set_new(meta, d->meta[i].key, json_string(d->meta[i].value));
	for (size_t i = 0; i < d->n; i++)
		json_object_setn_new_nocheck(counters, d->counters[i].name, d->counters[i].len,
					     json_integer((json_int_t)count_shown(d->counters[i].count)));
	return json_pack("{s:s, s:o, s:o}", "file", d->path, "meta", meta, "counters", counters);
}

int cmd_dump(struct cli *cli, int argc, char **argv)
{
	int first;
	int rc = simple_options(find_command("dump"), argc, argv, &first, 1, cli);
	if (rc >= 0)
		return rc;
	ingest_pending(cli->dir); /* crash records become stack counters first; it reports its own errors */
	char **files = NULL;
	size_t n = 0, owned = 0;
	if (first >= argc) {
		if (list_counter_files(cli->local, &files, &n) < 0)
			return fail(cli->local, "cannot list counter files: %s", strerror(errno));
		owned = n;
	}
	json_t *all = cli->json ? json_array() : NULL;
	int status = 0;
	size_t total = owned ? n : (size_t)(argc - first);
	for (size_t i = 0; i < total; i++) {
		char path[2048];
		if (owned)
			snprintf(path, sizeof path, "%s/%s", cli->local, files[i]);
		else
			snprintf(path, sizeof path, "%s", argv[first + (int)i]);
		struct counter_data d;
		if (counter_data_load(path, &d) < 0) {
			status = 1;
			continue;
		}
		if (all)
			json_array_append_new(all, to_json(&d));
		else
			print_text(&d);
		counter_data_free(&d);
	}
	if (all) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(all);
	} else if (total == 0) {
		printf("no counter files in %s\n", cli->local);
	}
	free_list(files, owned);
	return status;
}
