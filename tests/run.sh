#!/usr/bin/env bash
# Runs the unit test binaries given as arguments (cmocka), then every TAP
# script in tests/integration, and ends with exactly one line
# "N passed, N failed", N counting test cases (cmocka tests and TAP
# assertions). A binary or script that crashes, hangs or stops before its
# plan counts as failed. Exit status 1 when anything failed.
#
#   tests/run.sh [UNIT_BINARY...]
#   TESTS='1[03]-*' tests/run.sh      only the integration scripts matching a glob
#   BACKENDS=sqlite tests/run.sh       the collector scripts against SQLite only
#
# A script whose header says "# backends: sqlite postgresql" runs once per
# backend (COLLECTOR_BACKEND=...), the second time as NAME.postgresql.t,
# against one PostgreSQL server started here for the whole run.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
timeout_s=${TEST_TIMEOUT:-300}
passed=0
failed=0
skipped=0
failures=()
logs=$(mktemp -d "${TMPDIR:-/tmp}/telem-run.XXXXXX")
# Scripts make their temporary directories (and root-only tmpfs mounts) in
# here, so whatever a killed script leaves behind is found and removed.
mkdir "$logs/tmp"
export TMPDIR=$logs/tmp

unmount_leftovers() {
	awk -v p="$logs/" 'index($2, p) == 1 {print $2}' /proc/mounts 2>/dev/null | sort -r |
		while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}
pg_dir=
cleanup() {
	[ -z "$pg_dir" ] || { pg_stop "$pg_dir"; rm -rf "$pg_dir"; }
	unmount_leftovers
	chmod -R u+rwx "$logs" 2>/dev/null
	rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# One cmocka binary: sums its "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s)" lines; a crash loses the binary's remaining tests.
run_unit() {
	local bin=$1 out=$logs/unit.out rc=0
	echo "=== $bin"
	timeout "$timeout_s" "$bin" >"$out" 2>&1 || rc=$?
	cat "$out"
	local p f r
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	r=$(sed -n 's/^\[==========\] Running \([0-9]*\) test(s)\..*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	if [ "$rc" -ne 0 ] && [ $((p + f)) -lt "$r" ]; then
		f=$((r - p)) # tests that never reported: the binary died under them
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "run.sh: $bin exited with status $rc without reporting a failure"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || failures+=("$bin ($f)")
}

# One TAP script: its stdout is kept for prove; ok/not ok lines are counted.
run_tap() {
	local t=$1 backend=${2:-} name rc=0 start
	name=$(basename "$t")
	[ -z "$backend" ] || name=${name%.t}.$backend.t
	echo "=== $t${backend:+ ($backend)}"
	start=$(date +%s)
	COLLECTOR_BACKEND=${backend:-sqlite} timeout "$timeout_s" bash "$t" </dev/null 2>&1 | tee "$logs/tap/$name"
	rc=${PIPESTATUS[0]}
	local ok nok skip planned seen lost=0
	ok=$(grep -c '^ok ' "$logs/tap/$name")
	skip=$(grep -c '^ok [0-9]* # skip' "$logs/tap/$name")
	nok=$(grep -c '^not ok ' "$logs/tap/$name")
	planned=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$logs/tap/$name" | head -n1)
	seen=$((ok + nok))
	if [ -z "$planned" ]; then
		lost=1
		echo "not ok - $name: no plan (the script stopped early)" >>"$logs/tap/$name"
	elif [ "$planned" -gt "$seen" ]; then
		lost=$((planned - seen))
		echo "not ok - $name: $lost planned tests never ran" >>"$logs/tap/$name"
	fi
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ] && [ "$lost" -eq 0 ]; then
		lost=1 # exit status alone says something went wrong
		echo "not ok - $name: exited with status $rc" >>"$logs/tap/$name"
	fi
	[ "$rc" -ne 124 ] || echo "run.sh: $t timed out after ${timeout_s}s"
	unmount_leftovers
	echo "=== $t${backend:+ ($backend)}: $((ok - skip)) passed, $((nok + lost)) failed, $skip skipped ($(($(date +%s) - start))s)"
	passed=$((passed + ok - skip))
	skipped=$((skipped + skip))
	failed=$((failed + nok + lost))
	[ $((nok + lost)) -eq 0 ] || failures+=("$name ($((nok + lost)))")
}

for bin in "$@"; do
	run_unit "$bin"
done

mkdir -p "$logs/tap"
shopt -s nullglob
scripts=("$root"/tests/integration/${TESTS:-*}.t)
# The PostgreSQL runs share one server, started only when a script needs it.
backends=${BACKENDS:-sqlite postgresql}
if [[ " $backends " == *" postgresql "* ]] && grep -lq '^# backends:.*postgresql' "${scripts[@]}" /dev/null; then
	. "$root/tests/fixtures/collector/pg.sh"
	if pg_available; then
		pg_dir=$(mktemp -d /tmp/telem-pg.XXXXXX)
		TELEM_TEST_PG=$(pg_start "$pg_dir") || { echo "run.sh: cannot start PostgreSQL" >&2; exit 1; }
		export TELEM_TEST_PG
	fi
fi
for t in "${scripts[@]}"; do
	run_tap "$t"
	if [[ " $backends " == *" postgresql "* ]] && grep -q '^# backends:.*postgresql' "$t"; then
		run_tap "$t" postgresql
	fi
done

# prove's standard summary, from the TAP just recorded (not a second run).
if [ ${#scripts[@]} -gt 0 ] && command -v prove >/dev/null; then
	echo "=== prove"
	(cd "$logs/tap" && prove --exec cat ./*.t) || true
fi

[ "$skipped" -eq 0 ] || echo "($skipped skipped)"
[ ${#failures[@]} -eq 0 ] || echo "failed in: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
