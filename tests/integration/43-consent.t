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

# --- through a real pseudo-terminal (python3 pty): the text, a timeout, the answers ---
pty_ask() { # DIR ANSWER|-: telem run on a pty; ANSWER typed once the question shows ("-": none)
	TELEM_DIR=$1 python3 - "$TELEM" "$2" <<'PY'
import os, pty, select, sys, time
telem, answer = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(telem, [telem, "run", "--", "true"])
out, sent, deadline = b"", False, time.time() + 10
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    if not sent and b"[y/N]" in out and answer != "-":
        os.write(fd, (answer + "\n").encode())
        sent = True
done, status = os.waitpid(pid, os.WNOHANG)
if done == 0:  # still blocked on the question: that is the failure to show
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print("\nEXIT %d" % os.waitstatus_to_exitcode(status))
PY
}
d=$(new_dir)
start=$(date +%s)
out=$(TELEM_SERVER=http://collector.example:8080 TELEM_CONSENT_TIMEOUT=1 pty_ask "$d" -)
ok "pty: the prompt names the real directory (TELEM_DIR), not ~/.config/telem" grep -qF "stays in $d" <<<"$out"
ok "pty: the prompt names the collector" grep -q "collector http://collector.example:8080" <<<"$out"
ok "pty: and the config URL" grep -q "http://collector.example:8080/config" <<<"$out"
ok "pty: no answer in time is taken as no" grep -q "no answer in time" <<<"$out"
ok "pty: recorded as local" grep -q "^local [0-9-]*$" "$d/mode"
ok "pty: the build still ran and its status is kept" grep -q "EXIT 0" <<<"$out"
ok "pty: the timeout did not block (well under 20 s)" test $(($(date +%s) - start)) -lt 15
d=$(new_dir)
out=$(pty_ask "$d" y)
ok "pty: 'y' turns uploading on" grep -q "^on [0-9-]*$" "$d/mode"
ok "pty: and says so with the cut-off" grep -q "nothing collected before uploading was turned on is ever uploaded" <<<"$out"
d=$(new_dir)
out=$(pty_ask "$d" n)
ok "pty: 'n' records local" grep -q "^local [0-9-]*$" "$d/mode"
ok "pty: 'no' does not read like mode off" test "$(grep -ci "uploading is off\|mode off" <<<"$out")" -eq 0
ok "pty: 'no' says counters are still collected locally" grep -q "still collected, here only" <<<"$out"

done_testing
