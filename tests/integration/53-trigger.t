#!/usr/bin/env bash
# The daily background upload (issue 5, item 4): in mode on with a week
# that is over, one ordinary process under the shim starts `telem upload
# --background`, which sends the report to the server (polled, a few
# seconds at most); the host's exit status is unchanged and it returns
# before the upload is done (a server holding its answer cannot hold the
# host); a second run the same day starts nothing (DIR/local/upload.token),
# one after the token has aged a day does; mode local starts nothing.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
need_built "$PROG/exit7"

W=$(new_dir)

# fresh MODE: a new TELEM_DIR with a week over (counted in mode local), then MODE.
fresh() {
	friday_telem_dir
	exit7_config t
	expired_week "$T0"
	echo "$1" >"$TELEM_DIR/mode"
}
host() { # host OUT CMD...: CMD under the shim, as a host would run it, a week later
	local out=$1
	shift
	HOST_SHIM=$SHIM HOST_TELEM_DIR=$TELEM_DIR HOST_TIMEOUT=30 \
		HOST_ENV="TELEM_TEST_NOW=$LATER TELEM_SERVER=$URL" host_run "$out" "$@"
}
traced_host() { # traced_host LOG CMD...: the same under strace -f (process calls)
	local log=$1
	shift
	# -E: only the traced program is preloaded, not strace
	env TELEM_DIR="$TELEM_DIR" TELEM_TEST_NOW=$LATER TELEM_SERVER="$URL" \
		strace -f -qq -E LD_PRELOAD="$SHIM" -e trace=process -o "$log" "$@" >/dev/null 2>&1
}
posts_are() { [ "$(posts "$1")" -eq "$2" ]; }

SRV=$W/srv
start_server "$SRV" ok
fresh "on 2024-05-01"
# /bin/false: it leaves through exit(), where the shim's exit hook runs (a
# host leaving through _exit, like exit7, triggers nothing: that path is
# also a vfork child's).
host "$W/base" /bin/false
HOST_SHIM= HOST_TELEM_DIR=$TELEM_DIR host_run "$W/plain" /bin/false
ok "mode on, a week over: one run of /bin/false under the shim" test -f "$W/base/status"
is "$(cat "$W/base/status")" "$(cat "$W/plain/status")" "the host's exit status is unchanged (1)"
ok "exactly one upload reaches the server (polled, 15 s at most)" wait_for 15 posts_are "$SRV" 1
is "$(post_paths "$SRV")" "/upload/$WEEK" "it is the week's report"
ok "the uploader finishes: the copy appears in DIR/upload" wait_for 15 test -f "$TELEM_DIR/upload/$WEEK.json"
ok "the day's token was created" test -f "$TELEM_DIR/local/upload.token"

# A second run the same day starts nothing, even with something to send.
expired_week $((T0 - 7 * DAY)) # the week before: ends 2024-06-07, 11 days old
traced_host "$W/strace2" /bin/true
ok "a second run the same day: no clone/fork at all (strace -f)" test "$(grep -cE 'clone|fork' "$W/strace2")" -eq 0
is "$(grep -c 'execve(' "$W/strace2")" 1 "and no execve but the host's own"
sleep 2
is "$(posts "$SRV") $(ls "$TELEM_DIR/local" | grep -c -- '-2024-06-03\.v1\.count$')" "1 1" \
	"2 s later: no new upload, the new week's file still waits"

# Once the token is a day old, the next run starts one again.
touch -d '2 days ago' "$TELEM_DIR/local/upload.token"
traced_host "$W/strace3" /bin/true
ok "token aged 2 days: the next run forks the uploader" grep -qE 'clone|fork' "$W/strace3"
ok "which sends the waiting week" wait_for 15 posts_are "$SRV" 2
is "$(post_paths "$SRV" | tail -n1)" "/upload/2024-06-07" "the week ending 2024-06-07"
stop_server "$SRV"

# The host does not wait for the upload: a server that holds its answer.
SRV=$W/hold
start_server "$SRV" hang
fresh "on 2024-05-01"
host "$W/held" /bin/false
is "$(cat "$W/held/status")" 1 "with the server holding the upload's answer, the host still returns its status (no 124 timeout)"
ok "the upload's request arrives" wait_for 15 posts_are "$SRV" 1
ok "and is still unanswered after the host returned" test ! -e "$TELEM_DIR/upload/$WEEK.json"
pid=
for p in $(pgrep -f -- 'upload --background'); do
	tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "TELEM_DIR=$TELEM_DIR" && pid=$p
done
if [ -n "$pid" ]; then
	is "$(tr '\0' '\n' <"/proc/$pid/environ" | grep -c '^LD_PRELOAD=')" 0 "the uploader runs without LD_PRELOAD"
	is "$(for fd in 0 1 2; do readlink "/proc/$pid/fd/$fd"; done | sort -u)" /dev/null "its stdio is /dev/null"
	is "$(ls -l "/proc/$pid/fd" | grep -c "$W/held")" 0 "it holds none of the host's files"
	ok "it runs in a session of its own (setsid), not the test's" \
		test "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')"
else
	skip 4 "the uploader was not found in /proc"
fi
touch "$SRV/release"
ok "released: the upload completes" wait_for 15 test -f "$TELEM_DIR/upload/$WEEK.json"

# Mode local: nothing starts.
SRV=$W/local
start_server "$SRV" ok
fresh "local 2024-05-01"
traced_host "$W/strace4" /bin/false
ok "mode local: no clone/fork" test "$(grep -cE 'clone|fork' "$W/strace4")" -eq 0
ok "no token" test ! -e "$TELEM_DIR/local/upload.token"
sleep 1
is "$(requests "$SRV")" 0 "and the server hears nothing"

done_testing
