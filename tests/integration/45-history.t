#!/usr/bin/env bash
# History (issue 14, items 1 and 2): once 'telem report' has turned weeks into
# local reports and deleted their counter files, summary, crashes, csv and
# view still show every week, from the local reports together with the
# pending counter files; a crash keeps the days it was first and last seen.
# And 'telem view' reads after any report (versions.json is not a report).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
need_built "$PROG/exit7" "$PROG/crash_null"

friday_telem_dir
# Four weeks (Mon 2024-06-10 + 7k days), each: two exit7 runs; weeks 1 and 3
# a crash on Tuesday and Wednesday. Each week reported the next Monday.
for k in 0 1 2 3; do
	t=$((T0 + k * 7 * DAY))
	expired_week "$t"
	expired_week $((t + DAY))
	if [ $((k % 2)) -eq 1 ]; then
		expired_week $((t + DAY)) "$PROG/crash_null"
		expired_week $((t + 2 * DAY)) "$PROG/crash_null"
	fi
	TELEM_TEST_NOW=$((t + 7 * DAY)) "$TELEM" report >/dev/null 2>&1
done
# And a fifth week, pending: one run.
expired_week $((T0 + 28 * DAY))
NOW=$((T0 + 28 * DAY + 3600))

is "$(ls "$TELEM_DIR/local" | grep -c '^local\.2024-[0-9-]*\.json$')" 4 "four weeks reported (the setting)"
is "$(ls "$TELEM_DIR/local" | grep -c '\.v1\.count$')" 1 "one counter file pending"

S=$(TELEM_TEST_NOW=$NOW "$TELEM" summary --json)
runs=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print({p["program"]: p["runs"] for p in s["programs"]}.get("exit7"))' "$S")
is "$runs" 9 "summary counts the reported weeks and the pending one (4x2 + 1 exit7 runs)"
crashed=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print({p["program"]: p["crashed"] for p in s["programs"]}.get("crash_null"))' "$S")
is "$crashed" 4 "summary counts every reported crash"

C=$(TELEM_TEST_NOW=$NOW "$TELEM" crashes --json)
is "$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); print(sum(s["count"] for s in c if s["program"]=="crash_null"))' "$C")" 4 \
	"crashes counts the stacks of all reported weeks"
is "$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); s=[s for s in c if s["program"]=="crash_null"][0]; print(s["first_seen"], s["last_seen"])' "$C")" \
	"2024-06-18 2024-07-03" "first and last seen are the days of the first and the last crash, across reports"

CSV=$(TELEM_TEST_NOW=$NOW "$TELEM" csv)
weeks=$(printf '%s\n' "$CSV" | grep ',exit7/invocations,' | cut -d, -f2 | sort -u | tr '\n' ' ')
is "$weeks" "2024-06-14 2024-06-21 2024-06-28 2024-07-05 2024-07-12 " "csv has every week, reported or pending"
is "$(printf '%s\n' "$CSV" | grep ',exit7/invocations,' | cut -d, -f9 | tr -d '\r' | tr '\n' ' ')" "2 2 2 2 1 " \
	"and each week's count"

# versions.json is written by 'report' (item 2); the page must still read.
touch "$TELEM_DIR/local/versions.json"
rc=0
TELEM_TEST_NOW=$NOW "$TELEM" view --out "$TELEM_DIR/v.html" >/dev/null 2>"$TELEM_DIR/view.err" || rc=$?
is "$rc" 0 "telem view exits 0 after reports (versions.json is not a report)"
is "$(grep -c versions.json "$TELEM_DIR/v.html" "$TELEM_DIR/view.err" | awk -F: '{s+=$2} END {print s}')" 0 \
	"and neither the page nor stderr calls versions.json a report"
ok "the page charts all five weeks" python3 - "$TELEM_DIR/v.html" <<'EOF'
import re, sys
html = open(sys.argv[1]).read()
missing = [w for w in ("2024-06-14", "2024-06-21", "2024-06-28", "2024-07-05", "2024-07-12") if w[5:] not in html and w not in html]
sys.exit(1 if missing else 0)
EOF

# A broken local report is named, the rest still shown.
echo '{"Week": "2024-05-31", "Programs": 7}' >"$TELEM_DIR/local/local.2024-05-31.json"
rc=0
out=$(TELEM_TEST_NOW=$NOW "$TELEM" summary 2>&1) || rc=$?
is "$rc" 1 "a broken local report makes summary exit 1"
ok "naming the file" grep -q "local.2024-05-31.json: not a valid report" <<<"$out"
done_testing
