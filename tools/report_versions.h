/* Human versions of counted programs: DIR/local/versions.json maps a
 * build-id prefix (a counter file's Version) to the version of the Debian
 * package that owns an executable with that build-id, found by the
 * program's name on PATH or in /usr/lib/gcc/<target>/<version>/. dpkg-query
 * costs a third of a second a run, so all programs are asked about in one
 * run (two: -S, then -W), and every answer is kept ("" = found, but no
 * package owns it). */
#ifndef TELEM_REPORT_VERSIONS_H
#define TELEM_REPORT_VERSIONS_H

struct versions;

struct versions *versions_open(const char *localdir);
/* Notes a program whose version is wanted: finds its executable (cheap). */
void versions_want(struct versions *v, const char *program, const char *buildid);
/* Asks dpkg about every executable noted since the last call. */
void versions_resolve(struct versions *v);
/* The package version for a build-id prefix, NULL when unknown. Valid
 * until versions_close. */
const char *versions_get(const struct versions *v, const char *buildid);
/* Saves what was learned; NULL is allowed. */
void versions_close(struct versions *v);

/* All of it for one program of the telem directory dir: for `telem run`,
 * which knows the programs a build used. */
void report_note_version(const char *dir, const char *program, const char *buildid);

#endif
