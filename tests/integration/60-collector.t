#!/usr/bin/env bash
# End to end: three machines (telem directories of their own) build under
# the shim, crash a little, and send their weekly reports to a real
# telem-collector on loopback: two with 'telem upload', one with an
# independent Python client. The collector's API totals equal the sum of
# the machines' local counters that the config allows, crash stacks
# included; it keeps every body byte for byte, stores a resent report once,
# stops cleanly on SIGTERM and has it all again after a restart.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$COLLECTOR" "$PROG/crash_null" "$PROG/crash_abort"
command -v gcc >/dev/null && command -v curl >/dev/null || { echo "1..0 # skip gcc or curl missing"; exit 0; }
plan 16

W=$(new_dir)
# The fixture plus what Go's uploader needs to select a program (an absent
# list lists nothing): this C library as GoVersion, each program's build-id.
CFG=$W/e2e-config.json
bid() { readelf -n "$(readlink -f "$1")" | awk '/Build ID/ {print substr($3, 1, 12)}'; }
python3 - "$FIX/e2e-config.json" "glibc$(getconf GNU_LIBC_VERSION | awk '{print $2}')" \
	gcc="$(bid "$(command -v gcc)")" cc1="$(bid "$(gcc -print-prog-name=cc1)")" \
	as="$(bid "$(command -v "$(gcc -print-prog-name=as)")")" \
	crash_null="$(bid "$PROG/crash_null")" crash_abort="$(bid "$PROG/crash_abort")" >"$CFG" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["GoVersion"] = [sys.argv[2]]
ids = dict(a.split("=", 1) for a in sys.argv[3:])
for p in c["Programs"]:
    p["Versions"] = [ids[p["Name"]]]
print(json.dumps(c, indent=2))
PY
DB=$(new_db collector)
day0=$(date -u -d 2024-05-01T12:00:00 +%s) # mode on from this day
collector_start "$DB" "$CFG" || exit 1

printf 'int f(int x) { return x * 2; }\n' >"$W/f.c"
printf 'int f(int); int main(void) { return f(0); }\n' >"$W/main.c"

# One machine: weekday of its weeks' end, mode on at day0, builds on two
# days a week apart (two reports), and crashes.
machine() {
	local dir=$1 weekday=$2 crasher=$3 day
	mkdir -p "$dir/local"
	echo "$weekday" >"$dir/local/weekends"
	TELEM_TEST_NOW=$day0 "$TELEM" --dir "$dir" on >/dev/null
	for day in 1 9; do
		(
			cd "$W" || exit 1
			export TELEM_DIR=$dir TELEM_TEST_NOW=$((day0 + day * 86400)) LD_PRELOAD=$SHIM
			gcc -O2 -c f.c -o "$dir.f.o" && gcc -c main.c -o "$dir.main.o" && gcc -o "$dir.prog" "$dir.f.o" "$dir.main.o"
			bash -c '"$0"; true' "$PROG/$crasher" >/dev/null 2>&1 # the shell's "Segmentation fault" too
			true
		)
	done
	"$TELEM" --dir "$dir" dump --json >"$dir.dump.json" # ingests the crash records too
}

machine "$W/m1" 0 crash_null
machine "$W/m2" 3 crash_abort
machine "$W/m3" 5 crash_null
up=$((day0 + 15 * 86400)) # both weeks over, neither older than 21 days

rc=0
for m in m1 m2; do
	TELEM_TEST_NOW=$up "$TELEM" --dir "$W/$m" upload --server "$CURL" >"$W/$m.upload.out" 2>&1 || rc=1
done
ok "telem upload sends the reports of two machines" test "$rc" -eq 0
[ "$rc" -eq 0 ] || diag "$(cat "$W"/m?.upload.out)"

# Machine 3: reports made by Python from its dump, POSTed with curl.
reports_py fromdump "$CFG" "$W/m3.dump.json" "$W/m3/upload" >/dev/null
codes=""
for f in "$W"/m3/upload/*.json; do
	codes="$codes $(post "$f" "/upload/$(basename "$f" .json)")"
done
is "$codes" " 200 200" "the Python client's two reports are answered 200"

sent=$(ls "$W"/m?/upload/*.json | wc -l)
is "$sent" 6 "three machines sent two weekly reports each"
is "$(get /api/summary | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])')" "$sent" \
	"the collector counts every report sent"

reports_py expected "$CFG" "$W"/m?.dump.json >"$W/expected.json"
# What the collector shows for every program and stack, in the same shape.
actual() {
	local p
	for p in $(get /api/programs | python3 -c 'import json,sys; print(" ".join(x["program"] for x in json.load(sys.stdin)))'); do
		get "/api/counters?program=$p" >"$W/counters.$p.json"
	done
	get /api/stacks >"$W/stacks.json"
	python3 - "$W" <<'PY'
import glob, json, os, sys
w = sys.argv[1]
counters = {}
for f in glob.glob(os.path.join(w, "counters.*.json")):
    d = json.load(open(f))
    counters[d["program"]] = d["totals"]
stacks = {s["stack"]: s["total"] for s in json.load(open(os.path.join(w, "stacks.json")))}
print(json.dumps({"counters": counters, "stacks": stacks}, sort_keys=True))
PY
}
actual >"$W/actual.json"
expect_same() { # FILE-A FILE-B: same JSON; the differences shown otherwise
	python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
if a == b:
    sys.exit(0)
for part in ("counters", "stacks"):
    for k in sorted(set(a[part]) | set(b[part])):
        if a[part].get(k) != b[part].get(k):
            print("# %s %r: collector %r, local %r" % (part, k, a[part].get(k), b[part].get(k)))
sys.exit(1)
PY
}
ok "collector totals per program and counter equal the machines' local counters" expect_same "$W/actual.json" "$W/expected.json"
n_stacks=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["stacks"]))' "$W/expected.json")
n_programs=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["counters"]))' "$W/expected.json")
ok "the comparison covers crash stacks (2 kinds) and 5 programs" test "$n_stacks" -ge 2 -a "$n_programs" -eq 5
crashes=$(python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1]))["stacks"].values()))' "$W/expected.json")
is "$crashes" 6 "six crashes (one per machine per week) are in the stacks"

# Reports per program: the number of sent reports that list it.
python3 - "$W" >"$W/want.programs" <<'PY'
import glob, json, os, sys
n = {}
for f in glob.glob(os.path.join(sys.argv[1], "m?", "upload", "*.json")):
    for p in {p["Program"] for p in json.load(open(f))["Programs"]}:
        n[p] = n.get(p, 0) + 1
print(json.dumps(n, sort_keys=True))
PY
got=$(get /api/programs | python3 -c 'import json,sys; print(json.dumps({p["program"]: p["reports"] for p in json.load(sys.stdin)}, sort_keys=True))')
is "$got" "$(cat "$W/want.programs")" "reports per program count each report once"

# The stored bodies are the sent files, byte for byte.
bodies() {
	PYTHONPATH=$FIX python3 - "$DB" <<'PY'
import hashlib, dbq, sys
db = dbq.connect(sys.argv[1])
for (b,) in db.execute("SELECT body FROM reports ORDER BY 1"):
    print(hashlib.sha256(b).hexdigest())
PY
}
is "$(bodies | sort)" "$(sha256sum "$W"/m?/upload/*.json | cut -d' ' -f1 | sort)" "each stored body is a sent report, byte for byte"

first=$(ls "$W"/m1/upload/*.json | head -n1)
code=$(post "$first" "/upload/$(basename "$first" .json)")
is "$code $(cat "$ANSWER")" "200 already stored" "a report sent twice is answered 200 and stored once"
is "$(get /api/summary | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])')" "$sent" \
	"the count is unchanged after the resend"

python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.loads(sys.stdin.read()))' "$CFG" <<<"$(get /config)"
ok "GET /config is the config file" test $? -eq 0

ok "each request has a log line" test "$(grep -c '"POST /upload/' "$CLOG")" -eq 7

collector_stop TERM
is "$?" 0 "SIGTERM stops the collector with status 0"
ok "its last log line says it stopped" grep -q 'stopped (Terminated)' "$CLOG"

collector_start "$DB" "$CFG" || exit 1
actual >"$W/actual2.json"
ok "after a restart on the same database the totals are all there" expect_same "$W/actual2.json" "$W/expected.json"
collector_stop TERM
