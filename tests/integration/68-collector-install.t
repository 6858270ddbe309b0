#!/usr/bin/env bash
# Issue 15.4: make install puts telem-collector(8) and an example upload
# config next to the collector; the man page renders without a warning; the
# installed collector starts with the example config, says its version, and
# its empty dashboard tells clients how to point at it.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$COLLECTOR"
plan 7

dest=$(new_dir)
make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
man8=$dest/usr/local/share/man/man8/telem-collector.8
example=$dest/usr/local/share/telem/collector-config.json
ok "telem-collector(8) is installed" test -f "$man8"
ok "the example config is installed" test -f "$example"
if command -v groff >/dev/null; then
	is "$(groff -man -ww -z "$man8" 2>&1)" "" "the man page renders with no warning"
else
	skip 1 "groff missing"
fi
is "$("$dest/usr/local/bin/telem-collector" --version)" "$("$COLLECTOR" --version)" "--version: the installed one is this build"
ok "--version names the program" grep -qx 'telem-collector [0-9][0-9.]*' <<<"$("$COLLECTOR" --version)"
COLLECTOR=$dest/usr/local/bin/telem-collector
W=$(new_dir)
collector_start "$(new_db c)" "$example" || exit 1
ok "the installed collector serves the example config" test "$(get /config | python3 -c 'import json,sys; print(json.load(sys.stdin)["Version"])')" = example-1
ok "its empty dashboard shows the client line" grep -q "telem upload --server $CURL" <<<"$(get /)"
collector_stop TERM
