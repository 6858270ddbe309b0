#!/usr/bin/env bash
# Crash records -> telem's offline libdw unwinding -> stack counters (issue 3,
# items 5 and 6), without any crash: mkrecord writes a record of its own stack
# (main -> level1 -> ... -> level8, -O2 -fomit-frame-pointer, registers from
# getcontext) exactly as the shim's handler lays one out. Checked: the frames
# against gdb, the privacy rules of frame names, the 32-frame cap and Go's
# 4096-byte truncation, counting into the program's file for the record's day
# (created as the shim would, or adopted), --symbolize against gdb's lines,
# build-id checks, and every kind of bad record: reported, set aside in
# crash/bad, exit 1, never a crash of telem.
. "$(dirname "$0")/../lib.sh"
MK=$PROG/mkrecord
need_built "$MK"
export TELEM_TEST_NOW=1718000000 # 2024-06-10 UTC: the records' day
DAY=2024-06-10

# pyq FILE EXPR: EXPR evaluated with d = the JSON in FILE, and fn(frame) =
# the function of "module!function+0x..", "?" for a frame without one.
pyq() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
fn = lambda f: f.split("!", 1)[1].rsplit("+0x", 1)[0] if "!" in f else "?"
def stack(kind="crash", program="mkrecord"):
    s = [x for x in d if x["kind"] == kind and x["program"] == program]
    return s[0] if len(s) == 1 else {"frames": [], "count": -len(s), "stack": ""}
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r))' "$1" "$2"
}
crashes() { # crashes OUT [ARGS]: telem crashes --json; stderr in OUT.err, status in OUT.rc
	local out=$1 rc=0
	shift
	"$TELEM" --dir "$TELEM_DIR" crashes --json "$@" >"$out" 2>"$out.err" || rc=$?
	echo "$rc" >"$out.rc"
}
LEVELS='["level8", "level7", "level6", "level5", "level4", "level3", "level2", "level1", "main"]'
version=$(readelf -n "$MK" | awk '/Build ID/ {print substr($3, 1, 12)}')
W=$(new_dir)

# --- one valid record: ingested, counted, deleted ---
new_telem_dir
rec=$("$MK")
ok "mkrecord wrote a record" test -f "$rec"
crashes "$W/one"
is "$(cat "$W/one.rc")" 0 "telem crashes exits 0 after ingesting a valid record"
ok "the record is deleted once counted" test ! -e "$rec"
is "$(pyq "$W/one" '[fn(f) for f in stack()["frames"][:9]]')" "$LEVELS" \
	"the stack's first 9 frames are level8 .. level1, main (no frame pointers: CFI from the record)"
is "$(pyq "$W/one" 'stack()["count"]')" 1 "counted once"
is "$(pyq "$W/one" '" ".join([stack()["version"], stack()["first_seen"], stack()["last_seen"]])')" \
	"$version $DAY $DAY" "version is the build-id prefix; first and last seen are the record's day"
is "$(pyq "$W/one" 'stack()["stack"].split("\n")[0]')" "crash/crash" "a CRASH_SIGNAL record is a crash/crash counter"
# Privacy: module basename, function, small hex; no paths, no runtime
# addresses (0x55.., 0x7f..), nothing that begins with Go's ditto mark.
is "$(pyq "$W/one" '[f for x in d for f in x["frames"] if not __import__("re").fullmatch(
	r"[A-Za-z0-9._+-]+(![A-Za-z0-9_.$]+)?\+0x[0-9a-f]{1,8}|\?\?", f) or f[0] == "\""]')" "[]" \
	"every frame is module!function+0xoff or module+0xvaddr: no path, no absolute address"
file=$(ls "$TELEM_DIR"/local/mkrecord@"$version"-*-"$DAY".v1.count 2>/dev/null)
ok "the counter went into mkrecord's file for the record's day" test -f "$file"
is "$(cf_oracle "$file" | python3 -c 'import json, sys; r = json.load(sys.stdin)
print(r["error"], [k.split("\n")[0] for k in r["counters"]])')" "None ['crash/crash']" \
	"that file, created by telem, is valid for an independent reader"

# --- the same point in gdb: function sequence and source lines ---
if command -v gdb >/dev/null && gdb -batch -nx -ex 'set breakpoint pending on' -ex 'break getcontext' \
	-ex run -ex bt "$MK" >"$W/gdb" 2>&1 && grep -q '^#9 ' "$W/gdb"; then
	gdb_frames=$(python3 -c '
import json, re, sys
out = []
for line in open(sys.argv[1]):
    m = re.match(r"#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\)(?: at (\S+):(\d+))?", line)
    if m and 1 <= int(m.group(1)) <= 9:
        out.append("%s at %s:%s" % (m.group(2), m.group(3), m.group(4)))
print(json.dumps(out))' "$W/gdb")
	is "$(python3 -c 'import json, sys; print(json.dumps([f.split(" at ")[0] for f in json.loads(sys.argv[1])]))' \
		"$gdb_frames")" "$LEVELS" "gdb stopped at getcontext shows the same 9 functions"
	PATH=$PROG:$PATH crashes "$W/sym" --symbolize
	is "$(pyq "$W/sym" '[__import__("re").sub(r" at .*/", " at ", s or "") for s in stack()["symbolized"][:9]]')" \
		"$(python3 -c 'import json, re, sys
print(json.dumps([re.sub(r" at .*/", " at ", f) for f in json.loads(sys.argv[1])]))' "$gdb_frames")" \
		"--symbolize gives gdb's function and file:line for each of the 9 frames"
	is "$(pyq "$W/sym" 'stack()["frames"]')" "$(pyq "$W/one" 'stack()["frames"]')" \
		"--symbolize leaves the recorded frames as they were"
else
	skip 3 "gdb cannot run here"
fi

# --- CRASH_ICE, repeated stacks, ingestion by `telem dump` ---
"$MK" ice >/dev/null
"$MK" >/dev/null
"$MK" >/dev/null
dump_json >"$W/dump"
ok "telem dump ingests pending records too" test -z "$(ls "$TELEM_DIR"/crash/*.rec 2>/dev/null)"
crashes "$W/more"
is "$(pyq "$W/more" 'stack()["count"]')" 3 "the same stack from three processes counts 3"
is "$(pyq "$W/more" '[fn(f) for f in stack("ice")["frames"][:9]]')" "$LEVELS" \
	"a CRASH_ICE record is a crash/ice counter with the same frames"
# The shim must accept the file telem created: same name, same header.
LD_PRELOAD=$SHIM "$MK" >/dev/null
is "$(dump_json | python3 -c 'import json, sys
f = [x for x in json.load(sys.stdin) if x["meta"]["Program"] == "mkrecord"]
print(len(f), f[0]["counters"].get("mkrecord/invocations"))')" "1 1" \
	"the shim counts into the file telem created (its header is exactly the shim's)"

# --- the shim's file first, then ingestion adopts it ---
new_telem_dir
LD_PRELOAD=$SHIM "$MK" >/dev/null
crashes "$W/adopt"
is "$(dump_json | python3 -c 'import json, sys
f = json.load(sys.stdin)
print(len(f), f[0]["counters"].get("mkrecord/invocations"), sum(1 for k in f[0]["counters"] if k.startswith("crash/crash\n")))')" \
	"1 1 1" "ingestion counts into the file the shim created"
is "$(pyq "$W/adopt" '[fn(f) for f in stack()["frames"][:9]]')" "$LEVELS" "frames are the same with the shim loaded"

# --- limits: 32 frames, 4096 bytes by Go's rule ---
new_telem_dir
"$MK" deep >/dev/null
"$MK" long >/dev/null
crashes "$W/deep"
is "$(pyq "$W/deep" '[len(x["frames"]) for x in d if "recurse" in x["stack"]]')" "[32]" \
	"a 50-frame stack keeps its first 32 frames"
is "$(pyq "$W/deep" '[(len(x["stack"].encode()), x["stack"].endswith("\ntruncated\n")) for x in d if "two_hundred" in x["stack"]]')" \
	"[[4096, true]]" "a longer name is cut to 4096 bytes ending in \"\\ntruncated\\n\""

new_telem_dir
"$MK" noreturn >/dev/null
crashes "$W/noreturn"
is "$(pyq "$W/noreturn" '[fn(f) for f in stack()["frames"][:3]]')" '["dies_here", "calls_noreturn", "main"]' \
	"a call that is its function's last instruction is named by pc - 1 (the return address lies past it)"

# --- files that are not the build that crashed ---
new_telem_dir
B=$(new_dir)
cp "$MK" "$B/mkrecord"
strip --strip-all "$B/mkrecord"
"$B/mkrecord" >/dev/null
crashes "$W/stripped"
is "$(pyq "$W/stripped" '[f.split("+0x")[0] for f in stack()["frames"][:9]]')" \
	'["mkrecord", "mkrecord", "mkrecord", "mkrecord", "mkrecord", "mkrecord", "mkrecord", "mkrecord", "mkrecord"]' \
	"without symbols, frames are module+0xvaddr (unwound by CFI all the same)"
is "$(pyq "$W/stripped" '[int(f.split("+0x")[1], 16) for f in stack()["frames"][:8]]' | python3 -c '
import json, subprocess, sys
vaddrs = json.load(sys.stdin)
syms = {}
for line in subprocess.run(["nm", "-S", sys.argv[1]], capture_output=True, text=True).stdout.splitlines():
    p = line.split()
    if len(p) == 4:
        syms[p[3]] = (int(p[0], 16), int(p[1], 16))
print(all(syms[f][0] <= a < syms[f][0] + syms[f][1] for a, f in zip(vaddrs, ["level%d" % i for i in range(8, 0, -1)])))' "$MK")" \
	True "each module+0xvaddr lies inside its function in the ELF file: a file address, not a runtime one"
if [ -n "${gdb_frames:-}" ]; then
	PATH=$PROG:$PATH crashes "$W/stripped-sym" --symbolize
	is "$(pyq "$W/stripped-sym" '[s.split(" at ")[0] if s else s for s in stack()["symbolized"][:9]]')" "$LEVELS" \
		"--symbolize resolves module+0xvaddr frames with the same build found on PATH"
else
	skip 1 "gdb cannot run here (no reference)"
fi
new_telem_dir
cp "$MK" "$B/mkrecord"
"$B/mkrecord" >/dev/null
# The same code under another build-id: names from it would look right, and
# be wrong for a real rebuild.
python3 -c '
import subprocess, sys
path = sys.argv[1]
out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
bid = bytes.fromhex(out.split("Build ID:")[1].split()[0])
data = bytearray(open(path, "rb").read())
at = data.index(bid)
data[at] ^= 0xFF
open(path, "wb").write(data)' "$B/mkrecord"
crashes "$W/rebuilt"
is "$(pyq "$W/rebuilt" '[stack()["frames"][0].startswith("mkrecord+0x"), "level" in stack()["stack"]]')" \
	"[true, false]" "a module whose file has another build-id is not used to name frames"

# --- bad records: reported, set aside, never a crash ---
new_telem_dir
good=$("$MK")
C=$TELEM_DIR/crash
"$MK" --offsets >"$W/offsets"
python3 - "$good" "$C" "$W/offsets" <<'EOF'
import os, random, struct, sys
good, out, offsets = sys.argv[1], sys.argv[2], sys.argv[3]
off = dict(l.strip().split("=") for l in open(offsets))
off = {k: int(v) for k, v in off.items()}
data = open(good, "rb").read()
def put(name, b):
    with open(os.path.join(out, name + ".rec"), "wb") as f:
        f.write(b)
def u32(field, v, extra=0):
    b = bytearray(data); struct.pack_into("<I", b, off[field] + extra, v); return b
random.seed(3)
put("junk", bytes(random.getrandbits(8) for _ in range(1000)))
put("empty", b"")
put("trunc", data[:-100])
put("header-only", data[:off["header_size_value"]])
put("trailing", data + b"x")
put("version", u32("format_version", 99))
put("size", u32("module_size", 300))
put("kind", u32("kind", 9))
put("nregs", u32("n_regs", 99))
put("spreg", u32("sp_reg", 17))
put("nmodules", u32("n_modules", 1000))
put("stacklen", u32("stack_len", 0xFFFFFFFF))
b = bytearray(data); b[off["program"]:off["program"] + 68] = b"a" * 68; put("program", b)
b = bytearray(data); name = b"../../../escape@x-glibc2.36-linux-amd64-2024-06-10.v1.count"
b[off["counter_file"]:off["counter_file"] + len(name) + 1] = name + b"\0"; put("escape", b)
b = bytearray(data); p = off["header_size_value"] + 48
b[p:p + 256] = b"/" * 256; put("modpath", b)
EOF
echo target >"$W/target"
ln -s "$W/target" "$C/link.rec"
truncate -s 200000000 "$C/huge.rec"
echo partial >"$C/writing.tmp"
# A short record written in the last minute may still be being written:
# left alone. Older, it is garbage.
cp "$C/trunc.rec" "$C/in-progress.rec"
find "$C" -maxdepth 1 -type f -name '*.rec' ! -name in-progress.rec -exec touch -d '-5 min' {} +
bad="junk empty trunc header-only trailing version size kind nregs spreg nmodules stacklen program escape modpath link huge"
"$TELEM" --dir "$TELEM_DIR" crashes >"$W/bad" 2>"$W/bad.err"
rc=$?
is "$rc" 1 "telem exits 1 when records were bad (and did not crash)"
for b in $bad; do
	ok "$b.rec: reported and moved to crash/bad" \
		eval "test -e '$C/bad/$b.rec' -o -L '$C/bad/$b.rec' && ! test -e '$C/$b.rec' && grep -q '^telem: $C/$b.rec: .*moved to' '$W/bad.err'"
done
is "$(grep -c '' "$W/bad.err")" "$(echo $bad | wc -w)" "one line on stderr per bad record"
diag "$(head -n 20 "$W/bad.err")"
ok "the valid record among them is ingested" test ! -e "$good"
is "$(grep -c '^ *mkrecord!level8' "$W/bad")" 1 "and listed"
ok "a record still being written (*.tmp) is left alone" test -e "$C/writing.tmp"
ok "a short *.rec modified in the last minute is left alone, silently" \
	eval "test -e '$C/in-progress.rec' && ! grep -q in-progress '$W/bad.err'"
is "$(cat "$W/target")" target "the target of a symbolic link is untouched"
ok "nothing escaped the telem directory" test ! -e "$TELEM_DIR/../escape@x-glibc2.36-linux-amd64-2024-06-10.v1.count"
"$TELEM" --dir "$TELEM_DIR" crashes >/dev/null 2>"$W/again.err"
is "$?:$(cat "$W/again.err")" "0:" "bad records are reported once, then telem exits 0"
touch -d '-5 min' "$C/in-progress.rec"
cp "$C/in-progress.rec" "$C/junk.rec" # a second record under a name already in crash/bad
touch -d '-5 min' "$C/junk.rec"
"$TELEM" --dir "$TELEM_DIR" crashes >/dev/null 2>"$W/stale.err"
ok "once older than a minute, it is reported and set aside" \
	eval "test ! -e '$C/in-progress.rec' -a -e '$C/bad/in-progress.rec' && grep -q 'in-progress.rec: truncated' '$W/stale.err'"
ok "a second bad record of the same name is kept beside the first" \
	eval "test ! -e '$C/junk.rec' && ls '$C/bad' | grep -q '^junk\.rec\.[0-9]*-[0-9]$'"

# crash/bad is bounded like the records: beyond it, the record is deleted, and that is said.
for i in $(seq 1 70); do : >"$C/bad/old$i"; done
head -c 500 /dev/urandom >"$C/more-junk.rec"
touch -d '-5 min' "$C/more-junk.rec"
"$TELEM" --dir "$TELEM_DIR" crashes >/dev/null 2>"$W/full.err"
ok "with crash/bad full, a bad record is deleted with a message" \
	eval "test ! -e '$C/more-junk.rec' && grep -q 'more-junk.rec: .*deleted' '$W/full.err'"

# --- well-formed records with garbage in them: still never a crash ---
new_telem_dir
good=$("$MK")
python3 - "$good" "$W/offsets" <<'EOF'
import random, struct, sys
good, offsets = sys.argv[1], sys.argv[2]
off = {k: int(v) for k, v in (l.strip().split("=") for l in open(offsets))}
data = open(good, "rb").read()
n = struct.unpack_from("<I", data, off["n_modules"])[0]
stack = off["header_size_value"] + n * off["module_size_value"]
random.seed(11)
for i in range(12):
    b = bytearray(data)
    if i < 4:   # random registers
        for r in range(17):
            struct.pack_into("<Q", b, off["regs"] + 8 * r, random.getrandbits(64))
    elif i < 8: # random stack bytes
        for j in range(stack, len(b)):
            b[j] = random.getrandbits(8)
    elif i < 10: # the stack said to be elsewhere
        v = struct.unpack_from("<Q", b, off["stack_start"])[0]
        struct.pack_into("<Q", b, off["stack_start"], v + random.choice([8, 4096, -4096 & (2**64 - 1)]) & (2**64 - 1))
    else:       # a wild pc
        struct.pack_into("<Q", b, off["regs"] + 8 * 16, random.getrandbits(64))
    open(good.replace(".rec", "-m%d.rec" % i), "wb").write(b)
EOF
if command -v valgrind >/dev/null; then
	valgrind -q --error-exitcode=99 "$TELEM" --dir "$TELEM_DIR" crashes >"$W/garbage" 2>"$W/garbage.err"
else
	"$TELEM" --dir "$TELEM_DIR" crashes >"$W/garbage" 2>"$W/garbage.err"
fi
rc=$?
is "$rc" 0 "13 well-formed records with garbage registers/stack: ingested, no memory errors (valgrind when present)"
[ "$rc" -eq 0 ] || diag "$(head -n 30 "$W/garbage.err")"
ok "all of them consumed" test -z "$(ls "$TELEM_DIR"/crash/*.rec 2>/dev/null)"

# --- two telem commands at once: each record counted exactly once ---
new_telem_dir
for i in $(seq 1 12); do "$MK" >/dev/null; done
"$TELEM" --dir "$TELEM_DIR" dump >/dev/null 2>&1 &
"$TELEM" --dir "$TELEM_DIR" dump >/dev/null 2>&1 &
"$TELEM" --dir "$TELEM_DIR" crashes >/dev/null 2>&1
wait
crashes "$W/race"
is "$(pyq "$W/race" 'stack()["count"]')" 12 "12 records ingested by three concurrent commands count 12"

# --- a counter file that cannot take the count: the record is kept ---
new_telem_dir
rec=$("$MK")
name=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); o = int(sys.argv[2])
print(d[o:o + 160].split(b"\0")[0].decode())' "$rec" "$(sed -n 's/^counter_file=//p' "$W/offsets")")
mkdir -p "$TELEM_DIR/local"
head -c 16384 /dev/urandom >"$TELEM_DIR/local/$name" # (a short one would be repaired: issue 11.5)
"$TELEM" --dir "$TELEM_DIR" crashes >/dev/null 2>"$W/nocount.err"
rc=$?
is "$rc" 1 "a counter file that cannot be used: exit 1"
ok "the record stays pending (not set aside: it is not the record's fault)" \
	eval "test -e '$rec' && grep -q 'cannot count a crash' '$W/nocount.err'"

# A shared directory is untrusted: a FIFO where the weekends file belongs must
# not hang ingestion (which reads weekends to create the counter file).
# Fails today: shim/week.c read_weekday() opens it blocking.
new_telem_dir
"$MK" >/dev/null
mkdir -p "$TELEM_DIR/local"
mkfifo "$TELEM_DIR/local/weekends"
timeout 5 "$TELEM" --dir "$TELEM_DIR" crashes >/dev/null 2>"$W/fifo.err"
rc=$?
ok "a FIFO as local/weekends does not hang ingestion (status $rc, 124 = timed out)" test "$rc" -ne 124

# --- usage ---
"$TELEM" crashes --help >"$W/help"
is "$?:$(head -c 21 "$W/help")" "0:usage: telem crashes " "telem crashes --help"
"$TELEM" --dir "$TELEM_DIR" crashes --bogus >/dev/null 2>&1
is "$?" 2 "an unknown option is a usage error"

done_testing
