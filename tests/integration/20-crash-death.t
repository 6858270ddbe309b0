#!/usr/bin/env bash
# The host dies as before: for every crash program, the parent sees the same
# exit status, terminating signal and core-dump flag with and without the
# shim (same RLIMIT_CORE in both runs), and the same stdout and stderr; the
# shim leaves exactly one crash record and counts <prog>/signal:SIGxxx once.
# PID 1 of a new PID namespace still dies of its fault.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crash.sh"
RUN=$PROG/crash_run
need_built "$RUN" "$PROG/crash_null" "$PROG/crash_abort" "$PROG/crash_assert" "$PROG/crash_divzero" \
	"$PROG/crash_trap" "$PROG/crash_recurse" "$PROG/crash_libc" "$PROG/crash_llvm" "$PROG/crash_early" \
	"$PROG/crash_signal" "$PROG/crash_resethand"

# Case: program, argument (- for none), how it must end without the shim.
CASES=(
	"crash_null - signal SIGSEGV"
	"crash_abort - signal SIGABRT"
	"crash_assert - signal SIGABRT"
	"crash_divzero - signal SIGFPE"
	"crash_trap - signal SIGILL"
	"crash_recurse - signal SIGSEGV"
	"crash_recurse thread signal SIGSEGV"
	"crash_libc - signal SIGSEGV"
	"crash_libc qsort signal SIGSEGV"
	"crash_llvm - signal SIGSEGV"
	"crash_early - exit 3"
	"crash_signal - exit 4"
	"crash_resethand - signal SIGSEGV"
)
# The signal each crash is counted under (the fault, also when the host's
# handler turned it into an exit).
counted_signal() {
	case $1 in
	crash_abort | crash_assert) echo SIGABRT ;;
	crash_divzero) echo SIGFPE ;;
	crash_trap) echo SIGILL ;;
	*) echo SIGSEGV ;;
	esac
}


# Cores land in the working directory (or wherever core_pattern sends them):
# one scratch directory per run, removed right after.
for c in "${CASES[@]}"; do
	read -r prog arg want <<<"$c"
	args=()
	[ "$arg" = - ] || args=("$arg")
	name="$prog${args[*]:+ ${args[*]}}"
	base=$(new_dir) with=$(new_dir) tdir=$(new_dir) cwd=$(new_dir)
	"$RUN" "$base" "$cwd" unlimited -- "$PROG/$prog" "${args[@]}"
	rm -rf "$cwd" && mkdir "$cwd"
	"$RUN" "$with" "$cwd" unlimited LD_PRELOAD="$SHIM" TELEM_DIR="$tdir" -- "$PROG/$prog" "${args[@]}"
	rm -rf "$cwd"

	got_base=$(cat "$base/status")
	is "${got_base% core *}" "$want" "$name: without the shim it ends as designed ($want)"
	is "$(cat "$with/status")" "$got_base" "$name: same status, signal and core flag with the shim"
	ok "$name: same stdout and stderr with the shim" same_run "$base" "$with"
	is "$(records "$tdir")" 1 "$name: exactly one crash record"
	is "$(signal_counters "$tdir" "$prog")" "$prog/signal:$(counted_signal "$prog")=1" \
		"$name: $prog/signal:$(counted_signal "$prog") counted once, no other signal"
done

# PID 1 of a new PID namespace: the kernel drops signals that init sends to
# itself with the default action, so re-raising is not enough there; a fault
# must still kill it. unshare passes the child's death on to its parent.
pid1() { # OUT CMD...: run as PID 1 (through env, so only CMD is preloaded)
	local out=$1
	shift
	"$RUN" "$out" "$(new_dir)" 0 -- unshare --pid --fork --mount-proc "$@"
}
if ! is_root || ! unshare --pid --fork --mount-proc true 2>/dev/null; then
	skip 4 "unshare --pid --fork --mount-proc is not permitted here"
else
	for prog in crash_null crash_abort; do
		base=$(new_dir) with=$(new_dir) tdir=$(new_dir)
		pid1 "$base" "$PROG/$prog"
		pid1 "$with" env LD_PRELOAD="$SHIM" TELEM_DIR="$tdir" "$PROG/$prog"
		is "$(cat "$with/status")" "$(cat "$base/status")" "PID 1 $prog: dies as without the shim ($(cat "$base/status"))"
		is "$(records "$tdir")" 1 "PID 1 $prog: one crash record"
	done
fi
done_testing
