#!/usr/bin/env bash
# What crash stacks may hold and how they are named (issue 12, items 8, 10,
# 11, 12, 14, 15): a stack cut by the 128 KiB copy says so; telem's own
# frames never show; a library loaded from a memfd is not the main program;
# names come from the crashed modules alone (the same record gives the same
# names with or without separate debug files, with or without debuginfod),
# ingestion never contacts debuginfod and --symbolize only within a bound;
# records never hold argv or environment strings.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crash.sh"
RUN=$PROG/crash_run
need_built "$RUN" "$PROG/crash_big" "$PROG/crash_thread" "$PROG/crash_memfd" "$PROG/crash_abort" "$PROG/crash_null"
W=$(new_dir)

# frames DIR PROG: the frames of PROG's one crash/crash stack, one a line.
frames() {
	"$TELEM" --dir "$1" crashes --json 2>"$1/crashes.err" | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin) if x["program"] == sys.argv[1] and x["kind"] == "crash"]
print("\n".join(s[0]["frames"]) if len(s) == 1 else "%d stacks" % len(s))' "$2"
}
# crash DIR PROG [ARGS]: PROG crashes under the shim into telem dir DIR
crash() {
	local d=$1
	shift
	"$RUN" "$(new_dir)" "$W" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$d" -- "$@"
}

# --- item 8: a stack cut by the copy is marked as Go marks cut names ---
D=$(new_dir)
crash "$D" "$PROG/crash_big"
frames "$D" crash_big >"$W/big"
is "$(head -n 3 "$W/big" | sed 's/+0x.*//' | paste -sd' ')" "crash_big!faults crash_big!middle crash_big!holds_big" \
	"a 256 KiB local array: the frames inside the copy are there"
is "$(tail -n 1 "$W/big")" "truncated" "and the stack ends in Go's \"truncated\" line (the copy was cut)"
D=$(new_dir)
crash "$D" "$PROG/crash_null"
ok "a stack the copy holds whole is not marked" eval "! frames '$D' crash_null | grep -qx truncated"

# --- item 10: telem's own frames never show ---
D=$(new_dir)
crash "$D" "$PROG/crash_thread"
frames "$D" crash_thread >"$W/thread"
is "$(head -n 3 "$W/thread" | sed 's/+0x.*//' | paste -sd' ')" "crash_thread!step_b crash_thread!step_a crash_thread!worker" \
	"a worker thread's crash: its own frames first"
ok "no frame is libtelem.so's (the shim wraps the thread's start)" eval "! grep -q libtelem '$W/thread'"
diag "$(cat "$W/thread")"

# --- item 11: a library from a memfd is not the main program ---
cat >"$W/plug.c" <<'C'
static int *volatile target;
__attribute__((noipa)) static int plug_deep(int x) { return *target + x; }
int plug_crash(int x) { return plug_deep(x) + 1; }
C
gcc -O2 -g -fPIC -shared -Wl,-soname,libplug.so -o "$W/libplug.so" "$W/plug.c"
D=$(new_dir)
crash "$D" "$PROG/crash_memfd" "$W/libplug.so"
frames "$D" crash_memfd >"$W/memfd"
is "$(head -n 1 "$W/memfd" | sed 's/!.*//; s/+0x.*//')" "libplug.so" \
	"the memfd library's frame is named by its soname (its file is gone: no unwinding through it)"
ok "no frame is named as the main program" eval "! grep -q '^crash_memfd' '$W/memfd'"
diag "$(cat "$W/memfd")"

# --- item 12: one record, the same names with and without debug files ---
S=$(new_dir)
cp "$PROG/crash_abort" "$S/crash_abort"
objcopy --only-keep-debug "$S/crash_abort" "$S/crash_abort.debug"
strip --strip-debug --strip-unneeded "$S/crash_abort"
objcopy --add-gnu-debuglink="$S/crash_abort.debug" "$S/crash_abort"
A=$(new_dir) B=$(new_dir)
crash "$A" "$S/crash_abort"
mkdir -p "$B/crash"
cp "$A"/crash/*.rec "$B/crash/"
frames "$A" crash_abort >"$W/with-debug"
mv "$S/crash_abort.debug" "$W/"
DEBUGINFOD_URLS= frames "$B" crash_abort >"$W/without-debug"
is "$(cat "$W/with-debug")" "$(cat "$W/without-debug")" \
	"the same record ingested with and without separate debug files gives the same frames"
ok "names come from the module's own tables: the stripped program's frames are module+0xvaddr" \
	eval "grep -q '^crash_abort+0x' '$W/with-debug' && ! grep -q '^crash_abort!give_up' '$W/with-debug'"
diag "$(cat "$W/with-debug")"

# --- item 14: ingestion never asks debuginfod; --symbolize within a bound ---
# A server that accepts connections and never answers, counting them.
cat >"$W/silent.py" <<'PY'
import os, socket, sys
open(sys.argv[3], "w").write(str(os.getpid()))
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    with open(sys.argv[2], "a") as log:
        log.write("connection\n")
PY
: >"$W/conns"
python3 "$W/silent.py" "$W/port" "$W/conns" "$W/server.pid" &
for _ in $(seq 50); do [ -s "$W/port" ] && break; sleep 0.1; done
port=$(cat "$W/port")
D=$(new_dir)
crash "$D" "$S/crash_abort"
export DEBUGINFOD_URLS=http://127.0.0.1:$port
t0=$(date +%s)
"$TELEM" --dir "$D" dump >/dev/null 2>&1
"$TELEM" --dir "$D" crashes >/dev/null 2>&1
t1=$(date +%s)
is "$(grep -c '' "$W/conns")" 0 "telem dump and crashes ingest a stripped program's crash without contacting debuginfod"
ok "and do not wait for it ($((t1 - t0)) s)" test $((t1 - t0)) -lt 10
"$TELEM" --dir "$D" crashes --symbolize >"$W/sym" 2>&1
t2=$(date +%s)
ok "--symbolize asks debuginfod (explicitly requested)" test "$(grep -c '' "$W/conns")" -gt 0
ok "within a bound when the server never answers ($((t2 - t1)) s)" test $((t2 - t1)) -lt 40
unset DEBUGINFOD_URLS
kill "$(cat "$W/server.pid")" 2>/dev/null
wait

# --- item 15: no argv or environment strings in a record ---
D=$(new_dir)
"$RUN" "$(new_dir)" "$W" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$D" MY_API_TOKEN=never-in-a-record-42 -- \
	"$PROG/crash_null" --password=hunter2-argv
rec=$(ls "$D"/crash/*.rec | tail -n 1)
ok "a crash record was written" test -s "$rec"
ok "it holds no environment string" eval "! grep -q never-in-a-record-42 '$rec'"
ok "it holds no argument string" eval "! grep -q hunter2-argv '$rec'"
is "$(frames "$D" crash_null | grep -c '^crash_null!level_')" 10 "and the stack is still whole (level_10 .. level_1)"

done_testing
