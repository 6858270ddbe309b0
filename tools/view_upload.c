/* telem view's upload section: the config in force and, program by program
 * and counter by counter, what a weekly report would send and what stays
 * on this machine. The rules are config.c's, the ones upload applies. */
#define _GNU_SOURCE
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "history.h"
#include "view_html.h"

/* Bytes of the config file shown as loaded. */
#define CONFIG_SHOWN 65536
/* Counter tables longer than this start folded. */
#define OPEN_LIMIT 60

static int listed(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static void list_text(struct hbuf *b, char **list, size_t n, int any)
{
	if (any) {
		hb_puts(b, "any");
		return;
	}
	if (!n)
		hb_puts(b, "none");
	for (size_t i = 0; i < n; i++) {
		hb_puts(b, i ? ", <code>" : "<code>");
		hb_escs(b, list[i]);
		hb_puts(b, "</code>");
	}
}

/* Why files of this identity would not be uploaded: mirrors config_match_program. */
static void refusal(struct hbuf *b, const struct upload_config *c, const char *program,
		    const struct vm_identity *id)
{
	const char *what = !config_find_program(c, program) ? "program not in the config"
			   : !listed(c->goversion, c->n_goversion, id->runtime)
				   ? "runtime not in the config's GoVersion"
				   : "version not in the program's Versions";
	hb_printf(b, "<span class=\"lo\">stays local: %s</span>", what);
}

static void rate_text(struct hbuf *b, const struct config_rate *r, int stack)
{
	if (r->rate <= 0) {
		hb_puts(b, "<span class=\"lo\">stays local: rate 0</span>");
		return;
	}
	hb_puts(b, "<span class=\"up\">uploaded</span>");
	if (r->rate < 1)
		hb_printf(b, " in weeks whose random X &le; %g (about %.0f%%)", r->rate, r->rate * 100);
	(void)stack; /* a stack is uploaded whole, whatever its Depth (as by Go) */
}

/* The config program rules that this program's files match (NULL: none). */
static const struct config_program **matches(const struct upload_config *c, const struct vm_program *p)
{
	const struct config_program **rules = calloc(p->n_ids + 1, sizeof *rules);
	if (!rules)
		abort();
	for (size_t i = 0; i < p->n_ids; i++)
		rules[i] = config_match_program(c, p->name, p->ids[i].version, NULL, p->ids[i].runtime);
	return rules;
}

static const struct config_rate *counter_rule(const struct config_program **rules, size_t n,
					      const struct vm_series *s)
{
	for (size_t i = 0; i < n; i++) {
		if (!rules[i])
			continue;
		const struct config_rate *r = s->is_stack ? config_stack(rules[i], s->key, s->key_len)
							  : config_counter(rules[i], s->key, s->key_len);
		if (r)
			return r;
	}
	return NULL;
}

static void identities(struct hbuf *b, const struct upload_config *c, const struct vm_program *p,
		       const struct config_program **rules)
{
	hb_puts(b, "<ul>");
	for (size_t i = 0; i < p->n_ids; i++) {
		const struct vm_identity *id = &p->ids[i];
		hb_puts(b, "<li>version <code>");
		hb_escs(b, id->version);
		hb_puts(b, "</code> <code>");
		hb_escs(b, id->runtime);
		hb_puts(b, " ");
		hb_escs(b, id->goos);
		hb_puts(b, "/");
		hb_escs(b, id->goarch);
		hb_puts(b, "</code>: ");
		if (rules[i])
			hb_puts(b, "<span class=\"up\">its listed counters are uploaded</span>");
		else
			refusal(b, c, p->name, id);
		hb_puts(b, "</li>");
	}
	hb_puts(b, "</ul>");
}

static void program_upload(struct hbuf *b, const struct upload_config *c, const struct vm_program *p)
{
	const struct config_program **rules = matches(c, p);
	size_t up = 0;
	const struct config_rate **fate = calloc(p->n_series + 1, sizeof *fate);
	if (!fate)
		abort();
	for (size_t i = 0; i < p->n_series; i++) {
		fate[i] = counter_rule(rules, p->n_ids, &p->series[i]);
		up += fate[i] && fate[i]->rate > 0;
	}
	hb_puts(b, "<h3>");
	hb_escs(b, p->name);
	hb_puts(b, "</h3>");
	identities(b, c, p, rules);
	hb_printf(b, "<details%s><summary>%zu counter%s would be uploaded, %zu stay%s local</summary>",
		  p->n_series <= OPEN_LIMIT ? " open" : "", up, up == 1 ? "" : "s", p->n_series - up,
		  p->n_series - up == 1 ? "s" : "");
	hb_puts(b, "<table><tr><th>counter</th><th class=\"n\">count</th><th>in a report</th></tr>\n");
	for (size_t i = 0; i < p->n_series; i++) {
		const struct vm_series *s = &p->series[i];
		hb_puts(b, "<tr><td><code>");
		hb_esc(b, s->key, s->key_len);
		hb_printf(b, "%s</code></td><td class=\"n\">%llu</td><td>", s->is_stack ? " (stacks)" : "",
			  (unsigned long long)s->total);
		if (fate[i])
			rate_text(b, fate[i], s->is_stack);
		else
			hb_puts(b, "<span class=\"lo\">stays local</span>");
		hb_puts(b, "</td></tr>\n");
	}
	hb_puts(b, "</table></details>\n");
	free(fate);
	free(rules);
}

static void mode_text(struct hbuf *b, const struct view_input *in)
{
	if (in->mode_env_off || in->mode == MODE_OFF) {
		hb_puts(b, "<p class=\"note\">Mode is <b>off</b>: nothing is collected or uploaded. "
			   "With <code>telem on</code>, this is what would be uploaded:</p>");
	} else if (in->mode == MODE_ON) {
		hb_puts(b, "<p>Mode is <b>on</b>");
		if (in->mode_since >= 0) {
			hb_puts(b, " since ");
			hb_date(b, in->mode_since);
		}
		hb_puts(b, ": once a week, a report with the counters marked <span class=\"up\">uploaded</span> is "
			   "sent, for data collected after that date. The rest stays on this machine.</p>");
	} else {
		hb_puts(b, "<p class=\"note\">Mode is <b>local</b>: nothing leaves this machine. "
			   "With <code>telem on</code>, this is what would be uploaded:</p>");
	}
}

static void config_text(struct hbuf *b, const struct view_input *in)
{
	const struct upload_config *c = in->config;
	hb_puts(b, "<p>Config <code>");
	hb_escs(b, in->config_path);
	hb_puts(b, "</code>");
	if (c->version && c->version[0]) {
		hb_puts(b, " version <code>");
		hb_escs(b, c->version);
		hb_puts(b, "</code>");
	}
	hb_puts(b, ": GOOS ");
	list_text(b, c->goos, c->n_goos, 0);
	hb_puts(b, "; GOARCH ");
	list_text(b, c->goarch, c->n_goarch, 0);
	hb_puts(b, "; GoVersion (runtime) ");
	list_text(b, c->goversion, c->n_goversion, c->any_goversion);
	hb_printf(b, "; SampleRate %g (a week's report is sent only when its random X &le; SampleRate, or always when 0).</p>",
		  c->sample_rate);
	size_t len;
	char *text = read_file(in->config_path, &len);
	if (text) {
		hb_puts(b, "<details><summary>the config file</summary><pre>");
		hb_esc(b, text, len < CONFIG_SHOWN ? len : CONFIG_SHOWN);
		hb_puts(b, len > CONFIG_SHOWN ? "\n...</pre></details>" : "</pre></details>");
		free(text);
	}
}

static int by_name_desc(const void *a, const void *b) { return strcmp(*(char *const *)b, *(char *const *)a); }

/* One sent copy: its week, and what it held. */
static void sent_row(struct hbuf *b, const char *dir, const char *name)
{
	char path[4600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	json_t *r = json_load_file(path, 0, NULL);
	size_t i, counters = 0, stacks = 0;
	json_t *p;
	json_array_foreach(json_object_get(r, "Programs"), i, p) {
		counters += json_object_size(json_object_get(p, "Counters"));
		stacks += json_object_size(json_object_get(p, "Stacks"));
	}
	hb_puts(b, "<tr><td><code>");
	hb_escs(b, name);
	hb_puts(b, "</code></td><td>");
	if (!r) {
		hb_puts(b, "not readable as a report</td><td></td><td></td><td></td></tr>\n");
		return;
	}
	const char *config = json_string_value(json_object_get(r, "Config"));
	hb_escs(b, config && *config ? config : "-");
	hb_printf(b, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n",
		  json_array_size(json_object_get(r, "Programs")), counters, stacks);
	json_decref(r);
}

/* What was sent: the exact copies in DIR/upload, newest first. */
static void sent_section(struct hbuf *b, const struct view_input *in)
{
	char dir[4200];
	char **names = NULL;
	size_t n = 0;
	snprintf(dir, sizeof dir, "%s/upload", in->dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (history_is_report_name(e->d_name, 0)) {
			names = realloc(names, (n + 1) * sizeof *names);
			if (!names)
				abort();
			names[n++] = strdup(e->d_name);
		}
	if (d)
		closedir(d);
	hb_puts(b, "<h3 id=\"sent\">What was sent</h3>");
	if (!n) {
		hb_puts(b, "<p>Nothing was ever sent from this directory (<code>upload/</code> is empty).</p>\n");
		return;
	}
	qsort(names, n, sizeof *names, by_name_desc);
	hb_puts(b, "<p class=\"meta\">The exact bytes sent are kept in <code>upload/</code>, newest first.</p>"
		   "<table><tr><th>report sent</th><th>config</th><th class=\"n\">programs</th>"
		   "<th class=\"n\">counters</th><th class=\"n\">stacks</th></tr>\n");
	for (size_t i = 0; i < n; i++)
		sent_row(b, dir, names[i]);
	hb_puts(b, "</table>\n");
	free_list(names, n);
}

static void would_section(struct hbuf *b, const struct view_input *in);

void view_upload_section(struct hbuf *b, const struct view_input *in)
{
	hb_puts(b, "<h2 id=\"upload\">Upload: what would leave this machine, and what did</h2>");
	would_section(b, in);
	sent_section(b, in);
}

static void would_section(struct hbuf *b, const struct view_input *in)
{
	if (!in->config) {
		if (in->config_problem) {
			hb_puts(b, "<p class=\"note\">The upload config <code>");
			hb_escs(b, in->config_path ? in->config_path : "");
			hb_puts(b, "</code> cannot be used (");
			hb_escs(b, in->config_problem);
			hb_puts(b, "): nothing would be uploaded.</p>\n");
		} else {
			hb_puts(b, "<p>no upload config: nothing would be uploaded. Every counter stays on this machine.</p>\n"
				   "<p class=\"note\">To see what uploading would send before turning it on, fetch the "
				   "collector's public config (fetching it sends nothing): <code>telem view "
				   "--fetch-config</code>.</p>\n");
		}
		return;
	}
	mode_text(b, in);
	if (in->server) {
		hb_puts(b, "<p>Reports go to the collector <code>");
		hb_escs(b, in->server);
		hb_puts(b, "</code> (<code>POST /upload/&lt;date&gt;</code>).</p>\n");
	}
	config_text(b, in);
	for (size_t i = 0; i < in->model->n_programs; i++)
		program_upload(b, in->config, &in->model->programs[i]);
}
