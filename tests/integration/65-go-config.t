#!/usr/bin/env bash
# Go's published upload config (golang.org/x/telemetry config/config.json,
# copied into tests/fixtures/collector/go-config.json) is accepted as it is:
# it has no "Version" (Go names it by its module version), Stacks with and
# without Depth. The collector and the telem client then name it alike by
# its content, so reports made under it are accepted. telem's own form,
# with its Version, keeps working (the other collector tests).
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$COLLECTOR"
command -v curl >/dev/null || { echo "1..0 # skip curl missing"; exit 0; }

W=$(new_dir)
ok "Go's config.json has no Version" python3 -c 'import json,sys; sys.exit("Version" in json.load(open(sys.argv[1])))' "$FIX/go-config.json"
collector_start "$(new_db c)" "$FIX/go-config.json" || exit 1
version=$(sed -n 's/.*(config \([^,]*\),.*/\1/p' "$CLOG")
ok "the collector starts with Go's config, named by its content ($version)" \
	grep -qE '^v0\.0\.0-h[0-9a-f]{16}$' <<<"$version"
get /config >"$W/served.json"
ok "it serves the config" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not d["Programs"])' "$W/served.json"

# A report of a Go program under that config, as Go's uploader makes it.
python3 - "$version" >"$W/report.json" <<'PY'
import json, sys
print(json.dumps({"Week": "2024-05-07", "LastWeek": "", "X": 0.25, "Config": sys.argv[1], "Programs": [
    {"Program": "golang.org/x/tools/gopls", "Version": "v0.16.1", "GoVersion": "go1.22.5", "GOOS": "linux",
     "GOARCH": "amd64", "Counters": {"gopls/client:vscode": 3}, "Stacks": {}}]}, indent=1))
PY
code=$(post "$W/report.json" /upload/2024-05-07)
is "$code" 200 "a report made under Go's config is accepted ($(cat "$ANSWER"))"

# The telem client, given the config as the collector serves it, names it
# the same: its (empty) report is accepted too.
new_telem_dir
mkdir -p "$TELEM_DIR/local"
echo 5 >"$TELEM_DIR/local/weekends"
echo "on 2024-01-01" >"$TELEM_DIR/mode"
cp "$W/served.json" "$TELEM_DIR/upload.config.json"
T0=1718000000
TELEM_TEST_NOW=$T0 LD_PRELOAD=$SHIM "$PROG/exit7" >/dev/null 2>&1
TELEM_TEST_NOW=$((T0 + 8 * 86400)) "$TELEM" report >/dev/null 2>&1
up=$(ls "$TELEM_DIR/local" | grep -E '^[0-9-]+\.json$' | head -1)
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Config"])' "$TELEM_DIR/local/$up" 2>/dev/null)" \
	"$version" "telem's report under the served config names the collector's version"
code=$(post "$TELEM_DIR/local/$up" "/upload/${up%.json}")
is "$code" 200 "and the collector accepts it ($(cat "$ANSWER"))"

done_testing
