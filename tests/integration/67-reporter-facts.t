#!/usr/bin/env bash
# Issue 15.2, telem's side: reporter facts (tools/facts.c) are counters of a
# program "telem" in the weekly report, only when the upload config names
# that program, and uploaded only for the values its rule lists: the
# architecture, C library, /etc/os-release's ID (read here independently),
# CI or interactive from the usual CI variables, container or not. A
# collector that receives the report charts the machine in its reporter mix.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
trap '_collector_cleanup; _upload_cleanup' EXIT
need_built "$PROG/exit7" "$COLLECTOR"
plan 10

W=$(new_dir)
os_id=$(python3 -c '
import shlex
for l in open("/etc/os-release"):
    if l.startswith("ID="):
        print(shlex.split(l[3:])[0])')
arch=$(python3 -c 'import platform; print({"x86_64": "amd64", "aarch64": "arm64", "i686": "386"}.get(platform.machine(), "?"))')
if [ -e /.dockerenv ] || [ -e /run/.containerenv ] || [ -n "${container:-}" ]; then container=yes; else container=no; fi
libc=$(getconf GNU_LIBC_VERSION 2>/dev/null | sed 's/^glibc /glibc/')
ci_vars="CI GITHUB_ACTIONS GITLAB_CI JENKINS_URL BUILDKITE CIRCLECI TRAVIS TF_BUILD TEAMCITY_VERSION BUILD_NUMBER"

config() { # NAME-TELEM-RULE: the exit7 config plus, when given, a "telem" rule
	echo '{"Version": "f1", "GOOS": ["linux"], "GOARCH": ["amd64", "arm64", "386"], "GoVersion": ["'"$RUNTIME"'"],
 "Programs": [{"Name": "exit7", "Versions": ["'"$EXIT7_ID"'"], "Counters": [{"Name": "exit7/invocations", "Rate": 1}]}'"${1:+, $1}"']}' >"$TELEM_DIR/upload.config.json"
}
report() { # [VAR=VALUE...]: the week's reports, with no CI variable but those given
	(for v in $ci_vars; do unset "$v"; done
	 env "$@" TELEM_TEST_NOW=$LATER "$TELEM" report >/dev/null 2>"$W/err")
}
telem_of() { # FILE: the "telem" program's counters, sorted, or "none"
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
p = [p for p in r["Programs"] or [] if p["Program"] == "telem"]
print(" ".join(sorted(p[0]["Counters"])) if p else "none")' "$1"
}

# No "telem" rule in the config: no facts at all, not even locally.
friday_telem_dir "on 2024-06-01"
config ""
expired_week "$T0"
report
is "$(telem_of "$TELEM_DIR/local/local.$WEEK.json") $(telem_of "$TELEM_DIR/local/$WEEK.json")" "none none" \
	"without a 'telem' rule in the config, no reporter facts"

RULE='{"Name": "telem", "Versions": ["devel"], "Counters": [{"Name": "telem/arch:{amd64,arm64,386}", "Rate": 1},
 {"Name": "telem/libc:{glibc2.36,glibc2.39,musl}", "Rate": 1}, {"Name": "telem/os:{debian,ubuntu,'"$os_id"'}", "Rate": 1},
 {"Name": "telem/env:{ci,interactive}", "Rate": 1}]}'
friday_telem_dir "on 2024-06-01"
config "$RULE"
expired_week "$T0"
report
want="telem/arch:$arch telem/container:$container telem/env:interactive telem/libc:$libc telem/os:$os_id"
is "$(telem_of "$TELEM_DIR/local/local.$WEEK.json")" "$want" \
	"the local report (the preview) has the five facts: arch, container, env, libc, os ID"
is "$(telem_of "$TELEM_DIR/local/$WEEK.json")" \
	"telem/arch:$arch telem/env:interactive telem/libc:$libc telem/os:$os_id" \
	"the uploadable one only the values the config lists (no container rule: not sent)"
ok "the uploadable report is still Go's schema" go_check "$TELEM_DIR/local/$WEEK.json"
ok "no fact names a path, user or host" \
	sh -c "! grep -E -e '$(hostname)' -e '$(id -un)' -e '/home|/root|/tmp' '$TELEM_DIR/local/$WEEK.json' | grep -q telem/"

friday_telem_dir "on 2024-06-01"
config "$RULE"
expired_week "$T0"
report GITHUB_ACTIONS=true
ok "GITHUB_ACTIONS=true: env:ci" grep -q '"telem/env:ci"' "$TELEM_DIR/local/$WEEK.json"
friday_telem_dir "on 2024-06-01"
config "$RULE"
expired_week "$T0"
report CI=false
ok "CI=false: still interactive" grep -q '"telem/env:interactive"' "$TELEM_DIR/local/$WEEK.json"

# The collector (its config: the same rules) stores the facets and charts them.
cp "$TELEM_DIR/upload.config.json" "$W/collector-config.json"
DB=$(new_db c)
collector_start "$DB" "$W/collector-config.json" || exit 1
is "$(post "$TELEM_DIR/local/$WEEK.json" "/upload/$WEEK")" 200 "the collector accepts the report with its facts"
facets=$(get /api/facets | python3 -c '
import json, sys
f = json.load(sys.stdin)["facets"]
print(" ".join("%s:%s" % (k, ",".join(sorted(v))) for k, v in sorted(f.items())))')
is "$facets" "arch:$arch container:unknown env:interactive libc:$libc os:$os_id" \
	"its reporter mix has the machine: arch, env, libc, os (container not sent: unknown)"
is "$(db_value "$DB" "SELECT arch || ' ' || libc || ' ' || os || ' ' || env || ' ' || container FROM reports")" \
	"$arch $libc $os_id interactive " "the facets are columns of the stored report"
collector_stop TERM
