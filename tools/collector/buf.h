/* A growable byte buffer for building responses (HTML, JSON, text).
 * An allocation failure is remembered in the buffer and reported once by
 * buf_take, so builders need not check every append. */
#ifndef COLLECTOR_BUF_H
#define COLLECTOR_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap;
	int failed;
};

void buf_add(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text escaped for HTML element content and attribute values. */
void buf_html(struct buf *b, const char *s, size_t len);
void buf_html_str(struct buf *b, const char *s);
/* Hands over the NUL-terminated data (caller frees); NULL if anything failed. */
char *buf_take(struct buf *b, size_t *len);
void buf_free(struct buf *b);

#endif
