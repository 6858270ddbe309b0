#!/usr/bin/env bash
# The host's signals, exactly (issues 10.6, 10.7, 12.1, 18.1-18.5): each
# probe runs without and with the shim, and what the host sees (stdout,
# stderr, exit status, signal and core flag) must be the same bytes.
#  - a vfork child's sigaction must not rewrite the parent's handlers (C,
#    and CPython's subprocess, which vforks and resets every handler);
#  - SIG_IGN set by the host is SIG_IGN at the kernel (inherited by exec);
#  - sigaltstack reports what the host set (SS_DISABLE when it set none);
#  - SA_RESTART as asked: EINTR without it, a restart with it; a Python
#    handler that raises interrupts a blocking read at once;
#  - sigaction read-back of every flag combination of the seven signals,
#    SA_UNSUPPORTED probe and restorer included;
#  - 8 KiB and 16 KiB host alternate stacks with a guard page: the host's
#    handler runs where the kernel puts it, byte for byte;
#  - an SA_ONSTACK handler in a host without an alternate stack runs on the
#    thread's own stack (32 KiB of locals);
#  - a fault inside a handler on the alternate stack, reporters SA_ONSTACK
#    and SA_ONSTACK|SA_NODEFER: the reporter runs, the process aborts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crash.sh"
RUN=$PROG/crash_run
H=$PROG/sig_host
need_built "$RUN" "$H"

# pair DESC CMD...: runs CMD without and with the shim (private telem
# directory, counted), compares.
pair() {
	local desc=$1
	shift
	B=$(new_dir) W=$(new_dir) T=$(new_dir)
	"$RUN" "$B" "$(new_dir)" 0 -- "$@"
	"$RUN" "$W" "$(new_dir)" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$T" -- "$@"
	ok "$desc: same output and status with the shim ($(cat "$B/status"))" same_run "$B" "$W"
	ok "$desc: counted under the shim" test -n "$(oracle_counts "$T" "" | grep /invocations=)"
}
# expect FILE WANT DESC: the plain run did what the probe is about.
expect() { is "$(grep -c -- "$2" "$B/$1")" 1 "$3 (without the shim)"; }

pair "vfork child resets SIGABRT" "$H" vfork
expect stdout "survived, handled 1" "vfork: the parent's handler still catches"

pair "python3 subprocess.run, then SIGABRT" python3 -c 'import signal,subprocess,os; signal.signal(signal.SIGABRT, lambda *a: print("handled")); subprocess.run(["true"]); os.kill(os.getpid(), signal.SIGABRT); print("survived")'
expect stdout "survived" "python3: the handler still catches after subprocess.run"

pair "trap '' ABRT TRAP SYS, then exec" sh -c "trap '' ABRT TRAP SYS; exec grep SigIgn /proc/self/status"
# (the bits of SIGTRAP, SIGABRT, SIGSYS; others may be inherited ignored, as a
# background job's SIGINT and SIGQUIT are)
ign=$(awk '/^SigIgn:/ {print $2}' "$B/stdout")
is "$(( (16#${ign:-0} & 0x40000030) == 0x40000030 ))" 1 \
	"trap '': the exec'ed child ignores SIGTRAP, SIGABRT, SIGSYS (without the shim)"

pair "sigaltstack as the host set it" "$H" altstack-query
expect stdout "at start: flags=0x2 size=0 sp=NULL" "sigaltstack: SS_DISABLE before the host sets one"

pair "read, handler without SA_RESTART" "$H" eintr norestart
expect stdout "Interrupted system call" "no SA_RESTART: EINTR"
pair "read, handler with SA_RESTART" "$H" eintr restart
expect stdout "returned 1 (data)" "SA_RESTART: the read restarts"

pair "python3: a handler that raises interrupts a blocking read" python3 -c '
import os, signal, time
r, w = os.pipe()
class Stop(Exception): pass
def h(*a): raise Stop()
signal.signal(signal.SIGTRAP, h)
parent = os.getpid()
if os.fork() == 0:
    time.sleep(0.2); os.kill(parent, signal.SIGTRAP); time.sleep(2.0); os.write(w, b"x"); os._exit(0)
t = time.monotonic()
try:
    os.read(r, 1); print("read returned data")
except Stop:
    print("interrupted", "promptly" if time.monotonic() - t < 1.5 else "late")
os.wait()'
expect stdout "interrupted promptly" "python3: interrupted promptly"

pair "sigaction read-back, every flag combination, seven signals" "$H" readback
is "$(grep -c ' now: ' "$B/stdout")" $((7 * 4 * 256)) "read-back: every combination printed (without the shim)"
expect stdout "11 probe: kernel has the flag check" "read-back: SA_UNSUPPORTED is cleared"

for size in 8192 16384; do
	pair "SA_ONSTACK handler on a $size-byte alternate stack with a guard page" "$H" altstack "$size"
	expect stdout "ran on the alternate stack" "$size-byte stack: the handler ran on it"
done

pair "SA_ONSTACK handler, no alternate stack of the host's" "$H" onstack-none
expect stdout "ran on the thread's stack" "no alternate stack: the handler runs on the thread's stack"

for how in onstack nodefer; do
	pair "fault in a handler on the alternate stack, reporter $how" timeout 20 "$H" nested "$how"
	expect stdout "reporter: signal 11" "nested ($how): the reporter ran"
	is "$(cat "$B/status")" "signal SIGABRT core 0" "nested ($how): aborts (without the shim)"
done
done_testing
