#!/usr/bin/env bash
# The collector's dashboard in a real browser (Debian's headless Chromium):
# it renders with no console message at all (CSP violations included), has
# its SVG charts, and the page makes no request but its own; the
# screenshot is kept in tests/artifacts/dashboard.png. Chromium and the
# collector run in a network namespace of their own that has only
# loopback, so nothing the browser does in the background can leave the
# machine either.
# backends: sqlite postgresql
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${TELEM_NETNS:-}" ] && command -v chromium >/dev/null && command -v ip >/dev/null; then
	for u in "unshare -n" "unshare -rn"; do
		if $u true 2>/dev/null; then
			exec env TELEM_NETNS=1 $u bash "$0" "$@"
		fi
	done
fi
. "$root/tests/lib.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$COLLECTOR"
command -v chromium >/dev/null || { echo "1..0 # skip chromium is not installed (scripts/deps.sh)"; exit 0; }
[ -n "${TELEM_NETNS:-}" ] || { echo "1..0 # skip no network namespace for chromium (needs unshare -n and ip)"; exit 0; }
ip link set lo up || { echo "1..0 # skip cannot bring up loopback in the namespace"; exit 0; }
plan 15

W=$(new_dir)
CFG=$FIX/config.json
collector_start "$(new_db d)" "$CFG" || exit 1
reports_py synth "$CFG" 120 "$W/r" 2500 7
reports_py load "$CURL" "$W/load.jsonl" 8 "$W"/r/*.json
is "$(grep -c '"status": 200' "$W/load.jsonl")" 120 "120 reports uploaded to chart"

chrome() { # OUT-PREFIX ARGS...: headless Chromium, its log in OUT-PREFIX.err
	local out=$1
	shift
	rm -rf "$W/profile"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-default-apps --disable-extensions --no-default-browser-check \
		--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
		--user-data-dir="$W/profile" --enable-logging=stderr --log-level=0 "$@" 2>"$out.err"
}

# The control: the console check does see a page's console messages.
chrome "$W/control" --dump-dom "data:text/html,<p>x</p><script>console.error('telem-control')</script>" >/dev/null
ok "control: a console.error shows in Chromium's log as CONSOLE" grep -q 'CONSOLE.*telem-control' "$W/control.err"

chrome "$W/dom" --log-net-log="$W/net.json" --dump-dom "$CURL/" >"$W/dom.html"
ok "Chromium renders the dashboard (--dump-dom)" grep -q '<h2>Programs</h2>' "$W/dom.html"
# The page opens on the config's first program (gcc), not the alphabetical "as".
first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Programs"][0]["Name"])' "$CFG")
ok "the page opens on the config's first program, $first" grep -q "<h2 id=\"program\">$first</h2>" "$W/dom.html"
want=$(get "/api/counters?program=$first" | python3 -c '
import json, sys
print(" ".join(sorted({"chart-" + c["chart"].split("/")[-1] for c in json.load(sys.stdin)["charts"]} | {"chart-machines", "chart-versions"})))')
have=$(grep -o '<figure id="chart-[^"]*"' "$W/dom.html" | sed 's/.*id="\(.*\)"/\1/' | sort -u | tr '\n' ' ' | sed 's/ $//')
is "$have" "$want" "the rendered page has a figure for machines, versions and each chart of $first"
ok "the crash stacks table of $first is there" grep -q "<h2 id=\"stacks\">Crash stacks of $first</h2><table" "$W/dom.html"
is "$(grep -c 'CONSOLE' "$W/dom.err")" 0 "no console message (errors, CSP violations) while rendering"
[ "$(grep -c CONSOLE "$W/dom.err")" -eq 0 ] || diag "$(grep CONSOLE "$W/dom.err" | head -5)"

# The page's own requests (their network isolation key is the page's site).
python3 - "$W/net.json" "$CURL" >"$W/requests" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
start = d["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
for e in d["events"]:
    p = e.get("params", {})
    if e["type"] == start and "127.0.0.1" in p.get("network_isolation_key", ""):
        print(p["url"])
PY
is "$(head -n1 "$W/requests")" "$CURL/" "the network log has the page's load"
is "$(grep -cv "^$CURL/" "$W/requests")" 0 "the page requested nothing from any other address"
is "$(wc -l <"$W/requests") $(grep '127.0.0.1 "GET ' "$CLOG" | grep -vc '"GET /api/')" "1 1" \
	"one request in the network log and one in the collector's log: the page is self-contained"

mkdir -p "$ROOT/tests/artifacts"
shot=$ROOT/tests/artifacts/dashboard.png
rm -f "$shot"
chrome "$W/shot" --window-size=1280,2200 --screenshot="$shot" "$CURL/?program=gcc" >/dev/null
ok "a screenshot is kept in tests/artifacts/dashboard.png" test "$(head -c 8 "$shot" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a
ok "the screenshot is not blank ($(stat -c %s "$shot" 2>/dev/null) bytes)" test "$(stat -c %s "$shot" 2>/dev/null || echo 0)" -gt 30000
is "$(grep -c 'CONSOLE' "$W/shot.err")" 0 "no console message while taking it"

headers=$(curl -s -D - -o "$W/page.html" "$CURL/?program=cc1")
ok "the page carries a CSP: nothing but its own inline style" grep -q "^Content-Security-Policy: default-src 'none'; style-src 'sha256-" <<<"$headers"
ok "the page names no other URL" test "$(grep -Eoc 'https?://' "$W/page.html")" -eq 0
collector_stop TERM
