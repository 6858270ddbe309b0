#!/usr/bin/env bash
# The consent prompt: asked once on a terminal when no mode was ever chosen,
# never under CI or with stdin not a terminal; the answer is recorded.
. "$(dirname "$0")/../lib.sh"

command -v script >/dev/null || { echo "1..0 # SKIP script(1) missing"; exit 0; }
unset CI
ask() { # DIR ANSWER: runs telem run on a pseudo-terminal, answering ANSWER
	printf '%s\n' "$2" | TELEM_DIR=$1 script -qec "'$TELEM' run -- true" /dev/null
}

d=$(new_dir)
out=$(ask "$d" n 2>&1)
ok "first run on a terminal asks" grep -q "Upload weekly telemetry reports" <<<"$out"
ok "the answer 'no' is recorded as local" grep -q "^local [0-9-]*$" "$d/mode"
out=$(ask "$d" y 2>&1)
ok "second run does not ask again" test "$(grep -c "Upload weekly" <<<"$out")" -eq 0
ok "and the recorded answer stands" grep -q "^local " "$d/mode"

d=$(new_dir)
ask "$d" y >/dev/null 2>&1
ok "the answer 'yes' is recorded as on" grep -q "^on [0-9-]*$" "$d/mode"

d=$(new_dir)
out=$(printf 'y\n' | CI=1 TELEM_DIR=$d script -qec "'$TELEM' run -- true" /dev/null 2>&1)
ok "never asked under CI=1" test "$(grep -c "Upload weekly" <<<"$out")" -eq 0
ok "and nothing recorded under CI" test ! -e "$d/mode"

d=$(new_dir)
out=$(printf 'y\n' | TELEM_DIR=$d "$TELEM" run -- true 2>&1)
ok "never asked when stdin is not a terminal" test "$(grep -c "Upload weekly" <<<"$out")" -eq 0
ok "and nothing recorded then" test ! -e "$d/mode"

d=$(new_dir)
out=$(TELEM_DIR=$d "$TELEM" on)
ok "telem on prints the same explanation" grep -q "never records paths" <<<"$out"

done_testing
