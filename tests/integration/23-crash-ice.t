#!/usr/bin/env bash
# A real GCC internal compiler error: Debian's cc1 (no frame pointers, its
# own crash_signal handler installed with signal()) gets SIGSEGV in the
# middle of a long compile, at the same point with and without telem. GCC prints its ICE report and gcc exits with the
# status it has without telem in the same experiment; a record is left, and
# `telem crashes` shows a crash/crash stack of cc1's own frames down to main.
# Then the exit-code rule: a program named cc1 exiting 4 is an internal
# compiler error (a crash/ice stack at its exit call), no other exit or
# program is; and TELEM_CRASH=off records nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crash.sh"
RUN=$PROG/crash_run
need_built "$RUN" "$PROG/crash_ice" "$PROG/crash_null" "$PROG/exit7"

# stacks DIR PROG KIND: the frames of each PROG crash/KIND stack, one stack
# a line, frames separated by spaces.
stacks() {
	"$TELEM" --dir "$1" crashes --json | python3 -c '
import json, sys
for s in json.load(sys.stdin):
    if s["program"] == sys.argv[1] and s["kind"] == sys.argv[2]:
        print(" ".join(s["frames"]))' "$2" "$3"
}

# --- a real ICE ---
W=$(new_dir)
python3 - "$W/big.c" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(30000):
        f.write("int f%d(int a, int b) { int c = a * %d + b; if (c > %d) c -= b; return c ^ %d; }\n"
                % (i, i, i, i))
EOF

# blocked_writing PID: PID sleeps in write(2) (its stopped reader's pipe is
# full). /proc/PID/syscall says so where it may be read; wchan elsewhere.
blocked_writing() {
	local call
	call=$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null) && [ -n "$call" ] && [ "$call" != running ] &&
		{ [ "$call" = 1 ]; return; }
	[ "$(cat "/proc/$1/wchan" 2>/dev/null)" = pipe_write ]
}

# ice_run OUT [VAR=VALUE...]: compiles big.c with -pipe (the environment
# given applies to gcc and so to cc1) and sends SIGSEGV to its cc1 at one
# and the same point every time: with `as` stopped, cc1 blocks writing its
# assembly to the full pipe, and the signal lands there. (A signal at a
# random moment can land in malloc, and GCC's handler, which allocates,
# then aborts on the half-updated heap, with or without telem.)
# OUT/status is gcc's exit status (as a shell sees it), OUT/stderr its output.
ice_run() {
	local out=$1 gcc_pid cc1_pid= as_pid= i
	shift
	mkdir -p "$out"
	(cd "$W" && exec env "$@" gcc -pipe -c big.c -o big.o) </dev/null >"$out/stdout" 2>"$out/stderr" &
	gcc_pid=$!
	for ((i = 0; i < 400; i++)); do
		as_pid=$(pgrep -x as -P "$gcc_pid") && cc1_pid=$(pgrep -x cc1 -P "$gcc_pid") && break
		sleep 0.05
	done
	if [ -n "$cc1_pid" ] && [ -n "$as_pid" ]; then
		kill -STOP "$as_pid"
		for ((i = 0; i < 1200; i++)); do
			blocked_writing "$cc1_pid" && break
			sleep 0.05
		done
		blocked_writing "$cc1_pid" || echo "cc1 ($cc1_pid) never blocked writing to as" >"$out/error"
		kill -SEGV "$cc1_pid"
		sleep 0.2
		kill -CONT "$as_pid"
	else
		echo "no cc1 and as found under gcc ($gcc_pid)" >"$out/error"
	fi
	wait "$gcc_pid"
	echo $? >"$out/status"
}

B=$(new_dir) S=$(new_dir) T=$(new_dir)
ice_run "$B"
ice_run "$S" LD_PRELOAD="$SHIM" TELEM_DIR="$T"
ICE="internal compiler error: Segmentation fault"
ok "ICE: without telem, cc1 reports '$ICE'" grep -q "$ICE" "$B/stderr"
ok "ICE: with the shim, cc1 reports '$ICE'" grep -q "$ICE" "$S/stderr"
is "$(cat "$S/status")" "$(cat "$B/status")" "ICE: gcc exits as without telem ($(cat "$B/status"))"
# GCC's report ends in its own backtrace (libbacktrace, through the signal
# frame): the same lines, once the addresses ASLR moves are masked.
masked() { sed -E 's/0x[0-9a-f]+/ADDR/g' "$1"; }
is "$(masked "$S/stderr")" "$(masked "$B/stderr")" "ICE: gcc's report and backtrace are as without telem"
for o in "$B" "$S"; do [ ! -e "$o/error" ] || diag "$(cat "$o/error")"; done
is "$(records "$T")" 1 "ICE: one crash record"
is "$(record_of "$T")" "program=cc1 kind=1 signo=11 exit=4 complete=1" \
	"ICE: a complete record of cc1's SIGSEGV, ended by GCC's exit 4"
is "$(counter_total "$T" cc1/signal:SIGSEGV)" 1 "ICE: cc1/signal:SIGSEGV counted once"
stacks "$T" cc1 crash >"$S/stacks"
ok "ICE: one crash/crash stack for cc1, at least 4 frames in cc1, unwound to cc1!main" python3 -c '
import sys
lines = open(sys.argv[1]).read().split("\n")
stacks = [l.split() for l in lines if l]
if len(stacks) != 1:
    sys.exit("%d stacks" % len(stacks))
cc1 = [f for f in stacks[0] if f.startswith(("cc1!", "cc1+"))]
sys.exit(0 if len(cc1) >= 4 and any(f.startswith("cc1!main+") for f in cc1) else 1)
' "$S/stacks"
diag "cc1's stack: $(cat "$S/stacks")"

# --- the exit-code rule ---
D=$(new_dir)
cp "$PROG/crash_ice" "$D/cc1"
mkdir "$D/bin7" && cp "$PROG/exit7" "$D/bin7/cc1"

T=$(new_dir) O=$(new_dir)
"$RUN" "$O" "$D" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$T" -- ./cc1
is "$(cat "$O/status")" "exit 4" "cc1 stand-in: exits 4"
is "$(records "$T")" 1 "cc1 stand-in exiting 4: one record"
is "$(record_of "$T")" "program=cc1 kind=2 signo=0 exit=4 complete=1" \
	"cc1 stand-in exiting 4: a CRASH_ICE record"
is "$(counter_total "$T" cc1/signal:SIGSEGV)" 0 "cc1 stand-in exiting 4: no signal counted"
stacks "$T" cc1 ice >"$O/stacks"
ok "cc1 stand-in: a crash/ice stack starting at the exit call: internal_error, expand_expr" python3 -c '
import re, sys
lines = [l.split() for l in open(sys.argv[1]).read().split("\n") if l]
def fn(f):
    f = f.split("!", 1)[1].rsplit("+0x", 1)[0] if "!" in f else f
    return re.sub(r"(\.(constprop|isra|part|cold)(\.[0-9]+)?)+$", "", f)
sys.exit(0 if len(lines) == 1 and [fn(f) for f in lines[0][:2]] == ["internal_error", "expand_expr"] else 1)
' "$O/stacks"
diag "cc1 stand-in's stack: $(cat "$O/stacks")"

T=$(new_dir) O=$(new_dir)
"$RUN" "$O" "$D/bin7" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$T" -- ./cc1
is "$(cat "$O/status") $(records "$T")" "exit 7 0" "cc1 exiting 7: not an ICE, no record"
T=$(new_dir) O=$(new_dir)
cp "$PROG/crash_ice" "$D/not-a-compiler"
"$RUN" "$O" "$D" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$T" -- ./not-a-compiler
is "$(cat "$O/status") $(records "$T")" "exit 4 0" "another program exiting 4: no record"

# --- TELEM_CRASH=off: counting goes on, crash handling is off ---
T=$(new_dir) O=$(new_dir) B=$(new_dir)
"$RUN" "$B" "$(new_dir)" 0 -- "$PROG/crash_null"
"$RUN" "$O" "$(new_dir)" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$T" TELEM_CRASH=off -- "$PROG/crash_null"
ok "TELEM_CRASH=off: crash_null dies as without the shim" same_run "$B" "$O"
is "$(records "$T")" 0 "TELEM_CRASH=off: crash_null leaves no record"
is "$(counter_total "$T" crash_null/invocations) $(counter_total "$T" crash_null/signal:SIGSEGV)" "1 0" \
	"TELEM_CRASH=off: crash_null counted, its signal not"
T=$(new_dir) O=$(new_dir)
"$RUN" "$O" "$D" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$T" TELEM_CRASH=off -- ./cc1
is "$(cat "$O/status") $(records "$T") $(counter_total "$T" cc1/invocations)" "exit 4 0 1" \
	"TELEM_CRASH=off: cc1 exiting 4 counted, no record"
done_testing
