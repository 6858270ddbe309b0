#!/usr/bin/env bash
# One weekday per directory, however it is first written (issue 11 item 4):
# telem run creates DIR/local/weekends when missing and its runs' files end
# on that day; the shim's first choice, or Go's (its writer leaves "3\n"),
# is what later runs and merges use; a merged file keeps the directory's
# weekday even when it comes from a directory with another.
. "$(dirname "$0")/../lib.sh"
need_built "$PROG/exit7"

DAY=86400
T0=$(date -u -d 2024-06-10 +%s) # a Monday
# ends: the weekday of each counter file's TimeEnd in $TELEM_DIR/local, sorted and unique
ends() {
	"$TELEM" dump --json | python3 -c '
import datetime, json, sys
print(" ".join(sorted({str((datetime.date.fromisoformat(f["meta"]["TimeEnd"][:10]).weekday() + 1) % 7) for f in json.load(sys.stdin)})))'
}
files() { ls "$TELEM_DIR/local" | grep -c '\.count$'; }
run_days() { # telem run on days 0..3 after T0
	local d
	for d in 0 1 2 3; do
		TELEM_TEST_NOW=$((T0 + d * DAY + 3600)) "$TELEM" run -- "$PROG/exit7" >/dev/null 2>&1
	done
}

# 1. telem run first, four days.
new_telem_dir
run_days
ok "telem run creates DIR/local/weekends" test -s "$TELEM_DIR/local/weekends"
w=$(head -c1 "$TELEM_DIR/local/weekends" 2>/dev/null)
is "$(files) $(ends)" "4 $w" "four days of runs: four files, every TimeEnd on the directory's weekday ($w)"

# 2. The shim first, then runs.
new_telem_dir
TELEM_TEST_NOW=$T0 LD_PRELOAD=$SHIM "$PROG/exit7" >/dev/null 2>&1
w=$(head -c1 "$TELEM_DIR/local/weekends")
run_days
is "$(files) $(ends)" "4 $w" "the shim chose first ($w): the runs' files end on it too"

# 3. Go first: its writer leaves "N\n" (rand.Intn(7), 0666).
new_telem_dir
mkdir -p "$TELEM_DIR/local"
printf '3\n' >"$TELEM_DIR/local/weekends"
run_days
TELEM_TEST_NOW=$((T0 + 4 * DAY)) LD_PRELOAD=$SHIM "$PROG/exit7" >/dev/null 2>&1
is "$(files) $(ends)" "5 3" "Go chose Wednesday: runs and the shim end every file on Wednesdays"

# 4. A merge from a directory with another weekday keeps the destination's.
new_telem_dir
mkdir -p "$TELEM_DIR/local"
printf '5\n' >"$TELEM_DIR/local/weekends"
K=$(new_dir)
mkdir -p "$K/local"
printf '2\n' >"$K/local/weekends"
TELEM_DIR=$K TELEM_MODE=local TELEM_TEST_NOW=$T0 LD_PRELOAD=$SHIM "$PROG/exit7" >/dev/null 2>&1
# --keep K: the run adds into K (whose file of that day ends on a Tuesday), then merges K into the user's.
TELEM_TEST_NOW=$((T0 + 3600)) "$TELEM" run --keep "$K" -- "$PROG/exit7" >/dev/null 2>&1
is "$(files) $(ends)" "1 5" "merged from a directory of Tuesdays: the file ends on the destination's Friday"
is "$(counters_sum exit7/invocations)" "exit7/invocations=2" "with every count"

done_testing
