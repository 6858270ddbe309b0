#!/usr/bin/env bash
# <prog>/exit:<code> is counted exactly once per process on every exit path
# (return from main, exit, _exit, _Exit, exit from another thread), with the
# code the parent sees (exit(300) is 44), and never for a forked child that
# did not exec (fork + exit, vfork + _exit).
. "$(dirname "$0")/../lib.sh"
need_built "$PROG/exitpath"

# check HOW CODE WANT_STATUS
check() {
	local how=$1 code=$2 want=$3 rc=0
	new_telem_dir
	LD_PRELOAD=$SHIM "$PROG/exitpath" "$how" "$code" || rc=$?
	local counted
	counted=$(counters_sum exitpath/ | grep -E '/(invocations|exit:)' | tr '\n' ' ')
	is "$rc $counted" "$want exitpath/exit:$want=1 exitpath/invocations=1 " \
		"$how $code: status $want, counted once as exit:$want"
}

check return 0 0
check return 3 3
check exit 9 9
check exit 300 44
check _exit 7 7
check _Exit 11 11
check thread 6 6
check fork 0 0
check vfork 0 0

done_testing
