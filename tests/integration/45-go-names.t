#!/usr/bin/env bash
# What Go programs write, read as Go reads it, in every output: a stack
# name's ditto marks (a frame line whose path is '"' means the previous
# frame's package path; Go's DecodeStack) expanded in dump, csv, crashes,
# report and view (issue 11 item 7); a count of 2^63 or more shown by one
# rule everywhere, the int64 of Go's Report saturated at 9223372036854775807
# (dump, dump --json, csv, export, report: item 8).
. "$(dirname "$0")/../lib.sh"
need_built

W=$(new_dir)
new_telem_dir
mkdir -p "$TELEM_DIR/local"
echo 5 >"$TELEM_DIR/local/weekends"
# As Go's EncodeStack writes a panic in gopls: runtime.gopanic then
# runtime.panicmem (ditto), a method, then another of its package (ditto).
STACK='crash/crash
runtime.gopanic:+50,+0x1c
".panicmem:+3,+0x2e
golang.org/x/tools/gopls/internal/cache.(*Snapshot).Run:+10,+0x44
".load:+1,+0x9'
# Edge cases of Go's rule: a ditto before any path, a line starting with a
# dot, a path holding a '"', a line without a dot.
ODD='gopls/bug
".orphan:+1,+0x1
.hidden:+2,+0x2
main.main:+3,+0x4
"x.y".z:+1,+0x5
".w:+1,+0x6
nodot'
MAX=18446744073709551615
python3 "$ROOT/tests/fixtures/gofile.py" \
	"$TELEM_DIR/local/gopls@v0.16.1-go1.22.5-linux-amd64-2024-06-10.v1.count" \
	'[["TimeBegin", "2024-06-10T00:00:00Z"], ["TimeEnd", "2024-06-14T00:00:00Z"], ["Program", "golang.org/x/tools/gopls"],
	  ["Version", "v0.16.1"], ["GoVersion", "go1.22.5"], ["GOOS", "linux"], ["GOARCH", "amd64"]]' \
	"$(python3 -c 'import json,sys; print(json.dumps({"gopls/invocations": int(sys.argv[2]), "gopls/exit:0": 2**63, sys.argv[1]: 3, sys.argv[3]: 1}))' "$STACK" "$MAX" "$ODD")"
# Go's DecodeStack (internal/counter/stackcounter.go), transliterated.
decode() {
	python3 - "$1" <<'PY'
import sys
lines, last = sys.argv[1].split("\n"), ""
for i, line in enumerate(lines):
    path, dot, rest = line.rpartition(".")
    if not dot or not path:
        continue
    if path == '"':
        lines[i] = last + rest
    else:
        last = path + "."
print("\n".join(lines), end="")
PY
}
WANT=$(decode "$STACK")
ok "Go's reader would expand two frames" grep -q 'runtime.panicmem:+3,+0x2e' <<<"$WANT"
I64=9223372036854775807

"$TELEM" dump --json >"$W/dump.json"
is "$(python3 -c 'import json,sys; c = json.load(open(sys.argv[1]))[0]["counters"]; print(sorted(k for k in c if not k.startswith("gopls/bug")) == sorted(["gopls/invocations", "gopls/exit:0", sys.argv[2]]), c["gopls/invocations"], c["gopls/exit:0"], c.get(sys.argv[2]))' "$W/dump.json" "$WANT")" \
	"True $I64 $I64 3" "dump --json: the stack expanded; 2^64-1 and 2^63 both $I64"
"$TELEM" dump >"$W/dump.txt"
is "$(python3 -c 'import json,sys; print(sys.argv[2] in json.load(open(sys.argv[1]))[0]["counters"])' "$W/dump.json" "$(decode "$ODD")")" \
	True "dump --json: the edge cases as Go's reader has them"
ok "dump: $I64, never 2^64-1" grep -q " $I64 gopls/invocations" "$W/dump.txt"
ok "dump: no raw 18446744073709551615" test "$(grep -c "$MAX" "$W/dump.txt")" = 0
ok "dump: no frame line starts with a ditto mark" test "$(grep -c '^ *"\.' "$W/dump.txt")" = 0
ok "dump: the expanded frame" grep -q 'golang.org/x/tools/gopls/internal/cache.(\*Snapshot).load:+1,+0x9' "$W/dump.txt"

"$TELEM" csv >"$W/out.csv"
is "$(python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
c = {r["counter"]: r["count"] for r in rows}
print(c.get("gopls/invocations"), c.get("gopls/exit:0"), c.get(sys.argv[2]))' "$W/out.csv" "$WANT")" "$I64 $I64 3" \
	"csv: the same numbers, the stack expanded"

"$TELEM" export --prometheus >"$W/export.txt" 2>&1
ok "export: $I64 for the saturated counter" grep -qE "invocations\"} $I64\$" "$W/export.txt"
ok "export: never 2^64-1" test "$(grep -c "$MAX" "$W/export.txt")" = 0

"$TELEM" crashes >"$W/crashes.txt" 2>&1
ok "crashes: the expanded frames" grep -q 'runtime.panicmem:+3,+0x2e' "$W/crashes.txt"
ok "crashes: no ditto mark" test "$(grep -c '"\.' "$W/crashes.txt")" = 0

TELEM_TEST_NOW=$(date -u -d 2024-06-20 +%s) "$TELEM" report >/dev/null 2>&1
is "$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
p = r["Programs"][0]
print(p["Counters"]["gopls/invocations"], p["Counters"]["gopls/exit:0"], sys.argv[2] in p["Stacks"])' \
	"$TELEM_DIR/local/local.2024-06-14.json" "$WANT" 2>&1)" "$I64 $I64 True" "report: $I64, and the stack expanded"

# The view reads the files: write them again (report deleted them).
python3 "$ROOT/tests/fixtures/gofile.py" \
	"$TELEM_DIR/local/gopls@v0.16.1-go1.22.5-linux-amd64-2024-06-10.v1.count" \
	'[["TimeBegin", "2024-06-10T00:00:00Z"], ["TimeEnd", "2024-06-14T00:00:00Z"], ["Program", "golang.org/x/tools/gopls"],
	  ["Version", "v0.16.1"], ["GoVersion", "go1.22.5"], ["GOOS", "linux"], ["GOARCH", "amd64"]]' \
	"$(python3 -c 'import json,sys; print(json.dumps({sys.argv[1]: 3}))' "$STACK")"
"$TELEM" view --out "$W/v.html" >/dev/null 2>&1
ok "view: the expanded frame" grep -q 'runtime.panicmem:+3,+0x2e' "$W/v.html"
ok "view: no ditto mark" test "$(grep -c '&quot;\.panicmem\|"\.panicmem' "$W/v.html")" = 0

done_testing
