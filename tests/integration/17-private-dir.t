#!/usr/bin/env bash
# The telem directory belongs to one user, and nothing in it can hurt the
# host (issue 10, items 1, 3, 4, 5, 8, 9, 10 and the trust model; issue 11,
# item 5; issue 14: clean says what it removed, --dry-run). Two real users:
# tlm_dirsec_a (the victim, who runs things) and tlm_dirsec_b (another user).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
need_built "$PROG/crash_null"
if ! is_root || ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
	echo "1..0 # skip needs root, useradd and setpriv (two real users)"
	exit 0
fi
for u in tlm_dirsec_a tlm_dirsec_b; do
	id -u "$u" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh "$u" 2>/dev/null ||
		id -u "$u" >/dev/null 2>&1 || { echo "1..0 # skip cannot create user $u"; exit 0; }
done
A=tlm_dirsec_a
B=tlm_dirsec_b
# okc SHELL-TEXT DESC: passes when SHELL-TEXT, evaluated here, succeeds.
okc() { ok "$2" eval "$1"; }
# The users must reach their own directories inside the test's: every
# directory above it gets search permission (they are the test run's own).
d=$_tap_tmp
while [ "$d" != / ] && [ "$d" != /tmp ]; do
	chmod o+x "$d"
	d=$(dirname "$d")
done
SPACE=$_tap_tmp/users
mkdir -m 711 "$SPACE"

# as USER CMD...: runs CMD as USER (no supplementary groups), with a clean
# environment of our choosing.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- env -i PATH=/usr/bin:/bin LC_ALL=C "$@"
}
# home USER: a fresh home directory owned by USER.
home() {
	local h
	h=$(mktemp -d "$SPACE/h.XXXXXX")
	chmod 755 "$h"
	chown "$1:" "$h"
	echo "$h"
}
# invocations: the sum of true/invocations in telem dump --json on stdin.
invocations() {
	python3 -c 'import json,sys; print(sum(f["counters"].get("true/invocations", 0) for f in json.load(sys.stdin)))'
}
# counters DIR: names of the counter files in DIR/local (none: empty).
counters() { ls "$1/local" 2>/dev/null | grep '\.v1\.count$' || true; }

# --- the trust model: a directory of another user, or writable by others ---
HA=$(home $A)
D=$(mktemp -d "$SPACE/d.XXXXXX")
chown $B: "$D"
chmod 777 "$D"
out=$(as $A HOME="$HA" TELEM_DIR="$D" TELEM_DEBUG=1 LD_PRELOAD="$SHIM" /bin/echo hi 2>&1)
is "$out" "telem: telem directory not used: $D: owned by another user
hi" "a directory of another user: the shim stops, TELEM_DEBUG says why"
is "$(counters "$D")" "" "and writes nothing into it"
chown $A: "$D"
out=$(as $A HOME="$HA" TELEM_DIR="$D" TELEM_DEBUG=1 LD_PRELOAD="$SHIM" /bin/true 2>&1)
is "$out" "telem: telem directory not used: $D: writable by group or others" \
	"the user's own directory writable by others: not used either"
is "$(counters "$D")" "" "nothing counted there"
rc=0
err=$(as $A HOME="$HA" TELEM_DIR="$D" "$TELEM" dump 2>&1) || rc=$?
is "$rc:$err" "1:telem: $D: writable by group or others, so not private: run 'chmod go-w $D'" \
	"the tools refuse it with one line that says how to fix it"
chown $B: "$D"
chmod 755 "$D"
rc=0
err=$(as $A HOME="$HA" TELEM_DIR="$D" "$TELEM" clean 2>&1) || rc=$?
okc "[ $rc = 1 ] && echo '$err' | grep -q 'owned by uid .*, not by you'" "another user's directory: refused by clean"
chmod 700 "$D"
chown $A: "$D"
as $A HOME="$HA" TELEM_DIR="$D" LD_PRELOAD="$SHIM" /bin/true
is "$(counters "$D" | wc -l)" 1 "made private (0700, the user's): counted"

# --- the default directory is created (0700, with its parents) ---
HA=$(home $A)
as $A HOME="$HA" LD_PRELOAD="$SHIM" /bin/true
is "$(stat -c %a "$HA/.config/telem" 2>/dev/null):$(counters "$HA/.config/telem" | wc -l)" "700:1" \
	"a home without ~/.config: ${XDG_CONFIG_HOME:-\$HOME/.config}/telem is made 0700 and counts"
is "$(stat -c %a "$HA/.config" 2>/dev/null)" 700 "its missing parent too"

# --- a relative TELEM_DIR: refused by the shim and the tools alike ---
mkdir -p "$HA/work"
chown $A: "$HA/work"
out=$(cd "$HA/work" && as $A HOME="$HA" TELEM_DIR=rel TELEM_DEBUG=1 LD_PRELOAD="$SHIM" /bin/true 2>&1)
is "$out" "telem: TELEM_DIR is not an absolute path, not used: rel" "the shim says so under TELEM_DEBUG"
okc "[ ! -e '$HA/work/rel' ]" "and creates nothing relative to the host's working directory"
is "$(as $A TELEM_DIR="$HA/.config/telem" "$TELEM" dump --json | invocations)" 1 \
	"nor counts into the default directory instead"
rc=0
err=$(cd "$HA/work" && as $A HOME="$HA" TELEM_DIR=rel "$TELEM" dump 2>&1) || rc=$?
is "$rc:$err" "1:telem: rel: TELEM_DIR must be an absolute path (the shim ignores a relative one)" \
	"telem refuses it loudly"

# --- item 1: a mode file that is a symlink or a FIFO ---
new_telem_dir
ln -s /proc/self/fd/0 "$TELEM_DIR/mode"
out=$(printf 'a\nb\n' | LD_PRELOAD=$SHIM cat)
is "$out" "a
b" "mode -> /proc/self/fd/0: the host's stdin is the host's"
rm "$TELEM_DIR/mode"
mkfifo "$TELEM_DIR/mode"
rc=0
timeout 10 env LD_PRELOAD="$SHIM" /bin/true || rc=$?
is "$rc" 0 "mode is a FIFO: nothing blocks"

# --- item 5: local/ or crash/ a symlink to the host's working directory ---
new_telem_dir
CWD=$(new_dir)
ln -s /proc/self/cwd "$TELEM_DIR/local"
(cd "$CWD" && LD_PRELOAD=$SHIM /bin/true)
is "$(ls -A "$CWD")" "" "local -> /proc/self/cwd: no counter file or weekends in the host's directory"
rm "$TELEM_DIR/local"
ln -s /proc/self/cwd "$TELEM_DIR/crash"
(cd "$CWD" && LD_PRELOAD=$SHIM "$PROG/crash_null") >/dev/null 2>&1
is "$(ls -A "$CWD")" "" "crash -> /proc/self/cwd: no crash record in the host's directory"
rm "$TELEM_DIR/crash"
LD_PRELOAD=$SHIM "$PROG/crash_null" >/dev/null 2>&1
rm -rf "$TELEM_DIR/local"
ln -s "$CWD" "$TELEM_DIR/local"
"$TELEM" crashes >/dev/null 2>&1
is "$(ls -A "$CWD")" "" "telem crashes with local -> elsewhere: no counter file created through the link"
ok "and the record stays pending" test -n "$(ls "$TELEM_DIR"/crash/*.rec 2>/dev/null)"

# --- item 10: records and files private ---
HA=$(home $A)
D=$HA/t
as $A HOME="$HA" TELEM_DIR="$D" LD_PRELOAD="$SHIM" MY_PASSWORD=hunter2 "$PROG/crash_null" >/dev/null 2>&1
rec=$(ls "$D"/crash/*.rec 2>/dev/null | head -n1)
okc "[ -n '$rec' ]" "a crash record was written"
modes=$(cd "$D" && stat -c '%n %a' . local crash local/weekends local/*.v1.count crash/*.rec | sed 's/ [^ ]*\.v1\.count/ count/; s/ [0-9]*\.rec/ rec/' | tr '\n' ' ')
modes=$(cd "$D" && for f in . local crash local/weekends $(ls local | grep v1.count | sed 's|^|local/|') $(ls crash/*.rec); do stat -c %a "$f"; done | tr '\n' ' ')
is "$modes" "700 700 700 600 600 600 " "directories 0700; weekends, counter file and record 0600"
okc "! as $B cat '$rec' >/dev/null 2>&1" "another user cannot read the record (its stack holds the environment)"
okc "! grep -rqs hunter2 '$D' 2>/dev/null || [ \"\$(stat -c %a '$rec')\" = 600 ]" "the password is only in a 0600 file"

# --- item 3: a counter file whose record area is a hole, on a full disk ---
M=$(new_dir)
if try_mount -t tmpfs -o size=256k,mode=700 tmpfs "$M"; then
	for crash in "" off; do
		rm -rf "${M:?}"/*
		export TELEM_DIR=$M/t
		TELEM_CRASH=$crash LD_PRELOAD=$SHIM /bin/true
		f=$M/t/local/$(counters "$M/t")
		truncate -s 4096 "$f"
		truncate -s 65536 "$f" # records past 4 KiB now lie in a hole
		dd if=/dev/zero of="$M/fill" bs=4k >/dev/null 2>&1 || true
		flags=$(for i in $(seq 300); do printf -- '--flag-number-%d ' "$i"; done)
		rc=0
		TELEM_CRASH=$crash LD_PRELOAD=$SHIM TELEM_DEBUG=1 /bin/true $flags 2>"$_tap_tmp/err" || rc=$?
		is "$rc" 0 "a holed counter file on a full disk${crash:+ (TELEM_CRASH=off)}: the host exits 0, no SIGBUS"
		okc "grep -q 'has holes and the disk has no room' '$_tap_tmp/err'" "and TELEM_DEBUG says why nothing was counted"
	done
	unset TELEM_DIR
else
	skip 4 "cannot mount a tmpfs here"
fi

# --- item 4: an absurd size is not mapped ---
new_telem_dir
LD_PRELOAD=$SHIM python3 -c 'pass'
f=$TELEM_DIR/local/$(counters "$TELEM_DIR" | grep '^python')
truncate -s 250M "$f"
probe='
try:
    b = bytearray(200 << 20)
    print("ok")
except MemoryError:
    print("MemoryError")'
base=$( (ulimit -v 420000; python3 -c "$probe") 2>&1)
out=$( (ulimit -v 420000; LD_PRELOAD=$SHIM python3 -c "$probe") 2>&1)
is "$base:$out" "ok:ok" "a 250 MiB sparse counter file is not mapped: the host keeps its address space"
out=$(TELEM_DEBUG=1 LD_PRELOAD=$SHIM python3 -c pass 2>&1)
okc "echo '$out' | grep -q 'larger than any counter file should be'" "TELEM_DEBUG says why"

# --- issue 11.5: a short counter file is completed or replaced, then reported ---
new_telem_dir
LD_PRELOAD=$SHIM /bin/true
f=$TELEM_DIR/local/$(counters "$TELEM_DIR")
truncate -s 100 "$f" # the header, cut short: its creator died mid-way
out=$(TELEM_DEBUG=1 LD_PRELOAD=$SHIM /bin/true 2>&1)
okc "echo '$out' | grep -q 'completed a short counter file'" "a short file of ours: completed (TELEM_DEBUG says so)"
is "$(stat -c %s "$f")" 16384 "it is 16 KiB again"
is "$("$TELEM" dump --json | invocations)" 1 \
	"and counts"
printf 'garbage' >"$f"
out=$(TELEM_DEBUG=1 LD_PRELOAD=$SHIM /bin/true 2>&1)
okc "echo '$out' | grep -q 'replaced a short, corrupt counter file'" "a short file of anything else: replaced"
is "$(stat -c %s "$f")" 16384 "by a complete one"
old=$TELEM_DIR/local/true@0123-glibc2.36-linux-amd64-2020-01-06.v1.count
printf '# telemetry/counter file v1\n' >"$old"
rc=0
out=$("$TELEM" report 2>&1) || rc=$?
is "$rc" 0 "telem report with a short file from an old week: exit 0"
okc "[ ! -e '$old' ] && echo '$out' | grep -q 'removed with its week'" "it is removed with its week, and said so"
rc=0
"$TELEM" report >/dev/null 2>&1 || rc=$?
is "$rc" 0 "and the next report is clean too"

# --- item 8 and issue 14: clean ---
HA=$(home $A)
D=$HA/t
as $A HOME="$HA" TELEM_DIR="$D" LD_PRELOAD="$SHIM" /bin/true
as $A sh -c "mkdir -p '$HA/keep' && echo precious >'$HA/keep/notes.txt' && echo x >'$HA/keep/a.v1.count' && echo y >'$HA/keep/0.rec'"
as $A sh -c "mkdir -p '$D/crash' '$D/upload' && ln -s '$HA/keep' '$D/crash/bad' && ln -s '$HA/keep' '$D/upload/x' && \
	echo mine >'$D/local/notes.txt' && ln -s '$HA/keep/notes.txt' '$D/local/2020-01-06.json' && echo r >'$D/crash/0.rec'"
out=$(as $A HOME="$HA" TELEM_DIR="$D" "$TELEM" clean --dry-run 2>&1)
is "$(echo "$out" | grep -c '^would remove ')" 2 "clean --dry-run lists what it would remove: the counter file and the record"
okc "[ -e '$D/crash/0.rec' ] && [ -n \"\$(counters '$D')\" ]" "and removes nothing"
rc=0
out=$(as $A HOME="$HA" TELEM_DIR="$D" "$TELEM" clean 2>&1) || rc=$?
okc "echo '$out' | grep -q '^removed $D/crash/0.rec' && echo '$out' | grep -q '^telem: removed 2 files'" "clean says what it removed"
is "$(cat "$HA/keep/notes.txt" "$HA/keep/a.v1.count" "$HA/keep/0.rec" 2>&1 | tr '\n' ' ')" "precious x y " \
	"nothing is deleted through a symlink (crash/bad -> the home)"
is "$(cat "$D/local/notes.txt"):$(counters "$D")" "mine:" "a file it does not recognize stays; counter files go"
okc "[ -e '$D/local/weekends' ]" "weekends stays"
okc "echo '$out' | grep -q 'crash/bad: not a directory of the telem directory'" "the symlinked crash/bad is named and left alone"
rm -f "$D/crash/bad"
as $A ln -s "$HA/keep" "$D/local.x"
as $A rm -rf "$D/local"
as $A ln -s "$HA/keep" "$D/local"
as $A HOME="$HA" TELEM_DIR="$D" "$TELEM" clean >/dev/null 2>&1
is "$(ls "$HA/keep" | tr '\n' ' ')" "0.rec a.v1.count notes.txt " "local -> the home: nothing there deleted"

# --- item 9: upload sends only the user's own regular files ---
HA=$(home $A)
D=$HA/t
SRV=$(new_dir)
start_server "$SRV" ok
chmod -R a+rX "$SRV"
yesterday=$(date -u -d yesterday +%F)
as $A sh -c "mkdir -m 700 -p '$D/local' && echo 'on 2020-01-01' >'$D/mode' && echo '$URL' >'$D/upload.server' && \
	echo 'MY_SECRET=hunter2' >'$HA/secret.txt' && chmod 600 '$HA/secret.txt' && ln -s '$HA/secret.txt' '$D/local/$yesterday.json' && \
	echo '{\"Version\":\"v1\",\"GOOS\":[\"linux\"],\"GOARCH\":[\"amd64\"],\"Programs\":[]}' >'$D/upload.config.json'"
rc=0
as $A HOME="$HA" TELEM_DIR="$D" TELEM_SERVER="$URL" "$TELEM" upload >"$SRV/out" 2>&1 || rc=$?
okc "! grep -rqs hunter2 '$SRV' --exclude=out" "a report that is a symlink to ~/secret.txt is never sent"
okc "grep -q '$yesterday.json: cannot read' '$SRV/out'" "telem says it cannot read it"
as $A HOME="$HA" TELEM_DIR="$D" LD_PRELOAD="$SHIM" /bin/true
sleep 1
wait_for 10 test -e "$D/local/upload.token" || true
sleep 2
okc "! grep -rqs hunter2 '$SRV' --exclude=out" "nor by the daily trigger after a host ran under the shim"
as $A rm -f "$D/local/$yesterday.json"
as $A sh -c "echo '{\"Week\":\"$yesterday\",\"LastWeek\":\"\",\"X\":0.5,\"Programs\":[],\"Config\":\"v1\"}' >'$D/local/$yesterday.json'"
as $A HOME="$HA" TELEM_DIR="$D" TELEM_SERVER="$URL" "$TELEM" upload >/dev/null 2>&1 || true
is "$(stat -c %a "$D/upload/$yesterday.json" 2>&1):$(stat -c %a "$D/upload" 2>&1)" "600:700" \
	"the copy of what was sent is 0600 in a 0700 upload/"
okc "! as $B cat '$D/upload/$yesterday.json' >/dev/null 2>&1" "another user cannot read it"

done_testing
