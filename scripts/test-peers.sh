#!/usr/bin/env bash
# Peer suites nobody here wrote, run plainly and under the shim, compared
# case by case (issue 18): CPython's own regression tests of signals and
# processes, and googletest death tests in both styles. Both runs get the
# same environment but for LD_PRELOAD=shim/libtelem.so and a private
# TELEM_DIR (mktemp -d, 0700); every case must end the same (ok, FAIL,
# ERROR, skipped...), and the shimmed runs must have been counted. TAP on
# stdout, the last line "N passed, N failed"; exit 1 on any difference.
#
#   scripts/test-peers.sh          test_signal test_faulthandler test_subprocess
#                                  test_eintr test_threadsignals, the death tests
#   scripts/test-peers.sh --fast   the death tests, test_signal and test_eintr (.ci/run)
#   PEERS_PYTHON=/usr/bin/python3  the interpreter (default: the python3 on PATH
#                                  when it has CPython's test package, else
#                                  /usr/bin/python3, Debian's libpython3.11-testsuite)
#
# A case that differs is run again, both ways, with its module (CPython's
# timing tests are not all steady on a loaded machine): the same result
# then passes, with the first difference shown as a diagnostic.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shim=${PEERS_SHIM:-$root/shim/libtelem.so} # another build of it: does this test fail with the old code?
telem=$root/tools/telem
gtest_bin=$root/build/peers/death_test
cases="$root/tests/peers/cases.py"

fast=0
case "${1:-}" in
--fast) fast=1 ;;
"") ;;
*) echo "usage: scripts/test-peers.sh [--fast]" >&2; exit 2 ;;
esac
if [ "$fast" = 1 ]; then
	modules=(test_signal test_eintr)
else
	modules=(test_signal test_faulthandler test_subprocess test_eintr test_threadsignals)
fi

# The runs meet the shim only where this script puts it.
unset LD_PRELOAD TELEM_MODE TELEM_DEBUG TELEM_TEST_NOW TELEM_CRASH TELEM_DIR
# No core files from the death tests (either way).
ulimit -c 0

make -s -C "$root" all build/peers/death_test >&2 || { echo "test-peers: make failed" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/telem-peers.XXXXXX")
trap 'rm -rf "$work"' EXIT
tdir=$(mktemp -d "$work/telem.XXXXXX")
chmod 700 "$tdir"
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp

# The interpreter itself, not a wrapper (pyenv's shims are shell scripts).
has_tests() { "$1" -c 'import test.libregrtest, test.support' 2>/dev/null; }
py=${PEERS_PYTHON:-}
if [ -z "$py" ]; then
	for c in "$(command -v python3 || true)" /usr/bin/python3; do
		[ -n "$c" ] && has_tests "$c" && py=$c && break
	done
fi
[ -n "$py" ] && has_tests "$py" || {
	echo "test-peers: no python3 with CPython's test package (apt-get install libpython3.11-testsuite)" >&2
	exit 1
}
py=$("$py" -c 'import sys; print(sys.executable)')
# walltime gates test_eintr in newer 3.11 releases (older ones have no such
# resource) and test_signal's slower cases (50 s instead of 20: only in the
# full run).
walltime=0
"$py" -c 'from test.libregrtest.cmdline import RESOURCE_NAMES as r; raise SystemExit("walltime" not in r)' \
	2>/dev/null && walltime=1
resources_for() { # resources_for MODULE: sets use=(regrtest's -u option, or none)
	use=()
	[ "$walltime" = 1 ] && { [ "$fast" = 0 ] || [ "$1" = test_eintr ]; } && use=(-u walltime)
}

n=0
failed=0
say() { echo "test-peers: $*" >&2; }
diag() { sed 's/^/# /'; }
result() { # result OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 1 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
# as_mode MODE CMD...: CMD plainly (MODE plain) or under the shim (MODE shim).
as_mode() {
	local mode=$1
	shift
	if [ "$mode" = shim ]; then
		env LD_PRELOAD="$shim" TELEM_DIR="$tdir" "$@"
	else
		"$@"
	fi
}

## CPython's regression tests #################################################

py_runs=0
run_module() { # run_module MODE MODULE LOG: one regrtest run, -v
	mkdir -p "$work/cwd"
	resources_for "$2"
	(cd "$work/cwd" && as_mode "$1" timeout 1200 "$py" -m test -v "${use[@]}" "$2") >"$3" 2>&1
	echo $? >"$3.rc"
}

# compare_module MODULE TRY: 0 when plain and shim ended every case alike.
compare_module() {
	local m=$1 t=$2
	"$py" "$cases" compare unittest "$work/plain.$m.$t" "$work/shim.$m.$t" >"$work/cmp.$m.$t" || return 1
	local a b
	a=$(cat "$work/plain.$m.$t.rc") b=$(cat "$work/shim.$m.$t.rc")
	[ "$a" = "$b" ] || { echo "exit status: plain $a, shim $b" >>"$work/cmp.$m.$t"; return 1; }
}

for m in "${modules[@]}"; do
	say "$m, plainly and under the shim ($py)"
	start=$(date +%s)
	# Side by side (the suites mostly sleep: test_signal takes 95 s of wall
	# time and 4 s of CPU); the second run, if any, one after the other.
	run_module plain "$m" "$work/plain.$m.1" &
	run_module shim "$m" "$work/shim.$m.1"
	wait
	py_runs=$((py_runs + 1))
	if compare_module "$m" 1; then
		result 1 "$m: $(head -1 "$work/cmp.$m.1"), the same under the shim ($(($(date +%s) - start)) s)"
		continue
	fi
	say "$m differs: running it again, both ways"
	run_module shim "$m" "$work/shim.$m.2"
	run_module plain "$m" "$work/plain.$m.2"
	py_runs=$((py_runs + 1))
	if compare_module "$m" 2; then
		result 1 "$m: $(head -1 "$work/cmp.$m.2"), the same under the shim on a second run"
		{ echo "first run:"; tail -n +2 "$work/cmp.$m.1"; } | diag
	else
		result 0 "$m: plain and shim differ, twice"
		{ echo "first run:"; cat "$work/cmp.$m.1"; echo "second run:"; cat "$work/cmp.$m.2"; } | diag
		for f in "$work/plain.$m.2" "$work/shim.$m.2"; do
			echo "--- tail of $(basename "$f")"
			tail -40 "$f"
		done | diag
	fi
done

## googletest death tests, both styles ########################################

run_gtest() { # run_gtest MODE STYLE OUT
	as_mode "$1" timeout 300 "$gtest_bin" --gtest_death_test_style="$2" --gtest_output=json:"$3.json" >"$3" 2>&1
	echo $? >"$3.rc"
}
for style in fast threadsafe; do
	ok=0
	for t in 1 2; do
		run_gtest plain "$style" "$work/plain.gtest.$style.$t"
		run_gtest shim "$style" "$work/shim.gtest.$style.$t"
		p=$work/plain.gtest.$style.$t s=$work/shim.gtest.$style.$t
		if "$py" "$cases" compare gtest "$p.json" "$s.json" >"$work/cmp.gtest.$style.$t" &&
			[ "$(cat "$p.rc")" = "$(cat "$s.rc")" ]; then
			ok=1
			break
		fi
		echo "exit status: plain $(cat "$p.rc"), shim $(cat "$s.rc")" >>"$work/cmp.gtest.$style.$t"
	done
	verdict="the same under the shim"
	[ "$ok" = 1 ] || verdict="plain and shim differ, twice"
	result "$ok" "googletest death tests, $style style: $(head -1 "$work/cmp.gtest.$style.$t"), $verdict"
	[ "$ok" = 1 ] && [ "$t" = 1 ] || cat "$work"/cmp.gtest."$style".* | diag
	# Every case passes plainly: a death test that does not is no test of the shim.
	plain_bad=$("$py" "$cases" gtest "$work/plain.gtest.$style.$t.json" | grep -vc $'\tok$')
	result "$([ "$plain_bad" = 0 ] && echo 1)" "googletest death tests, $style style: every case passes plainly"
done

## The shimmed runs were counted ##############################################

# counter_of PROGRAM/NAME: its count in the shimmed runs' directory (0 if none).
counter_of() {
	"$telem" --dir "$tdir" dump 2>/dev/null | awk -v c="$1" '$2 == c {s += $1} END {print s + 0}'
}
prog=$(basename "$(readlink -f "$py")")
prog=${prog%-[0-9]*}
count=$(counter_of "$prog/invocations")
result "$([ "$count" -ge "$py_runs" ] && echo 1)" \
	"$prog/invocations counted under the shim: $count, for $py_runs runs of the test runner (at least one process each)"
dt=$(counter_of death_test/invocations)
result "$([ "$dt" -ge 3 ] && echo 1)" "death_test/invocations counted under the shim: $dt"

# Exact, against strace: the threadsafe style executes the program again for
# each death test; every exec of it is one invocation.
if command -v strace >/dev/null; then
	sdir=$(mktemp -d "$work/telem-strace.XXXXXX")
	chmod 700 "$sdir"
	strace -f -qq -e trace=execve -o "$work/gtest.strace" env LD_PRELOAD="$shim" TELEM_DIR="$sdir" \
		"$gtest_bin" --gtest_death_test_style=threadsafe >/dev/null 2>&1
	# The program's own path, first argument of execve: env's line names
	# death_test among its arguments too (whole when the path is short).
	execs=$(grep -cE '^[0-9]+ +execve\("[^"]*/death_test", .* = 0$' "$work/gtest.strace")
	counted=$("$telem" --dir "$sdir" dump 2>/dev/null | awk '$2 == "death_test/invocations" {s += $1} END {print s + 0}')
	result "$([ "$execs" -gt 1 ] && [ "$execs" = "$counted" ] && echo 1)" \
		"threadsafe death tests: death_test/invocations $counted, execs of it seen by strace $execs"
fi

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
