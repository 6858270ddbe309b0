#!/usr/bin/env bash
# telem report (issue 5, item 1): counter files of real builds under the shim
# (TELEM_TEST_NOW fixed, weekends = Friday) become, once their week is over,
# DIR/local/local.<Week>.json with everything and, in mode on, DIR/local/<Week>.json
# with only what the upload config allows; both in Go's Report schema and
# encoding (an independent Python oracle, and Go itself when installed).
# Checked: merging, Week = TimeEnd, filtering by Go's rules: GoVersion/program/
# version (Go's exact one, or build-id prefix or dpkg's version)/counter
# (chart:{a,b})/stack (first line, kept whole), X <= rate and X <= SampleRate
# against the recorded X (1,000 reports), the
# as-of date, the 21-day limit, config errors naming file and line, the
# write-then-delete order (a full disk loses nothing), late files.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
need_built "$PROG/exit7" "$PROG/crash_null"
command -v gcc >/dev/null || { echo "1..0 # skip no gcc"; exit 0; }

W=$(new_dir)
printf 'int main(void) { return 0; }\n' >"$W/a.c"
printf 'int f(int x) { return x * 2; }\n' >"$W/b.c"

fresh() { friday_telem_dir "$@"; } # [MODE] (none: local)
report_at() { # report_at UNIXTIME: telem report, out in $W/out, $W/err, $W/rc
	local rc=0
	TELEM_TEST_NOW=$1 "$TELEM" report >"$W/out" 2>"$W/err" || rc=$?
	echo "$rc" >"$W/rc"
}
build() { # two compilations and a crash at T0
	HOST_CWD=$W expired_week "$T0" gcc -O2 -c a.c -o a.o
	HOST_CWD=$W expired_week "$T0" gcc -O0 -c b.c -o b.o
	expired_week "$T0" "$PROG/crash_null"
}
# pyq FILE EXPR: EXPR with r = the report in FILE (None when missing), P its
# programs by name, and l, LP the same for the local report of that week.
pyq() {
	python3 -c '
import json, os, sys
def load(path):
    r = json.load(open(path)) if os.path.exists(path) else None
    return r, {p["Program"]: p for p in (r or {}).get("Programs") or []}
r, P = load(sys.argv[1])
d, f = os.path.split(sys.argv[1])
l, LP = load(os.path.join(d, f if f.startswith("local.") else "local." + f))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$@"
}
L=local/local.$WEEK.json
U=local/$WEEK.json

# --- mode local: everything, locally; nothing to upload ---
fresh
build
dump_json >"$W/dump.json"
report_at "$T0"
is "$(cat "$W/rc") $(ls "$TELEM_DIR/local" | grep -c json)" "0 0" "the same day: no week is over, no report"
report_at $(((T0 / DAY + 4) * DAY - 1))
is "$(ls "$TELEM_DIR/local" | grep -c '\.json$')" 0 "the last second before TimeEnd: still no report"
report_at "$LATER"
is "$(cat "$W/rc")" 0 "telem report exits 0 once the week is over"
ok "local.$WEEK.json written (Week = the files' TimeEnd)" test -f "$TELEM_DIR/$L"
ok "no uploadable report in mode local" test ! -e "$TELEM_DIR/$U"
is "$(ls "$TELEM_DIR/local" | grep -c '\.v1\.count$')" 0 "the week's counter files are deleted after the report"
is "$(ls -a "$TELEM_DIR/local" | grep -c 'tmp')" 0 "no temporary file left behind"
ok "local report: Go's schema, key order and encoding" go_check --local "$TELEM_DIR/$L"
is "$(pyq "$TELEM_DIR/$L" '[r["Week"], r["LastWeek"], r["Config"], 0 <= r["X"] < 1]')" \
	"[\"$WEEK\", \"\", \"\", true]" "Week, LastWeek (none uploaded yet), Config (none), X in [0,1)"
# Everything counted is in the report, merged by program identity.
is "$(python3 - "$W/dump.json" "$TELEM_DIR/$L" <<'EOF'
import json, sys
dump, rep = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = {}
for f in dump:
    m = f["meta"]
    key = (m["Program"], m["Version"], m["GoVersion"], m["GOOS"], m["GOARCH"])
    for k, v in f["counters"].items():
        want.setdefault(key, {})[k] = want.setdefault(key, {}).get(k, 0) + v
got = {}
for p in rep["Programs"]:
    key = (p["Program"], p["Version"], p["GoVersion"], p["GOOS"], p["GOARCH"])
    if key in got:
        print("program twice:", key)
    got[key] = dict(p["Counters"], **p["Stacks"])
print("same" if got == want else "differ: %s" % sorted(set(got.items()) ^ set(want.items())))
EOF
)" same "every counter and stack of every file, once per program identity"
is "$(pyq "$TELEM_DIR/$L" 'sorted(P)')" '["as", "cc1", "crash_null", "gcc"]' \
	"programs: gcc, cc1, as from the builds, crash_null with its crash"
is "$(pyq "$TELEM_DIR/$L" '[k.split("\n")[0] for k in P["crash_null"]["Stacks"]]')" '["crash/crash"]' \
	"the pending crash record was ingested first: its stack is in Stacks, not Counters"
# The human version, from dpkg, independently of telem.
gcc_exe=$(readlink -f "$(command -v gcc)")
gcc_id=$(readelf -n "$gcc_exe" | awk '/Build ID/ {print substr($3, 1, 12)}')
if command -v dpkg-query >/dev/null && pkg=$(dpkg-query -S "$gcc_exe" 2>/dev/null | head -n1 | cut -d: -f1) &&
	[ -n "$pkg" ]; then
	gcc_version=$(dpkg-query -W -f '${Version}' "$pkg")
	is "$(pyq "$TELEM_DIR/$L" '[P["gcc"]["Version"], P["gcc"].get("HumanVersion")]')" \
		"[\"$gcc_id\", \"$gcc_version\"]" "gcc: Version is its build-id, HumanVersion dpkg's ($pkg $gcc_version)"
	is "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' \
		"$TELEM_DIR/local/versions.json" "$gcc_id")" "$gcc_version" "versions.json caches build-id -> version"
else
	skip 2 "gcc is not from a dpkg package here"
	gcc_version=
fi
is "$(pyq "$TELEM_DIR/$L" 'P["crash_null"].get("HumanVersion", "none")')" none \
	"a program found nowhere on PATH gets no HumanVersion"

# --- programs merged across the days of a week ---
fresh
for d in 0 1 2; do expired_week $((T0 + d * DAY)); done
expired_week $((T0 + 4 * DAY)) # the next week (TimeEnd 2024-06-21)
report_at $((T0 + 5 * DAY))
is "$(pyq "$TELEM_DIR/$L" '[len(r["Programs"]), P["exit7"]["Counters"]["exit7/invocations"], P["exit7"]["Counters"]["exit7/exit:7"]]')" \
	"[1, 3, 3]" "three days' files of one program: one entry, counts added"
is "$(ls "$TELEM_DIR/local" | grep -c '2024-06-14\.v1\.count$')" 1 "the next week's file (not over) is kept"
ok "and not reported yet" test ! -e "$TELEM_DIR/local/local.2024-06-21.json"

# --- mode on: the upload config filters ---
CONFIG='{"Version": "test-7", "GOOS": ["linux"], "GOARCH": ["amd64", "arm64"], "SampleRate": 1,
 "GoVersion": ["'"$RUNTIME"'"],
 "Programs": [
  {"Name": "gcc", "Versions": ["'"${gcc_id:0:8}"'"],
   "Counters": [{"Name": "gcc/flag:{-O0,-O1,-c}", "Rate": 1}, {"Name": "gcc/invocations", "Rate": 1},
                {"Name": "gcc/exit:{0}", "Rate": 0}]},
  {"Name": "cc1", "Versions": ["VERSION"], "Counters": [{"Name": "cc1/exit:{0,1}", "Rate": 1}]},
  {"Name": "as", "Versions": ["0000deadbeef"], "Counters": [{"Name": "as/invocations", "Rate": 1}]},
  {"Name": "crash_null", "Versions": ["'"$(build_id "$PROG/crash_null")"'"], "Counters": [{"Name": "crash_null/signal:{SIGSEGV}", "Rate": 1}],
   "Stacks": [{"Name": "crash/crash", "Rate": 1, "Depth": 2}]}]}'
upstream=$(echo "$gcc_version" | sed 's/^[0-9]*://; s/-[^-]*$//')
fresh "on 2024-06-01"
echo "${CONFIG/VERSION/${upstream:-none}}" >"$TELEM_DIR/upload.config.json"
build
report_at "$LATER"
is "$(cat "$W/rc")" 0 "mode on: telem report exits 0"
ok "mode on: both reports written" test -f "$TELEM_DIR/$U" -a -f "$TELEM_DIR/$L"
ok "the uploadable report: Go's schema, exactly (no extra field)" go_check "$TELEM_DIR/$U"
ok "the local report: Go's schema plus HumanVersion" go_check --local "$TELEM_DIR/$L"
is "$(pyq "$TELEM_DIR/$U" '[r["Config"], r["X"] == l["X"]]')" \
	'["test-7", true]' "Config is the config's Version; X is the same in both"
is "$(pyq "$TELEM_DIR/$U" 'sorted(P["gcc"]["Counters"])')" \
	'["gcc/flag:-O0", "gcc/flag:-c", "gcc/invocations"]' \
	"gcc: only the configured counters (chart:{a,b} expanded; -O2 not in it; Rate 0 never)"
is "$(pyq "$TELEM_DIR/$U" '[P["gcc"]["Counters"][k] == LP["gcc"]["Counters"][k] for k in P["gcc"]["Counters"]]')" \
	"[true, true, true]" "with the local report's counts"
if [ -n "$gcc_version" ]; then
	is "$(pyq "$TELEM_DIR/$U" 'sorted(P["cc1"]["Counters"])')" '["cc1/exit:0"]' \
		"cc1 matched by its human version ($upstream, dpkg's upstream part)"
else
	skip 1 "no dpkg version for cc1"
fi
is "$(pyq "$TELEM_DIR/$U" '"as" in P')" false "as: its build-id is not in Versions: left out"
is "$(pyq "$TELEM_DIR/$U" '[len(P["crash_null"]["Stacks"]) > 0, max(k.count("\n") for k in LP["crash_null"]["Stacks"]) > 2]')" \
	"[true, true]" "a stack kept by its first line (deeper than its Depth 2)"
is "$(pyq "$TELEM_DIR/$U" 'P["crash_null"]["Stacks"] == LP["crash_null"]["Stacks"]')" \
	true "stacks kept whole, as Go's uploader keeps them (Depth is not applied)"
is "$(pyq "$TELEM_DIR/$U" '[any("HumanVersion" in p for p in r["Programs"]), "Partial" in r]')" "[false, false]" \
	"nothing but Go's fields in what would be uploaded"
# Privacy: nothing outside the config, whatever X was.
is "$(python3 - "$TELEM_DIR/$U" "$TELEM_DIR/upload.config.json" <<'EOF'
import json, sys
r, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def expand(n):
    if "{" not in n: return [n]
    pre, rest = n.split("{", 1)
    return [pre + b for b in rest[:-1].split(",")]
bad = []
for p in r["Programs"]:
    rules = [x for x in c["Programs"] if x["Name"] == p["Program"]]
    allowed = {e for x in rules for k in x.get("Counters", []) if r["X"] <= k.get("Rate", 0) for e in expand(k["Name"])}
    stacks = {k["Name"] for x in rules for k in x.get("Stacks", []) if r["X"] <= k.get("Rate", 0)}
    bad += [k for k in p["Counters"] if k not in allowed]
    bad += [k for k in p["Stacks"] if k.split("\n")[0] not in stacks]
print(bad)
EOF
)" "[]" "no counter or stack outside the config (and its rates at this X)"

# The C library not in GoVersion: no program at all; Go writes a nil list as null.
fresh "on 2024-06-01"
echo '{"Version": "v", "GOOS": ["linux"], "GOARCH": ["amd64"], "GoVersion": ["musl1.2"], "Programs": [{"Name": "exit7",
 "Versions": ["'"$EXIT7_ID"'"], "Counters": [{"Name": "exit7/invocations", "Rate": 1}]}]}' >"$TELEM_DIR/upload.config.json"
expired_week "$T0"
report_at "$LATER"
is "$(pyq "$TELEM_DIR/$U" 'r["Programs"]')" null "GoVersion does not list it: \"Programs\": null, as Go writes it"
ok "and still Go's encoding" go_check "$TELEM_DIR/$U"

# --- the as-of date (Go's rule: nothing from that day or before) ---
asof_case() { # MODE-DATE: RESULT = whether the week beginning 2024-06-10 is uploadable
	fresh "on $1"
	exit7_config v
	expired_week "$T0"
	report_at "$LATER"
	RESULT=$([ -e "$TELEM_DIR/$U" ] && echo uploadable || echo local-only)
}
asof_case 2024-06-09
is "$RESULT" uploadable "turned on the day before the week began: uploadable"
asof_case 2024-06-10
is "$RESULT" local-only "turned on the day the week began: that day's data predates it, not uploaded"
asof_case 2024-06-12
is "$RESULT" local-only "turned on mid-week: data from before is never uploaded"
ok "but the local report is written and the files deleted" test -f "$TELEM_DIR/$L" -a -z "$(ls "$TELEM_DIR/local" | grep count)"

# --- at most 21 days old ---
age_case() { # DAYS after TimeEnd: RESULT = uploadable or local-only (+ files-kept)
	fresh "on 2024-06-01"
	exit7_config v
	expired_week "$T0"
	report_at $((T0 + (4 + $1) * DAY))
	RESULT=$([ -e "$TELEM_DIR/$U" ] && echo uploadable || echo local-only)
	[ -z "$(ls "$TELEM_DIR/local" | grep count)" ] || RESULT+=" files-kept"
	[ -e "$TELEM_DIR/$L" ] || RESULT+=" no-local-report"
}
age_case 21
is "$RESULT" uploadable "21 days after its end: still uploadable"
age_case 22
is "$RESULT" local-only "22 days after its end: only the local report; counter files deleted"

# --- config errors: file and line; nothing uploaded under them ---
fresh "on 2024-06-01"
printf '{"Version": "v",\n "GOOS": ["linux"],\n "GOARCH": ["amd64"] "SampleRate": 1}\n' >"$TELEM_DIR/upload.config.json"
expired_week "$T0"
report_at "$LATER"
is "$(cat "$W/rc")" 1 "a config that does not parse: exit 1"
is "$(grep -c "^telem: $TELEM_DIR/upload.config.json:3: " "$W/err")" 1 "the error names the file and line 3"
ok "nothing to upload under it, and the week waits for a valid config" \
	test ! -e "$TELEM_DIR/$U" -a ! -e "$TELEM_DIR/$L" -a -n "$(ls "$TELEM_DIR/local" | grep count)"
echo '{"GOOS": ["linux"], "GOARCH": ["amd64"], "Programs": [{"Name": "x", "Counters": [{"Name": "x/a", "Rate": "1"}]}]}' \
	>"$TELEM_DIR/upload.config.json"
report_at "$LATER"
is "$(grep -c "^telem: $TELEM_DIR/upload.config.json:1: Programs\[0\].Counters: item 0: Rate is not a number" "$W/err")" 1 \
	"a field of the wrong type is named by its file, line and path"
echo '{"GOOS": ["linux"], "GOARCH": ["amd64"], "Programs": [{"Name": "x", "Counters": [{"Name": "x/{a,b", "Rate": 1}]}]}' \
	>"$TELEM_DIR/upload.config.json"
report_at "$LATER"
is "$(grep -c 'malformed buckets' "$W/err") $(cat "$W/rc")" "1 1" "unbalanced chart:{a,b} braces are an error"
echo '{"Version": "ok", "GOOS": ["linux"], "GOARCH": ["amd64"], "Programs": []}' >"$TELEM_DIR/upload.config.json"
report_at "$LATER"
ok "once the config parses, the waiting week is reported" test -f "$TELEM_DIR/$L" -a -f "$TELEM_DIR/$U"
fresh "on 2024-06-01"
expired_week "$T0"
report_at "$LATER"
is "$(cat "$W/rc") $(grep -c 'waiting for an upload config' "$W/out")" "0 1" \
	"mode on and no config at all (never fetched): the week waits, said on stdout"

# --- a late file for a week already reported ---
fresh
expired_week "$T0"
report_at "$LATER"
cp "$TELEM_DIR/$L" "$W/first.json"
expired_week $((T0 + DAY))
report_at "$LATER"
ok "a late file for a reported week: the report is not overwritten" cmp -s "$W/first.json" "$TELEM_DIR/$L"
is "$(ls "$TELEM_DIR/local" | grep -c count)" 0 "and the late file is deleted (Go's rule)"

# --- the report is written before the files are deleted: a full disk loses nothing ---
fresh
if is_root && try_mount -t tmpfs -o size=96k,mode=700 tmpfs "$TELEM_DIR"; then
	mkdir -p "$TELEM_DIR/local" && echo 5 >"$TELEM_DIR/local/weekends"
	expired_week "$T0"
	n_before=$(ls "$TELEM_DIR/local" | grep -c count)
	dd if=/dev/zero of="$TELEM_DIR/fill" bs=4k 2>/dev/null || true
	report_at "$LATER"
	is "$(cat "$W/rc") $(ls "$TELEM_DIR/local" | grep -c count)" "1 $n_before" \
		"disk full: exit 1 and the counter files are all still there"
	ok "no report and no temporary file" test -z "$(ls "$TELEM_DIR/local" | grep -e json -e tmp)"
	rm -f "$TELEM_DIR/fill"
	report_at "$LATER"
	is "$(cat "$W/rc") $(ls "$TELEM_DIR/local" | grep -c count)" "0 0" "space again: reported, then deleted"
else
	skip 3 "needs root to mount a small tmpfs"
fi

# --- sampling: SampleRate 0.5 over 1,000 reports ---
# One telem report per report (Python drives the loop: one process each),
# in two directories at once, on tmpfs when possible (each report is three
# fsyncs).
fresh "on 2024-06-01"
echo '{"Version": "s", "GOOS": ["linux"], "GOARCH": ["amd64"], "SampleRate": 0.5, "GoVersion": ["'"$RUNTIME"'"],
 "Programs": [{"Name": "exit7", "Versions": ["'"$EXIT7_ID"'"], "Counters": [{"Name": "exit7/invocations", "Rate": 1}, {"Name": "exit7/exit:7", "Rate": 0.25}]}]}' \
	>"$TELEM_DIR/upload.config.json"
expired_week "$T0"
template=$(ls "$TELEM_DIR"/local/*.count)
cp "$template" "$W/template"
rm "$template"
for k in 1 2; do
	S[k]=$(new_dir)
	try_mount -t tmpfs -o mode=700 tmpfs "${S[k]}" || true
	cp -r "$TELEM_DIR"/. "${S[k]}"
done
read -r n_up consistent mean rated < <(python3 - "$TELEM" "$W/template" "$(basename "$template")" "$LATER" \
	"$WEEK" "${S[1]}" "${S[2]}" <<'EOF'
import concurrent.futures, json, os, shutil, subprocess, sys
telem, template, name, later, week = sys.argv[1:6]
def run(d, n):
    out = []
    env = dict(os.environ, TELEM_DIR=d, TELEM_TEST_NOW=later)
    local, up = "%s/local/local.%s.json" % (d, week), "%s/local/%s.json" % (d, week)
    for _ in range(n):
        shutil.copy(template, os.path.join(d, "local", name))
        subprocess.run([telem, "report"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            l = json.load(open(local))
        except (OSError, ValueError):
            out.append(None)  # no local report with an X
            continue
        u = json.load(open(up)) if os.path.exists(up) else None
        out.append((l["X"], u))
        for f in (local, up):
            if os.path.exists(f):
                os.unlink(f)
    return out
with concurrent.futures.ThreadPoolExecutor(2) as ex:
    results = [r for rs in ex.map(run, sys.argv[6:8], [500, 500]) for r in rs]
bad = sum(r is None for r in results)
ok = [r for r in results if r]
xs = [x for x, _ in ok]
up = sum(u is not None for _, u in ok)
bad += sum((u is not None) != (x <= 0.5) or (u is not None and u["X"] != x) for x, u in ok)
rated_bad = sum(("exit7/exit:7" in u["Programs"][0]["Counters"]) != (x <= 0.25) for x, u in ok if u)
print(up, "yes" if bad == 0 and len(results) == 1000 else "no(%d bad of %d)" % (bad, len(results)),
      "%.3f" % (sum(xs) / max(len(xs), 1)), "yes" if rated_bad == 0 else "no(%d)" % rated_bad)
EOF
)
diag "SampleRate 0.5: $n_up of 1000 reports uploadable; mean X $mean"
ok "about half uploadable ($n_up; binomial bounds 420..580)" test "$n_up" -ge 420 -a "$n_up" -le 580
is "$consistent" yes "each report records X, the same in both copies; uploadable iff X <= SampleRate"
is "$rated" yes "a counter with Rate 0.25 is included iff X <= 0.25"
ok "X looks uniform (mean $mean within 0.45..0.55)" python3 -c "import sys; sys.exit(not 0.45 <= $mean <= 0.55)"

# --- usage ---
rc=0
"$TELEM" report extra >/dev/null 2>&1 || rc=$?
is "$rc" 2 "telem report with an operand: usage error, exit 2"
is "$("$TELEM" report --help | head -n1)" "usage: telem report" "telem report --help"

done_testing
