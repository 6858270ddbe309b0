#!/usr/bin/env bash
# telem view (issue 4, item 2): data from real runs under the shim (gcc,
# sh, a crashing program) over two weeks, one of them still pending; the
# page checked as HTML (programs table against the counter files, charts,
# pending weeks, crash stack, upload decisions counter by counter, reports
# newest first, everything from files escaped, no URL, no script) and in
# headless Chromium (no console message, no request made by the page, with
# two control pages proving each of those checks can fail); a screenshot
# kept in tests/artifacts/view.png; --serve over loopback; usage errors; and
# the budget: a year of data (52 weeks x 20 programs x 200 counters) gives a
# page of at most 2 MB (the time it takes is reported, not asserted).
. "$(dirname "$0")/../lib.sh"
GEN=$PROG/gen_year
need_built "$GEN" "$PROG/crash_null"
ARTIFACTS=$ROOT/tests/artifacts
mkdir -p "$ARTIFACTS"
W=$(new_dir)
new_telem_dir
mkdir -p "$TELEM_DIR/local"
echo 3 >"$TELEM_DIR/local/weekends" # weeks end on Wednesdays

echo 'int main(void) { return 0; }' >"$W/hello.c"
# The week ending 2024-06-05 is over; the one ending 2024-06-12 is pending.
shim_on 2024-06-03 gcc -O2 -c -o "$W/a.o" "$W/hello.c"
shim_on 2024-06-03 sh -c 'exit 0'
shim_on 2024-06-10 gcc -O2 -Wall -c -o "$W/b.o" "$W/hello.c"
shim_on 2024-06-10 sh -c 'exit 3'
(shim_on 2024-06-10 "$PROG/crash_null") 2>/dev/null # the shell's "Segmentation fault" line
# A program and counter named to break out of the markup, if anything is unescaped.
"$GEN" --one "$TELEM_DIR" 'evil<i>&"' 2024-06-12 'evil<i>&"/flag:<script>alert(1)</script>&lt;' 1 >/dev/null
printf '{"Week": "2024-05-29", "Programs": []}' >"$TELEM_DIR/local/2024-05-29.json"
printf '{"Week": "2024-06-05", "X": 0.5, "Programs": [{"Program": "gcc"}]}' \
	>"$TELEM_DIR/local/local.2024-06-05.json"
export TELEM_TEST_NOW=$(date -u -d 2024-06-10 +%s)

# --- without an upload config ---
rc=0
"$TELEM" view --out "$W/noconfig.html" >"$W/out" 2>"$W/err" || rc=$?
is "$rc" 0 "telem view --out exits 0"
is "$(cat "$W/out")" "$W/noconfig.html" "it prints the page's path"
is "$(cat "$W/err")" "" "and nothing on stderr"
ok "without a config the page says nothing would be uploaded" \
	grep -q "no upload config: nothing would be uploaded" "$W/noconfig.html"
rc=0
"$TELEM" view >/dev/null 2>&1 || rc=$?
ok "without --out the page is DIR/view.html" test "$rc" = 0 -a -s "$TELEM_DIR/view.html"

# --- with one ---
# Go's rule: only listed GoVersions and Versions are uploaded.
bid() { readelf -n "$(readlink -f "$1")" | awk '/Build ID/ {print substr($3, 1, 12)}'; }
cat >"$TELEM_DIR/upload.config.json" <<EOF
{"GOOS": ["linux"], "GOARCH": ["amd64"], "GoVersion": ["glibc$(getconf GNU_LIBC_VERSION | awk '{print $2}')"],
 "Programs": [
  {"Name": "gcc", "Versions": ["$(bid "$(command -v gcc)")"],
   "Counters": [{"Name": "gcc/flag:{-O2,-Wall}", "Rate": 1}, {"Name": "gcc/invocations", "Rate": 0.5}]},
  {"Name": "crash_null", "Versions": ["$(bid "$PROG/crash_null")"],
   "Stacks": [{"Name": "crash/crash", "Rate": 1, "Depth": 16}]}]}
EOF
PAGE=$W/view.html
rc=0
"$TELEM" view --out "$PAGE" >/dev/null 2>"$W/err" || rc=$?
is "$rc" 0 "telem view exits 0 with an upload config"
dump_json >"$W/dump.json"

# page EXPR: Python over the page parsed with html.parser: svg (count),
# stacks (text of each <pre class=stack>), tables (each {"section", "h3",
# "rows": [[cell text...]]}), titles (SVG tooltips), captions (per program
# section: figure captions), attrs (every attribute), text (all text), and
# dump (the counter files).
page() {
	python3 - "$1" "$W/dump.json" "$2" <<'EOF'
import html.parser, json, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.svg = 0; self.stacks = []; self.tables = []; self.titles = []; self.attrs = []
        self.captions = {}; self.section = None; self.h3 = None; self.text = []
        self.stack = []; self.cell = None; self.row = None; self.buf = None; self.bars = []
    def handle_starttag(self, tag, attrs):
        self.attrs += attrs
        a = dict(attrs)
        if tag == "svg": self.svg += 1; self.bars.append(0)
        if tag == "path" and a.get("class", "").startswith("c"): self.bars[-1] += 1
        if tag == "h2": self.section = a.get("id"); self.h3 = None; self.buf = []; self.kind = "h2"
        if tag == "h3": self.buf = []; self.kind = "h3"
        if tag == "pre" and a.get("class") == "stack": self.buf = []; self.kind = "stack"
        if tag == "title": self.buf = []; self.kind = "title"
        if tag == "figcaption": self.buf = []; self.kind = "caption"
        if tag == "table": self.tables.append({"section": self.section, "h3": self.h3, "rows": [],
                                               "heading": getattr(self, "heading", None)})
        if tag == "tr": self.row = []
        if tag in ("td", "th"): self.cell = []
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None: self.row.append("".join(self.cell).strip()); self.cell = None
        if tag == "tr" and self.row is not None: self.tables[-1]["rows"].append(self.row); self.row = None
        if self.buf is not None and (tag, self.kind) in (("h3", "h3"), ("pre", "stack"), ("title", "title"),
                                                         ("figcaption", "caption"), ("h2", "h2")):
            t = "".join(self.buf)
            if self.kind == "h3": self.h3 = t
            if self.kind == "h2": self.heading = t
            if self.kind == "stack": self.stacks.append(t)
            if self.kind == "title": self.titles.append(t)
            if self.kind == "caption": self.captions.setdefault(self.heading, []).append(t.split(" ")[0])
            self.buf = None
    def handle_data(self, d):
        self.text.append(d)
        if self.cell is not None: self.cell.append(d)
        if self.buf is not None: self.buf.append(d)
p = P(); p.feed(open(sys.argv[1]).read()); p.close()
svg, stacks, tables, titles, attrs, captions = p.svg, p.stacks, p.tables, p.titles, p.attrs, p.captions
bars = p.bars # bucket paths per chart
text = "".join(p.text)
dump = json.load(open(sys.argv[2]))
def total(prog, pred):
    return sum(v for f in dump if f["meta"]["Program"] == prog for k, v in f["counters"].items() if pred(k))
def table(section, h3=None):
    t = [t for t in tables if t["section"] == section and (h3 is None or t["h3"] == h3)]
    if section == "programs" and t: # the relevant programs, then the folded shells and coreutils
        return t[0]["rows"] + [r for x in t[1:] for r in x["rows"][1:]]
    return t[0]["rows"] if len(t) == 1 else [["%d tables" % len(t)]]
def trivial(prog): # the chart names of a program's one-bucket counters, shown in one table
    return [r[0].split("/", 1)[-1].split(":")[0] for t in tables if t["heading"] == prog and t["rows"]
            and t["rows"][0][0] == "counter (one bucket)" for r in t["rows"][1:]]
def fate(h3, counter):
    r = [row[2] for row in table("upload", h3) if row[0] == counter]
    return r[0] if len(r) == 1 else "%d rows" % len(r)
r = eval(sys.argv[3])
print(r if isinstance(r, str) else json.dumps(r))
EOF
}

# Programs table: runs, failures, crashes equal what the counter files hold.
expect_programs=$(python3 - "$W/dump.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
out = {}
for f in d:
    p = f["meta"]["Program"]; c = out.setdefault(p, [0, 0, 0])
    for k, v in f["counters"].items():
        if k == p + "/invocations": c[0] += v
        if k.startswith(p + "/exit:") and k != p + "/exit:0": c[1] += v
        if k.startswith(p + "/signal:") or k.startswith("crash/ice\n"): c[2] += v
print(json.dumps(sorted([p] + [str(x) for x in c] for p, c in out.items())))
EOF
)
is "$(page "$PAGE" 'sorted([r[0], r[2], r[3], r[4]] for r in table("programs")[1:])')" "$expect_programs" \
	"programs table: every program with runs, failures and crashes as the counter files say"
is "$(page "$PAGE" '[r[3] for r in table("programs") if r[0] == "dash"] + [r[4] for r in table("programs") if r[0] == "crash_null"]')" \
	'["1", "1"]' "sh's exit 3 is a failure, the SIGSEGV a crash"
is "$(page "$PAGE" 'sorted(captions.get("gcc", []) + trivial("gcc"))')" \
	'["cpu", "cpu-us", "exit", "flag", "invocations", "maxrss", "wall", "wall-us"]' \
	"gcc has a chart (or a row of the one-bucket table) per counter group: invocations, exit, flag, wall, cpu, maxrss and the -us sums"
is "$(page "$PAGE" 'str(svg == sum(len(v) for v in captions.values()) and svg >= 4)')" "True" \
	"every chart is an inline SVG ($(page "$PAGE" 'svg') of them)"
is "$(page "$PAGE" '[t.split("\n")[0] for t in titles if t.startswith("week ending")][:2]')" \
	'["week ending 2024-06-05", "week ending 2024-06-12 (pending, not yet reported)"]' \
	"two weekly groups: the week that is over, then the pending one, marked so"
is "$(page "$PAGE" '[t for t in titles if t.startswith("week ending 2024-06-12") and "\n3: 1" in t][:1] != []')" \
	"true" "the pending week's column of dash's exit chart holds exit 3 once"
is "$(page "$PAGE" '[[l.split("+0x")[0] for l in s.split("\n") if "!main+" in l] for s in stacks]')" \
	'[["crash_null!main"]]' "the crash stack is on the page, one frame a line, down to main"
is "$(page "$PAGE" '[fate("gcc", "gcc/flag:-O2"), fate("gcc", "gcc/flag:-Wall"), fate("gcc", "gcc/flag:-c")]')" \
	'["uploaded", "uploaded", "stays local"]' \
	"gcc's flags: the config's {-O2,-Wall} would be uploaded, -c stays local"
is "$(page "$PAGE" 'fate("gcc", "gcc/invocations")')" \
	"uploaded in weeks whose random X ≤ 0.5 (about 50%)" "a counter with rate 0.5 says so"
is "$(page "$PAGE" 'fate("crash_null", "crash/crash (stacks)")')" "uploaded" \
	"the crash stack would be uploaded, whole (as Go's uploader keeps it, whatever its Depth)"
is "$(page "$PAGE" 'sorted(set(r[2] for r in table("upload", "dash")[1:]))')" '["stays local"]' \
	"every counter of a program the config does not name stays local"
ok "and the page says why" grep -q "stays local: program not in the config" "$PAGE"
ok "the mode is shown: local, nothing leaves the machine" grep -q "Mode is <b>local</b>: nothing leaves this machine" "$PAGE"
is "$(page "$PAGE" '[r[:2] for r in table("reports")[1:]]')" \
	'[["local.2024-06-05.json", "2024-06-05"], ["2024-05-29.json", "2024-05-29"]]' \
	"local reports are listed newest week first"

# Escaping and self-containment.
is "$(page "$PAGE" 'str("evil<i>&\"/flag:<script>alert(1)</script>&lt;" in text and "evil<i>&\"" in text)')" "True" \
	"names with markup and entities are shown as text, as they are"
is "$(grep -c '<script' "$PAGE")" 0 "no <script> element (none of ours, none from a counter name)"
is "$(sed 's|<code>https://telemetry.invalid</code>||g' "$PAGE" | grep -ciE 'https?:|//[a-z0-9]')" 0 \
	"no URL anywhere in the page but the collector's name, as text"
is "$(grep -c '<code>https://telemetry.invalid</code>' "$PAGE")" 1 "the upload section names the collector reports would go to"
is "$(page "$PAGE" 'sorted(set(k for k, v in attrs if k in ("src", "href", "action", "srcset", "xlink:href", "style") and not (k == "href" and v.startswith("#"))))')" \
	"[]" "no src, no link but in-page anchors, no inline style attribute"
ok "the page carries a Content-Security-Policy that forbids every fetch" grep -qF \
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">" "$PAGE"

# --- headless Chromium ---
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
# chrome OUT URL [ARGS...]: one headless run; OUT.out, OUT.log (console at
# --v=0), OUT.net (net log). Chromium's own background traffic goes to a
# dead loopback proxy and an always-failing resolver: nothing leaves here.
chrome() {
	local out=$1 url=$2
	shift 2
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(new_dir)" --proxy-server=socks5://127.0.0.1:9 \
		--host-resolver-rules='MAP * ~NOTFOUND' --enable-logging=stderr --v=0 \
		--log-net-log="$out.net" "$@" "$url" >"$out.out" 2>"$out.log"
}
# console OUT: the page's console messages (errors, CSP refusals, logs).
console() { grep -E ':CONSOLE|Uncaught|Content Security Policy' "$1.log" || true; }
# fetches OUT: the requests the page itself started (Chromium's own have
# no origin), from the net log.
fetches() {
	python3 - "$1.net" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
    seen = set()
    for e in d["events"]:
        p = e.get("params") or {}
        url = p.get("url")
        if types.get(e["type"]) == "URL_REQUEST_START_JOB" and url and p.get("initiator") != "not an origin" \
                and not url.startswith(("file:", "data:", "chrome:")):
            seen.add(url)
    print("\n".join(sorted(seen)))
except Exception as e: # never an empty answer that would pass for "no request"
    print("net log unreadable: %r" % e)
EOF
}
png_size() { python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(24)
print("%dx%d" % struct.unpack(">II", d[16:24]) if d[:8] == b"\x89PNG\r\n\x1a\n" else "not a PNG")' "$1"; }

if [ -z "$CHROMIUM" ]; then
	skip 11 "chromium is not installed (scripts/deps.sh installs it)"
else
	chrome "$W/c1" "file://$PAGE" --dump-dom
	ok "Chromium renders the page" grep -q '</html>' "$W/c1.out"
	is "$(console "$W/c1")" "" "no console message at all (no error, no blocked load)"
	is "$(fetches "$W/c1")" "" "the page makes no network request"
	is "$(python3 -c 'import sys; d = open(sys.argv[1]).read(); print(d.count("<svg"), "crash_null!main+" in d)' "$W/c1.out")" \
		"$(page "$PAGE" 'svg') True" "the rendered DOM has every chart and the crash stack"
	# Controls: the same page plus one remote image. With the policy, the
	# attempt is refused and logged; without it, the net log shows it.
	probe='<img src="http://127.0.0.1:9/telem-probe.png" alt="">'
	sed "s|</body>|$probe</body>|" "$PAGE" >"$W/control-csp.html"
	sed -e "s|</body>|$probe</body>|" -e 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' "$PAGE" \
		>"$W/control-open.html"
	chrome "$W/c2" "file://$W/control-csp.html" --dump-dom
	ok "control: a fetch the policy blocks shows up on the console" grep -q "telem-probe.png.*violates" "$W/c2.log"
	chrome "$W/c3" "file://$W/control-open.html" --dump-dom
	is "$(fetches "$W/c3")" "http://127.0.0.1:9/telem-probe.png" "control: a fetch without the policy shows up in the net log"
	rm -f "$ARTIFACTS/view.png"
	chrome "$W/c4" "file://$PAGE" --hide-scrollbars --screenshot="$ARTIFACTS/view.png" --window-size=1280,2000
	is "$(png_size "$ARTIFACTS/view.png")" "1280x2000" "a screenshot is kept: tests/artifacts/view.png"
	ok "and it is not a blank page" test "$(stat -c %s "$ARTIFACTS/view.png")" -gt 40000
fi

# --- --serve ---
"$TELEM" view --serve 127.0.0.1:0 >"$W/serve.out" 2>"$W/serve.err" &
server=$!
for _ in $(seq 100); do grep -q '^serving ' "$W/serve.out" && break; sleep 0.1; done
url=$(sed -n 's/^serving \(http:[^ ]*\) .*/\1/p' "$W/serve.out")
ok "--serve prints the loopback address it listens on ($url)" grep -q '^http://127\.0\.0\.1:[0-9]*/$' <<<"$url"
curl -s -D "$W/headers" -o "$W/served.html" "$url"
is "$(sed -n 's/\r$//; s/^HTTP\/1.1 \([0-9]*\).*/\1/p; s/^Content-Type: //p' "$W/headers" | tr '\n' ' ')" \
	"200 text/html; charset=utf-8 " "GET / answers 200 with HTML"
ok "with the Content-Security-Policy header" grep -qF "Content-Security-Policy: default-src 'none'" "$W/headers"
is "$(cmp "$W/served.html" "$PAGE" && echo same)" "same" "the page served is the page written"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: attacker.example' "$url")" 403 \
	"a request naming another host is refused (DNS rebinding)"
is "$(curl -s -o /dev/null -w '%{http_code}' "${url}nope")" 404 "other paths are not found"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")" 405 "other methods are refused"
kill -TERM "$server"
rc=0
timeout 10 tail --pid="$server" -f /dev/null || rc=$?
wait "$server" 2>/dev/null
is "$rc:$?" "0:0" "SIGTERM stops the server, exit status 0"
is "$("$TELEM" view --serve 0.0.0.0:0 >/dev/null 2>&1; echo $?)" 2 "a non-loopback address is a usage error"

# --- usage ---
is "$("$TELEM" view --help >/dev/null 2>&1; echo $?)" 0 "view --help exits 0"
is "$("$TELEM" view --out a.html --serve 127.0.0.1:0 >/dev/null 2>&1; echo $?)" 2 "--out and --serve together: usage error"
is "$("$TELEM" view --bogus >/dev/null 2>&1; echo $?)" 2 "an unknown option: usage error"
is "$("$TELEM" view --out >/dev/null 2>&1; echo $?)" 2 "--out without a file: usage error"
rc=0
"$TELEM" view --out "$W/no/such/dir/x.html" >/dev/null 2>"$W/err" || rc=$?
is "$rc" 1 "an unwritable output fails with status 1"
ok "naming the file" grep -q "^telem: $W/no/such/dir/x.html: " "$W/err"

# --- the budget: a year of data ---
Y=$(new_dir)
"$GEN" "$Y" 52 20 200
ok "the generator wrote 52 x 20 counter files" test "$(ls "$Y/local" | grep -c '\.v1\.count$')" -eq 1040
start=$(date +%s%N)
rc=0
"$TELEM" --dir "$Y" view --out "$Y/year.html" >/dev/null || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
size=$(stat -c %s "$Y/year.html")
diag "a year of data (1040 files, 208,000 counters): page written in $ms ms, $size bytes (budget 1 s, 2 MB)"
is "$rc" 0 "telem view reads a year of data"
ok "the year's page is at most 2 MB ($size bytes)" test "$size" -le $((2 * 1024 * 1024))
is "$(page "$Y/year.html" '[len(captions), svg, len([t for t in titles if t.startswith("week ending")]) > 0]')" \
	"[20, 160, true]" "20 program sections, 8 charts each"
is "$(page "$Y/year.html" 'sorted(set(r for p in captions for r in trivial(p)))')" '["signal"]' \
	"and the one-bucket counter (signal:SIGSEGV) of each in its one-bucket table, not a chart"
is "$(page "$Y/year.html" '[max(bars), text.count("other (159 more)")]')" "[13, 20]" \
	"each program's 171 flags are drawn as the top 12 and one 'other' bucket"
if [ -n "$CHROMIUM" ]; then
	chrome "$W/c5" "file://$Y/year.html" --hide-scrollbars --screenshot="$ARTIFACTS/view-year.png" --window-size=1280,2000
	is "$(console "$W/c5")$(fetches "$W/c5")" "" "the year's page renders in Chromium without a message or a fetch"
else
	skip 1 "chromium is not installed"
fi
done_testing
