#!/usr/bin/env bash
# A crash ends as it would have (issue 18.6, 18.7): after telem records, the
# signal strikes again in the original context with the default action, so
# a core file shows the host's registers and stack. gdb's backtrace of the
# core of abort(), of a NULL store and of a kill -SEGV from outside names
# the same functions with the shim as without; valgrind's report of the
# NULL store is the same (the invalid write at address 0x0, the death by
# SIGSEGV at 0x0, the same frames).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crash.sh"
RUN=$PROG/crash_run
need_built "$RUN" "$PROG/crash_abort" "$PROG/crash_null" "$PROG/sig_host"

# Cores must land in the working directory as "core*". Where another
# pattern is set (a pipe to a collector), set ours for the test and put the
# old one back at exit.
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo)
if [ "${pattern#|}" != "$pattern" ] || [ "${pattern#/}" != "$pattern" ]; then
	if is_root && printf 'core' >/proc/sys/kernel/core_pattern 2>/dev/null; then
		trap 'printf "%s" "$pattern" >/proc/sys/kernel/core_pattern; _tap_cleanup' EXIT
	else
		skip 1 "core_pattern is '$pattern' and cannot be changed here"
		done_testing
		exit 0
	fi
fi
if ! command -v gdb >/dev/null; then
	skip 1 "gdb is not installed"
	done_testing
	exit 0
fi

# frames CORE PROG: the function names of gdb's backtrace, one line.
frames() {
	gdb -nx -batch -ex bt -c "$1" "$2" 2>/dev/null | grep '^#' |
		sed -E 's/^#[0-9]+ +(0x[0-9a-f]+ in )?([^ ]+) .*/\2/' | paste -sd' ' -
}

# killed OUT CWD [VAR=VALUE...]: sig_host wait, killed by SIGSEGV from outside.
killed() {
	local out=$1 cwd=$2
	shift 2
	"$RUN" "$out" "$cwd" unlimited "$@" -- "$PROG/sig_host" wait &
	local runner=$! i
	for i in $(seq 200); do
		grep -q ready "$out/stdout" 2>/dev/null && break
		sleep 0.05
	done
	kill -SEGV "$(awk '/ready/ {print $2}' "$out/stdout")"
	wait "$runner"
}

for c in "crash_abort" "crash_null" "kill"; do
	base=$(new_dir) with=$(new_dir) tdir=$(new_dir) c1=$(new_dir) c2=$(new_dir)
	if [ "$c" = kill ]; then
		prog=$PROG/sig_host
		killed "$base" "$c1"
		killed "$with" "$c2" LD_PRELOAD="$SHIM" TELEM_DIR="$tdir"
	else
		prog=$PROG/$c
		"$RUN" "$base" "$c1" unlimited -- "$prog"
		"$RUN" "$with" "$c2" unlimited LD_PRELOAD="$SHIM" TELEM_DIR="$tdir" -- "$prog"
	fi
	is "$(cat "$with/status")" "$(cat "$base/status")" "$c: same death with the shim ($(cat "$base/status"))"
	is "$(records "$tdir")" 1 "$c: one crash record"
	core1=$(find "$c1" -maxdepth 1 -name 'core*' | head -n1)
	core2=$(find "$c2" -maxdepth 1 -name 'core*' | head -n1)
	if [ -z "$core1" ] || [ -z "$core2" ]; then
		ok "$c: a core file without and with the shim" false
		continue
	fi
	f1=$(frames "$core1" "$prog") f2=$(frames "$core2" "$prog")
	diag "$c: gdb bt without the shim: $f1"
	is "$f2" "$f1" "$c: gdb's backtrace of the core names the same functions with the shim"
done

if command -v valgrind >/dev/null; then
	# report LOG: valgrind's invalid accesses and the death, blocks as
	# valgrind prints them, without pids and code addresses. Our crash record
	# copies the stack with write(2), which valgrind reports as a system call
	# reading uninitialised bytes: those blocks are left out.
	report() {
		sed -E 's/^==[0-9]+== ?//; s/0x[0-9A-F]{6,}: //' "$1" |
			awk '/^(Invalid|Process terminating)/ { on = 1 } /^$/ { on = 0 } on'
	}
	d=$(new_dir) tdir=$(new_dir)
	(cd "$d" && valgrind --log-file="$d/plain.log" "$PROG/crash_null" >/dev/null 2>&1)
	(cd "$d" && LD_PRELOAD="$SHIM" TELEM_DIR="$tdir" valgrind --log-file="$d/shim.log" "$PROG/crash_null" >/dev/null 2>&1)
	is "$(report "$d/plain.log" | grep -c 'Access not within mapped region at address 0x0')" 1 \
		"valgrind: the NULL store kills at address 0x0 (without the shim)"
	is "$(report "$d/shim.log")" "$(report "$d/plain.log")" \
		"valgrind: the same invalid write at 0x0, death and frames with the shim"
else
	skip 2 "valgrind is not installed"
fi
done_testing
