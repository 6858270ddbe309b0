#!/usr/bin/env bash
# Issue 15.3: several collectors on one PostgreSQL database, as behind a
# load balancer. Two collectors start at once on an empty database (one
# creates the schema, the other waits for it); 1500 reports are each sent
# to both, concurrently: each stored once, both answering 200 ("stored" by
# one, "already stored" by the other), aggregates exact, and both
# collectors serve the same dashboard data. One collector is SIGKILLed in
# the middle of a load the other shares: every report answered 200 by
# either is stored, none twice. A URL with a password never shows it; an
# unreachable server is a one-line error at start.
. "$(dirname "$0")/../lib.sh"
COLLECTOR_BACKEND=postgresql
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$COLLECTOR"
plan 13

W=$(new_dir)
CFG=$FIX/config.json
reports_py synth "$CFG" 1500 "$W/r" 1500 3
files=("$W"/r/*.json)
answers() { # RESULTS STATUS
	python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if str(json.loads(l)["status"]) == sys.argv[2]))' "$@"
}

# Two collectors started together on an empty database.
DB=$(new_db shared)
"$COLLECTOR" --db "$DB" --listen 127.0.0.1:0 --config "$CFG" 2>"$W/log1" &
P1=$!
"$COLLECTOR" --db "$DB" --listen 127.0.0.1:0 --config "$CFG" 2>"$W/log2" &
P2=$!
remember_pid $P1
remember_pid $P2
port_of() { # LOG: waits for the collector's port
	local i port
	for ((i = 0; i < 200; i++)); do
		port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$1")
		[ -z "$port" ] || { echo "http://127.0.0.1:$port"; return 0; }
		sleep 0.05
	done
	return 1
}
U1=$(port_of "$W/log1") U2=$(port_of "$W/log2")
ok "two collectors started at once on an empty database both run" test -n "$U1" -a -n "$U2"
is "$(db_value "$DB" 'SELECT version FROM telem_schema')" 2 "the schema was made once, at version 2"

# Each report to both collectors, at the same time.
reports_py load "$U1" "$W/one.jsonl" 16 "${files[@]}" &
l1=$!
reports_py load "$U2" "$W/two.jsonl" 16 "${files[@]}"
wait $l1
is "$(($(answers "$W/one.jsonl" 200) + $(answers "$W/two.jsonl" 200)))" 3000 "3000 uploads to two collectors: all answered 200"
is "$(cat "$W/one.jsonl" "$W/two.jsonl" | grep -c '"stored (')" 1500 "each of the 1500 reports answered 'stored' exactly once"
is "$(db_value "$DB" 'SELECT count(*) FROM reports')" 1500 "and stored once"
out=$(db_check "$DB" "$W/one.jsonl")
ok "aggregates equal the stored bodies ($out)" test $? -eq 0
same=1
for api in /api/summary /api/programs /api/facets /api/stacks "/api/counters?program=gcc"; do
	[ "$(curl -sf "$U1$api")" = "$(curl -sf "$U2$api")" ] || { same=0; diag "$api differs"; }
done
ok "both collectors serve the same data" test "$same" -eq 1

# A check that can fail: a tampered aggregate is found.
pg_sql "$DB" "UPDATE week_program SET reports = reports + 1 WHERE ctid = (SELECT ctid FROM week_program LIMIT 1)"
db_check "$DB" >/dev/null
ok "db_check finds an aggregate off by one" test $? -eq 1
pg_sql "$DB" "UPDATE week_program SET reports = reports - 1 WHERE ctid = (SELECT ctid FROM week_program LIMIT 1)"

# SIGKILL of one collector in the middle of a load shared by both.
reports_py synth "$CFG" 1500 "$W/k" 1500 4
kfiles=("$W"/k/*.json)
reports_py load "$U1" "$W/k1.jsonl" 16 "${kfiles[@]}" &
l1=$!
remember_pid $l1
reports_py load "$U2" "$W/k2.jsonl" 16 "${kfiles[@]}" &
l2=$!
remember_pid $l2
for ((i = 0; i < 600; i++)); do
	[ -e "$W/k1.jsonl" ] && [ "$(wc -l <"$W/k1.jsonl")" -ge 200 ] && break
	sleep 0.05
done
{ kill -9 "$P1"; wait "$P1"; } 2>/dev/null
wait $l1 $l2
n1=$(answers "$W/k1.jsonl" 200) lost=$(answers "$W/k1.jsonl" 0)
ok "the kill came in the middle: the killed one answered $n1, then $lost went unanswered" test "$n1" -ge 200 -a "$lost" -gt 0
is "$(answers "$W/k2.jsonl" 200)" 1500 "the other collector answered all 1500"
out=$(cat "$W/k1.jsonl" "$W/k2.jsonl" >"$W/k.jsonl"; db_check "$DB" "$W/k.jsonl")
ok "every report answered 200 by either is stored, none twice, aggregates exact ($out)" test $? -eq 0

# Start-up errors: one line, no password.
url="postgresql://telem:s3cret-pw@127.0.0.1:1/nodb?connect_timeout=5"
"$COLLECTOR" --db "$url" --listen 127.0.0.1:0 --config "$CFG" 2>"$W/err"
rc=$?
ok "an unreachable server: exit 1, one line naming the database and the cause" \
	test "$rc" -eq 1 -a "$(wc -l <"$W/err")" -eq 1 -a -n "$(grep -F 'postgresql://telem:***@127.0.0.1:1/nodb' "$W/err" | grep 'cannot connect to the database')"
ok "the password is not shown" test -z "$(grep -F s3cret "$W/err")"
