#!/usr/bin/env bash
# telem export --prometheus and telem push against Debian's real
# prometheus-pushgateway on loopback: the exposition text is well formed,
# its values equal the local counters (summed over files, split into
# program/version/counter/bucket by an independent reader), stacks appear
# only as crash counts by top frame, and what the Pushgateway serves back
# on /metrics equals the local counters, before and after more builds.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$PROG/crash_null" "$PROG/crash_abort"
PGW=/usr/bin/prometheus-pushgateway
[ -x "$PGW" ] || { echo "1..0 # skip $PGW is not installed (scripts/deps.sh)"; exit 0; }
command -v gcc >/dev/null && command -v curl >/dev/null || { echo "1..0 # skip gcc or curl missing"; exit 0; }
plan 20

W=$(new_dir)
new_telem_dir
printf 'int main(void) { return 0; }\n' >"$W/a.c"
build() {
	(
		cd "$W" || exit 1
		export LD_PRELOAD=$SHIM
		gcc -O2 -c a.c -o a.o && gcc -g -Wall -c a.c -o b.o
		for p in "$@"; do bash -c '"$0"; true' "$PROG/$p" >/dev/null 2>&1; done
	)
}

# expected: the local counters as "metric{labels} value" lines, made from
# 'telem dump --json' by an independent split. parse FILE: the same form
# from an exposition text (job and instance labels dropped).
expected() {
	dump_json | python3 -c '
import json, sys
out = {}
units = {}
for f in json.load(sys.stdin):
    prog, ver = f["meta"]["Program"], f["meta"]["Version"]
    for name, n in f["counters"].items():
        if "\n" in name:
            key = ("telem_crash_total", (("program", prog), ("version", ver), ("top_frame", name.split("\n")[1])))
        else:
            if name.startswith(prog + "/"):
                name = name[len(prog) + 1:]
            labels = [("program", prog), ("version", ver), ("counter", name.split(":", 1)[0])]
            if ":" in name:
                labels.append(("bucket", name.split(":", 1)[1]))
            key = ("telem_counter", tuple(labels))
            if ":" not in name and name.endswith(("-ms", "-us")): # time sums: seconds, the base unit
                key = ("telem_seconds_total", (("program", prog), ("version", ver), ("counter", name[:-3])))
                units[key] = 1000 if name.endswith("-ms") else 1000000
        out[key] = out.get(key, 0) + n
def value(key, n):
    if key[0] != "telem_seconds_total":
        return "%d" % n
    return "%.6f" % (n / units[key])
lines = ["%s{%s} %s" % (m, ",".join("%s=%s" % (k, json.dumps(v)) for k, v in sorted(labels)), value((m, labels), n))
         for (m, labels), n in out.items()]
print("\n".join(sorted(lines)))
'
}
parse() {
	python3 - "$1" <<'PY'
import re, sys
line_re = re.compile(r'^(telem_counter|telem_crash_total|telem_seconds_total)\{(.*)\} ([0-9.e+]+)$')
label_re = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"(,|$)')
rows, bad = [], 0
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line.startswith("telem_"):
        continue
    m = line_re.match(line)
    if not m:
        bad += 1
        continue
    labels = []
    for k, v, _ in label_re.findall(m.group(2)):
        v = v.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        if k not in ("job", "instance"):
            labels.append((k, v))
    value = float(m.group(3))
    import json
    shown = "%.6f" % value if m.group(1) == "telem_seconds_total" else "%d" % value
    rows.append("%s{%s} %s" % (m.group(1), ",".join("%s=%s" % (k, json.dumps(v)) for k, v in sorted(labels)), shown))
for r in sorted(rows):
    print(r)
if bad:
    print("unparsed lines: %d" % bad)
PY
}

rc=0
"$TELEM" export --prometheus >"$W/empty.txt" || rc=$?
ok "with no counter files, export prints nothing and succeeds" test "$rc" -eq 0 -a ! -s "$W/empty.txt"

build crash_null crash_null crash_abort
"$TELEM" export --prometheus >"$W/exp.txt"
is "$?" 0 "telem export --prometheus exits 0"
python3 - "$W/exp.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
ok = text.endswith("\n")
for line in text.splitlines():
    if line.startswith("#"):
        ok &= bool(re.match(r"^# (HELP|TYPE) (telem_counter|telem_crash_total|telem_seconds_total) \S", line))
    else:
        ok &= bool(re.match(r'^(telem_counter|telem_crash_total|telem_seconds_total)\{[a-z_]+="([^"\\\n]|\\["\\n])*"(,[a-z_]+="([^"\\\n]|\\["\\n])*")*\} [0-9]+(\.[0-9]+)?$', line))
for m in ("telem_counter", "telem_crash_total", "telem_seconds_total"):
    ok &= text.count("# TYPE %s counter\n" % m) == 1
sys.exit(0 if ok else 1)
PY
ok "the text follows the exposition format (HELP and TYPE once per metric, one sample a line)" test $? -eq 0
expected >"$W/want.txt"
parse "$W/exp.txt" >"$W/got.txt"
ok "export's values equal the local counters ($(wc -l <"$W/want.txt") series)" diff "$W/want.txt" "$W/got.txt"
ok "no label holds a whole stack (no newline, no crash/crash)" test "$(grep -c -e 'crash/crash' -e '\\n' "$W/exp.txt")" -eq 0
is "$(grep '^telem_crash_total' "$W/exp.txt" | awk '{s += $NF} END {print s}')" 3 "three crashes counted by top frame"
ok "counts have no bucket label" grep -q '^telem_counter{program="gcc",version="[0-9a-f]*",counter="invocations"} [0-9]*$' "$W/exp.txt"
ok "time sums are seconds (Prometheus' base unit)" grep -q '^telem_seconds_total{program="gcc",version="[0-9a-f]*",counter="wall"} [0-9]*\.[0-9][0-9][0-9][0-9]*$' "$W/exp.txt"
ok "and no -us or -ms series is left" test "$(grep -c -- '-[mu]s"' "$W/exp.txt")" -eq 0
ok "a flag is counter=\"flag\" with its bucket" grep -q '^telem_counter{program="gcc",version="[0-9a-f]*",counter="flag",bucket="-O2"} 1$' "$W/exp.txt"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PGW" --web.listen-address="127.0.0.1:$port" >"$W/pgw.log" 2>&1 &
remember_pid $!
for ((i = 0; i < 200; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready" && break
	sleep 0.05
done
ok "prometheus-pushgateway is up on 127.0.0.1:$port" curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready"

"$TELEM" push --pushgateway "http://127.0.0.1:$port/" --job ci-build 2>"$W/push.err"
is "$?" 0 "telem push exits 0"
metrics() { curl -sf "http://127.0.0.1:$port/metrics" | grep "job=\"$1\"" >"$W/metrics.txt"; parse "$W/metrics.txt"; }
metrics ci-build >"$W/back.txt"
ok "the Pushgateway's /metrics gives back the local counters" diff "$W/want.txt" "$W/back.txt"

build crash_abort
expected >"$W/want2.txt"
"$TELEM" push --pushgateway "http://127.0.0.1:$port" --job ci-build
metrics ci-build >"$W/back2.txt"
ok "after more builds, a second push replaces the values" diff "$W/want2.txt" "$W/back2.txt"
differ() { ! cmp -s "$1" "$2"; }
ok "and the values did change" differ "$W/want.txt" "$W/want2.txt"

"$TELEM" push --pushgateway "http://127.0.0.1:$port" --job other-job
metrics ci-build >"$W/back3.txt"
ok "another job's push leaves this job's group alone" diff "$W/want2.txt" "$W/back3.txt"

dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rc=0
"$TELEM" push --pushgateway "http://127.0.0.1:$dead" --job x 2>"$W/err" || rc=$?
ok "a Pushgateway that is not there: status 1 and the URL in the message" \
	test "$rc" -eq 1 -a "$(grep -c "^telem: http://127.0.0.1:$dead/metrics/job/x: " "$W/err")" -eq 1
rc=0
"$TELEM" push --pushgateway "http://127.0.0.1:$port" --job 'a/b' 2>"$W/err" || rc=$?
is "$rc" 2 "a job name with a slash is a usage error"
rc=0
"$TELEM" export 2>"$W/err" || rc=$?
is "$rc" 2 "export without a format is a usage error"

# Prometheus counters never go down: 'telem report' deleting the week's
# files leaves every series as it was (the local reports count).
later=$(($(date +%s) + 8 * 86400))
"$TELEM" export --prometheus >"$W/before.txt"
TELEM_TEST_NOW=$later "$TELEM" report >/dev/null 2>&1
TELEM_TEST_NOW=$later "$TELEM" export --prometheus >"$W/after.txt"
ok "after 'telem report' deleted the week's files, every series keeps its value" \
	bash -c "[ -z \"\$(ls '$TELEM_DIR/local' | grep '\.v1\.count$')\" ] && diff <(grep '^telem' '$W/before.txt') <(grep '^telem' '$W/after.txt')"
