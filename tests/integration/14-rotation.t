#!/usr/bin/env bash
# Rotation: with the clock fixed (TELEM_TEST_NOW) at instants on different
# days and weeks, and a weekends file, the shim's files are named after the
# day (UTC) and carry TimeBegin = that midnight, TimeEnd = the next weekends
# day (1-7 days later). Expected values are computed here, in Python, from
# the rule in DESIGN.md; header bytes are checked exactly.
. "$(dirname "$0")/../lib.sh"
need_built

HOST=/bin/true
PROGRAM=$(prog_name "$HOST")
VERSION=$(readelf -n "$(readlink -f "$HOST")" | sed -n 's/.*Build ID: \([0-9a-f]\{12\}\).*/\1/p' | head -n1)
RUNTIME=glibc$(getconf GNU_LIBC_VERSION | awk '{print $2}')
case $(uname -m) in
x86_64) GOARCH=amd64 ;; aarch64) GOARCH=arm64 ;; i?86) GOARCH=386 ;; *) GOARCH=$(uname -m) ;;
esac
ok "identity of $HOST known independently ($PROGRAM $VERSION $RUNTIME linux $GOARCH)" test -n "$VERSION"

# expect WEEKDAY UNIXTIME: "<file name> <TimeBegin> <TimeEnd>" by the rule.
expect() {
	python3 - "$@" "$PROGRAM" "$VERSION" "$RUNTIME" "$GOARCH" <<'PY'
import datetime as dt, sys
weekday, now = int(sys.argv[1]), int(sys.argv[2])
prog, ver, rt, arch = sys.argv[3:7]
day = dt.datetime.fromtimestamp(now, dt.timezone.utc).date()
sunday0 = (day.weekday() + 1) % 7          # Python: Monday = 0
incr = (weekday - sunday0) % 7 or 7         # 1..7 days later, never today
end = day + dt.timedelta(days=incr)
print("%s@%s-%s-linux-%s-%s.v1.count %sT00:00:00Z %sT00:00:00Z" % (prog, ver, rt, arch, day, day, end))
PY
}

# header_is FILE BEGIN END: the first hdrLen bytes are exactly Go's header.
header_is() {
	python3 - "$@" "$PROGRAM" "$VERSION" "$RUNTIME" "$GOARCH" <<'PY'
import struct, sys
path, begin, end, prog, ver, rt, arch = sys.argv[1:8]
meta = ("TimeBegin: %s\nTimeEnd: %s\nProgram: %s\nVersion: %s\nGoVersion: %s\nGOOS: linux\nGOARCH: %s\n\n"
        % (begin, end, prog, ver, rt, arch)).encode()
hdr = (32 + len(meta) + 31) // 32 * 32
want = b"# telemetry/counter file v1\n" + struct.pack("<I", hdr) + meta + b"\0" * (hdr - 32 - len(meta))
got = open(path, "rb").read(hdr)
if got != want:
    print("# header differs:\n#  got  %r\n#  want %r" % (got, want))
    sys.exit(1)
PY
}

# run_at TAG WEEKDAY "YYYY-MM-DD HH:MM:SS": one host run at that UTC instant.
run_at() {
	local tag=$1 weekday=$2 when=$3 now file begin end
	now=$(date -u -d "$when" +%s)
	read -r file begin end <<<"$(expect "$weekday" "$now")"
	TELEM_TEST_NOW=$now LD_PRELOAD=$SHIM "$HOST"
	ok "$tag ($when UTC, weekends $weekday): file $file" test -f "$TELEM_DIR/local/$file"
	[ -f "$TELEM_DIR/local/$file" ] || diag "files: $(ls "$TELEM_DIR/local")"
	ok "$tag: header is exactly TimeBegin $begin, TimeEnd $end" header_is "$TELEM_DIR/local/$file" "$begin" "$end"
	local meta
	meta=$(TELEM_TEST_NOW=$now "$TELEM" dump --json "$TELEM_DIR/local/$file" 2>&1 |
		python3 -c 'import json,sys; m=json.load(sys.stdin)[0]["meta"]; print(m["TimeBegin"], m["TimeEnd"])' 2>&1)
	is "$meta" "$begin $end" "$tag: telem dump shows the same TimeBegin and TimeEnd"
}

new_telem_dir
mkdir "$TELEM_DIR/local"
printf '3\n' >"$TELEM_DIR/local/weekends" # Wednesday
run_at "a Monday" 3 "2026-01-05 10:00:00"
run_at "a Tuesday at midnight: TimeEnd the next day" 3 "2026-01-06 00:00:00"
run_at "the weekends day itself: TimeEnd a week later" 3 "2026-01-07 12:30:00"
run_at "a Thursday one second before midnight" 3 "2026-01-08 23:59:59"
run_at "a Sunday" 3 "2026-01-11 08:00:00"
run_at "the next week's Wednesday" 3 "2026-01-14 00:00:00"
run_at "across the year's end" 3 "2025-12-31 18:00:00"
run_at "a leap day" 3 "2028-02-29 06:00:00"
run_at "after 2038-01-19 (64-bit time)" 3 "2038-01-20 01:00:00"

# The same day again, later: the same file, counted twice.
now=$(date -u -d "2026-01-05 22:00:00" +%s)
TELEM_TEST_NOW=$now LD_PRELOAD=$SHIM "$HOST"
read -r file _ <<<"$(expect 3 "$now")"
inv=$(cf_oracle "$TELEM_DIR/local/$file" | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"].get(sys.argv[1]))' "$PROGRAM/invocations")
is "$inv" 2 "a second run on 2026-01-05 counts into the same file"
is "$(ls "$TELEM_DIR/local" | grep -c '\.v1\.count$')" 9 "one file per day: 9 days, 9 files"

# Another weekends day (Sunday = 0), other weeks.
new_telem_dir
mkdir "$TELEM_DIR/local"
printf '0\n' >"$TELEM_DIR/local/weekends"
run_at "weekends Sunday, on a Saturday" 0 "2026-03-07 12:00:00"
run_at "weekends Sunday, on the Sunday" 0 "2026-03-08 12:00:00"
run_at "weekends Sunday, on a Monday" 0 "2026-03-09 12:00:00"

# No weekends file: the shim chooses one day, keeps it, and follows it.
new_telem_dir
now=$(date -u -d "2026-06-10 12:00:00" +%s)
TELEM_TEST_NOW=$now LD_PRELOAD=$SHIM "$HOST"
ok "without a weekends file, the shim writes one (a digit 0-6)" grep -qx '[0-6]' "$TELEM_DIR/local/weekends"
wd=$(head -c1 "$TELEM_DIR/local/weekends" 2>/dev/null || echo 0)
read -r file begin end <<<"$(expect "$wd" "$now")"
ok "and the file follows it: $file, TimeEnd $end" header_is "$TELEM_DIR/local/$file" "$begin" "$end"
run_at "the chosen weekends day is kept on a later day" "$wd" "2026-06-12 12:00:00"

done_testing
