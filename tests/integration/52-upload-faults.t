#!/usr/bin/env bash
# telem upload when the network or the collector fails (issue 5, item 3),
# against a real server on loopback in each failure mode: server down, 500,
# 400, a server that never answers (timeout), a connection reset in the
# middle of the body, a 500 then a 200. The protocol's outcomes: 200 -> a
# byte-exact copy in DIR/upload/ and the local copy removed; 4xx -> dropped;
# anything else -> kept for a later day. Never sent twice, nothing lost; two
# uploaders at once send each report once (the flock); TLS is verified and
# --cafile admits a private collector.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
need_built "$PROG/exit7"

W=$(new_dir)

# prepare [WEEKS]: a new TELEM_DIR in mode on with WEEKS (default 1)
# reports waiting in DIR/local; the first one saved as $W/original.json.
prepare() {
	local k
	friday_telem_dir
	exit7_config f
	for ((k = 0; k < ${1:-1}; k++)); do expired_week $((T0 + k * 7 * DAY)); done
	echo "on 2024-06-01" >"$TELEM_DIR/mode"
	TELEM_TEST_NOW=$((LATER + (${1:-1} - 1) * 7 * DAY)) "$TELEM" report >/dev/null
	cp "$TELEM_DIR/local/$WEEK.json" "$W/original.json"
}
upload() { # upload [ARGS]: telem upload at the prepared time; $W/out, $W/err, $W/rc
	local rc=0
	TELEM_TEST_NOW=$LATER TELEM_SERVER=$URL timeout 60 "$TELEM" upload "$@" >"$W/out" 2>"$W/err" || rc=$?
	echo "$rc" >"$W/rc"
}
kept() { test -f "$TELEM_DIR/local/$WEEK.json" -a ! -e "$TELEM_DIR/upload/$WEEK.json"; }
copied() {
	test ! -e "$TELEM_DIR/local/$WEEK.json" && cmp -s "$W/original.json" "$TELEM_DIR/upload/$WEEK.json" &&
		cmp -s "$(last_post_body "$SRV")" "$TELEM_DIR/upload/$WEEK.json"
}
dropped() { test ! -e "$TELEM_DIR/local/$WEEK.json" -a ! -e "$TELEM_DIR/upload/$WEEK.json"; }

# --- server down: nothing listens on the port ---
SRV=$W/down
start_server "$SRV" ok
stop_server "$SRV"
prepare
upload
is "$(cat "$W/rc")" 1 "server down: exit 1"
ok "server down: the report is kept for a later day" kept
ok "server down: and said so" grep -q "kept for a later day: .*onnect" "$W/err"
upload --background
is "$(cat "$W/rc") $(cat "$W/out" "$W/err" | wc -c)" "1 0" "--background: the same, without a word"

# --- 500: kept, and sent again on a later run ---
SRV=$W/s500
start_server "$SRV" 500
prepare
upload
is "$(cat "$W/rc") $(posts "$SRV")" "1 1" "500: exit 1 after one POST"
ok "500: kept" kept
ok "500: the status is reported" grep -q "HTTP 500 internal error" "$W/err"
upload
is "$(posts "$SRV")" 2 "500: retried on the next run"
echo ok >"$SRV/mode"
upload
is "$(cat "$W/rc") $(posts "$SRV")" "0 3" "then 200: sent"
ok "and the copy in DIR/upload is the original report, byte for byte: nothing lost" copied
upload
is "$(posts "$SRV")" 3 "and never sent again"

# --- 400: dropped ---
SRV=$W/s400
start_server "$SRV" 400
prepare
upload
is "$(cat "$W/rc") $(posts "$SRV")" "1 1" "400: exit 1 after one POST"
ok "400: dropped (no local copy, no upload copy)" dropped
ok "400: a note says so, with the server's reason" grep -q "dropped: the server refused it (HTTP 400 bad report" "$W/err"
upload
is "$(posts "$SRV")" 1 "400: never sent again"

# --- a server that never answers: the timeout ---
SRV=$W/hang
start_server "$SRV" hang
prepare
TELEM_UPLOAD_TIMEOUT=1.5 upload
is "$(cat "$W/rc") $(posts "$SRV")" "1 1" "no answer: exit 1 (TELEM_UPLOAD_TIMEOUT=1.5), not a hang (timeout 60 would give 124)"
ok "no answer: kept" kept
ok "no answer: the timeout is reported" grep -qi "timeout\|timed out" "$W/err"
upload --timeout 1
is "$(cat "$W/rc") $(posts "$SRV")" "1 2" "--timeout 1: the same"
ok "still kept" kept
touch "$SRV/release"
echo ok >"$SRV/mode"
upload
ok "answered at last: sent, byte for byte" copied

# --- a connection reset in the middle of the body ---
SRV=$W/reset
start_server "$SRV" reset
prepare
upload
is "$(cat "$W/rc")" 1 "reset mid-body: exit 1"
ok "reset mid-body: kept" kept
ok "the server saw only part of the body" test "$(stat -c %s "$(body_of "$SRV" 1)")" -lt "$(stat -c %s "$W/original.json")"
echo ok >"$SRV/mode"
upload
is "$(cat "$W/rc") $(posts "$SRV")" "0 2" "the next run: sent whole"
ok "and copied byte for byte" copied

# --- 500 then 200 (the server's fail-then-ok) ---
SRV=$W/flaky
start_server "$SRV" fail-then-ok
prepare
upload
ok "first try answered 500: kept" kept
upload
ok "second try answered 200: copied" copied
upload
is "$(post_paths "$SRV" | sort | uniq -c | awk '{print $1, $2}')" "2 /upload/$WEEK" \
	"two POSTs in all for that week: one failed, one stored, none after"

# --- sent before, but the local copy survived (a crash between the two) ---
cp "$TELEM_DIR/upload/$WEEK.json" "$TELEM_DIR/local/$WEEK.json"
upload
is "$(posts "$SRV") $(ls "$TELEM_DIR/local" | grep -c "^$WEEK.json")" "2 0" \
	"a report already in DIR/upload is not sent again; its local copy is removed"

# --- a report made under an earlier "on", uploading turned off and on again since ---
prepare
echo "on 2024-06-20" >"$TELEM_DIR/mode"
n=$(posts "$SRV")
upload
is "$(posts "$SRV")" "$n" "a waiting report dated before the new as-of date is not sent"
ok "it is dropped, and said so" grep -q "dropped unsent" "$W/err"
ok "no copy of it in DIR/upload" dropped

# --- two uploaders at once ---
SRV=$W/slow
start_server "$SRV" slow --delay 0.3
for round in 1 2 3; do
	prepare 3
	before=$(posts "$SRV")
	TELEM_TEST_NOW=$((LATER + 14 * DAY)) TELEM_SERVER=$URL "$TELEM" upload >/dev/null 2>&1 &
	a=$!
	TELEM_TEST_NOW=$((LATER + 14 * DAY)) TELEM_SERVER=$URL "$TELEM" upload >/dev/null 2>&1 &
	b=$!
	wait "$a" "$b"
	is "$(($(posts "$SRV") - before)) $(post_paths "$SRV" | tail -n +$((before + 1)) | sort -u | wc -l)" "3 3" \
		"round $round: two telem upload at once: 3 reports, 3 POSTs, each once"
	is "$(ls "$TELEM_DIR/upload" | wc -l) $(ls "$TELEM_DIR/local" | grep -c '^2024-..-..\.json')" "3 0" \
		"round $round: all three copied, none left waiting"
done
prepare 2
TELEM_TEST_NOW=$((LATER + 7 * DAY)) TELEM_SERVER=$URL "$TELEM" upload >/dev/null 2>&1 &
a=$!
posts_over() { [ "$(posts "$1")" -gt "$2" ]; }
wait_for 10 posts_over "$SRV" 9 || true
TELEM_TEST_NOW=$((LATER + 7 * DAY)) TELEM_SERVER=$URL "$TELEM" upload --background >"$W/out" 2>&1
is "$?$(wc -c <"$W/out")" "00" "--background while another uploader holds the lock: leaves at once, quietly"
wait "$a"
is "$(posts "$SRV")" 11 "and the first uploader sent both"

# --- TLS: verified; --cafile for a private collector ---
if command -v openssl >/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
		-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1; then
	SRV=$W/tls
	TLS=1 start_server "$SRV" ok --cert "$W/cert.pem" --key "$W/key.pem"
	prepare
	upload
	is "$(cat "$W/rc") $(posts "$SRV")" "1 0" "https with a certificate no CA vouches for: refused before any POST"
	ok "kept" kept
	ok "the reason is the certificate" grep -qi "certificate\|SSL" "$W/err"
	upload --cafile "$W/cert.pem"
	is "$(cat "$W/rc") $(posts "$SRV")" "0 1" "--cafile with the collector's CA: sent over TLS"
	ok "and copied byte for byte" copied
	rc=0
	"$TELEM" upload --cafile "$W/missing.pem" >/dev/null 2>"$W/err" || rc=$?
	is "$rc $(grep -c missing.pem "$W/err")" "1 1" "an unreadable --cafile: error naming it, exit 1"
else
	skip 6 "openssl cannot make a test certificate"
fi

done_testing
