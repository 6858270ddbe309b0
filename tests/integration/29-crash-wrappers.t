#!/usr/bin/env bash
# A wrapper that dies as its command did is not a second crash (issue 12,
# item 3). timeout, strace, sh, python's subprocess users and telem run
# itself reap a child killed by a signal, then send that signal to
# themselves: the child's shim records the crash; the wrapper's death is
# counted as <wrapper>/signal:NAME (every invocation ends in the counts)
# but makes no crash record and no crash stack. Each wait function the
# host may reap with is covered (tests/programs/reraise.c). The neighbours
# stay crashes: a wrapper that aborts after its child exited, or after a
# child died of another signal, and a signal sent from another process.
# Every case ends as it does without telem (status, stdout, stderr).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crash.sh"
need_built

# crashes DIR: the crashes DIR holds: records still pending plus crash
# stacks already counted (telem run ingests its command's records; a stack
# counter's name spans lines, its count ends the last one).
crashes() {
	echo $(($(records "$1") + $(oracle_counts "$1" crash/ | awk -F= 'NF > 1 { n += $NF } END { print n + 0 }')))
}

# wrapped NAME WRAPPER CHILD CRASHES CMD...: CMD with and without the shim
# (all of its processes preloaded), then how many crashes were kept and
# that both deaths were counted.
wrapped() {
	local name=$1 wrapper=$2 child=$3 want=$4 base with
	shift 4
	base=$(new_dir) with=$(new_dir)
	new_telem_dir
	HOST_TELEM_DIR=$(new_dir) host_run "$base" "$@" # telem run preloads its command
	HOST_SHIM=$SHIM HOST_TELEM_DIR=$TELEM_DIR host_run "$with" "$@"
	ok "$name: same status ($(cat "$base/status")), stdout and stderr with the shim" same_run "$base" "$with"
	is "$(crashes "$TELEM_DIR")" "$want" "$name: $want crash(es)"
	sig=$(signal_counters "$TELEM_DIR" "$child")
	ok "$name: $child's death counted ($sig)" test -n "$sig"
	sig=$(signal_counters "$TELEM_DIR" "$wrapper")
	ok "$name: $wrapper's death counted too ($sig)" test -n "$sig"
}

NULL=$PROG/crash_null
real_name() { basename "$(readlink -f "$(command -v "$1")")"; } # sh is dash
for how in wait waitpid waitpid-null wait3 wait4 waitid; do
	wrapped "reraise $how, child SIGSEGV" reraise crash_null 1 "$PROG/reraise" "$how" "$NULL"
done
wrapped "reraise waitpid, child abort()" reraise crash_abort 1 "$PROG/reraise" waitpid "$PROG/crash_abort"
wrapped "timeout, child SIGSEGV" timeout crash_null 1 timeout 30 "$NULL"
wrapped "timeout, child abort()" timeout crash_abort 1 timeout 30 "$PROG/crash_abort"
wrapped "sh: kill -SEGV \$\$ after its child's SIGSEGV" "$(real_name sh)" crash_null 1 sh -c "'$NULL'; kill -SEGV \$\$"
wrapped "python3 subprocess, re-raising" "$(python3 -c 'import os, sys; print(os.path.basename(os.path.realpath(sys.executable)))')" crash_null 1 python3 -c '
import os, signal, subprocess, sys
r = subprocess.run([sys.argv[1]])
signal.signal(-r.returncode, signal.SIG_DFL)
os.kill(os.getpid(), -r.returncode)' "$NULL"
wrapped "telem run, preloaded itself" telem crash_null 1 "$TELEM" run -- "$NULL"
if command -v strace >/dev/null; then
	wrapped "strace, child SIGSEGV" strace crash_null 1 strace -o /dev/null "$NULL"
else
	skip 4 "strace is not installed"
fi

# The neighbours: the wrapper's own crashes.
wrapped "reraise abort after its child's SIGSEGV" reraise crash_null 2 "$PROG/reraise" abort "$NULL"
T=$(new_dir)
new_telem_dir
HOST_SHIM=$SHIM HOST_TELEM_DIR=$TELEM_DIR host_run "$T" "$PROG/reraise" abort true
is "$(crashes "$TELEM_DIR")" 1 "reraise abort after its child exited 0: its own crash"
HOST_SHIM=$SHIM HOST_TELEM_DIR=$TELEM_DIR host_run "$T" sh -c 'true; kill -ABRT $$'
is "$(crashes "$TELEM_DIR")" 2 "sh: kill -ABRT \$\$ after a child exited 0: a crash"
done_testing
