#!/usr/bin/env bash
# The paths a new user takes (issue 14, items 6, 8 and 9, and the CLI
# conventions): 'telem run --json FILE' leaves JSON that parses alone; wrong
# paths are errors, not empty tables; messages name the real cause;
# --version, 'help CMD', a suggestion for a mistyped command, '-x' is an
# unknown option, a missing option value says so.
. "$(dirname "$0")/../lib.sh"
need_built "$PROG/gen_year"

W=$(new_dir)
new_telem_dir

# --- item 6: --json FILE, apart from the build's own output ---
rc=0
(cd "$W" && "$TELEM" run --json "$W/run.json" -- sh -c 'echo "build output"; echo "{ not json"' >"$W/stdout" 2>/dev/null) || rc=$?
ok "run --json FILE: the JSON in FILE parses alone" python3 -c "import json; json.load(open('$W/run.json'))"
is "$(cat "$W/stdout")" "build output
{ not json" "and stdout is the build's own, untouched"
is "$(python3 -c "import json; print(json.load(open('$W/run.json'))['processes'] >= 1)")" True "and it counts the build"

# --- item 8: paths that do not exist or are not what is read ---
# (not /nonexistent itself: on a shared machine anything may create it)
NX=$W/nonexistent
rc=0
out=$("$TELEM" summary "$NX" 2>&1) || rc=$?
is "$rc" 1 "summary DIR/nonexistent exits 1"
ok "naming the path" grep -q "^telem: $NX: No such file" <<<"$out"
rc=0
out=$("$TELEM" --dir "$NX" crashes 2>&1) || rc=$?
is "$rc" 1 "--dir DIR/nonexistent crashes exits 1"
ok "naming the directory" grep -q "^telem: $NX: " <<<"$out"
for cmd in csv view report summary dump "export --prometheus"; do
	rc=0
	"$TELEM" --dir "$NX" $cmd >/dev/null 2>&1 || rc=$?
	is "$rc" 1 "--dir DIR/nonexistent $cmd exits 1"
done
ok "and nothing was created there" test ! -e "$NX"
mkdir -p "$TELEM_DIR/local"
rc=0
out=$("$TELEM" summary "$TELEM_DIR" 2>&1) || rc=$?
is "$rc" 1 "summary DIR (the telem directory, not its local/) exits 1"
ok "and points at DIR/local" grep -qF "$TELEM_DIR/local" <<<"$out"
rc=0
"$TELEM" summary "$TELEM_DIR/local" >/dev/null 2>&1 || rc=$?
is "$rc" 0 "summary DIR/local is fine"
: >"$W/file"
rc=0
"$TELEM" summary "$W/file" >/dev/null 2>&1 || rc=$?
is "$rc" 1 "summary FILE (not a directory) exits 1"

# --- item 9: messages name the real cause ---
mkdir -p "$W/rel"
out=$(cd "$W/rel" && "$TELEM" run --keep keepdir -- sh -c 'cd /; true' 2>&1)
ok "run --keep with a relative directory counts (the shim needs it absolute)" grep -q "1 instrumented process" <<<"$out"
ok "and the counters are in it" test -n "$(ls "$W/rel/keepdir/local/" | grep '\.v1\.count$')"
out=$(TELEM_MODE=off "$TELEM" run -- sh -c true 2>&1)
ok "TELEM_MODE=off telem run says TELEM_MODE=off is why nothing counted" grep -q "TELEM_MODE=off" <<<"$out"
ok "and not that the shim could not load" test "$(grep -c 'static binary' <<<"$out")" -eq 0
echo banana >"$TELEM_DIR/mode"
out=$("$TELEM" env 2>&1)
ok "a mode file saying 'banana' is reported" grep -q "mode: 'banana' is not a mode" <<<"$out"
ok "with what it is taken for" grep -q "taken as local" <<<"$out"
echo "local 2024-06-01" >"$TELEM_DIR/mode"
out=$("$TELEM" env 2>&1)
ok "a valid mode file is not reported" test "$(grep -c 'not a mode' <<<"$out")" -eq 0

# --- CLI conventions ---
ok "telem --version" bash -c "'$TELEM' --version | grep -q '^telem [0-9]'"
is "$("$TELEM" help run)" "$("$TELEM" run --help)" "telem help CMD is CMD --help"
rc=0
out=$("$TELEM" sumary 2>&1) || rc=$?
is "$rc" 2 "a mistyped command is a usage error"
ok "with a suggestion" grep -q "did you mean 'summary'" <<<"$out"
out=$("$TELEM" -x 2>&1) || true
ok "telem -x is an unknown option" grep -q "unknown option '-x'" <<<"$out"
out=$("$TELEM" run --keep 2>&1) || true
ok "run --keep without a value says so" grep -q -- "--keep needs a directory" <<<"$out"
out=$("$TELEM" view --out 2>&1) || true
ok "view --out without a value says so" grep -q -- "--out needs a value" <<<"$out"
# --- report with nothing due says so; summary says when it cut a stack ---
new_telem_dir
mkdir -p "$TELEM_DIR/local"
echo 3 >"$TELEM_DIR/local/weekends"
stack="crash/crash"
for i in $(seq 1 11); do stack+="
x!f$i+0x1"; done
"$PROG/gen_year" --one "$TELEM_DIR" x 2024-06-12 "$stack" 2 x/invocations 2 >/dev/null
out=$(TELEM_TEST_NOW=$(date -u -d 2024-06-10 +%s) "$TELEM" report)
ok "report with no week over says so, and when the next ends" grep -q "nothing to report: no week is over yet (the next ends 2024-06-12)" <<<"$out"
out=$(TELEM_TEST_NOW=$(date -u -d 2024-06-10 +%s) "$TELEM" summary)
ok "summary says it cut the 11-frame stack after 8" grep -q "\.\.\. 3 more frames (telem crashes shows them all)" <<<"$out"

done_testing
