#!/usr/bin/env bash
# Crash stacks are the real stacks: for each crash program (built -O2
# -fomit-frame-pointer), the functions of the crash/crash stack that
# `telem crashes --json` reports after a run under the shim are, frame by
# frame, the ones gdb reports for the same program's core dump without
# telem: the top 8 frames, or all of gdb's if it has fewer (it stops at main).
#
# Compared: physical frames by module and function. A frame telem names
# module+0xvaddr (no symbol in the module's own tables: names in counters
# never come from debug files) is resolved by gdb itself on that module's
# file (with whatever debug files gdb finds), and must be gdb's function.
# gdb's frames come from its
# Python API (the frames of `bt`, each with its type): the inlined and
# tail-call frames gdb reconstructs from DWARF are left out (an unwinder
# sees only the physical frame that contains them, named by the function
# around them, as gdb's own physical frame is). Names lose offsets and
# GCC's clone suffixes (.constprop.0, .part.0, .cold), and glibc's internal
# aliases map to their symbol names (__GI_raise = raise, see ALIASES).
. "$(dirname "$0")/../lib.sh"
RUN=$PROG/crash_run
need_built "$RUN" "$PROG/crash_null" "$PROG/crash_fnptr" "$PROG/crash_nocfi" "$PROG/crash_abort" "$PROG/crash_assert" "$PROG/crash_divzero" \
	"$PROG/crash_trap" "$PROG/crash_recurse" "$PROG/crash_libc" "$PROG/crash_llvm"

CASES=("crash_null" "crash_fnptr" "crash_fnptr wild" "crash_nocfi" "crash_abort" "crash_assert" "crash_divzero" "crash_trap" "crash_recurse"
	"crash_recurse thread" "crash_libc" "crash_libc qsort" "crash_llvm")

skip_all() {
	echo "1..0 # skip $*"
	exit 0
}
command -v gdb >/dev/null || skip_all "gdb is not installed"
gdb -batch -ex 'python print(1)' 2>/dev/null | grep -qx 1 || skip_all "this gdb has no Python"
is_root || skip_all "setting core_pattern needs root"

# Cores without telem go to a directory of ours, named by pid; the old
# pattern is put back at exit, whatever happens.
PATTERN=/proc/sys/kernel/core_pattern
CORES=$(new_dir)
chmod 777 "$CORES"
OLD_PATTERN=$(cat "$PATTERN")
restore_pattern() { printf '%s\n' "$OLD_PATTERN" >"$PATTERN" 2>/dev/null || true; }
trap 'restore_pattern; _tap_cleanup' EXIT
trap 'exit 1' TERM INT HUP # so that the EXIT trap runs then too
printf '%s\n' "$CORES/core.%p" 2>/dev/null >"$PATTERN" || skip_all "$PATTERN is not writable here"
[ "$(cat "$PATTERN")" = "$CORES/core.%p" ] || skip_all "$PATTERN did not take our pattern"

GDB_FRAMES=$(new_dir)/frames.py
cat >"$GDB_FRAMES" <<'EOF'
import gdb
kinds = {gdb.NORMAL_FRAME: "normal", gdb.INLINE_FRAME: "inline", gdb.TAILCALL_FRAME: "tailcall",
         gdb.SIGTRAMP_FRAME: "sigtramp"}
f, n = gdb.newest_frame(), 0
while f is not None and n < 48:
    pc = f.pc()
    path = gdb.current_progspace().solib_name(pc) or gdb.current_progspace().filename
    print("FRAME %s %s %s" % (kinds.get(f.type(), "other"), f.name() or "??", path))
    f, n = f.older(), n + 1
EOF

# gdb_frames PROG CORE: the physical frames, "name path" a line.
gdb_frames() {
	gdb -batch -nx -x "$GDB_FRAMES" "$1" "$2" 2>/dev/null |
		awk '$1 == "FRAME" && ($2 == "normal" || $2 == "sigtramp") { print $3, $4 }'
}

# telem_frames DIR PROG: the frames of PROG's one crash/crash stack.
telem_frames() {
	"$TELEM" --dir "$1" crashes --json 2>"$1/crashes.err" | python3 -c '
import json, sys
stacks = [s for s in json.load(sys.stdin) if s["program"] == sys.argv[1] and s["kind"] == "crash"]
if len(stacks) == 1:
    print("\n".join(stacks[0]["frames"]))
else:
    print("%d crash/crash stacks for %s" % (len(stacks), sys.argv[1]), file=sys.stderr)
' "$2"
}

# compare GDB_FILE TELEM_FILE: same normalized names over the top 8 frames
# (all of gdb's if fewer); prints both sides on a mismatch.
compare() {
	python3 - "$1" "$2" <<'EOF'
import os, re, subprocess, sys
ALIASES = {"__libc_start_main_impl": "__libc_start_main", "__qsort_r": "qsort_r",
           "__pthread_kill": "pthread_kill"}

def norm(name):
    if "!" in name:               # telem: module!function+0xoff
        name = name.split("!", 1)[1].rsplit("+0x", 1)[0]
    elif re.search(r"\+0x[0-9a-f]+$", name):
        name = "??"               # telem: module+0xvaddr, no symbol
    name = re.sub(r"(\.(constprop|isra|part|cold|lto_priv|localalias)(\.[0-9]+)?)+$", "", name)
    if name.startswith("__GI_"):
        name = name[5:]
    return ALIASES.get(name, name)

def resolve(path, vaddr):
    # gdb's own name for a file address of the module (debug files included)
    out = subprocess.run(["gdb", "-batch", "-nx", "-ex", "info symbol 0x%x" % vaddr, path],
                         capture_output=True, text=True).stdout.strip().split("\n")[-1]
    return out.split()[0] if " in section " in out else "??"

def telem_name(t, path):
    m = re.fullmatch(r"([^!]+)\+0x([0-9a-f]+)", t)
    if not m or "!" in t:
        return t
    if m.group(1) != os.path.basename(path) and not path.endswith("/" + m.group(1)):
        return "wrong module " + m.group(1)
    return resolve(path, int(m.group(2), 16))

rows = [l.split(" ", 1) for l in open(sys.argv[1]).read().split("\n") if l]
gdb = [r[0] for r in rows]
tel = [l for l in open(sys.argv[2]).read().split("\n") if l]
n = min(8, len(gdb))
want = [norm(x) for x in gdb[:n]]
got = [norm(telem_name(t, rows[i][1] if i < len(rows) else "")) for i, t in enumerate(tel[:n])]
if n == 0 or want != got:
    print("gdb (%d frames)      | telem (%d frames)" % (len(gdb), len(tel)))
    for i in range(max(n, min(len(tel), 8))):
        g = gdb[i] if i < len(gdb) else ""
        t = tel[i] if i < len(tel) else ""
        mark = "  " if i < n and i < len(got) and want[i] == got[i] else "!="
        print("#%d %s %-24s %s" % (i, mark, g, t))
    sys.exit(1)
print("%d frames: %s" % (n, " ".join(want)))
EOF
}

for c in "${CASES[@]}"; do
	read -r prog arg <<<"$c"
	args=()
	[ -z "${arg:-}" ] || args=("$arg")
	out=$(new_dir) tdir=$(new_dir) base=$(new_dir)
	"$RUN" "$base" "$(new_dir)" unlimited -- "$PROG/$prog" "${args[@]}"
	core=$CORES/core.$(cat "$base/pid")
	"$RUN" "$out" "$(new_dir)" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$tdir" -- "$PROG/$prog" "${args[@]}"
	if [ ! -s "$core" ]; then
		_tap_result 1 "$c: no core dump without telem ($(cat "$base/status"))" || true
		continue
	fi
	gdb_frames "$PROG/$prog" "$core" >"$out/gdb"
	telem_frames "$tdir" "$prog" >"$out/telem"
	rm -f "$core"
	if result=$(compare "$out/gdb" "$out/telem"); then
		_tap_result 0 "$c: telem's stack matches gdb's, frame by frame" || true
		diag "$result"
	else
		_tap_result 1 "$c: telem's stack matches gdb's, frame by frame" || true
		diag "$result" "$(cat "$tdir/crashes.err" 2>/dev/null)"
	fi
done
done_testing
