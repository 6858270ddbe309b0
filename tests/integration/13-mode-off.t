#!/usr/bin/env bash
# Mode off: with the mode file saying off (written by `telem off`), or with
# TELEM_MODE=off, a host under the shim creates nothing, and strace sees no
# file system call from it beyond what an empty preloaded object costs, plus
# (for the mode file) the one open of the mode file.
. "$(dirname "$0")/../lib.sh"
need_built
need_strace

T=$(new_dir)
echo 'void telem_test_empty(void) {}' | cc -shared -fPIC -x c - -o "$T/empty.so"
ok "built an empty preloaded object" test -e "$T/empty.so"

# file_calls PRELOAD OUT [VAR=VALUE...]: the file system calls (%file) of
# /bin/true preloaded with PRELOAD, as "syscall path" lines, the preloaded
# object's path replaced by PRELOAD so the two runs compare.
file_calls() {
	local so=$1 out=$2
	shift 2
	env "$@" strace -f -qq -e trace=%file -o "$out.raw" -E LD_PRELOAD="$so" /bin/true
	sed -n 's/^[0-9]* *\([a-z_0-9]*\)([^"]*"\([^"]*\)".*/\1 \2/p' "$out.raw" |
		sed "s|$so|PRELOAD|" | sort >"$out"
}

check_off() { # TAG VAR=VALUE...: runs true with the shim and with empty.so
	local tag=$1 extra
	shift
	file_calls "$T/empty.so" "$T/empty.calls" "$@"
	file_calls "$SHIM" "$T/shim.calls" "$@"
	ok "$tag: the traced runs saw file calls at all" test -s "$T/empty.calls"
	extra=$(comm -13 "$T/empty.calls" "$T/shim.calls")
	missing=$(comm -23 "$T/empty.calls" "$T/shim.calls")
	is "$extra" "$WANT_EXTRA" "$tag: file calls beyond an empty preload: ${WANT_EXTRA:-none}"
	is "$missing" "" "$tag: and none of the empty preload's calls is missing"
}

# 1. The mode file, as `telem off` writes it.
new_telem_dir
ok "telem off exits 0" "$TELEM" off
ok "telem off writes the mode file: off <date>" grep -qx 'off [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]' "$TELEM_DIR/mode"
# The directory (checked: issue 10), then its mode file beneath it (one
# component: openat with O_NOFOLLOW is enough).
WANT_EXTRA="openat $TELEM_DIR
openat mode"
check_off "mode file off" TELEM_DIR="$TELEM_DIR"
LD_PRELOAD=$SHIM /bin/true
LD_PRELOAD=$SHIM sh -c 'exit 3'
is "$(cd "$TELEM_DIR" && find . -mindepth 1 | sort | tr '\n' ' ')" "./mode " \
	"mode file off: nothing created besides the mode file"

# 2. TELEM_MODE=off: not even the mode file is looked at, and it wins over
# a mode file that says local.
new_telem_dir
"$TELEM" local
WANT_EXTRA=""
check_off "TELEM_MODE=off" TELEM_DIR="$TELEM_DIR" TELEM_MODE=off
TELEM_MODE=off LD_PRELOAD=$SHIM /bin/true
TELEM_MODE=off LD_PRELOAD=$SHIM sh -c 'exit 3'
is "$(cd "$TELEM_DIR" && find . -mindepth 1 | sort | tr '\n' ' ')" "./mode " \
	"TELEM_MODE=off: nothing created"
gone=$(new_dir)/not-yet
TELEM_DIR=$gone TELEM_MODE=off LD_PRELOAD=$SHIM /bin/true
ok "TELEM_MODE=off: a missing telem directory is not created" test ! -e "$gone"

# 3. Back on: the same directory counts again (the switch is not sticky).
"$TELEM" local
LD_PRELOAD=$SHIM /bin/true
is "$(counters_sum true/invocations)" "true/invocations=1" "after telem local, the shim counts again"

done_testing
