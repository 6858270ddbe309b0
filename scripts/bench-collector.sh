#!/usr/bin/env bash
# The collector's budgets, measured on both backends (numbers only, nothing
# asserted), ending with one table:
#   upload     POSTs of distinct 4 KB reports with wrk for DURATION s:
#              uploads/s, p99 latency; then the reports stored against the
#              answers counted (wrk stops with up to CONNECTIONS requests in
#              flight, which the collector still stores). SQLite with one
#              collector; PostgreSQL with one, then two collector processes
#              on one database (a wrk each, half the connections each: the
#              load balancer's part; uploads/s summed, p99 the worse one).
#   dashboard  52 weeks x 1000 machines x 20 programs written straight into
#              a SQLite database (and copied into PostgreSQL), then the time
#              to serve the first page (GET /) and the API, cold and warm.
#   scripts/bench-collector.sh [upload|dashboard|all] (default all)
#   Environment: DURATION (s, default 10), CONNECTIONS (default 32),
#   THREADS (collector threads, default 4), SYNC (full or normal), WEEKS,
#   MACHINES, BACKENDS (default "sqlite postgresql").
# PostgreSQL: a throw-away cluster of Debian's postgresql (tests/fixtures/
# collector/pg.sh), fsync on, on a Unix socket; the collector's default
# durability (--sync normal: synchronous_commit off) as for SQLite (WAL,
# synchronous=NORMAL): a commit survives the collector, not the machine.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
collector=${COLLECTOR:-$root/tools/telem-collector} # COLLECTOR=: another build, to compare
what=${1:-all}
backends=${BACKENDS:-sqlite postgresql}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-collector.XXXXXX")
pg_dir=
pids=()
urls=()
table=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -z "$pg_dir" ] || { pg_stop "$pg_dir"; rm -rf "$pg_dir"; }
	rm -rf "$work"
}
trap cleanup EXIT
[ -x "$collector" ] || { echo "bench-collector: build first (make)" >&2; exit 1; }
py() { PYTHONPATH=$root/tests/fixtures/collector python3 "$root/scripts/bench-collector.py" "$@"; }
py config "$work/config.json"

. "$root/tests/fixtures/collector/pg.sh"
pg_sock=
new_db() { # BACKEND NAME: a fresh database, as --db takes it
	if [ "$1" = sqlite ]; then
		echo "$work/$2.db"
		return
	fi
	if [ -z "$pg_sock" ]; then
		pg_available || { echo "bench-collector: PostgreSQL is not installed (scripts/deps.sh)" >&2; exit 1; }
		pg_dir=$(mktemp -d /tmp/bench-pg.XXXXXX)
		pg_sock=$(PG_FSYNC=on pg_start "$pg_dir")
	fi
	pg_createdb "$pg_sock" "$2"
	pg_url "$pg_sock" "$2"
}

start() { # DB: starts one more collector on DB (pids, urls)
	local log=$work/log.${#pids[@]} port="" i
	"$collector" --db "$1" --listen 127.0.0.1:0 --config "$work/config.json" --threads "${THREADS:-4}" --sync "${SYNC:-normal}" 2>"$log" &
	pids+=($!)
	for ((i = 0; i < 200; i++)); do
		port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$log")
		[ -z "$port" ] || break
		sleep 0.05
	done
	[ -n "$port" ] || { cat "$log" >&2; exit 1; }
	urls+=("http://127.0.0.1:$port")
}
stop_all() {
	local p
	for p in "${pids[@]}"; do
		kill "$p"
		wait "$p" || true
	done
	pids=()
	urls=()
}
count() {
	PYTHONPATH=$root/tests/fixtures/collector python3 "$root/tests/fixtures/collector/dbq.py" "$1" "SELECT count(*) FROM reports"
}

bench_upload() { # BACKEND COLLECTORS
	local backend=$1 n=$2 db i conns
	command -v wrk >/dev/null || { echo "bench-collector: wrk is not installed (scripts/deps.sh)" >&2; exit 1; }
	conns=$((${CONNECTIONS:-32} / n))
	echo "== upload, $backend, $n collector(s): distinct 4 KB reports, wrk -c$conns -d${DURATION:-10}s each, collector --threads ${THREADS:-4}"
	db=$(new_db "$backend" "upload_${backend}_$n")
	for ((i = 0; i < n; i++)); do start "$db"; done
	local loads=()
	for ((i = 0; i < n; i++)); do
		BENCH_SEED=$((i + 1)) BENCH_BODY=$work/body.json wrk -t$((n == 1 ? 2 : 1)) -c"$conns" -d"${DURATION:-10}s" --latency \
			-s "$root/scripts/bench-collector.lua" "${urls[$i]}/upload/2024-05-12" >"$work/wrk.$i" &
		loads+=($!)
	done
	wait "${loads[@]}"
	stop_all
	local rate=0 p99=0 answered=0 non2xx=0 r
	for ((i = 0; i < n; i++)); do
		sed -n '/^requests /,$p' "$work/wrk.$i"
		r=$(sed -n 's/^requests .*: \([0-9]*\)\/s.*/\1/p' "$work/wrk.$i")
		rate=$((rate + r))
		answered=$((answered + $(sed -n 's/^requests \([0-9]*\) .*/\1/p' "$work/wrk.$i")))
		non2xx=$((non2xx + $(sed -n 's/.*non-2xx \([0-9]*\),.*/\1/p' "$work/wrk.$i")))
		p99=$(awk -v a="$p99" -v b="$(sed -n 's/.* p99 \([0-9.]*\)ms.*/\1/p' "$work/wrk.$i")" 'BEGIN {print (b > a ? b : a)}')
	done
	echo "stored: $(count "$db") reports; wrk counted $answered answers, $non2xx not 2xx"
	table+=("$(printf '%-11s %-2s upload    %6d uploads/s  p99 %7.2f ms  (%d answers, %d not 2xx)' "$backend" "$n" "$rate" "$p99" "$answered" "$non2xx")")
}

fleet_db=
bench_dashboard() { # BACKEND
	local backend=$1 weeks=${WEEKS:-52} machines=${MACHINES:-1000} i t db
	echo "== dashboard, $backend: $weeks weeks x $machines machines x 20 programs"
	if [ -z "$fleet_db" ]; then
		fleet_db=$work/fleet.db
		start "$fleet_db" # creates the schema
		stop_all
		py fleet "$work/config.json" "$fleet_db" "$weeks" "$machines"
	fi
	db=$fleet_db
	if [ "$backend" = postgresql ]; then
		db=$(new_db postgresql fleet)
		start "$db"
		stop_all
		py topg "$fleet_db" "$db"
	fi
	sync
	start "$db"
	for t in / / / /api/programs "/api/counters?program=gcc" /api/stacks "/?program=ld.bfd"; do
		curl -s -o "$work/page" -w "GET $t: %{http_code}, %{size_download} bytes, %{time_total}s\n" "${urls[0]}$t"
	done | tee "$work/first"
	echo "GET / x20:"
	for ((i = 0; i < 20; i++)); do
		curl -s -o /dev/null -w '%{time_total}\n' "${urls[0]}/"
	done | sort -n | awk '{a[NR] = $1} END {printf "  min %.1f ms, median %.1f ms, max %.1f ms\n", a[1] * 1000, a[int((NR + 1) / 2)] * 1000, a[NR] * 1000}' | tee "$work/warm"
	# The aggregates agree with the rows they summarize (one program, one counter).
	PYTHONPATH=$root/tests/fixtures/collector python3 - "$db" "${urls[0]}" <<'PY'
import json, dbq, sys, urllib.request
db = dbq.connect(sys.argv[1])
rows = db.execute("SELECT sum(count) FROM counts WHERE program = 'gcc' AND counter = 'gcc/invocations'").fetchone()[0]
api = json.load(urllib.request.urlopen(sys.argv[2] + "/api/counters?program=gcc"))["totals"]["gcc/invocations"]
print("check: gcc/invocations rows %d, API %d: %s" % (rows, api, "same" if rows == api else "DIFFERENT"))
PY
	stop_all
	local cold warm
	cold=$(awk 'NR == 1 {sub(/s$/, "", $NF); printf "%.1f", $NF * 1000}' "$work/first")
	warm=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' "$work/warm")
	table+=("$(printf '%-11s %-2s dashboard first page (GET /): cold %s ms, warm median %s ms' "$backend" 1 "$cold" "$warm")")
}

py body "$work/config.json" 4096 "$work/body.json" | sed 's/^/report: /'
for b in $backends; do
	case $what in upload | all) bench_upload "$b" 1 ;; esac
	if [ "$b" = postgresql ]; then
		case $what in upload | all) bench_upload "$b" 2 ;; esac
	fi
done
for b in $backends; do
	case $what in dashboard | all) bench_dashboard "$b" ;; esac
done
case $what in upload | dashboard | all) ;; *) echo "usage: scripts/bench-collector.sh [upload|dashboard|all]" >&2; exit 2 ;; esac
echo "== summary (budgets: SQLite >= 1000 uploads/s; PostgreSQL with 2 collectors >= SQLite; dashboard <= 300 ms)"
echo "backend     collectors"
printf '%s\n' "${table[@]}"
