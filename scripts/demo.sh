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

step "building sample/ under LD_PRELOAD=$shim (SAMPLE_CRASH=1: gen will crash once)"
SAMPLE_CRASH=1 LD_PRELOAD=$shim make -C "$root/sample" --no-print-directory clean all

step "telem dump"
"$telem" dump

step "summary"
"$telem" dump --json | python3 -c '
import json, sys

progs, stacks = {}, []
for f in json.load(sys.stdin):
    for name, n in f["counters"].items():
        if name.startswith("crash/"):
            # A stack counter: its name is "crash/<kind>\n<frame>\n<frame>...".
            kind, *frames = name.split("\n")
            stacks.append((n, f["meta"].get("Program", "?"), kind, frames))
            continue
        prog, _, counter = name.partition("/")
        p = progs.setdefault(prog, {"runs": 0, "exits": {}, "signals": {}})
        if counter == "invocations":
            p["runs"] += n
        for prefix, key in (("exit:", "exits"), ("signal:", "signals")):
            if counter.startswith(prefix):
                label = counter[len(prefix):]
                p[key][label] = p[key].get(label, 0) + n

def spell(d):
    return " ".join("%s:%d" % kv for kv in sorted(d.items())) or "-"

print("%-10s %5s  %-10s %-12s %s" % ("program", "runs", "exits", "signals", "no exit counted"))
for prog in sorted(progs):
    p = progs[prog]
    silent = p["runs"] - sum(p["exits"].values()) - sum(p["signals"].values())
    print("%-10s %5d  %-10s %-12s %d" % (prog, p["runs"], spell(p["exits"]), spell(p["signals"]), silent))
print()
print("\"no exit counted\": the process replaced itself with exec (as a shell")
print("may for its last command) or was killed by a signal no one can catch.")
for n, prog, kind, frames in stacks:
    print()
    print("%d x %s in %s, top frames:" % (n, kind, prog))
    for frame in frames[:4]:
        print("    " + frame)
'
