#!/usr/bin/env bash
# Uploading as a new user meets it (issue 14, items 3, 4, 5 and 9), against a
# real HTTP server on loopback: 'telem on' keeps its date when already on;
# the CI recipe 'telem on; <build>; telem upload --now' uploads; the
# destination is named where consent is given and in 'telem env'; an upload
# log; network failures said as such and exit 1; a preview of what would be
# uploaded before opting in, fetched only on request; a corrupt local config
# makes upload exit 1.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
need_built "$PROG/exit7"

W=$(new_dir)
CONFIG=$W/config.json
echo '{"Version": "ux-1", "GOOS": ["linux"], "GOARCH": ["amd64", "arm64", "386"], "SampleRate": 1,
 "GoVersion": ["'"$RUNTIME"'"], "Programs": [{"Name": "exit7", "Versions": ["'"$EXIT7_ID"'"], "Counters": [{"Name": "exit7/invocations", "Rate": 1}]}]}' >"$CONFIG"
SRV=$W/srv
start_server "$SRV" ok --config "$CONFIG"
fresh() { # a new TELEM_DIR; the day's upload token in place (no background upload from the shim)
	new_telem_dir
	mkdir -p "$TELEM_DIR/local"
	touch "$TELEM_DIR/local/upload.token"
}
D0=$T0
D3=$((T0 + 3 * DAY))

# --- item 3: 'telem on' twice keeps the date ---
fresh
expired_week "$D0" # some data already: the cut-off is the day of the choice
TELEM_TEST_NOW=$D0 TELEM_SERVER=$URL "$TELEM" on >"$W/on1" 2>&1
first=$(cat "$TELEM_DIR/mode")
TELEM_TEST_NOW=$D3 TELEM_SERVER=$URL "$TELEM" on >"$W/on2" 2>&1
is "$(cat "$TELEM_DIR/mode")" "$first" "telem on, run again three days later, keeps its date"
is "$first" "on $(date_of $((D0 / DAY)))" "with data already collected, the date is the day of the choice"
ok "and says it is already on" grep -q "already on" "$W/on2"

# --- item 4: the destination named where consent is given ---
ok "telem on names the collector" grep -q "collector $URL" "$W/on1"
ok "telem on names the config URL" grep -q "$URL/config" "$W/on1"
ok "telem on names the real directory" grep -qF "$TELEM_DIR" "$W/on1"

# --- item 3: the CI recipe in a fresh directory ---
fresh
TELEM_TEST_NOW=$D0 TELEM_SERVER=$URL "$TELEM" on >/dev/null
expired_week "$D0"
expired_week "$D0"
before=$(posts "$SRV")
rc=0
TELEM_TEST_NOW=$((D0 + 600)) TELEM_SERVER=$URL "$TELEM" upload --now >"$W/out" 2>"$W/err" || rc=$?
is "$rc $(($(posts "$SRV") - before))" "0 1" "CI recipe: telem on; build; telem upload --now sends one report"
ok "whose body holds the build's counters" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["Programs"][0]["Counters"].get("exit7/invocations") == 2 else 1)' "$(last_post_body "$SRV")"
ok "and it says where it went" grep -q "sent to $URL" "$W/err"
ok "upload --help tells a CI job how" bash -c "'$TELEM' upload --help | grep -q 'telem on' && '$TELEM' upload --help | grep -q 'telem upload --now'"

# --- item 4: env names server, last upload, pending reports; the log ---
env_out=$(TELEM_TEST_NOW=$((D0 + 700)) TELEM_SERVER=$URL "$TELEM" env)
ok "env shows the server" grep -q "^server: *$URL" <<<"$env_out"
ok "env shows the last upload" grep -q "^last upload: .*sent .* to $URL" <<<"$env_out"
ok "env shows the pending reports" grep -q "^pending reports: 0" <<<"$env_out"
ok "the upload log has the sending" grep -q "sent .*upload/$(date_of $((D0 / DAY))).json to $URL" "$TELEM_DIR/upload.log"
is "$(TELEM_SERVER=$URL "$TELEM" env --json | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["server"], e["pending_reports"])')" \
	"$URL 0" "env --json has server and pending reports"

# --- item 4: network failures said as such, exit 1, logged ---
fresh
TELEM_TEST_NOW=$D0 "$TELEM" on >/dev/null
expired_week "$D0"
TELEM_TEST_NOW=$((D0 + 600)) TELEM_SERVER=$URL "$TELEM" upload --now >/dev/null 2>&1 # fetches and caches the config
expired_week $((D0 + DAY))
DEAD=http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rc=0
TELEM_TEST_NOW=$((D0 + DAY + 600)) TELEM_SERVER=$DEAD "$TELEM" upload --now >"$W/out" 2>"$W/err" || rc=$?
is "$rc" 1 "server unreachable: upload --now exits 1"
ok "and says the collector cannot be reached" grep -q "cannot reach the collector $DEAD" "$W/err"
ok "the report is pending, and env says so" bash -c "TELEM_SERVER=$DEAD '$TELEM' env | grep -q '^pending reports: 1'"
ok "the failure is in the upload log" grep -q "kept .*cannot reach the collector $DEAD" "$TELEM_DIR/upload.log"
rc=0
TELEM_TEST_NOW=$((D0 + DAY + 700)) TELEM_SERVER=$DEAD "$TELEM" upload --background >/dev/null 2>&1 || rc=$?
is "$(grep -c "kept" "$TELEM_DIR/upload.log")" 2 "a failed background upload leaves its trace in the log too"

fresh
TELEM_TEST_NOW=$D0 "$TELEM" on >/dev/null
expired_week "$D0"
rc=0
TELEM_TEST_NOW=$((D0 + 600)) TELEM_SERVER=$DEAD "$TELEM" upload --now >"$W/out" 2>"$W/err" || rc=$?
is "$rc" 1 "no config can be fetched: upload exits 1"
ok "saying nothing was sent" grep -q "nothing sent to $DEAD" "$W/err"
ok "and why" grep -q "cannot reach the collector" "$W/err"

# --- item 9: a corrupt local config makes upload exit 1, due week or not ---
fresh
TELEM_TEST_NOW=$D0 "$TELEM" on >/dev/null
echo '{"GOOS": [' >"$TELEM_DIR/upload.config.json"
rc=0
TELEM_TEST_NOW=$D0 TELEM_SERVER=$URL "$TELEM" upload >"$W/out" 2>"$W/err" || rc=$?
is "$rc" 1 "a corrupt upload.config.json makes upload exit 1"
ok "naming it" grep -q "upload.config.json" "$W/err"

# --- item 5: preview before opting in; fetched only on request ---
fresh
expired_week "$D0"
n0=$(requests "$SRV")
p0=$(posts "$SRV")
TELEM_TEST_NOW=$D0 TELEM_SERVER=$URL "$TELEM" view --out "$W/plain.html" >/dev/null 2>&1
is "$(requests "$SRV")" "$n0" "mode local: telem view asks the network nothing"
ok "and tells how to preview" grep -q "telem view --fetch-config" "$W/plain.html"
rc=0
TELEM_TEST_NOW=$D0 "$TELEM" view --fetch-config --server "$URL" --out "$W/preview.html" >/dev/null 2>"$W/err" || rc=$?
is "$rc $(($(requests "$SRV") - n0)) $(($(posts "$SRV") - p0))" "0 1 0" "view --fetch-config: one GET, nothing posted"
ok "the preview shows exit7/invocations would be uploaded" python3 - "$W/preview.html" <<'EOF'
import re, sys
html = open(sys.argv[1]).read()
m = re.search(r"exit7/invocations.{0,400}?uploaded", html, re.S)
sys.exit(0 if m and "ux-1" in html else 1)
EOF
is "$(cat "$TELEM_DIR/mode" 2>/dev/null || echo none)" none "and the mode is untouched"
done_testing
