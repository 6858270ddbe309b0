#!/usr/bin/env bash
# Issue 10, case 11: one client (source 127.0.0.2) holds 2,100 slow
# connections, each a request header that never ends; a well-behaved client
# (127.0.0.1) is still answered within 1 s, because the collector limits
# connections per client address, not only in total. And a report with two
# versions each counting 2^63-1 is stored with its totals saturated at
# 2^63-1, never wrapped to negative numbers.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$COLLECTOR"
command -v curl >/dev/null || { echo "1..0 # skip curl missing"; exit 0; }
plan 9

W=$(new_dir)
CFG=$FIX/config.json
collector_start "$(new_db d)" "$CFG" --per-client 32 || exit 1
reports_py synth "$CFG" 2 "$W/r" 1500 5

python3 "$FIX/slowloris.py" 127.0.0.2 127.0.0.1 "$CPORT" 2100 >"$W/slow.out" 2>"$W/slow.err" &
SLOW=$!
remember_pid "$SLOW"
for ((i = 0; i < 600; i++)); do
	grep -q '^ready' "$W/slow.out" && break
	kill -0 "$SLOW" 2>/dev/null || break
	sleep 0.1
done
read -r _ held refused <"$W/slow.out"
ok "the slow client tried its 2,100 connections (held $held, refused $refused)" test "$((held + refused))" -eq 2100
ok "the collector holds at most 32 of them" test "${held:-99}" -le 32

timed() { # CURL-ARGS...: prints "<status> <seconds>"
	curl -s -o "$W/answer" -w '%{http_code} %{time_total}' --max-time 5 "$@"
}
read -r code secs < <(timed "$CURL/api/summary")
is "$code" 200 "a well-behaved client's GET is answered"
ok "within 1 s ($secs s)" python3 -c "import sys; sys.exit(float(sys.argv[1]) >= 1.0)" "$secs"
f=$(ls "$W"/r/*.json | head -n1)
week=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Week"])' "$f")
read -r code secs < <(timed -H 'Content-Type: application/json' --data-binary @"$f" "$CURL/upload/$week")
is "$code" 200 "its upload is stored (within ${secs} s)"
ok "the log names the refused client" grep -q '127.0.0.2.*connections' "$CLOG"
kill "$SLOW" 2>/dev/null
wait "$SLOW" 2>/dev/null
[ -n "${held:-}" ] || diag "$(cat "$W/slow.err")"

# Two versions of gcc, each counting 2^63-1 invocations: the merged total
# would be 2^64-2, which is -2 in signed 64 bits.
max=9223372036854775807
week=2024-06-03
cat >"$W/big.json" <<JSON
{"Week":"$week","LastWeek":"","X":0.5,"Config":"v7","Programs":[
 {"Program":"gcc","Version":"aaaa","GoVersion":"glibc2.36","GOOS":"linux","GOARCH":"amd64",
  "Counters":{"gcc/invocations":$max},"Stacks":{"crash/crash\nf\ng":$max}},
 {"Program":"gcc","Version":"bbbb","GoVersion":"glibc2.36","GOOS":"linux","GOARCH":"amd64",
  "Counters":{"gcc/invocations":$max},"Stacks":{"crash/crash\nf\ng":$max}}]}
JSON
is "$(post "$W/big.json" "/upload/$week")" 200 "the report with two counts of 2^63-1 is accepted"
sed "s/0.5/0.25/" "$W/big.json" >"$W/big2.json" # a second report: the stored sums saturate too
post "$W/big2.json" "/upload/$week" >/dev/null
totals=$(get "/api/counters?program=gcc" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["gcc/invocations"])')
is "$totals" "$max" "the merged invocations saturate at 2^63-1"
stack=$(get "/api/stacks?program=gcc" | python3 -c '
import json, sys
print(" ".join(str(s["total"]) for s in json.load(sys.stdin) if s["stack"] == "crash/crash\nf\ng"))')
is "$stack" "$max" "the stack's total saturates at 2^63-1, not negative"
collector_stop TERM
