#!/usr/bin/env bash
# The collector under load and faults. 50 concurrent uploaders sending
# every report twice: each report stored exactly once, the aggregates
# equal to the stored reports. SIGKILL in the middle of a load: after a
# restart every report that was answered 200 is there, none twice, and the
# aggregates still match the stored reports (one transaction per report).
# SIGTERM in the middle of a load: the requests in flight are finished,
# the process exits 0, and again every 200 is stored.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$COLLECTOR"
plan 16

W=$(new_dir)
CFG=$FIX/config.json
reports_py synth "$CFG" 300 "$W/small" 1500 1
reports_py synth "$CFG" 2000 "$W/big" 1500 2

# answers RESULTS [STATUS]: how many answers (with that status).
answers() {
	python3 - "$@" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(sum(1 for r in rows if len(sys.argv) < 3 or str(r["status"]) == sys.argv[2]))
PY
}

stored() {
	db_value "$1" "SELECT count(*) FROM reports"
}

# Waits until RESULTS has N answers (at most 60 s).
wait_answers() {
	local i
	for ((i = 0; i < 1200; i++)); do
		[ -e "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

A=$(new_db a) B=$(new_db b) C=$(new_db c)
# 1. Concurrency: 300 reports, each sent twice, 50 uploaders at once.
collector_start "$A" "$CFG" || exit 1
files=("$W"/small/*.json)
reports_py load "$CURL" "$W/a.jsonl" 50 "${files[@]}" "${files[@]}"
is "$(answers "$W/a.jsonl" 200)" 600 "600 uploads from 50 concurrent uploaders: all answered 200"
is "$(grep -c '"stored (' "$W/a.jsonl")" 300 "300 answered 'stored' (each report once)"
is "$(grep -c '"already stored"' "$W/a.jsonl")" 300 "300 answered 'already stored' (each resend)"
out=$(db_check "$A" "$W/a.jsonl")
ok "database: each report once, aggregates equal the stored bodies ($out)" test $? -eq 0
is "$(get /api/summary | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])')" 300 "the API counts 300 reports"
collector_stop TERM

# 2. SIGKILL in the middle of 2000 uploads.
collector_start "$B" "$CFG" || exit 1
files=("$W"/big/*.json)
reports_py load "$CURL" "$W/b.jsonl" 50 "${files[@]}" &
loader=$!
remember_pid "$loader"
wait_answers "$W/b.jsonl" 300
kill -9 "$CPID"
wait "$CPID" 2>/dev/null
wait "$loader"
n200=$(answers "$W/b.jsonl" 200)
failed=$(answers "$W/b.jsonl" 0)
ok "the kill came in the middle: $n200 answered 200, $failed without an answer" test "$n200" -ge 300 -a "$failed" -gt 0
collector_start "$B" "$CFG" || exit 1
out=$(db_check "$B" "$W/b.jsonl")
ok "after a restart every report answered 200 is stored, none twice, aggregates match ($out)" test $? -eq 0
kept=$(stored "$B")
ok "no more stored than were sent ($kept of ${#files[@]})" test "$kept" -ge "$n200" -a "$kept" -le "${#files[@]}"
# The clients send again what was not answered (here: everything).
reports_py load "$CURL" "$W/b2.jsonl" 50 "${files[@]}"
is "$(answers "$W/b2.jsonl" 200)" "${#files[@]}" "every report sent again is answered 200"
is "$(stored "$B")" "${#files[@]}" "and now each of the ${#files[@]} reports is stored exactly once"
out=$(db_check "$B")
ok "aggregates match the stored bodies ($out)" test $? -eq 0
collector_stop TERM

# 3. SIGTERM in the middle of a load: finish what is in flight, then exit 0.
collector_start "$C" "$CFG" || exit 1
reports_py load "$CURL" "$W/c.jsonl" 50 "${files[@]}" &
loader=$!
remember_pid "$loader"
wait_answers "$W/c.jsonl" 300
collector_stop TERM
rc=$?
wait "$loader"
is "$rc" 0 "SIGTERM during the load: exit status 0"
ok "it said it stopped accepting, then stopped" grep -q 'stopping: no new connections' "$CLOG"
ok "and logged 'stopped (Terminated)' last" test "$(tail -n1 "$CLOG")" = "telem-collector: stopped (Terminated)"
n200=$(answers "$W/c.jsonl" 200)
ok "the stop came in the middle: $n200 of ${#files[@]} answered 200" test "$n200" -ge 300 -a "$n200" -lt "${#files[@]}"
out=$(db_check "$C" "$W/c.jsonl")
ok "every report answered 200 before the stop is stored, none twice ($out)" test $? -eq 0
