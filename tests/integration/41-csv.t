#!/usr/bin/env bash
# telem csv (issue 4, item 3): parsed with Python's csv module, every record
# equals the counter files as telem dump --json reads them, summed per
# report week (files sharing a TimeEnd); RFC 4180 quoting for a stack
# counter (newlines), a flag with a comma (-Wl,), and names with quotes;
# records end in CRLF; errors name the file; usage errors exit 2. Then the
# same item's man pages: groff finds nothing to warn about, and telem(1)
# documents every command telem --help lists and every environment variable.
. "$(dirname "$0")/../lib.sh"
GEN=$PROG/gen_year
need_built "$GEN" "$PROG/crash_null"
W=$(new_dir)
new_telem_dir
mkdir -p "$TELEM_DIR/local"
echo 3 >"$TELEM_DIR/local/weekends" # weeks end on Wednesdays

echo 'int main(void) { return 0; }' >"$W/hello.c"
shim_on 2024-06-10 gcc -O2 -Wl,--as-needed -o "$W/hello" "$W/hello.c"
shim_on 2024-06-10 sh -c 'exit 3'
shim_on 2024-06-11 sh -c 'exit 3' # a second daily file in the same week: summed
shim_on 2024-06-13 sh -c 'exit 3' # the next week (ends 2024-06-19): records of its own
(shim_on 2024-06-10 "$PROG/crash_null") 2>/dev/null # the shell's "Segmentation fault" line
# Names the shim never makes, written by the shim's own code: quotes and commas.
"$GEN" --one "$TELEM_DIR" qtool 2024-06-12 'qtool/flag:-"q",x' 3 'qtool/plain' 4 >/dev/null

export TELEM_TEST_NOW=$(date -u -d 2024-06-20 +%s)
rc=0
"$TELEM" csv >"$W/out.csv" 2>"$W/err" || rc=$?
is "$rc" 0 "telem csv exits 0"
is "$(cat "$W/err")" "" "and says nothing on stderr"
dump_json >"$W/dump.json"

# check EXPR: Python over the parsed CSV (rows, header), the raw bytes
# (raw) and the files as dump --json reads them (expected: the same records
# computed independently from the dump).
check() {
	python3 - "$W/out.csv" "$W/dump.json" "$1" <<'EOF'
import csv, datetime, io, json, sys
raw = open(sys.argv[1], "rb").read()
reader = csv.reader(io.StringIO(raw.decode(), newline=""), strict=True)
table = list(reader)
header, rows = table[0], table[1:]
expected = {}
for f in json.load(open(sys.argv[2])):
    m = f["meta"]
    end = datetime.date.fromisoformat(m["TimeEnd"][:10])
    for name, count in f["counters"].items():
        key = (str(end - datetime.timedelta(days=7)), str(end), m["Program"], m["Version"],
               m["GoVersion"], m["GOOS"], m["GOARCH"], name)
        expected[key] = expected.get(key, 0) + count
got = {tuple(r[:8]): int(r[8]) for r in rows}
def row(program, counter, week_end=None):
    return [r for r in rows if r[2] == program and r[7] == counter and (week_end is None or r[1] == week_end)]
r = eval(sys.argv[3])
print(r if isinstance(r, str) else json.dumps(r))
EOF
}

is "$(check 'header')" \
	'["week_begin", "week_end", "program", "version", "runtime", "goos", "goarch", "counter", "count"]' \
	"the header names the nine fields"
is "$(check 'sorted(set(len(r) for r in rows))')" "[9]" "every record has nine fields"
is "$(check 'len(rows) == len(got)')" "true" "one record per counter and program/version/week (no key twice)"
is "$(check 'got == expected')" "true" "every record equals the counter files summed per week, and nothing is missing"
is "$(check 'len(rows) > 40')" "true" "a real build gave many records ($(check 'len(rows)'))"
is "$(check '[r[8] for r in row("dash", "dash/exit:3", "2024-06-12")]')" '["2"]' \
	"two daily files of one week are summed (dash/exit:3 = 2 in the week ending 2024-06-12)"
is "$(check '[r[0] + " " + r[8] for r in row("dash", "dash/exit:3", "2024-06-19")]')" '["2024-06-12 1"]' \
	"the next week has its own record, week_begin 7 days before week_end"
is "$(check '[r[8] for r in row("gcc", "gcc/flag:-Wl,")]')" '["1"]' "the flag with a comma survives (gcc/flag:-Wl,)"
is "$(check 'str(b"gcc/flag:-Wl,\"" in raw and b",\"gcc/flag:-Wl,\"," in raw)')" "True" \
	"and is quoted in the raw output"
is "$(check '[[l.split("+0x")[0] for l in r[7].split("\n") if l in ("crash/crash",) or "!main+" in l]
	for r in rows if r[7].startswith("crash/crash\n")]')" '[["crash/crash", "crash_null!main"]]' \
	"the crash stack counter comes back whole, newlines included (first line, then frames down to main)"
is "$(check 'str(b",\"crash/crash\ncrash_null!" in raw)')" "True" "the stack field is quoted, its newlines kept raw"
is "$(check '[r[8] for r in row("qtool", "qtool/flag:-\"q\",x")]')" '["3"]' "a name with quotes and a comma round-trips"
is "$(check 'str(b",\"qtool/flag:-\"\"q\"\",x\",3\r\n" in raw)')" "True" "its quotes are doubled (RFC 4180)"
is "$(check 'str(raw.count(b"\r\n") == len(rows) + 1 and raw.endswith(b"\r\n"))')" "True" \
	"every record ends in CRLF, and only records do"

# --- errors and usage ---
is "$("$TELEM" csv --help >/dev/null 2>&1; echo $?)" 0 "csv --help exits 0"
is "$("$TELEM" csv extra >/dev/null 2>&1; echo $?)" 2 "an operand is a usage error (2)"
is "$("$TELEM" csv --bogus >/dev/null 2>&1; echo $?)" 2 "an unknown option is a usage error (2)"
printf 'not a counter file' >"$TELEM_DIR/local/bad@x-glibc2.36-linux-amd64-2024-06-10.v1.count"
rc=0
"$TELEM" csv >"$W/out2.csv" 2>"$W/err2" || rc=$?
is "$rc" 1 "a corrupt counter file makes csv exit 1"
ok "the error names the file" grep -q "^telem: .*bad@x-glibc2.36-linux-amd64-2024-06-10.v1.count: " "$W/err2"
is "$(tail -n +2 "$W/out2.csv" | md5sum)" "$(tail -n +2 "$W/out.csv" | md5sum)" "the other files' records are still all printed"
E=$(new_dir)
is "$("$TELEM" --dir "$E" csv | od -c | head -2 | tr -s ' ')" \
	"$(printf 'week_begin,week_end,program,version,runtime,goos,goarch,counter,count\r\n' | od -c | head -2 | tr -s ' ')" \
	"an empty directory gives the header alone"

# --- man pages ---
if command -v groff >/dev/null; then
	for page in "$ROOT/man/telem.1" "$ROOT/man/libtelem.7"; do
		is "$(groff -man -Tutf8 -ww -z "$page" 2>&1)" "" "$(basename "$page"): groff -ww has no warning"
	done
	groff -man -Tascii -P-cbou "$ROOT/man/telem.1" 2>/dev/null >"$W/telem.txt"
	groff -man -Tascii -P-cbou "$ROOT/man/libtelem.7" 2>/dev/null >"$W/libtelem.txt"
	commands=$("$TELEM" --help | sed -n 's/^  \([a-z]*\) .*/\1/p')
	missing=$(for c in $commands; do grep -qE "^       $c( |\$)" "$W/telem.txt" || echo "$c"; done)
	is "$missing" "" "telem(1) has an entry for each of the $(echo $commands | wc -w) commands telem --help lists"
	missing=$(for v in TELEM_DIR TELEM_MODE TELEM_DEBUG TELEM_CRASH TELEM_TEST_NOW; do
		grep -q "^       $v" "$W/telem.txt" && grep -q "^       $v" "$W/libtelem.txt" || echo "$v"; done)
	is "$missing" "" "both pages describe TELEM_DIR, TELEM_MODE, TELEM_DEBUG, TELEM_CRASH, TELEM_TEST_NOW"
	is "$(sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' "$W/telem.txt" | grep -cE '^       [012] ')" 3 \
		"telem(1) gives exit statuses 0, 1 and 2"
	is "$(grep -cE '^       [a-z]*/(invocations|flag:name|exit:code|maxrss:bucket|signal:NAME)$' "$W/libtelem.txt")" 5 \
		"libtelem(7) lists what is counted: invocations, flag, exit, maxrss, signal"
else
	skip 6 "groff is not installed"
fi
done_testing
