#!/usr/bin/env bash
# Another process truncates today's counter file while a host has it mapped
# (issue 10, item 2): the host's next count (at its exit) touches pages past
# the file's new end, which raises SIGBUS. telem's handler recognizes a
# fault in its own mapping, puts anonymous memory in its place and stops
# counting; the host ends exactly as without telem. With TELEM_CRASH=off
# too (a guard for SIGBUS alone). The file is cut to nothing and to half a
# page, and the host is a real bash.
. "$(dirname "$0")/../lib.sh"
SHIM_UNDER_TEST=${SHIM_UNDER_TEST:-$SHIM}

W=$(new_dir)
# run_host OUTDIR [VAR=VALUE...]: bash reads a line from a FIFO and prints
# it; while it waits, its counter file is cut to $CUT bytes.
run_host() {
	local out=$1
	shift
	rm -f "$W/fifo"
	mkfifo "$W/fifo"
	env "$@" bash -c 'read -r x <"$1"; echo "got $x"; echo "err $x" >&2' _ "$W/fifo" >"$out.out" 2>"$out.err" &
	local pid=$!
	if [ -n "${TELEM_DIR:-}" ] && [ $# -gt 0 ]; then
		local i file=
		for i in $(seq 100); do
			file=$(ls "$TELEM_DIR"/local/bash@*.v1.count 2>/dev/null | head -n 1)
			[ -n "$file" ] && break
			sleep 0.05
		done
		[ -n "$file" ] && truncate -s "$CUT" "$file"
	fi
	echo hello >"$W/fifo"
	wait "$pid"
	echo $? >"$out.rc"
}

for CUT in 0 8192; do
	for crash in on off; do
		new_telem_dir
		run_host "$W/plain"
		run_host "$W/shim" LD_PRELOAD="$SHIM_UNDER_TEST" TELEM_DIR="$TELEM_DIR" TELEM_CRASH="$crash"
		file=$(ls "$TELEM_DIR"/local/bash@*.v1.count 2>/dev/null | head -n 1)
		is "$(stat -c %s "$file" 2>&1)" "$CUT" "cut to $CUT bytes, TELEM_CRASH=$crash: the file was cut while bash had it mapped"
		is "$(cat "$W/shim.rc") $(cat "$W/shim.out") $(cat "$W/shim.err")" \
			"$(cat "$W/plain.rc") $(cat "$W/plain.out") $(cat "$W/plain.err")" \
			"cut to $CUT bytes, TELEM_CRASH=$crash: same status, stdout and stderr as without telem"
		is "$(ls "$TELEM_DIR/crash" 2>/dev/null | wc -l)" 0 "cut to $CUT bytes, TELEM_CRASH=$crash: no crash recorded (the fault was telem's own)"
	done
done
done_testing
