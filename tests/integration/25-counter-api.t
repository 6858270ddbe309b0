#!/usr/bin/env bash
# Counters of rebuilt programs (issue 16): a C and a C++ program built once
# with include/telem/counter.h. Without telem: same output, no telem file,
# no new NEEDED entry (weak references only). With the shim: exact counts
# from 8 threads x 100,000 increments and from a signal handler, refused
# names not written, a bug stack counter from a 10-deep call chain recorded
# once per call site, named "<program>/<name>\n<frame>..." by ingestion and
# valid by Go's stack counter rules; then dump, summary, view, report with
# an upload config's Stacks.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
trap '_collector_cleanup; _upload_cleanup' EXIT
C=$PROG/counter_c
CXX=$PROG/counter_cxx
need_built "$C" "$CXX"
W=$(new_dir)
. "$ROOT/tests/crash.sh"

# counters DIR PROGRAM: PROGRAM's own counters, not the shim's, "NAME=COUNT" on one line.
counters() {
	oracle_counts "$1" "$2/" | grep -vE "^$2/(invocations|exit:|wall|cpu|maxrss)" | paste -sd' ' -
}

# --- built once, runs unchanged without telem ---
is "$(readelf -d "$C" | awk '/NEEDED/ {print $NF}' | paste -sd' ' -)" "[libc.so.6]" \
	"the C program needs libc only: the header adds no link dependency"
printf '#include <thread>\nint main() { std::thread t([] {}); t.join(); }\n' >"$W/ref.cc"
g++ -std=c++17 -O2 -o "$W/ref" "$W/ref.cc" -lpthread
is "$(readelf -d "$CXX" | awk '/NEEDED/ {print $NF}' | paste -sd' ' -)" \
	"$(readelf -d "$W/ref" | awk '/NEEDED/ {print $NF}' | paste -sd' ' -)" \
	"the C++ program needs what any threaded C++ program needs, nothing more"
is "$(nm -D "$C" | awk '/telem_/ {print $1, $2}' | paste -sd' ' -)" "w telem_abi1_counter_add w telem_abi1_stack_inc" \
	"its references to the shim are weak and undefined"

new_telem_dir
for mode in threads bug names signal; do
	"$C" $mode >"$W/plain.c.$mode" 2>&1
	echo $? >>"$W/plain.c.$mode"
done
for mode in threads bug; do
	"$CXX" $mode >"$W/plain.cxx.$mode" 2>&1
	echo $? >>"$W/plain.cxx.$mode"
done
is "$(ls -A "$TELEM_DIR" | wc -l) $(ls -A "$HOME" | wc -l)" "0 0" "without the shim: no telem file anywhere"
is "$(cat "$W/plain.c.threads")" "threads: 800000 increments
0" "and the program ran as written"

# --- with the shim: the same output, exact counts ---
new_telem_dir
same=0
for mode in threads bug names signal; do
	LD_PRELOAD=$SHIM "$C" $mode >"$W/shim.c.$mode" 2>&1
	echo $? >>"$W/shim.c.$mode"
	cmp -s "$W/plain.c.$mode" "$W/shim.c.$mode" || same=1
done
for mode in threads bug; do
	LD_PRELOAD=$SHIM "$CXX" $mode >"$W/shim.cxx.$mode" 2>&1
	echo $? >>"$W/shim.cxx.$mode"
	cmp -s "$W/plain.cxx.$mode" "$W/shim.cxx.$mode" || same=1
done
is "$same" 0 "with the shim: the same output and status, C and C++, every mode"
is "$(records "$TELEM_DIR")" 3 "bug records: one per call site per process (2 sites in C, 1 in C++; 3 passes each)"
is "$(record_of "$TELEM_DIR" | sed 's/program=[a-z_]* //')" "kind=3 signo=0 exit=-1 complete=1" \
	"a bug record is complete, of kind CRASH_BUG, with no signal"
is "$(counters "$TELEM_DIR" counter_c)" \
	"counter_c/api:hits=800000 counter_c/api:in-handler=10 counter_c/bug:impossible=3 counter_c/bug:other-site=1 counter_c/gotoolchain:go1.22.1=1 counter_c/names:ok=5" \
	"C: exact counts from 8 threads x 100,000 and from a signal handler; every refused name left out"
is "$(counters "$TELEM_DIR" counter_cxx)" "counter_cxx/api:hits=800000 counter_cxx/bug:impossible=3" \
	"C++: the same"

# --- ingestion: the stack counters ---
dump_json >"$W/dump.json"
is "$(records "$TELEM_DIR") $(ls "$TELEM_DIR/crash/bad" 2>/dev/null | wc -l)" "0 0" \
	"telem ingests the bug records (none set aside)"
stacks() { # stacks PROGRAM: its stack counters as JSON [[name, count], ...]
	cf_oracle "$TELEM_DIR"/local/"$1"@*.v1.count | python3 -c '
import json, sys
out = []
for line in sys.stdin:
    out += [[k, v] for k, v in json.loads(line)["counters"].items() if "\n" in k]
print(json.dumps(sorted(out)))'
}
stacks counter_c >"$W/c.stacks"
stacks counter_cxx >"$W/cxx.stacks"
q() { python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
is "$(q "$W/c.stacks" '" ".join("%s=%d" % (n.split("\n")[0], c) for n, c in s)')" \
	"counter_c/bug:impossible=1 counter_c/bug:other-site=1" "C: one stack counter per call site, named after the program's counter"
is "$(q "$W/c.stacks" '" ".join(f.split("!")[1].split("+")[0] for f in s[0][0].split("\n")[1:12])')" \
	"bug_level10 bug_level9 bug_level8 bug_level7 bug_level6 bug_level5 bug_level4 bug_level3 bug_level2 bug_level1 main" \
	"its frames: the 10-deep chain from the caller of telem_stack_inc, then main"
is "$(q "$W/c.stacks" '" ".join(f.split("!")[1].split("+")[0] for f in s[1][0].split("\n")[1:2])')" "main" \
	"the second call site's stack starts in main"
is "$(q "$W/cxx.stacks" '" ".join(f.split("!")[1].split("+")[0] for f in s[0][0].split("\n")[1:12])')" \
	"$(for i in 0 1 2 3 4 5 6 7 8 9; do printf '_ZN5chain6Walker4stepILi%dEEEii ' $i; done)main" \
	"C++: the chain of chain::Walker::step<0..9> (mangled, as crash frames are), then main"
# Go's rules (x/telemetry internal/counter): a stack counter is a name with a
# newline; its counter name is the first line (ReadStack matches name + "\n");
# at most 4096 bytes; DecodeStack leaves it unchanged (no ditto line); no
# empty frame; and our frame format as for crash/crash.
go_rules() {
	python3 - "$@" <<'PY'
import json, re, sys
bad = []
for path in sys.argv[1:]:
    for name, count in json.load(open(path)):
        lines = name.split("\n")
        first = lines[0]
        ok = ("\n" in name and len(name.encode()) <= 4096 and count >= 1
              and re.fullmatch(r"counter_cx*/bug:[a-z-]+", first)
              and all(l and not l.startswith('"') for l in lines[1:])
              and all(re.fullmatch(r"[A-Za-z0-9._+-]+(![A-Za-z0-9_.$]+)?\+0x[0-9a-f]{1,8}|\?\?", l) for l in lines[1:])
              and len(lines) - 1 <= 32)
        if not ok:
            bad.append(name)
print(json.dumps(bad))
PY
}
is "$(go_rules "$W/c.stacks" "$W/cxx.stacks")" "[]" "every name is a valid Go stack counter, frames as crash/crash's"

# --- once per call site per process, exact counts across processes ---
LD_PRELOAD=$SHIM "$C" bug 1000 >/dev/null
is "$(records "$TELEM_DIR")" 2 "1,000 hits in one more process: one record per call site"
dump_json >/dev/null
stacks counter_c >"$W/c2.stacks"
is "$(q "$W/c2.stacks" '" ".join("%s=%d" % (n.split("\n")[0], c) for n, c in s)')" \
	"counter_c/bug:impossible=2 counter_c/bug:other-site=2" "a stack counter counts the processes that hit its site"
is "$(counters "$TELEM_DIR" counter_c | tr ' ' '\n' | grep '^counter_c/bug:impossible=')" "counter_c/bug:impossible=1003" "its plain counter counts every hit"

# --- downstream: dump, summary, view, report with the config's Stacks ---
is "$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(1 for f in (d if isinstance(d, list) else d.get("files", [])) for k in (f.get("counters") or {}) if k.startswith("counter_c/bug:impossible\n")))' "$W/dump.json" 2>&1)" 1 \
	"telem dump --json shows the bug stack counter"
"$TELEM" --dir "$TELEM_DIR" summary --json >"$W/summary.json"
is "$(q "$W/summary.json" '" ".join(sorted("%s:%s" % (x["program"], x["kind"]) for x in s["stacks"]))')" \
	"counter_c:bug:impossible counter_c:bug:other-site counter_cxx:bug:impossible" "telem summary lists the bug stacks by program and name"
"$TELEM" --dir "$TELEM_DIR" view --out "$W/view.html" >/dev/null 2>&1
ok "telem view shows the bug stack's frames" grep -q 'bug_level10' "$W/view.html"

friday_telem_dir "on 2024-06-01"
LD_PRELOAD=$SHIM TELEM_TEST_NOW=$T0 "$C" bug >/dev/null
echo '{"Version": "v1", "GOOS": ["linux"], "GOARCH": ["amd64"], "GoVersion": ["'"$RUNTIME"'"],
 "Programs": [{"Name": "counter_c", "Versions": ["'"$(build_id "$C")"'"],
 "Counters": [{"Name": "counter_c/bug:{impossible,other-site}", "Rate": 1}],
 "Stacks": [{"Name": "counter_c/bug:impossible", "Rate": 1, "Depth": 3}]}]}' >"$TELEM_DIR/upload.config.json"
TELEM_TEST_NOW=$LATER "$TELEM" report >"$W/report.out" 2>&1
U=$TELEM_DIR/local/$WEEK.json
is "$(python3 -c 'import json, sys
p = json.load(open(sys.argv[1]))["Programs"][0]
print(json.dumps([sorted(p["Counters"].items()), sorted(p["Stacks"].items())]))' "$U" 2>&1)" \
	"$(q "$W/c.stacks" 'json.dumps([[["counter_c/bug:impossible", 3], ["counter_c/bug:other-site", 1]],
	[[s[0][0], 1]]])')" \
	"the uploadable report: the config's counters, and its Stack whole, as Go's uploader keeps it (other-site's stack not named: left out)"
ok "and it is Go's Report schema" go_check "$U"

# The collector takes that report and lists the stack in its crash table.
if collector_start "$W/collector.db" "$TELEM_DIR/upload.config.json"; then
	is "$(post "$U" "/upload/$WEEK")" 200 "the collector accepts the report with the bug stack"
	is "$(get /api/stacks | python3 -c 'import json, sys
print(json.dumps([[s["stack"].split("\n")[0], s["stack"].split("\n")[1].split("+")[0], s["total"]]
	for s in json.load(sys.stdin)]))' 2>&1)" '[["counter_c/bug:impossible", "counter_c!bug_level10", 1]]' \
		"and its crash table (/api/stacks) lists it with its count"
	collector_stop
else
	skip 2 "the collector did not start"
fi

# --- the file grows under 8 threads: every count word stays valid ---
# (before counterfile.c kept the old mapping on a remap, this died of SIGSEGV every run)
new_telem_dir
out=$(LD_PRELOAD=$SHIM "$C" grow 2>&1)
is "$? $out" "0 grow: 2400 names" "8 threads making 2,400 names (the file grows and is remapped): the host runs as written"
is "$(oracle_counts "$TELEM_DIR" counter_c/ | grep -c '^counter_c/grow:') $(counters "$TELEM_DIR" counter_c | tr ' ' '\n' | grep steady)" \
	"2400 counter_c/api:steady=240000" "every name counted, and the steady counter exactly, across the remaps"

# --- rate limits: 8 sites a process; half the record slots left to crashes ---
new_telem_dir
LD_PRELOAD=$SHIM "$C" sites >/dev/null
is "$(records "$TELEM_DIR") $(counters "$TELEM_DIR" counter_c)" "8 counter_c/bug:many-sites=12" \
	"12 call sites in one process: 8 records, every hit counted"
new_telem_dir
mkdir -p "$TELEM_DIR/crash"
for i in $(seq 1 31); do : >"$TELEM_DIR/crash/pending$i.rec"; done
LD_PRELOAD=$SHIM "$C" bug >/dev/null
is "$(records "$TELEM_DIR") $(counters "$TELEM_DIR" counter_c)" "32 counter_c/bug:impossible=3 counter_c/bug:other-site=1" \
	"31 records pending: one more bug record (32 of 64), the second site only counted"

# --- installed: the header and its man page ---
make -s -C "$ROOT" install-counter-header DESTDIR="$W/dest" PREFIX=/usr/local >/dev/null 2>&1
ok "make install puts telem/counter.h and telem_counter(3) in place" \
	test -f "$W/dest/usr/local/include/telem/counter.h" -a -f "$W/dest/usr/local/share/man/man3/telem_counter.3"
printf '#include <telem/counter.h>\nint main(void) { telem_counter_inc("x:y"); telem_stack_inc("bug"); return 0; }\n' >"$W/i.c"
ok "a program builds against the installed header, warnings as errors, no -l" \
	cc -std=c99 -Wall -Wextra -pedantic -Werror -I"$W/dest/usr/local/include" -o "$W/i" "$W/i.c"

# --- telem off: nothing written ---
new_telem_dir
TELEM_MODE=off LD_PRELOAD=$SHIM "$C" bug >/dev/null
is "$(ls -A "$TELEM_DIR" | wc -l)" 0 "TELEM_MODE=off: the shim is loaded, nothing is written"
done_testing
