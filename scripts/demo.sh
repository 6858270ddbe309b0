#!/usr/bin/env bash
# The telem demo: build telem, build sample/ with the shim preloaded into
# every process of the build (its generator crashes once, with SIGSEGV), then
# show what was counted.
#
#   scripts/demo.sh          counts into a temporary TELEM_DIR, removed after
#   scripts/demo.sh --keep   counts into your own telem directory ($TELEM_DIR,
#                            else ~/.config/telem) and leaves it there
#
# The last two steps (show, summarize) are the ones later commands replace.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shim=$root/shim/libtelem.so
telem=$root/tools/telem

keep=0
case ${1:-} in
'') ;;
--keep) keep=1 ;;
-h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: scripts/demo.sh [--keep]" >&2; exit 2 ;;
esac

step() { printf '\n== %s\n' "$*"; }

step "building telem (make)"
make -C "$root" -s

if [ "$keep" = 0 ]; then
	TELEM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/telem-demo.XXXXXX")
	export TELEM_DIR
fi
# Leave the work tree as it was: the sample's build products go, and so does
# the temporary telem directory.
cleanup() {
	make -C "$root/sample" -s clean
	[ "$keep" = 1 ] || rm -rf "$TELEM_DIR"
}
trap cleanup EXIT
echo "telem directory: ${TELEM_DIR:-default, see 'telem env'}"

step "telem run -- make -C sample clean all   (SAMPLE_CRASH=1: its generator crashes once)"
# Every process of the build gets the shim; the summary goes to stderr.
SAMPLE_CRASH=1 "$telem" run -- make -C "$root/sample" --no-print-directory clean all

step "telem crashes --symbolize"
"$telem" crashes --symbolize

step "telem report   (as if a week had passed: TELEM_TEST_NOW moves the clock)"
# Counter files become reportable once their week has ended; the demo does
# not wait a week, it tells telem the date is eight days from now.
TELEM_TEST_NOW=$(($(date +%s) + 8 * 86400)) "$telem" report
for r in "$TELEM_DIR"/local/local.*.json; do
	echo "$r:"
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("Week %s, %d programs; the first:" % (r["Week"], len(r["Programs"] or [])))
p = (r["Programs"] or [{}])[0]
print(json.dumps({k: p[k] for k in ("Program", "Version", "GoVersion", "GOOS", "GOARCH")}, indent=1))
for name, n in sorted(p.get("Counters", {}).items())[:12]:
    print("  %6d  %s" % (n, name))
' "$r"
done
echo
echo "Nothing was uploaded: the mode is local. 'telem on' would allow the weekly upload"
echo "of what the upload config names (see 'telem view' and 'telem upload --help')."
