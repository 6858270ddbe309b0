#!/usr/bin/env bash
# The system-call budgets of issues 2, 3 and 10 in the steady state (the
# counter file exists): /bin/true under the shim makes at most 9 system
# calls more than under an empty preloaded object counting only
# (TELEM_CRASH=off), at most 18 with the crash handlers, with and without a
# mode file. Counted the way scripts/bench.sh counts them (strace -f, every
# call one line); deterministic, unlike a timing. Also: ld.so maps the shim
# with no more calls than the empty object (no mapping of its own for
# zero-initialized data: shim/zeros.ld).
. "$(dirname "$0")/../lib.sh"
need_built
need_strace

T=$(new_dir)
printf 'void telem_test_empty(void) {}\n' >"$T/empty.c"
cc -O2 -fPIC -shared -o "$T/empty.so" "$T/empty.c"
ok "built an empty preloaded object" test -e "$T/empty.so"

# calls OUT VAR=VALUE...: the names of /bin/true's system calls, one a line.
calls() {
	local out=$1
	shift
	env -i PATH="$PATH" strace -f -qq -o "$out.raw" "$@" /bin/true
	sed -E 's/^[0-9]+ +//' "$out.raw" | grep -Ev '^(\+\+\+|---)' | sed -E 's/^([a-z0-9_]+)\(.*/\1/' >"$out"
}

# The loader's calls for a preloaded object (from its open to its close),
# and its mmap calls among them.
loader_calls() { sed -n "\|^[0-9]* *openat(AT_FDCWD, \"$1\"|,/^[0-9]* *close(/p" "$2" | wc -l; }
loader_mmaps() { sed -n "\|^[0-9]* *openat(AT_FDCWD, \"$1\"|,/^[0-9]* *close(/p" "$2" | grep -c ' *mmap('; }

calls "$T/empty" -E LD_PRELOAD="$T/empty.so"
n_empty=$(wc -l <"$T/empty")
ok "the empty object's run was traced" test "$n_empty" -gt 10

# The kernels the budgets are for have openat2 (Linux >= 5.6); the walk
# that replaces it on older ones costs a call a component more.
new_telem_dir
LD_PRELOAD=$SHIM TELEM_DIR=$TELEM_DIR /bin/true
calls "$T/probe" -E LD_PRELOAD="$SHIM" -E TELEM_DIR="$TELEM_DIR"
if grep -q 'openat2(.*ENOSYS' "$T/probe.raw"; then
	skip 10 "no openat2 here: the budgets are for Linux >= 5.6"
	done_testing
	exit 0
fi
l_shim=$(loader_calls "$SHIM" "$T/probe.raw") l_empty=$(loader_calls "$T/empty.so" "$T/empty.raw")
ok "ld.so maps the shim in $l_shim calls, no more than an empty object ($l_empty)" test "$l_shim" -le "$l_empty"
segments=$(readelf -lW "$SHIM" | grep -c '^ *LOAD')
is "$(loader_mmaps "$SHIM" "$T/probe.raw")" "$segments" \
	"one mmap a loadable segment ($segments): no mapping of its own for zero-initialized data"

# added OUT: "+name" for each call only in OUT, "-name" for each only in the empty run's.
added() {
	sort "$T/empty" >"$T/empty.sorted"
	sort "$1" >"$1.sorted"
	{ comm -13 "$T/empty.sorted" "$1.sorted" | sed 's/^/+/'; comm -23 "$T/empty.sorted" "$1.sorted" | sed 's/^/-/'; } |
		uniq -c | awk '{ printf "%s%s", s, ($1 > 1 ? $2 "×" $1 : $2); s = " " }'
}

# check TAG BUDGET [VAR=VALUE...]: one steady-state run of that variant.
check() {
	local tag=$1 budget=$2 n
	shift 2
	new_telem_dir
	[ "${tag#*mode}" = "$tag" ] || echo "local $(date -u +%F)" >"$TELEM_DIR/mode"
	env LD_PRELOAD="$SHIM" TELEM_DIR="$TELEM_DIR" "$@" /bin/true # the counter file exists
	local opts=(-E LD_PRELOAD="$SHIM" -E TELEM_DIR="$TELEM_DIR")
	for v in "$@"; do opts+=(-E "$v"); done
	calls "$T/$tag" "${opts[@]}"
	n=$(($(wc -l <"$T/$tag") - n_empty))
	ok "$tag: $n system calls beyond an empty preload (budget $budget): $(added "$T/$tag")" test "$n" -le "$budget"
	ok "$tag: and it counted" test -n "$(find "$TELEM_DIR/local" -name '*.v1.count' -size +0)"
}

check counting 9 TELEM_CRASH=off
check counting-mode 9 TELEM_CRASH=off
check handlers 18
check handlers-mode 18
done_testing
