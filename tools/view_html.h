/* telem view's page: one self-contained HTML document. Inline CSS, inline
 * SVG drawn here, no script, and a Content-Security-Policy that forbids any
 * fetch, so opening it never touches the network. Everything that comes
 * from files (counter names, versions, config, report names) is escaped. */
#ifndef TELEM_VIEW_HTML_H
#define TELEM_VIEW_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "mode.h"
#include "view_model.h"

/* The policy, in the page's meta tag and in --serve's response header. */
#define VIEW_CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

/* A growing output buffer; allocation failure aborts (nothing to save). */
struct hbuf {
	char *data;
	size_t len, cap;
};

void hb_put(struct hbuf *b, const char *s, size_t n);
void hb_puts(struct hbuf *b, const char *s);
void hb_printf(struct hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hb_uint(struct hbuf *b, uint64_t v);
/* Text from files: &<>"' as entities, other control bytes as \xNN. */
void hb_esc(struct hbuf *b, const char *s, size_t n);
void hb_escs(struct hbuf *b, const char *s);
/* "YYYY-MM-DD" of a day count. */
void hb_date(struct hbuf *b, int64_t days);
void hb_free(struct hbuf *b);

struct view_input {
	const char *dir;
	const struct view_model *model;
	/* The upload config: NULL when there is none; config_problem says
	 * why one that exists cannot be used. */
	const struct upload_config *config;
	const char *config_path, *config_problem;
	enum telem_mode mode;
	int64_t mode_since; /* -1 when the mode file gives no date */
	int mode_env_off;   /* TELEM_MODE=off in this environment */
	const struct view_report *reports;
	size_t n_reports;
	const char *server; /* the collector reports would go to */
};

void view_page(struct hbuf *b, const struct view_input *in);

/* Sections of the page (view_html.c, view_upload.c). */
void view_upload_section(struct hbuf *b, const struct view_input *in);

#endif
