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
	trap 'rm -rf "$TELEM_DIR"' EXIT
fi
echo "telem directory: ${TELEM_DIR:-default, see 'telem env'}"

step "building sample/ under LD_PRELOAD=$shim (SAMPLE_CRASH=1: gen will crash once)"
SAMPLE_CRASH=1 LD_PRELOAD=$shim make -C "$root/sample" --no-print-directory clean all

step "telem dump"
"$telem" dump

step "summary"
"$telem" dump --json | python3 -c '
import json, sys

progs = {}
for f in json.load(sys.stdin):
    for name, n in f["counters"].items():
        prog, _, counter = name.partition("/")
        p = progs.setdefault(prog, {"runs": 0, "exits": {}})
        if counter == "invocations":
            p["runs"] += n
        elif counter.startswith("exit:"):
            p["exits"][counter[5:]] = p["exits"].get(counter[5:], 0) + n

print("%-12s %5s  %-16s %s" % ("program", "runs", "exit codes", "no exit counted"))
for prog in sorted(progs):
    p = progs[prog]
    exits = sum(p["exits"].values())
    codes = " ".join("%s:%d" % kv for kv in sorted(p["exits"].items())) or "-"
    print("%-12s %5d  %-16s %d" % (prog, p["runs"], codes, p["runs"] - exits))
print()
print("\"no exit counted\": the process replaced itself with exec (a shell")
print("running its last command) or was killed by a signal, as gen was.")
'
