#!/usr/bin/env bash
# telem view for a year of data (issue 14): 52 weeks x 20 programs, half of
# the year already reported (its counter files deleted, only local reports
# left), crash stacks spread over the year, and what was sent. Rendered in
# headless Chromium (screenshots kept in tests/artifacts/), the DOM checked:
# every week of the year is on the page, every crash stack is, the
# one-bucket counters share a table, the axes are labelled, the shells are
# folded, the "other" bucket counts what it folds; and what was sent is
# listed beside what would be.
. "$(dirname "$0")/../lib.sh"
GEN=$PROG/gen_year
need_built "$GEN"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "1..0 # skip chromium is not installed (scripts/deps.sh installs it)"; exit 0; }
ARTIFACTS=$ROOT/tests/artifacts
mkdir -p "$ARTIFACTS"
W=${KEEP_W:-$(new_dir)}
new_telem_dir
mkdir -p "$TELEM_DIR/local"
echo 3 >"$TELEM_DIR/local/weekends" # weeks end on Wednesdays, as gen_year's

# A year: 52 weeks ending on Wednesdays up to 2024-06-12, 20 programs x 60 counters.
"$GEN" "$TELEM_DIR" 52 20 60 >/dev/null
# Twelve crash stacks, in weeks across the year, some in reported weeks.
WEEKS=$(python3 -c '
import datetime
last = datetime.date(2024, 6, 12)
print(" ".join(str(last - datetime.timedelta(weeks=51 - i)) for i in range(52)))')
set -- $WEEKS
STACKS=
for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
	week=$(eval echo "\${$((i * 4 + 1))}")
	frame="prog0$((i % 10))!crash_fn_$i+0x$((i + 16))"
	"$GEN" --one "$TELEM_DIR" "prog0$((i % 10))" "$week" "crash/crash
$frame
libc.so.6!__libc_start_call_main+0x7a" $((i + 1)) >/dev/null
	STACKS+="$frame "
done
# A shell, a coreutil and a program with exactly 13 and one with 15 flag buckets.
"$GEN" --one "$TELEM_DIR" sh 2024-06-12 sh/invocations 900 >/dev/null
"$GEN" --one "$TELEM_DIR" cat 2024-06-12 cat/invocations 800 >/dev/null
args=()
for i in $(seq 1 13); do args+=("b13/flag:-f$i" $((100 - i))); done
"$GEN" --one "$TELEM_DIR" b13 2024-06-12 "${args[@]}" >/dev/null
args=()
for i in $(seq 1 15); do args+=("b15/flag:-f$i" $((100 - i))); done
"$GEN" --one "$TELEM_DIR" b15 2024-06-12 "${args[@]}" >/dev/null
# Report the first half of the year (as the daily trigger would have).
TELEM_TEST_NOW=$(date -u -d 2023-12-21 +%s) "$TELEM" report >/dev/null 2>&1
reported=$(ls "$TELEM_DIR/local" | grep -c '^local\.20.*\.json$')
ok "half of the year is reported ($reported local reports), its counter files gone" test "$reported" -ge 25
# And one report was sent: its exact copy in upload/.
mkdir -p "$TELEM_DIR/upload"
printf '{"Week": "2023-12-20", "LastWeek": "", "X": 0.1, "Programs": [{"Program": "prog01", "Version": "v", "GoVersion": "glibc2.36", "GOOS": "linux", "GOARCH": "amd64", "Counters": {"prog01/invocations": 5}, "Stacks": {}}], "Config": "cfg-7"}' \
	>"$TELEM_DIR/upload/2023-12-20.json"

export TELEM_TEST_NOW=$(date -u -d 2024-06-10 +%s)
rc=0
"$TELEM" view --out "$W/year.html" >/dev/null 2>"$W/err" || rc=$?
is "$rc" 0 "telem view reads the year, reports and pending files"
is "$(cat "$W/err")" "" "nothing on stderr"

chrome() { # OUT URL ARGS...: one headless run, nothing leaves the machine
	local out=$1 url=$2
	shift 2
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(new_dir)" --proxy-server=socks5://127.0.0.1:9 \
		--host-resolver-rules='MAP * ~NOTFOUND' "$@" "$url" >"$out.out" 2>"$out.log"
}
chrome "$W/dom" "file://$W/year.html" --dump-dom
ok "Chromium renders the page" grep -q '</html>' "$W/dom.out"
rm -f "$ARTIFACTS/view-year-history.png" "$ARTIFACTS/view-year-history-top.png"
chrome "$W/shot" "file://$W/year.html" --hide-scrollbars --screenshot="$ARTIFACTS/view-year-history.png" \
	--window-size=1280,6000
ok "a screenshot of the year is kept: tests/artifacts/view-year-history.png" \
	test "$(stat -c %s "$ARTIFACTS/view-year-history.png" 2>/dev/null || echo 0)" -gt 60000
chrome "$W/shot2" "file://$W/year.html" --hide-scrollbars --screenshot="$ARTIFACTS/view-year-history-top.png" \
	--window-size=1280,1400
ok "and one of its top: tests/artifacts/view-year-history-top.png" test -s "$ARTIFACTS/view-year-history-top.png"

# dom EXPR: Python over the rendered DOM (Chromium's, not our text).
dom() {
	python3 - "$W/dom.out" "$1" <<'EOF'
import html, re, sys
d = open(sys.argv[1]).read()
text = html.unescape(re.sub(r"<[^>]+>", "\x00", d))
titles = [html.unescape(t) for t in re.findall(r"<title>(.*?)</title>", d, re.S)]
stacks = [html.unescape(s) for s in re.findall(r'<pre class="stack">(.*?)</pre>', d, re.S)]
r = eval(sys.argv[2])
print(r if isinstance(r, str) else __import__("json").dumps(r))
EOF
}
missing=$(dom "[w for w in '''$WEEKS'''.split() if not any(t.startswith('week ending ' + w) for t in titles)]")
is "$missing" "[]" "every one of the year's 52 weeks is on the page (reported or pending)"
is "$(dom "len(set(t.split(chr(10))[0] for t in titles if t.startswith('week ending')))")" 52 \
	"and no week twice over (the reports and the files share the columns)"
missing=$(dom "[s for s in '''$STACKS'''.split() if not any(s in x for x in stacks)]")
is "$missing" "[]" "every crash stack of the year is on the page, reported or not"
is "$(dom "sum(1 for s in stacks if 'crash_fn_' in s)")" 12 "each once"
ok "the axes are labelled" bash -c "grep -q 'count per week' '$W/dom.out' && grep -q 'week ending (month-day)' '$W/dom.out'"
ok "one-bucket counters share a table" grep -q '<th>counter (one bucket)</th>' "$W/dom.out"
is "$(dom "[bool(re.search(r'<details[^>]*>\s*<summary>shells and coreutils: 2 programs \((cat, sh|sh, cat)\)', d)), d.index('shells and coreutils') > d.index('id=\"programs\"')]")" \
	"[true, true]" "shells and coreutils are folded (sh, cat)"
is "$(dom "[d.index('>tool00<') < d.index('>b13<'), 'other (0 more)' in text]")" "[true, false]" \
	"programs that crashed come first; no 'other (0 more)'"
is "$(dom "[bool(re.search(r'other \(3 more\)\s*\x00*258', text)), 'other (1 more)' in text]")" "[true, false]" \
	"15 buckets: 12 drawn and 'other (3 more)' holding the 3 smallest (87+86+85); 13 buckets: all 13 drawn"
ok "what was sent is listed beside what would be" bash -c "grep -q 'What was sent' '$W/dom.out' && grep -q '2023-12-20.json' '$W/dom.out' && grep -q 'cfg-7' '$W/dom.out'"
done_testing
