#!/usr/bin/env bash
# The collector's budgets, measured (numbers only, nothing asserted):
#   upload     POSTs of distinct 4 KB reports with wrk for 10 s: uploads/s,
#              latency percentiles; then the reports stored against the
#              answers counted (wrk stops with up to CONNECTIONS requests in
#              flight, which the collector still stores).
#   dashboard  52 weeks x 1000 machines x 20 programs written straight into
#              a database, then the time to serve the first page (GET /)
#              and the API, cold (first request) and warm.
#   scripts/bench-collector.sh [upload|dashboard|all] (default all)
#   Environment: DURATION (s, default 10), CONNECTIONS (default 32),
#   THREADS (collector threads, default 4), SYNC (full or normal), WEEKS, MACHINES.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
collector=${COLLECTOR:-$root/tools/telem-collector} # COLLECTOR=: another build, to compare
what=${1:-all}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-collector.XXXXXX")
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
[ -x "$collector" ] || { echo "bench-collector: build first (make)" >&2; exit 1; }
py() { python3 "$root/scripts/bench-collector.py" "$@"; }
py config "$work/config.json"

start() { # DB: starts the collector, sets pid and url
	"$collector" --db "$1" --listen 127.0.0.1:0 --config "$work/config.json" --threads "${THREADS:-4}" --sync "${SYNC:-normal}" 2>"$work/log" &
	pid=$!
	local port="" i
	for ((i = 0; i < 100; i++)); do
		port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$work/log")
		[ -z "$port" ] || break
		sleep 0.05
	done
	[ -n "$port" ] || { cat "$work/log" >&2; exit 1; }
	url=http://127.0.0.1:$port
}
stop() {
	kill "$pid"
	wait "$pid" || true
	pid=
}
count() {
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM reports").fetchone()[0])' "$1"
}

bench_upload() {
	command -v wrk >/dev/null || { echo "bench-collector: wrk is not installed (scripts/deps.sh)" >&2; exit 1; }
	echo "== upload: distinct 4 KB reports, wrk -t2 -c${CONNECTIONS:-32} -d${DURATION:-10}s, collector --threads ${THREADS:-4}"
	py body "$work/config.json" 4096 "$work/body.json" | sed 's/^/report: /'
	start "$work/upload.db"
	BENCH_BODY=$work/body.json wrk -t2 -c"${CONNECTIONS:-32}" -d"${DURATION:-10}s" --latency \
		-s "$root/scripts/bench-collector.lua" "$url/upload/2024-05-12" >"$work/wrk.out"
	stop
	sed -n '/Latency Distribution/,/^ *99%/p; /^requests /,$p' "$work/wrk.out"
	local stored non2xx answered
	stored=$(count "$work/upload.db")
	answered=$(sed -n 's/^requests \([0-9]*\) .*/\1/p' "$work/wrk.out")
	non2xx=$(sed -n 's/.*non-2xx \([0-9]*\),.*/\1/p' "$work/wrk.out")
	echo "stored: $stored reports; wrk counted $answered answers, $non2xx not 2xx"
	grep -o '"POST [^"]*" [0-9]*' "$work/log" | awk '{print $NF}' | sort | uniq -c | sed 's/^/status counts: /'
}

bench_dashboard() {
	local weeks=${WEEKS:-52} machines=${MACHINES:-1000} i t
	echo "== dashboard: $weeks weeks x $machines machines x 20 programs"
	start "$work/fleet.db" # creates the schema
	stop
	py fleet "$work/config.json" "$work/fleet.db" "$weeks" "$machines"
	echo "database: $(du -h "$work/fleet.db" | cut -f1)"
	sync
	start "$work/fleet.db"
	for t in / / / /api/programs "/api/counters?program=gcc" /api/stacks "/?program=ld.bfd"; do
		curl -s -o "$work/page" -w "GET $t: %{http_code}, %{size_download} bytes, %{time_total}s\n" "$url$t"
	done
	echo "GET / x20:"
	for ((i = 0; i < 20; i++)); do
		curl -s -o /dev/null -w '%{time_total}\n' "$url/"
	done | sort -n | awk '{a[NR] = $1} END {printf "  min %.1f ms, median %.1f ms, max %.1f ms\n", a[1] * 1000, a[int((NR + 1) / 2)] * 1000, a[NR] * 1000}'
	# The aggregates agree with the rows they summarize (one program, one counter).
	python3 - "$work/fleet.db" "$url" <<'PY'
import json, sqlite3, sys, urllib.request
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT sum(count) FROM counts WHERE program = 'gcc' AND counter = 'gcc/invocations'").fetchone()[0]
api = json.load(urllib.request.urlopen(sys.argv[2] + "/api/counters?program=gcc"))["totals"]["gcc/invocations"]
print("check: gcc/invocations rows %d, API %d: %s" % (rows, api, "same" if rows == api else "DIFFERENT"))
PY
	stop
}

case $what in
upload) bench_upload ;;
dashboard) bench_dashboard ;;
all) bench_upload; bench_dashboard ;;
*) echo "usage: scripts/bench-collector.sh [upload|dashboard|all]" >&2; exit 2 ;;
esac
