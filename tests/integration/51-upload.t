#!/usr/bin/env bash
# telem upload end to end (issue 5, items 2, 3 and 5) against a real HTTP
# server on loopback (tests/fixtures/upload/server.py): real builds under the
# shim -> the config fetched from GET /config and cached -> telem report ->
# POST /upload/<Week>. The server must receive exactly the filtered report,
# in Go's schema and encoding, and DIR/upload/ must hold the very same bytes.
# Privacy: in mode local and off, and with TELEM_MODE=off, the server gets
# nothing and strace sees no connect() from telem or the shim; data from
# before the as-of date is never sent. Also --now (partial reports for CI),
# LastWeek, the override file, a collector config that does not parse, the
# server setting, and the CPU used for a week of 200 programs.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
need_built "$PROG/exit7"
command -v gcc >/dev/null || { echo "1..0 # skip no gcc"; exit 0; }

W=$(new_dir)
printf 'int main(void) { return 0; }\n' >"$W/a.c"
printf 'int f(int x) { return x * 2; }\n' >"$W/b.c"
CONFIG=$W/served-config.json
# Go's rule: a program is uploaded only for a listed GoVersion and Version.
gcc_id=$(build_id "$(readlink -f "$(command -v gcc)")")
cc1_id=$(build_id "$(readlink -f "$(gcc -print-prog-name=cc1)")")
cat >"$CONFIG" <<EOF
{"Version": "collector-3", "GOOS": ["linux"], "GOARCH": ["amd64", "arm64"], "SampleRate": 1,
 "GoVersion": ["$RUNTIME"],
 "Programs": [
  {"Name": "gcc", "Versions": ["$gcc_id"],
   "Counters": [{"Name": "gcc/flag:{-O0,-O2,-c}", "Rate": 1}, {"Name": "gcc/invocations", "Rate": 1},
                               {"Name": "gcc/exit:{0,1}", "Rate": 1}]},
  {"Name": "cc1", "Versions": ["$cc1_id"],
   "Counters": [{"Name": "cc1/invocations", "Rate": 1}, {"Name": "cc1/wall:{<10ms,<100ms,<1s}", "Rate": 1}]},
  {"Name": "exit7", "Versions": ["$EXIT7_ID"], "Counters": [{"Name": "exit7/exit:{7}", "Rate": 1}]}]}
EOF

# fresh [MODE]: a new TELEM_DIR (weekends Friday), with the day's upload
# token in place so that no shim run here starts a background upload.
fresh() {
	friday_telem_dir "$@"
	touch "$TELEM_DIR/local/upload.token"
}
build() { # real compilations under the shim at $1 (default T0)
	HOST_CWD=$W expired_week "${1:-$T0}" gcc -O2 -c a.c -o a.o
	HOST_CWD=$W expired_week "${1:-$T0}" gcc -O0 -c b.c -o b.o
	expired_week "${1:-$T0}" "$PROG/exit7"
}
upload_at() { # upload_at UNIXTIME [ARGS]: telem upload; $W/out, $W/err, $W/rc
	local t=$1 rc=0
	shift
	TELEM_TEST_NOW=$t TELEM_SERVER=$URL "$TELEM" upload "$@" >"$W/out" 2>"$W/err" || rc=$?
	echo "$rc" >"$W/rc"
}
no_connect() { # no_connect STRACE-LOG: no connect() at all in it
	local n
	n=$(grep -c 'connect(' "$1")
	[ "$n" -eq 0 ] || diag "$(grep 'connect(' "$1" | head -n3)"
	[ "$n" -eq 0 ]
}
SRV=$W/srv
start_server "$SRV" ok --config "$CONFIG"

# --- privacy: mode local, mode off, TELEM_MODE=off ---
for mode in "" "local 2024-06-01" "off"; do
	fresh "$mode"
	name=${mode%% *}
	name=${name:-"none (local)"}
	strace -f -e trace=connect -o "$W/strace.shim" env TELEM_DIR="$TELEM_DIR" TELEM_TEST_NOW=$T0 \
		LD_PRELOAD="$SHIM" gcc -c "$W/a.c" -o "$W/a.o" 2>/dev/null
	build
	TELEM_TEST_NOW=$LATER TELEM_SERVER=$URL strace -f -e trace=connect -o "$W/strace.telem" \
		"$TELEM" upload >"$W/out" 2>"$W/err"
	is "$?" 0 "mode $name: telem upload exits 0"
	ok "mode $name: it says nothing is uploaded" grep -q "nothing is uploaded" "$W/err"
	ok "mode $name: no connect() from the shim (strace -f of gcc)" no_connect "$W/strace.shim"
	ok "mode $name: no connect() from telem upload (strace -f)" no_connect "$W/strace.telem"
	TELEM_TEST_NOW=$LATER TELEM_SERVER=$URL strace -f -e trace=connect -o "$W/strace.report" \
		"$TELEM" report >/dev/null 2>&1
	ok "mode $name: no connect() from telem report" no_connect "$W/strace.report"
	ok "mode $name: no report to upload was even written" test ! -e "$TELEM_DIR/local/$WEEK.json"
done
fresh "on 2024-06-01"
build
TELEM_MODE=off TELEM_TEST_NOW=$LATER TELEM_SERVER=$URL strace -f -e trace=connect -o "$W/strace.env" \
	"$TELEM" upload >/dev/null 2>&1
ok "mode on but TELEM_MODE=off: no connect()" no_connect "$W/strace.env"
is "$(requests "$SRV")" 0 "the server received no request at all so far"
# The same strace sees the connect when there is one: the checks above can fail.
TELEM_TEST_NOW=$LATER TELEM_SERVER=$URL strace -f -e trace=connect -o "$W/strace.on" "$TELEM" upload >/dev/null 2>&1
ok "control: in mode on, strace does see telem's connect()" grep -q 'connect(' "$W/strace.on"
stop_server "$SRV"

# --- end to end, mode on ---
SRV=$W/srv2
start_server "$SRV" ok --config "$CONFIG"
fresh
build
echo "on 2024-06-01" >"$TELEM_DIR/mode"
upload_at "$LATER"
is "$(cat "$W/rc")" 0 "mode on: telem upload exits 0"
is "$(python3 -c '
import json, sys
print([(r["method"], r["path"]) for r in map(json.loads, open(sys.argv[1]))])' "$SRV/requests.log")" \
	"[('GET', '/config'), ('POST', '/upload/$WEEK')]" "the config is fetched, then one report is POSTed to /upload/<Week>"
ok "the fetched config is cached byte for byte in DIR/config.cache.json" cmp -s "$CONFIG" "$TELEM_DIR/config.cache.json"
body=$(last_post_body "$SRV")
ok "DIR/upload/$WEEK.json is byte-identical to the body the server received" cmp -s "$body" "$TELEM_DIR/upload/$WEEK.json"
ok "the local copy of the sent report is removed" test ! -e "$TELEM_DIR/local/$WEEK.json"
ok "the local report (everything) stays" test -f "$TELEM_DIR/local/local.$WEEK.json"
ok "the body is Go's Report: names, key order, types, encoding" go_check "$body"
is "$(python3 - "$body" "$TELEM_DIR/local/local.$WEEK.json" "$CONFIG" <<'EOF'
import json, sys
body, local, cfg = (json.load(open(p)) for p in sys.argv[1:4])
def expand(n):
    if "{" not in n: return [n]
    pre, rest = n.split("{", 1)
    return [pre + b for b in rest[:-1].split(",")]
want = {"Week": local["Week"], "LastWeek": local["LastWeek"], "X": local["X"], "Config": cfg["Version"], "Programs": []}
x = local["X"]
for p in local["Programs"]:
    rules = [r for r in cfg["Programs"] if r["Name"] == p["Program"]]
    # Go's createReport: GoVersion, Program and Version listed; GOOS/GOARCH not looked at
    if not rules or p["GoVersion"] not in cfg.get("GoVersion", []) or \
            not any(p["Version"].startswith(v) for r in rules for v in r.get("Versions", [])):
        continue
    allowed = {e for r in rules for c in r.get("Counters", []) if x <= c.get("Rate", 0) for e in expand(c["Name"])}
    q = {k: p[k] for k in ("Program", "Version", "GoVersion", "GOOS", "GOARCH")}
    q["Counters"] = {k: v for k, v in p["Counters"].items() if k in allowed}
    q["Stacks"] = {}
    want["Programs"].append(q)
print("same" if body == want else "differs:\n%s\n%s" % (json.dumps(body, indent=1), json.dumps(want, indent=1)))
EOF
)" same "the server received exactly the filtered report (recomputed here from the local one and the config)"
is "$(python3 -c 'import json, sys; print(sorted(p["Program"] for p in json.load(open(sys.argv[1]))["Programs"]))' "$body")" \
	"['cc1', 'exit7', 'gcc']" "programs outside the config (as, collect2) are not sent"
upload_at "$LATER"
is "$(posts "$SRV")" 1 "a second telem upload sends nothing again"
ok "and exits 0" test "$(cat "$W/rc")" = 0

# LastWeek: the next week's report names the last one uploaded.
build $((T0 + 7 * DAY))
upload_at $((T0 + 15 * DAY))
is "$(post_paths "$SRV" | tail -n1)" "/upload/2024-06-21" "the next week is sent the week after"
is "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["LastWeek"])' "$(last_post_body "$SRV")")" \
	"$WEEK" "its LastWeek is the Week of the last report uploaded"

# Nothing over and nothing waiting: not even the config is fetched.
fresh "on 2024-06-01"
n=$(requests "$SRV")
upload_at "$LATER"
is "$(cat "$W/rc") $(($(requests "$SRV") - n))" "0 0" "mode on with nothing to send: no request at all"
fresh
expired_week "$T0"
echo "on 2024-06-01" >"$TELEM_DIR/mode"
upload_at $((T0 + 3600))
is "$(($(requests "$SRV") - n))" 0 "mode on, a week not over yet: no request at all"

# --- data from before the as-of date is never sent ---
SRV=$W/srv3
start_server "$SRV" ok --config "$CONFIG"
fresh
build                   # week ending 2024-06-14
build $((T0 + 7 * DAY)) # week 2024-06-17 .. 2024-06-21
echo "on 2024-06-12" >"$TELEM_DIR/mode"
upload_at $((T0 + 15 * DAY))
is "$(post_paths "$SRV" | tr '\n' ' ')" "/upload/2024-06-21 " \
	"turned on 2024-06-12: the week with data from before is not sent, the next one is"
ok "the earlier week is still reported locally" test -f "$TELEM_DIR/local/local.$WEEK.json"

# --- --now: a partial report for machines that do not live a week ---
SRV=$W/srv4
start_server "$SRV" ok --config "$CONFIG"
fresh
build
echo "on 2024-06-01" >"$TELEM_DIR/mode"
upload_at $((T0 + 3600)) --now
TODAY=2024-06-10
is "$(cat "$W/rc") $(post_paths "$SRV")" "0 /upload/$TODAY" "upload --now the same day: the week so far is sent, named by today"
body=$(last_post_body "$SRV")
ok "the partial report is Go's Report exactly: no extra field in what is sent" go_check "$body"
is "$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["Week"], r.get("Partial"))' \
	"$TELEM_DIR/local/local.$TODAY.json")" "$TODAY True" "the local copy is marked \"Partial\": true"
ok "the sent copy is kept byte for byte" cmp -s "$body" "$TELEM_DIR/upload/$TODAY.json"
is "$(ls "$TELEM_DIR/local" | grep -c count)" 0 "the counters sent are deleted: the week's report cannot count them twice"
build $((T0 + 7200))
n=$(ls "$TELEM_DIR/local" | grep -c count)
upload_at $((T0 + 7200)) --now
is "$(posts "$SRV") $(ls "$TELEM_DIR/local" | grep -c count)" "1 $n" \
	"a second --now the same day: that day's report exists; the new counters wait (nothing lost, nothing sent twice)"
"$TELEM" upload --help >"$W/help"
ok "telem upload --help documents --now as the last step of a CI job" grep -q "last step of the job" "$W/help"

# --- the local override, a collector config that does not parse, the server setting ---
SRV=$W/srv5
printf '{"Version": "broken",\n "GOOS": ["linux"],,\n}\n' >"$W/broken.json"
start_server "$SRV" ok --config "$W/broken.json"
fresh
build
echo "on 2024-06-01" >"$TELEM_DIR/mode"
cp "$CONFIG" "$TELEM_DIR/config.cache.json"
upload_at "$LATER"
is "$(grep -c "^telem: $URL/config:2: " "$W/err")" 1 "a served config that does not parse: the error names it and line 2"
ok "the cache is not replaced by it" cmp -s "$CONFIG" "$TELEM_DIR/config.cache.json"
is "$(posts "$SRV")" 1 "the report is sent under the cached config"
is "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["Config"])' "$TELEM_DIR/upload/$WEEK.json")" \
	collector-3 "its Config names the cached config's Version"
fresh
build
echo "on 2024-06-01" >"$TELEM_DIR/mode"
echo '{"Version": "mine", "GOOS": ["linux"], "GOARCH": ["amd64"], "GoVersion": ["'"$RUNTIME"'"],
 "Programs": [{"Name": "exit7", "Versions": ["'"$EXIT7_ID"'"], "Counters": []}]}' \
	>"$TELEM_DIR/upload.config.json"
n=$(requests "$SRV")
upload_at "$LATER"
is "$(($(requests "$SRV") - n)) $(posts "$SRV")" "1 2" "DIR/upload.config.json overrides: no GET /config, the report is sent"
is "$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["Config"], [p["Counters"] for p in r["Programs"]])' \
	"$TELEM_DIR/upload/$WEEK.json")" "mine [{}]" "filtered by the override"
fresh
build
echo "on 2024-06-01" >"$TELEM_DIR/mode"
echo "$URL/" >"$TELEM_DIR/upload.server"
cp "$CONFIG" "$TELEM_DIR/upload.config.json"
n=$(posts "$SRV")
TELEM_TEST_NOW=$LATER "$TELEM" upload >/dev/null 2>&1
is "$(($(posts "$SRV") - n))" 1 "without TELEM_SERVER, DIR/upload.server names the collector"
rc=0
"$TELEM" upload --server ftp://example.invalid >/dev/null 2>"$W/err" || rc=$?
is "$rc $(grep -c 'not an http' "$W/err")" "1 1" "a server that is not http(s): error, exit 1"
rc=0
"$TELEM" upload --bogus >/dev/null 2>&1 || rc=$?
is "$rc" 2 "an unknown option: usage error, exit 2"

# --- budget: a week of 200 programs ---
fresh
mkdir -p "$W/bin"
for i in $(seq -w 0 199); do cp "$PROG/exit7" "$W/bin/p$i"; done
for i in $(seq -w 0 199); do
	TELEM_TEST_NOW=$T0 LD_PRELOAD=$SHIM "$W/bin/p$i" -O2 -c -g "--flag-$i" >/dev/null 2>&1
done
is "$(ls "$TELEM_DIR/local" | grep -c count)" 200 "200 programs' counter files for one week"
python3 - "$W/bin" "$RUNTIME" "$EXIT7_ID" >"$TELEM_DIR/upload.config.json" <<'EOF'
import json, os, sys
print(json.dumps({"Version": "big", "GOOS": ["linux"], "GOARCH": ["amd64"], "GoVersion": [sys.argv[2]], "Programs": [
    {"Name": n, "Versions": [sys.argv[3]], "Counters": [{"Name": n + "/invocations", "Rate": 1}, {"Name": n + "/flag:{-O2,-c,-g}", "Rate": 1}]}
    for n in sorted(os.listdir(sys.argv[1]))]}))
EOF
echo "on 2024-06-01" >"$TELEM_DIR/mode"
cp -r "$TELEM_DIR" "$W/big2"
cpu() { # cpu CMD...: user+system CPU seconds of CMD and its children
	python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (r.ru_utime + r.ru_stime))' "$@"
}
report_cpu=$(TELEM_TEST_NOW=$LATER cpu "$TELEM" report)
is "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["Programs"]))' \
	"$TELEM_DIR/local/local.$WEEK.json")" 200 "telem report: one report with the 200 programs"
n=$(posts "$SRV")
upload_cpu=$(TELEM_DIR=$W/big2 TELEM_TEST_NOW=$LATER TELEM_SERVER=$URL cpu "$TELEM" upload)
is "$(($(posts "$SRV") - n)) $(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["Programs"]))' \
	"$W/big2/upload/$WEEK.json")" "1 200" "telem upload: report step and POST of the 200 programs"
diag "CPU for a week of 200 programs: telem report ${report_cpu}s, telem upload (report + send) ${upload_cpu}s (budget 1 s each)"

done_testing
