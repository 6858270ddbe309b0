/* Reporter facts (the sample-bias lens): a few public facts about the
 * machine that makes a report, as counters of a program "telem" in it, so
 * that a collector can show who reports (CI machines of one image, or the
 * users at large). Chosen so that no machine or person can be identified:
 *   telem/arch:<GOARCH>            amd64, arm64, 386...
 *   telem/libc:<name><version>     glibc2.36, or musl
 *   telem/os:<ID>                  /etc/os-release's ID and nothing else
 *   telem/env:ci|interactive       from the usual CI environment variables
 *   telem/container:yes|no         /.dockerenv, /run/.containerenv, $container
 * Config-gated: added only when the upload config names the program
 * "telem", and then filtered like any counter (only the values its rule
 * lists are uploaded); the local report shows them, as a preview. */
#ifndef TELEM_FACTS_H
#define TELEM_FACTS_H

#include "config.h"
#include "report_json.h"

/* Appends the "telem" program to r when cfg names it. */
void facts_add(struct report *r, const struct upload_config *cfg);

#endif
