#!/usr/bin/env bash
# telem on bad input: one clear line on stderr naming the file, exit 1 (2 for
# usage), never a crash or a hang; --help on everything exits 0.
. "$(dirname "$0")/../lib.sh"
need_built

new_telem_dir
D=$(new_dir)
LD_PRELOAD=$SHIM /bin/true
real=$(ls "$TELEM_DIR"/local/*.v1.count | head -n1)
ok "a real counter file to damage" test -f "$real"
hdr=$(od -An -tu4 -j28 -N4 "$real" | tr -d ' ')

# patch FILE OFFSET U32: a copy of the real file with one word changed.
patch() {
	cp "$real" "$1"
	python3 -c '
import struct, sys
p, off, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = bytearray(open(p, "rb").read()); struct.pack_into("<I", d, off, v); open(p, "wb").write(d)' "$1" "$2" "$3"
}
first_head() { # offset of the first non-empty bucket head's record
	python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); h = int(sys.argv[2])
print(next(o for o in struct.unpack_from("<512I", d, h + 4) if o))' "$real" "$hdr"
}
rec=$(first_head)

cp /etc/passwd "$D/text.v1.count"
: >"$D/empty.v1.count"
head -c 100 "$real" >"$D/trunc100.v1.count"
head -c 8192 "$real" >"$D/trunc8192.v1.count"
head -c 16383 "$real" >"$D/trunc16383.v1.count"
head -c 16384 /dev/urandom >"$D/garbage.v1.count"
{ head -c "$hdr" "$real"; head -c $((16384 - hdr)) /dev/urandom; } >"$D/garbage-records.v1.count"
patch "$D/limit-past-end.v1.count" "$hdr" 99999999
patch "$D/head-out-of-bounds.v1.count" $((hdr + 4)) 4000000000
patch "$D/head-misaligned.v1.count" $((hdr + 4 + 4 * $(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); h = int(sys.argv[2])
print(next(i for i, o in enumerate(struct.unpack_from("<512I", d, h + 4)) if o))' "$real" "$hdr"))) $((rec + 4))
patch "$D/chain-cycle.v1.count" $((rec + 12)) "$rec"
patch "$D/name-unmarked.v1.count" $((rec + 8)) 12
patch "$D/hdrlen-huge.v1.count" 28 4294967264
mkdir "$D/directory.v1.count"
mkfifo "$D/fifo.v1.count"

# dump_fails FILE WHY: exit 1, one stderr line naming FILE, nothing on stdout.
dump_fails() {
	local f=$1 why=$2 rc=0 json
	for json in "" --json; do
		timeout 5 "$TELEM" dump $json "$f" >"$D/out" 2>"$D/err" </dev/null || rc=$?
		local lines
		lines=$(wc -l <"$D/err")
		if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -qF "$f" "$D/err" &&
			{ [ -n "$json" ] || [ ! -s "$D/out" ]; }; then
			_tap_result 0 "dump ${json:+--json }$why: exit 1, one line naming the file: $(cat "$D/err")"
		else
			_tap_result 1 "dump ${json:+--json }$why: exit 1, one line naming the file" || true
			diag "exit $rc, $lines stderr lines:" "$(head -c 600 "$D/err")" "stdout: $(head -c 200 "$D/out")"
		fi
		rc=0
	done
}

dump_fails "$D/text.v1.count" "a text file"
dump_fails "$D/empty.v1.count" "an empty file"
dump_fails "$D/trunc100.v1.count" "a counter file truncated to 100 bytes"
dump_fails "$D/trunc8192.v1.count" "a counter file truncated to 8192 bytes"
dump_fails "$D/trunc16383.v1.count" "a counter file one byte short of 16 KiB"
dump_fails "$D/garbage.v1.count" "random bytes"
dump_fails "$D/garbage-records.v1.count" "a valid header over random records"
dump_fails "$D/limit-past-end.v1.count" "a limit past the end of the file"
dump_fails "$D/head-out-of-bounds.v1.count" "a bucket head out of bounds"
dump_fails "$D/head-misaligned.v1.count" "a bucket head inside a record"
dump_fails "$D/chain-cycle.v1.count" "a bucket chain that loops"
dump_fails "$D/name-unmarked.v1.count" "a record length without its 0xFF mark"
dump_fails "$D/hdrlen-huge.v1.count" "a header length of 4 GiB"
dump_fails "$D/no-such-file.v1.count" "a missing file"
dump_fails "$D/directory.v1.count" "a directory"
dump_fails "$D/fifo.v1.count" "a FIFO (must not block)"
if is_root; then
	skip 2 "unreadable file: running as root, permissions do not apply"
else
	cp "$real" "$D/unreadable.v1.count"
	chmod 000 "$D/unreadable.v1.count"
	dump_fails "$D/unreadable.v1.count" "an unreadable file"
fi
dump_fails "$D/text.v1.count/sub" "a path through a file"

# The good file still works, and a good and a bad one together: the good
# one is shown, the bad one named, exit 1.
ok "dump of the undamaged file exits 0" "$TELEM" dump "$real"
rc=0
"$TELEM" dump "$real" "$D/garbage.v1.count" >"$D/out" 2>"$D/err" || rc=$?
ok "dump good bad: exit 1, good one shown, bad one named" \
	test "$rc" -eq 1 -a "$(grep -c 'invocations' "$D/out")" -eq 1 -a "$(grep -c garbage "$D/err")" -eq 1

# Usage errors: exit 2, stderr says what was wrong.
usage_fails() { # DESC WORD ARGS...
	local desc=$1 word=$2 rc=0
	shift 2
	timeout 10 "$TELEM" "$@" >"$D/out" 2>"$D/err" </dev/null || rc=$?
	ok "$desc: exit 2 ($rc), stderr names '$word'" test "$rc" -eq 2 -a -n "$(grep -F -- "$word" "$D/err")"
}
usage_fails "unknown command" frobnicate frobnicate
usage_fails "unknown option to dump" --frob dump --frob
usage_fails "an argument to off" extra off extra
usage_fails "--dir without a directory" --dir --dir
rc=0
"$TELEM" >"$D/out" 2>"$D/err" || rc=$?
ok "no command: exit 2, usage on stderr" test "$rc" -eq 2 -a -s "$D/err"

# --help everywhere: exit 0, usage on stdout, nothing on stderr.
help_ok() { # ARGS...
	local rc=0
	"$TELEM" "$@" >"$D/out" 2>"$D/err" || rc=$?
	ok "telem $*: exit 0, usage on stdout" test "$rc" -eq 0 -a ! -s "$D/err" -a -n "$(grep -i usage "$D/out")"
}
help_ok --help
commands=$("$TELEM" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
ok "telem --help lists commands ($(echo $commands))" test -n "$commands"
for c in $commands; do
	help_ok "$c" --help
done
# --help must not act: telem off --help leaves the mode alone.
dir=$(new_dir)
"$TELEM" --dir "$dir" off --help >/dev/null
ok "telem off --help does not write a mode file" test ! -e "$dir/mode"

done_testing
