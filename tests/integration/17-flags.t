#!/usr/bin/env bash
# Flags are told apart by their text: every pair of at least 500 real gcc
# option names, each pair on one command line, is counted as two flags
# (a hash bucket and a length shared by two names must not merge them).
# Wrappers (timeout, env, nice, xargs, ccache, ...) count only their own
# options, never those of the command they run (issue 18 item 9).
. "$(dirname "$0")/../lib.sh"
command -v gcc >/dev/null || { echo "1..0 # skip no gcc"; exit 0; }
need_built

W=$(new_dir)
# gcc's documented options, as gcc prints them; kept: -W, -f and -m names the
# shim keeps whole (no value, no private joined prefix), de-duplicated.
# (--help=a,b means options in both classes: one class per call.)
for class in common optimizers warnings target; do gcc --help=$class 2>/dev/null; done |
	grep -oE '^  +-[Wfm][A-Za-z0-9][-A-Za-z0-9_+.]*' | tr -d ' ' |
	grep -vE '^-(Wl|Wa|Wp)$|^-fprofile-|^-fplugin-arg-' | awk 'length($0) <= 40' | sort -u >"$W/flags"
n=$(wc -l <"$W/flags")
ok "gcc documents at least 500 such options ($n)" test "$n" -ge 500
# "gcc" is the program name the shim sees (basename): a tiny host named gcc.
mkdir -p "$W/bin"
cp "$PROG/exit7" "$W/bin/gcc" 2>/dev/null || cp /bin/true "$W/bin/gcc"
# Groups of 32 flags; one command line per pair of groups (64 flags, the
# per-process limit): every pair of flags shares at least one command line.
split -l 32 -d -a 3 "$W/flags" "$W/group."
groups=("$W"/group.*)
new_telem_dir
declare -A want
for ((i = 0; i < ${#groups[@]}; i++)); do
	for ((j = i + 1; j < ${#groups[@]}; j++)); do
		mapfile -t args < <(cat "${groups[i]}" "${groups[j]}")
		LD_PRELOAD=$SHIM TELEM_CRASH=off "$W/bin/gcc" "${args[@]}" >/dev/null 2>&1 || true
	done
done
pairs=$(( ${#groups[@]} * (${#groups[@]} - 1) / 2 ))
counters_sum gcc/ >"$W/got"
# Each flag is on the command lines of its group's pairings: groups - 1 of them.
python3 - "$W/flags" "$W/got" "$(( ${#groups[@]} - 1 ))" "$pairs" >"$W/bad" <<'PY'
import sys
flags = open(sys.argv[1]).read().split()
got = dict(l.rsplit("=", 1) for l in open(sys.argv[2]).read().split())
each, runs = int(sys.argv[3]), int(sys.argv[4])
if int(got.get("gcc/invocations", 0)) != runs:
    print("invocations", got.get("gcc/invocations"), "want", runs)
for f in flags:
    if int(got.get("gcc/flag:" + f, 0)) != each:
        print(f, got.get("gcc/flag:" + f, 0), "want", each)
PY
ok "all $pairs command lines: every one of $n flags counted on each ($(wc -l <"$W/bad") wrong)" test ! -s "$W/bad"
[ -s "$W/bad" ] && diag "$(head -5 "$W/bad")"

# ---- wrappers ----
# wrapper ARGS... -> the wrapper's flag counters (name=count, space separated)
wrapper_flags() {
	local name=$1
	shift
	new_telem_dir
	cp "$PROG/exit7" "$W/bin/$name" 2>/dev/null || cp /bin/true "$W/bin/$name"
	LD_PRELOAD=$SHIM TELEM_CRASH=off "$W/bin/$name" "$@" >/dev/null 2>&1 || true
	counters_sum "$name/flag:" | tr '\n' ' '
}
is "$(wrapper_flags timeout 900 lua -W all.lua)" "" "timeout 900 lua -W: no flag of lua's is timeout's"
is "$(wrapper_flags env LUA_INIT= lua -E x.lua)" "" "env LUA_INIT= lua -E: none of env's"
is "$(wrapper_flags timeout -k 5 --preserve-status 10 make -j8)" "timeout/flag:-k=1 " \
	"timeout -k 5 ... make -j8: -k is timeout's; the rest is the command"
is "$(wrapper_flags nice -n 5 gcc -O2 -c x.c)" "nice/flag:-n=1 " "nice -n 5 gcc -O2: only -n"
is "$(wrapper_flags xargs -0 -P4 gcc -Wall)" "xargs/flag:-0=1 xargs/flag:-P=1 " "xargs -0 -P4 gcc -Wall: -0 and -P"
is "$(wrapper_flags ccache gcc -O2 -c x.c)" "" "ccache gcc -O2: none of ccache's"
is "$(wrapper_flags sudo -u tlm_counts_a -- make -k)" "sudo/flag:-u=1 " "sudo -u U -- make -k: only -u"
# Not a wrapper: flags after operands still count (gcc x.c -O2).
is "$(wrapper_flags make all -k)" "make/flag:-k=1 " "make all -k: not a wrapper, -k counts"

done_testing
