#!/usr/bin/env bash
# The collector checks every report against the config it publishes: each
# bad report is answered 400 (413 when too large) with a one-line reason,
# nothing of it is stored, and the server stays up. It refuses to start on
# a bad config (naming file and line) or a database it cannot write.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$COLLECTOR"
command -v curl >/dev/null || { echo "1..0 # skip curl missing"; exit 0; }

W=$(new_dir)
DB=$(new_db c)
VALID=$FIX/valid-report.json
collector_start "$DB" "$FIX/config.json" || exit 1

# variant NAME 'PYTHON' [DATE]: the valid report changed by PYTHON (r is the
# report as a dict; or set body = bytes for a raw body) into $W/NAME.json.
variant() {
	python3 - "$VALID" "$W/$1.json" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
body = None
exec(sys.argv[3])
with open(sys.argv[2], "wb") as f:
    f.write(body if body is not None else json.dumps(r, indent=1).encode())
PY
}

reports() {
	get /api/summary | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])'
}
rows() {
	db_value "$DB" "SELECT (SELECT count(*) FROM reports) + (SELECT count(*) FROM counts) + (SELECT count(*) FROM week_counter)"
}

# check NAME CODE REASON-REGEX [DATE]: posting $W/NAME.json gives CODE and a
# one-line reason matching REGEX, stores nothing, and the server answers after.
check() {
	local name=$1 want=$2 regex=$3 date=${4:-2024-05-07} before code lines
	before=$(rows)
	code=$(post "$W/$name.json" "/upload/$date")
	lines=$(wc -l <"$ANSWER")
	if [ "$code" = "$want" ] && [ "$lines" -eq 1 ] && grep -Eq "$regex" "$ANSWER" && [ "$(rows)" = "$before" ] &&
		get /config >/dev/null; then
		_tap_result 0 "$name: $want, \"$(cat "$ANSWER")\""
	else
		_tap_result 1 "$name: want $want /$regex/, nothing stored, server up" || true
		diag "got $code ($lines lines): $(head -c 300 "$ANSWER")" "rows before $before, after $(rows)"
	fi
}

plan 49

code=$(post "$VALID" /upload/2024-05-07)
is "$code $(cat "$ANSWER")" "200 stored (13 counters)" "the valid report is stored (the baseline)"
is "$(reports)" 1 "one report"
before_all=$(rows)

variant unknown-counter 'r["Programs"][0]["Counters"]["gcc/flag:-funroll-loops"] = 1'
check unknown-counter 400 'counter "gcc/flag:-funroll-loops" of gcc is not in config v7'
variant unknown-program 'r["Programs"][2]["Program"] = "ld"; r["Programs"][2]["Counters"] = {}'
check unknown-program 400 'program "ld" is not in config'
variant unknown-version 'r["Programs"][1]["Version"] = "deadbeef0000"'
check unknown-version 400 'version "deadbeef0000" of cc1 is not in config'
variant human-version 'r["Programs"][2]["Version"] = "aaaaaaaaaaaa"'
code=$(post "$W/human-version.json" /upload/2024-05-07)
is "$code" 200 "a program whose config lists a human version ('as' 2.40) takes any build-id: the server cannot check it"
variant bad-platform 'r["Programs"][0]["GOOS"] = "windows"'
check bad-platform 400 'platform windows/amd64 of gcc is not in config'
variant bad-goversion 'r["Programs"][0]["GoVersion"] = "musl1.2"'
check bad-goversion 400 'GoVersion "musl1.2" of gcc'
variant bad-date 'r["Week"] = "2024-02-30"'
check bad-date 400 'Week is not a valid YYYY-MM-DD date'
variant bad-path-date ''
check bad-path-date 400 "path's date is not a valid" 2024-13-07
variant week-not-path ''
check week-not-path 400 'Week 2024-05-07 differs from the date in the path' 2024-05-08
variant bad-lastweek 'r["LastWeek"] = "last week"'
check bad-lastweek 400 'LastWeek is not a valid'
variant x-zero 'r["X"] = 0'
check x-zero 400 'X is not a number strictly between 0 and 1'
variant x-one 'r["X"] = 1.0'
check x-one 400 'X is not a number strictly between 0 and 1'
variant x-string 'r["X"] = "0.5"'
check x-string 400 'X is not a number'
variant wrong-config 'r["Config"] = "v6"'
check wrong-config 400 'Config "v6" is not the published config v7'
variant negative-count 'r["Programs"][0]["Counters"]["gcc/invocations"] = -1'
check negative-count 400 'count of "gcc/invocations" is not a non-negative integer'
variant float-count 'r["Programs"][0]["Counters"]["gcc/invocations"] = 1.5'
check float-count 400 'count of "gcc/invocations" is not a non-negative integer'
variant deep-stack 'r["Programs"][1]["Stacks"] = {"crash/crash\na\nb\nc\nd\ne": 1}'
is "$(post "$W/deep-stack.json" /upload/2024-05-07)" 200 "a stack deeper than its Depth is accepted whole (Go's uploader sends stacks whole)"
variant unknown-stack 'r["Programs"][0]["Stacks"] = {"crash/hang\nx": 1}'
check unknown-stack 400 'stack "crash/hang" of gcc is not in config'
variant stack-as-counter 'r["Programs"][0]["Counters"]["crash/crash\nx"] = 1'
check stack-as-counter 400 'is a stack: stacks go in Stacks'
variant unknown-field 'r["Extra"] = 1'
check unknown-field 400 'unknown field "Extra" in the report'
variant twice 'r["Programs"].append(dict(r["Programs"][0]))'
check twice 400 'program gcc fe89f8172cfb appears twice'
variant not-object 'body = b"[1, 2, 3]"'
check not-object 400 'not a JSON object'
variant duplicate-key 'body = open(sys.argv[1], "rb").read().replace(b"\"gcc/exit:1\": 1", b"\"gcc/exit:0\": 1")'
check duplicate-key 400 'invalid JSON at line [0-9]+ column [0-9]+: duplicate object key'
variant truncated 'body = open(sys.argv[1], "rb").read()[:700]'
check truncated 400 'invalid JSON at line'
variant empty 'body = b""'
check empty 400 'invalid JSON'
variant nested 'body = b"[" * 100000 + b"]" * 100000'
check nested 400 'JSON nested deeper than 8 levels'
variant nested-in-report 'r["Programs"][0]["Counters"] = {"gcc/invocations": [[[[[[1]]]]]]}'
check nested-in-report 400 'nested deeper than 8 levels'
variant garbage 'import os; body = os.urandom(10 << 20)'
check garbage 413 'request body over 1048576 bytes'
variant not-utf8 'body = open(sys.argv[1], "rb").read().replace(b"fe89f8172cfb", b"fe89\xff8172cfb")'
check not-utf8 400 'invalid JSON'

# The same limit for a body sent in chunks, without Content-Length.
code=$(head -c 3000000 /dev/zero | tr '\0' ' ' | curl -s -o "$ANSWER" -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
	--data-binary @- "$CURL/upload/2024-05-07")
is "$code $(cat "$ANSWER")" "413 request body over 1048576 bytes" "a chunked body over the limit: 413 too"

code=$(curl -s -o "$ANSWER" -w '%{http_code}' "$CURL/upload/2024-05-07")
is "$code" 405 "GET /upload/...: 405"
code=$(curl -s -o "$ANSWER" -w '%{http_code}' "$CURL/nowhere")
is "$code" 404 "an unknown path: 404"
code=$(curl -s -o "$ANSWER" -w '%{http_code}' "$CURL/api/counters")
is "$code" 400 "/api/counters without a program: 400"

is "$(reports)" 3 "after all that, only the three good reports are stored (the valid one, human-version, deep-stack)"
ok "the server is still running" kill -0 "$CPID"
collector_stop TERM
is "$?" 0 "and stops cleanly"

# Starting: bad configs name the file and the line; bad databases the file.
start_fails() { # DESC WANT-REGEX ARGS...: exit status 1 and the message on stderr
	local desc=$1 regex=$2 rc=0
	shift 2
	timeout 10 "$COLLECTOR" "$@" >"$W/out" 2>"$W/err" || rc=$?
	if [ "$rc" -eq 1 ] && grep -Eq "$regex" "$W/err"; then
		_tap_result 0 "$desc: $(head -n1 "$W/err")"
	else
		_tap_result 1 "$desc" || true
		diag "status $rc, stderr: $(cat "$W/err")"
	fi
}
line_of() { grep -n "$2" "$FIX/$1" | head -n1 | cut -d: -f1; }
L=127.0.0.1:0
start_fails "config with a syntax error" "bad-syntax.json:$(line_of bad-syntax.json '"Programs"'): " \
	--db "$W/x.db" --listen $L --config "$FIX/bad-syntax.json"
start_fails "counter with broken braces" "bad-braces.json:$(line_of bad-braces.json '{-O2,-c"'): Programs\[0\]\.Counters\[1\]\.Name: a bucket list" \
	--db "$W/x.db" --listen $L --config "$FIX/bad-braces.json"
start_fails "a misspelt field" "bad-field.json:$(line_of bad-field.json '"Counter"'): Programs\[1\]\.Counter: unknown field" \
	--db "$W/x.db" --listen $L --config "$FIX/bad-field.json"
start_fails "stack Depth -1" "bad-depth.json:$(line_of bad-depth.json '"Depth": -1'): .*Depth: must be an integer" \
	--db "$W/x.db" --listen $L --config "$FIX/bad-depth.json"
start_fails "a missing config file" "$W/none.json: .*(No such file|unable to open)" --db "$W/x.db" --listen $L --config "$W/none.json"
start_fails "a database in a missing directory" "$W/no/x.db: cannot open the database" --db "$W/no/x.db" --listen $L --config "$FIX/config.json"
start_fails "a directory as database" "$W: cannot open the database" --db "$W" --listen $L --config "$FIX/config.json"
printf 'not a database at all, just text that is long enough to be read as a header...........\n' >"$W/text.db"
start_fails "a file that is not a database" "$W/text.db: file is not a database" --db "$W/text.db" --listen $L --config "$FIX/config.json"
ro=$(new_dir)
if try_mount -t tmpfs -o ro,size=1m tmpfs "$ro"; then
	start_fails "a read-only file system" "$ro/x.db: cannot open the database" --db "$ro/x.db" --listen $L --config "$FIX/config.json"
else
	chmod 555 "$ro"
	if [ -w "$ro" ]; then
		skip 1 "cannot make a read-only directory here"
	else
		start_fails "a read-only directory" "$ro/x.db: cannot open the database" --db "$ro/x.db" --listen $L --config "$FIX/config.json"
	fi
fi
ok "no database file was left by the failed starts" test ! -e "$W/x.db"
rc=0
"$COLLECTOR" --listen $L --config "$FIX/config.json" 2>"$W/err" || rc=$?
is "$rc" 2 "a missing --db is a usage error (status 2)"
