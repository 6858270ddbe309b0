#!/usr/bin/env bash
# Issue 15.1 and 15.2: the dashboard, in a real browser (headless Chromium,
# in a network namespace with loopback only), shows what a toolchain
# maintainer publishes, with the numbers a fleet of 40 machines over 8
# weeks makes (tests/fixtures/collector/fleet.py computes them on its own):
# flags as shares of reports and of invocations, 29 internal compiler
# errors as a highlighted row with their exact count, the human version,
# partial weeks hatched, cc1's crash stacks newest first with first/last
# week, the reporter mix per week; it opens on gcc, not "as"; an empty
# collector shows the exact client lines. Screenshots at desktop and phone
# widths: tests/artifacts/dashboard-{desktop,phone}.png.
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
plan 25

W=$(new_dir)
CFG=$FIX/fleet-config.json

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
dom() { # URL NAME: the rendered DOM's facts (dom.py) in $W/NAME.json
	chrome "$W/$2" --dump-dom "$1" >"$W/$2.html"
	python3 "$FIX/dom.py" "$W/$2.html" >"$W/$2.json"
}
fact() { # NAME PYTHON-EXPRESSION over d (the page's facts) and e (the fleet's expectations)
	python3 - "$W/$1.json" "$W/fleet/expect.json" "$2" <<'PY'
import json, sys
d, e = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
full = {k: v for k, v in e["periods"].items() if k not in (min(e["periods"]), max(e["periods"]))}
pct = lambda x: ("%.1f%%" % (x * 100)) if x == 0 or x >= 0.01 else ("%.2g%%" % (x * 100))
print(eval(sys.argv[3]))
PY
}

python3 "$FIX/fleet.py" "$W/fleet" 40 8

# The empty collector: the client lines name its own address.
collector_start "$(new_db empty)" "$CFG" || exit 1
dom "$CURL/" empty
is "$(fact empty 'd["client"][0]')" "$(printf 'telem on\ntelem upload --server %s' "$CURL")" \
	"the empty page shows the exact 'telem upload --server $CURL' line"
ok "and the upload.server line" grep -q "echo $CURL &gt; ~/.config/telem/upload.server" "$W/empty.html"
collector_stop TERM
# "today" is the day after the last report's Week: its week is still arriving
now=$(date -u -d 2024-06-03 +%s)
TELEM_TEST_NOW=$now collector_start "$(new_db d)" "$CFG" || exit 1
reports_py load "$CURL" "$W/load.jsonl" 4 "$W"/fleet/r/*.json
is "$(grep -c '"status": 200' "$W/load.jsonl")" "$(fact empty 'e["reports"]')" "the fleet's reports are stored"

dom "$CURL/" page
is "$(fact page 'd["h2"][1]')" gcc "the page opens on gcc (the config's first program), not \"as\""
is "$(fact page 'd["flags"]["-O2"]["invocations"]')" \
	"$(fact page 'pct(sum(p["o2"] for p in full.values()) / sum(p["invocations"] for p in full.values()))')" \
	"-O2: its share of invocations over the full weeks, as the fleet has it"
is "$(fact page 'd["flags"]["-O2"]["reports"]')" "100.0%" "-O2: used by every reporting machine"
is "$(fact page 'd["flags"]["-g"]["reports"]')" \
	"$(fact page 'pct(sum(p["g_reports"] for p in full.values()) / sum(p["reports"] for p in full.values()))')" \
	"-g: the share of reports that used it (3 machines in 5)"
is "$(fact page 'd["buckets"]["exit"]["4"]["count"]')" "$(fact page 'e["exit4"]')" \
	"gcc exit 4: the exact count of internal compiler errors, 29"
is "$(fact page 'd["buckets"]["exit"]["4"]["class"]')" "rare failure" "its row is highlighted (rare, a failure)"
ok "and named an internal compiler error" test "$(fact page '"internal compiler error" in d["buckets"]["exit"]["4"]["label"]')" = True
ok "non-zero exits have a chart on their own scale" grep -q 'non-zero exits per week (own scale)' "$W/page.html"
ok "the human version 12.2.0-14 is shown for its build" \
	test "$(fact page '["12.2.0-14", "aa12bb34cc56", "140"] in [r[:3] for r in d["versions"]]')" = True
ok "a build without one is shown by its build-id" test "$(fact page 'any(r[0] == "dd78ee90ff12" for r in d["versions"])')" = True
is "$(fact page 'd["partial_rects"].get("chart-machines", 0)')" 2 "the first and the last week are drawn as partial"
is "$(fact page 'd["stacks"]')" "[]" "gcc's page lists no crash stack (they are cc1's)"

dom "$CURL/?program=cc1" cc1
is "$(fact cc1 '[r[6].split("\n")[1].strip() for r in d["stacks"]]')" "['cc1!ggc_collect+0x1', 'cc1!old_bug+0x10']" \
	"cc1's stacks: the newest first"
is "$(fact cc1 '[r[3:5] for r in d["stacks"]]')" "$(fact cc1 '[e["stacks"][f] for f in ("cc1!ggc_collect+0x1", "cc1!old_bug+0x10")]')" \
	"with their first and last week"
last_ci=$(fact page 'pct(e["periods"][max(e["periods"])]["ci"] / e["periods"][max(e["periods"])]["reports"])')
is "$(fact page '[x for x in d["facet_legend"]["env"] if x.startswith("ci:")][0]')" "ci: $last_ci in the last week" \
	"who reports: the share of CI machines, as the fleet has it"
is "$(fact page 'sorted(d["facet_legend"])')" "['arch', 'container', 'env', 'libc', 'os']" \
	"who reports: by architecture, container, CI or not, C library, OS"
# Filtered by a facet: the charts of CI machines only, from the stored rows.
dom "$CURL/?program=gcc&env=ci" ci
is "$(fact ci 'd["flags"]["-O2"]["invocations"]')" \
	"$(fact ci 'pct(sum(p["ci_o2"] for p in full.values()) / sum(p["ci_invocations"] for p in full.values()))')" \
	"env=ci: -O2's share of the CI machines' invocations"
ok "env=ci: the page says it is filtered, with a link back" grep -q 'Only the machines with env = <b>ci</b>' "$W/ci.html"
totals() { get "/api/counters?program=gcc$1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["totals"], sort_keys=True))'; }
python3 -c '
import json, sys
a, b, c = (json.loads(x) for x in sys.argv[1:])
sys.exit(any(a.get(k, 0) + b.get(k, 0) != v for k, v in c.items()))' "$(totals '&env=ci')" "$(totals '&env=interactive')" "$(totals '')"
ok "the totals of env=ci and env=interactive add up to the unfiltered aggregates" test $? -eq 0
is "$(grep -c CONSOLE "$W/page.err")" 0 "no console message (errors, CSP violations) while rendering"

mkdir -p "$ROOT/tests/artifacts"
for shot in desktop:1280,3200 phone:390,2400; do
	name=${shot%%:*}
	out=$ROOT/tests/artifacts/dashboard-$name.png
	rm -f "$out"
	chrome "$W/$name" --window-size="${shot#*:}" --screenshot="$out" "$CURL/?program=gcc" >/dev/null
	ok "a $name screenshot (${shot#*:}) is kept, not blank ($(stat -c %s "$out" 2>/dev/null) bytes)" \
		test "$(stat -c %s "$out" 2>/dev/null || echo 0)" -gt 30000
done
collector_stop TERM
