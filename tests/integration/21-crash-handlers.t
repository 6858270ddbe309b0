#!/usr/bin/env bash
# Hosts with their own handlers. A host that recovers from its faults (the
# JVM's way, siglongjmp) leaves no record and no signal counter, whatever
# it does afterwards, and the cost per fault is reported; a host that, like
# LLVM, restores the previous handler and re-raises, a host that installs
# its handler before main (sigaction in a constructor) or in main with
# signal() (GCC's way), an SA_RESETHAND handler that returns, and a host
# that installs through every interface and prints what each query of its
# dispositions answers: each behaves exactly as without the shim, and each
# is captured once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crash.sh"
RUN=$PROG/crash_run
need_built "$RUN" "$PROG/crash_recover" "$PROG/crash_llvm" "$PROG/crash_early" "$PROG/crash_signal" \
	"$PROG/crash_resethand" "$PROG/crash_query"


# run_pair NAME ARGS...: runs the program without and with the shim into
# $B, $W (output dirs) and $T (telem directory).
run_pair() {
	shift
	B=$(new_dir) W=$(new_dir) T=$(new_dir)
	"$RUN" "$B" "$(new_dir)" 0 -- "$@"
	"$RUN" "$W" "$(new_dir)" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$T" -- "$@"
}

# --- recovery: 100,000 faults (20,000 for the slower fix-up: three system
# calls a fault), each resolved by the host's handler ---
# per_fault N WAY BASE_SECONDS... -- SHIM_SECONDS...: the cost a fault (best run of each side).
per_fault() {
	python3 - "$@" <<'EOF'
import sys
n, way, rest = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
cut = rest.index("--")
base, shim = min(map(float, rest[:cut])), min(map(float, rest[cut + 1:]))
print("recover (%s): %d faults in %.3f s without the shim (%.2f us a fault), %.3f s with it"
      " (%.2f us a fault): %+.2f us a fault"
      % (way, n, base, base / n * 1e6, shim, shim / n * 1e6, (shim - base) / n * 1e6))
EOF
}
for way in longjmp fixup; do
	N=100000
	[ "$way" = longjmp ] || N=20000
	run_pair "recover $way" "$PROG/crash_recover" "$N" "$way"
	is "$(cat "$B/stdout")" "crash_recover: recovered $N faults (0 odd)" "recover ($way): baseline recovers all $N faults"
	ok "recover ($way) $N: same status, stdout and stderr with the shim" same_run "$B" "$W"
	is "$(cat "$W/status")" "exit 0" "recover ($way) $N: exits 0 with the shim"
	is "$(records "$T")" 0 "recover ($way) $N: no crash record"
	is "$(signal_counters "$T" crash_recover)" "" "recover ($way) $N: no signal counter"
	diag "$(per_fault "$N" "$way" "$(cat "$B/seconds")" -- "$(cat "$W/seconds")")"

	# After recovering, the host goes on and exits 0 from deeper in its stack
	# than where it faulted (a JVM exiting from a deep call): not a crash.
	run_pair "recover $way deep-exit" "$PROG/crash_recover" 1000 "$way" deep-exit
	ok "recover ($way), then exit 0 from deeper: same status, stdout and stderr with the shim" same_run "$B" "$W"
	is "$(records "$T")" 0 "recover ($way), then exit 0 from deeper: no crash record"
	is "$(signal_counters "$T" crash_recover)" "" "recover ($way), then exit 0 from deeper: no signal counter"
done

# --- hosts whose handlers end the process ---
# Case: program, how it ends, record fields wanted.
CASES=(
	"crash_llvm|signal SIGSEGV|kind=1 signo=11 exit=-1 complete=1"
	"crash_early|exit 3|kind=1 signo=11 exit=3 complete=1"
	"crash_signal|exit 4|kind=1 signo=11 exit=4 complete=1"
	"crash_resethand|signal SIGSEGV|kind=1 signo=11 exit=-1 complete=1"
	"crash_query|exit 5|kind=1 signo=11 exit=5 complete=1"
)
# same_output: same_run, with a diff of stdout when that is what differs.
same_output() {
	same_run "$B" "$W" && return 0
	cmp -s "$B/stdout" "$W/stdout" || diag "stdout, without (<) and with (>) the shim:" "$(diff "$B/stdout" "$W/stdout")"
	return 1
}
for c in "${CASES[@]}"; do
	IFS='|' read -r prog want fields <<<"$c"
	run_pair "$prog" "$PROG/$prog"
	is "$(cut -d' ' -f1,2 "$B/status")" "$want" "$prog: without the shim it ends as designed ($want)"
	ok "$prog: same status, stdout and stderr (the host's own output) with the shim" same_output
	is "$(records "$T")" 1 "$prog: one crash record"
	is "$(record_of "$T")" "program=$prog $fields" "$prog: the record holds the fault ($fields)"
	is "$(signal_counters "$T" "$prog")" "$prog/signal:SIGSEGV=1" "$prog: $prog/signal:SIGSEGV counted once"
	if [ "$prog" = crash_resethand ]; then
		is "$(grep -c 'handler called' "$B/stderr") $(grep -c 'handler called' "$W/stderr")" "1 1" \
			"crash_resethand: its handler ran exactly once, with the shim as without"
	fi
done
done_testing
