#!/usr/bin/env bash
# The performance budgets of telem, each next to its baseline measured in
# the same run, printed as one markdown table on stdout (progress on stderr).
#
#   scripts/bench.sh              full run (about 6 minutes on 2 cores)
#   BENCH_QUICK=1 scripts/bench.sh   fewer build rounds (about 2 minutes)
#   BENCH_STRICT=1 ...            exit 1 when a figure is over its budget
#
# Figures (budgets from issue 2, "Performance budgets"):
#   - libtelem.so NEEDED: libc only
#   - user-space instructions of /bin/true (callgrind) added by the shim in
#     steady state: <= 20,000 over bare
#   - system calls added beyond an empty preloaded .so, steady state: <= 7
#   - wall time of make -j2 on a generated 200-file project, shim/plain:
#     <= 1.03 (median of interleaved rounds); bear/plain shown beside it
# Needs hyperfine, valgrind, strace, bear (scripts/deps.sh installs them).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shim=$root/shim/libtelem.so
rounds=7
[ "${BENCH_QUICK:-0}" = 1 ] && rounds=3
budget_instr=20000
budget_syscalls=7
budget_ratio=1.03

# The bench measures the shim only where it puts it.
unset LD_PRELOAD TELEM_MODE TELEM_DEBUG TELEM_TEST_NOW

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

for tool in readelf valgrind strace hyperfine bear python3 make cc; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: run scripts/deps.sh (it installs hyperfine, valgrind, strace, bear)"
done

say "building telem"
make -C "$root" -s all >&2
[ -f "$shim" ] || die "$shim was not built"

work=$(mktemp -d "${TMPDIR:-/tmp}/telem-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

rows=()
over=0
# row FIGURE BASELINE MEASURED RESULT BUDGET VERDICT
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }
# judge COMMAND...: v=ok when it succeeds, else v=**over** and remember it.
judge() { if "$@"; then v=ok; else v="**over**"; over=1; fi; }
# Thousands separators, for reading instruction counts at a glance.
num() { echo "$1" | sed -E ':a;s/^(-?[0-9]+)([0-9]{3})/\1,\2/;ta'; }
signed() { if [ "$1" -ge 0 ]; then echo "+$(num "$1")"; else echo "-$(num "${1#-}")"; fi; }

# An empty preloaded object: what any LD_PRELOAD costs, the shim's baseline.
printf 'void telem_bench_empty(void) {}\n' >"$work/empty.c"
cc -O2 -fPIC -shared -o "$work/empty.so" "$work/empty.c"
empty=$work/empty.so

## 1. Dependencies ############################################################

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ' -; }
shim_needed=$(needed "$shim")
judge [ "$shim_needed" = libc.so.6 ]
row "NEEDED of libtelem.so" "empty .so: $(needed "$empty")" "$shim_needed" "" "libc only" "$v"

## 2. Instructions of /bin/true ###############################################

# valgrind runs `env VARS /bin/true` and follows the exec, so only /bin/true
# is counted and the preload reaches /bin/true alone (not valgrind's shell
# script). valgrind's launcher is re-executed for the traced exec and so also
# loads the shim: that run creates the telem directory and weekends file
# before /bin/true starts, but /bin/true's own counter file is still new.
instructions() {
	local out n
	out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--trace-children=yes env "$@" /bin/true 2>&1) || die "valgrind failed: $out"
	n=$(echo "$out" | sed -n 's/.*Collected : \([0-9][0-9]*\).*/\1/p' | tail -1)
	[ -n "$n" ] || die "no 'Collected :' line from callgrind: $out"
	echo "$n"
}

say "callgrind: /bin/true bare, with an empty .so, with the shim"
ir_bare=$(instructions)
ir_empty=$(instructions LD_PRELOAD="$empty")
tdir=$work/telem-true
ir_first=$(instructions TELEM_DIR="$tdir" LD_PRELOAD="$shim")
instructions TELEM_DIR="$tdir" LD_PRELOAD="$shim" >/dev/null
ir_steady=$(instructions TELEM_DIR="$tdir" LD_PRELOAD="$shim")
mdir=$work/telem-mode
mkdir -p "$mdir"
echo "local $(date -u +%F)" >"$mdir/mode"
instructions TELEM_DIR="$mdir" LD_PRELOAD="$shim" >/dev/null
ir_mode=$(instructions TELEM_DIR="$mdir" LD_PRELOAD="$shim")

row "instructions, /bin/true + empty .so" "bare: $(num "$ir_bare")" "$(num "$ir_empty")" \
	"$(signed $((ir_empty - ir_bare))) over bare" "" "info"
row "instructions, /bin/true + shim, first run (new counter file)" "bare: $(num "$ir_bare")" \
	"$(num "$ir_first")" \
	"$(signed $((ir_first - ir_bare))) over bare, $(signed $((ir_first - ir_empty))) over empty .so" \
	"" "info"
for run in steady mode; do
	if [ $run = steady ]; then ir=$ir_steady label="steady state, no mode file"
	else ir=$ir_mode label="steady state, mode file \"local <date>\""; fi
	added=$((ir - ir_bare))
	judge [ "$added" -le $budget_instr ]
	row "instructions, /bin/true + shim, $label" "bare: $(num "$ir_bare")" "$(num "$ir")" \
		"$(signed "$added") over bare, $(signed $((ir - ir_empty))) over empty .so" \
		"≤ $(num $budget_instr) over bare" "$v"
done

## 3. System calls ############################################################

# The names of the system calls /bin/true makes, one a line, sorted.
syscalls() {
	local out=$work/strace.out
	strace -f -qq -o "$out" "$@" /bin/true || die "strace /bin/true failed"
	sed -E 's/^[0-9]+ +//' "$out" | grep -Ev '^(\+\+\+|---)' |
		sed -E 's/^([a-z0-9_]+)\(.*/\1/' | sort
}

# added_list BASE OTHER: "+name" for each call only in OTHER, "-name" for the reverse.
added_list() {
	{ comm -13 "$1" "$2" | sed 's/^/+/'; comm -23 "$1" "$2" | sed 's/^/-/'; } |
		uniq -c | awk '{ printf "%s%s", sep, ($1 > 1 ? $2 "×" $1 : $2); sep = " " }'
}

say "strace: /bin/true with an empty .so and with the shim"
syscalls -E LD_PRELOAD="$empty" >"$work/sc.empty"
n_empty=$(wc -l <"$work/sc.empty")
sdir=$work/telem-strace
syscalls -E LD_PRELOAD="$shim" -E TELEM_DIR="$sdir" >"$work/sc.first"
syscalls -E LD_PRELOAD="$shim" -E TELEM_DIR="$sdir" >"$work/sc.steady"
syscalls -E LD_PRELOAD="$shim" -E TELEM_DIR="$mdir" >"$work/sc.mode"

row "system calls, /bin/true + empty .so" "bare: $(syscalls | wc -l)" "$n_empty" \
	"" "" "info"
for run in first steady mode; do
	case $run in
	first) label="first run" ;;
	steady) label="steady state, no mode file" ;;
	mode) label="steady state, mode file \"local <date>\"" ;;
	esac
	n=$(wc -l <"$work/sc.$run")
	added=$((n - n_empty))
	budget="" v=info
	if [ "$run" != first ]; then
		budget="≤ $budget_syscalls"
		judge [ $added -le $budget_syscalls ]
	fi
	row "system calls, /bin/true + shim, $label" "empty .so: $n_empty" "$n" \
		"$(signed $added): $(added_list "$work/sc.empty" "$work/sc.$run")" "$budget" "$v"
done

## 4. Wall time of make -j2 ###################################################

proj=$work/proj
say "generating a 200-file project"
python3 "$root/scripts/genproject.py" "$proj" 200
make_dir=$work/telem-make
declare -A cmd=(
	[plain]="make -s -j2 -C $proj"
	[shim]="env LD_PRELOAD=$shim TELEM_DIR=$make_dir make -s -j2 -C $proj"
	[bear]="bear --output $work/compile_commands.json -- make -s -j2 -C $proj"
)
order=(plain shim bear)

# One timed build (hyperfine, make clean before it); prints seconds.
build_time() {
	hyperfine -N --runs 1 --style none --prepare "make -s -C $proj clean" \
		--export-json "$work/h.json" "${cmd[$1]}" >/dev/null 2>"$work/h.err" ||
		die "hyperfine '${cmd[$1]}' failed: $(cat "$work/h.err")"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["times"][0])' \
		"$work/h.json"
}

# Warm the page cache and bring the shim's counter files to steady state.
say "warm-up builds (plain, shim)"
build_time plain >/dev/null
build_time shim >/dev/null

# Interleaved rounds, each starting with the next command in turn, so drift
# in the machine's speed falls on all three alike.
for ((r = 0; r < rounds; r++)); do
	for ((i = 0; i < 3; i++)); do
		c=${order[$(((r + i) % 3))]}
		say "round $((r + 1))/$rounds: $c"
		build_time "$c" >>"$work/times.$c"
	done
done

# stats FILE: "median min max" of the seconds in FILE.
stats() {
	python3 -c 'import statistics,sys; t=[float(x) for x in open(sys.argv[1])]
print(statistics.median(t), min(t), max(t))' "$1"
}
read -r med_plain min_plain max_plain < <(stats "$work/times.plain")
read -r med_shim min_shim max_shim < <(stats "$work/times.shim")
read -r med_bear min_bear max_bear < <(stats "$work/times.bear")
secs() { printf '%.2f s (%.2f–%.2f)' "$1" "$2" "$3"; }
ratio() { python3 -c 'import sys; print("%.3f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }
r_shim=$(ratio "$med_shim" "$med_plain")
r_bear=$(ratio "$med_bear" "$med_plain")
ok=$(python3 -c 'import sys; print(1 if float(sys.argv[1]) <= float(sys.argv[2]) else 0)' \
	"$r_shim" "$budget_ratio")

judge [ "$ok" = 1 ]
row "make -j2, 200 files, with shim (median of $rounds, min–max)" \
	"plain: $(secs "$med_plain" "$min_plain" "$max_plain")" \
	"$(secs "$med_shim" "$min_shim" "$max_shim")" "shim/plain = $r_shim" \
	"≤ $budget_ratio" "$v"
row "make -j2, 200 files, under bear (median of $rounds, min–max)" \
	"plain: $(secs "$med_plain" "$min_plain" "$max_plain")" \
	"$(secs "$med_bear" "$min_bear" "$max_bear")" "bear/plain = $r_bear" "" "info"

## The table ##################################################################

echo "| figure | baseline (same run) | measured | added / ratio | budget | verdict |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"

if [ "$over" = 1 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
	exit 1
fi
exit 0
