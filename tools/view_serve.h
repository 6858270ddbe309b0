/* telem view --serve: a minimal HTTP/1.1 server on a loopback address that
 * answers GET / with the page, made afresh for each request. One request
 * at a time, Connection: close; stops on SIGINT or SIGTERM. */
#ifndef TELEM_VIEW_SERVE_H
#define TELEM_VIEW_SERVE_H

#include "view_html.h"

/* Fills out with the page; returns telem's exit status for it (0 or 1). */
typedef int (*view_page_fn)(void *arg, struct hbuf *out);

/* addr is "127.0.0.1:PORT", "localhost:PORT" or "[::1]:PORT" (PORT 0: any
 * free port). Prints "serving http://HOST:PORT/" on stdout once listening.
 * Returns the exit status: 0 after a signal, 1 when it cannot listen, 2
 * for an address that is not loopback. */
int view_serve(const char *addr, view_page_fn make_page, void *arg);

#endif
