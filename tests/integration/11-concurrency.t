#!/usr/bin/env bash
# Exactness under concurrency: 8 processes x 50,000 increments over at least
# 200 names, all new (so allocations race), into one file; every total exact,
# no name twice, the file still parses (by telem and by an independent reader).
# Then the same through the real shim: 1,600 processes racing to create and
# count into one directory.
. "$(dirname "$0")/../lib.sh"
need_built

hammer=$(new_dir)/cfhammer
# Built here, from the current shim sources and with -Werror.
if ! cc -std=gnu11 -Wall -Wextra -Werror -O2 -g -I"$ROOT/shim" \
	-o "$hammer" "$ROOT/tests/programs/cfhammer.c" 2>"$hammer.log"; then
	echo "Bail out! cannot build cfhammer: $(head -c 2000 "$hammer.log")"
	exit 1
fi

PROCS=8
INCS=50000

# check_round NAMES NAMELEN MIN_BYTES
check_round() {
	local names=$1 namelen=$2 min_bytes=$3 dir file want
	dir=$(new_dir)
	file=$dir/cfhammer@devel-glibc2.36-linux-amd64-2026-01-05.v1.count
	want=$((PROCS * INCS / names))
	local tag="$PROCS procs x $INCS incs over $names names of $namelen bytes"

	ok "$tag: every process counted" "$hammer" "$file" "$PROCS" "$INCS" "$names" "$namelen"

	local dump rc=0
	dump=$("$TELEM" dump --json "$file" 2>"$dir/err") || rc=$?
	is "$rc" 0 "$tag: telem dump reads the file back"
	[ "$rc" -eq 0 ] || diag "$(cat "$dir/err")"
	ok "$tag: telem dump: $names names, each exactly $want" python3 -c '
import json, sys
d = json.loads(sys.argv[1] or "[{\"counters\": {}}]")[0]["counters"]
names, want = int(sys.argv[2]), int(sys.argv[3])
bad = {k: v for k, v in d.items() if v != want}
if len(d) != names or bad:
    print("# %d names (want %d); wrong totals: %s" % (len(d), names, list(bad.items())[:5]))
    sys.exit(1)
' "$dump" "$names" "$want"

	local human
	human=$("$TELEM" dump "$file" 2>/dev/null | grep -c ' hammer/')
	is "$human" "$names" "$tag: telem dump lists each name once"

	ok "$tag: independent reader: valid, no duplicate, same totals" python3 -c '
import json, sys
r = json.loads(sys.argv[1])
names, want = int(sys.argv[2]), int(sys.argv[3])
errs = []
if r["error"]: errs.append(r["error"])
if r["duplicates"]: errs.append("duplicates: %s" % r["duplicates"][:3])
if r["records"] != names: errs.append("%d linked records" % r["records"])
wrong = [k for k, v in r["counters"].items() if v != want]
if wrong: errs.append("%d wrong totals, e.g. %s=%d" % (len(wrong), wrong[0], r["counters"][wrong[0]]))
for e in errs: print("# " + e)
sys.exit(1 if errs else 0)
' "$(cf_oracle "$file")" "$names" "$want"

	local size
	size=$(stat -c %s "$file")
	ok "$tag: file grew to $size bytes (> $min_bytes, in 16 KiB steps)" \
		test "$size" -gt "$min_bytes" -a $((size % 16384)) -eq 0
}

check_round 250 100 32768   # 128-byte records: three pages
check_round 200 300 65536   # 320-byte records: five pages, many page skips
check_round 2000 16 49152   # 32-byte records: thousands of racing allocations

# Through the shim: 1,600 processes in 8 parallel streams, all starting on an
# empty directory, so the weekends file and today's file are created racing.
new_telem_dir
true_bin=$(readlink -f /bin/true)
seq 1600 | LD_PRELOAD=$SHIM xargs -P 8 -n 200 sh -c 'for i; do "$0"; done' "$true_bin"
files=("$TELEM_DIR"/local/true@*.v1.count)
is "${#files[@]}" 1 "1,600 racing processes made one counter file for true"
counts=$(dump_json | python3 -c '
import json, sys
c = {}
for f in json.load(sys.stdin):
    for k, v in f["counters"].items():
        c[k] = c.get(k, 0) + v
print(c.get("true/invocations", 0), c.get("true/exit:0", 0), c.get("dash/invocations", 0))
')
is "$counts" "1600 1600 8" "true/invocations, true/exit:0 = 1600 and dash/invocations = 8, exactly"
ok "the weekends file holds one digit 0-6" grep -qx '[0-6]' "$TELEM_DIR/local/weekends"
leftover=$(find "$TELEM_DIR" -name '*.tmp-*' | wc -l)
is "$leftover" 0 "no temporary file left behind by racing creators"

done_testing
