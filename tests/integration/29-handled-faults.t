#!/usr/bin/env bash
# Faults the host's own SIGSEGV handler resolves, the JVM's ways (issue 18,
# item 10): the pc moved past the load, the page made readable, siglongjmp;
# each also with SA_ONSTACK in a host that set no alternate stack (the kernel
# enters telem on telem's stack, and telem enters the host's handler on the
# thread's stack, in a frame of its making). With the shim as without: every
# fault handled, the same signal mask and stack in the handler, exit 0; and
# no crash counted. (The cost is scripts/bench.sh's, not timed here.)
. "$(dirname "$0")/../lib.sh"
FL=$PROG/fault_loop
need_built "$FL"

# run ENV...: fault_loop 2000 $mode $how's output (its time taken out) and status.
run() {
	local out rc=0
	out=$(env "$@" "$FL" 2000 "$mode" $how 2>&1) || rc=$?
	printf '%s\nstatus %s\n' "$(printf '%s\n' "$out" | sed 's/ in [0-9]* ns$//')" "$rc"
}

for mode in skip fixup jump; do
	for how in "" onstack; do
		what="$mode${how:+ $how}"
		T=$(new_dir)
		plain=$(run)
		shimmed=$(run LD_PRELOAD="$SHIM" TELEM_DIR="$T")
		is "$shimmed" "$plain" "$what: the same faults handled, mask, stack and status with the shim"
		is "$(printf '%s\n' "$plain" | tail -2 | paste -sd' ')" \
			"fault_loop: $mode 2000 faults status 0" "$what: 2000 faults handled, exit 0 (without the shim)"
		counts=$("$TELEM" --dir "$T" dump 2>/dev/null | awk '{print $2 "=" $1}' | grep -E '/(invocations|exit:|signal:)' | sort | paste -sd' ')
		is "$counts" "fault_loop/exit:0=1 fault_loop/invocations=1" "$what: counted once, as exit 0, no signal"
		ok "$what: no crash record" test -z "$(ls "$T/crash" 2>/dev/null)"
	done
done
done_testing
