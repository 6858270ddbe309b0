#!/usr/bin/env bash
# Every program of a fleet runs unchanged under the shim (issue 13): musl
# programs, 32-bit programs, arm64 programs under qemu-aarch64-static, and
# the one LD_PRELOAD line with ld.so's $LIB token that serves them all.
# For each: stdout, stderr and exit status byte for byte the same with and
# without the shim, and the counters it must leave; crash records of i386
# and arm64 programs are ingested by this (x86-64) telem into the right
# function names. Each kind is skipped where its toolchain is missing
# (scripts/deps.sh installs them all).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crash.sh"
need_built

SRC=$ROOT/tests/programs
W=$(new_dir)

# same NAME HOW SHIM CMD...: runs CMD without, then with SHIM preloaded, and
# checks that stdout, stderr and the status are identical; HOW is direct,
# or qemu-i386 / qemu-aarch64 (user-mode emulation, which passes the
# preload on with -E). The status with the shim is left in $rc.
same() {
	local name=$1 how=$2 shim=$3 bare=() with=()
	shift 3
	case $how in
	direct) bare=("$@") with=(env LD_PRELOAD="$shim" "$@") ;;
	qemu-i386) bare=(qemu-i386-static "$@") with=(qemu-i386-static -E LD_PRELOAD="$shim" "$@") ;;
	qemu-aarch64)
		bare=(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$@")
		with=(qemu-aarch64-static -L /usr/aarch64-linux-gnu -E LD_PRELOAD="$shim" "$@")
		;;
	esac
	local b=$W/bare s=$W/shim r1=0 r2=0
	(ulimit -c 0; "${bare[@]}") >"$b.out" 2>"$b.err" || r1=$?
	(ulimit -c 0; "${with[@]}") >"$s.out" 2>"$s.err" || r2=$?
	rc=$r2
	if cmp -s "$b.out" "$s.out" && cmp -s "$b.err" "$s.err" && [ "$r1" = "$r2" ]; then
		_tap_result 0 "$name: stdout, stderr and status $r1 are the same with the shim"
	else
		_tap_result 1 "$name: stdout, stderr and status are the same with the shim" || true
		diag "status $r1 without, $r2 with" "$(diff "$b.err" "$s.err" | head -5)"
	fi
}

not_grep() { ! grep -q "$@"; }

# counts DIR PROG WANT: PROG's exit, invocation and signal counters.
counts() {
	oracle_counts "$1" "$2/" | grep -E '/(invocations|exit:|signal:)' | paste -sd' ' -
}

# ---- musl: started by the glibc-built shim and counted ----
if command -v musl-gcc >/dev/null; then
	for p in exitpath outerr crash_null; do
		# musl-gcc's specs drop the build-id Debian's gcc adds: give it back, as real builds have one
		musl-gcc -O2 -g -Wl,--build-id -o "$W/$p" "$SRC/$p.c" -lpthread
	done
	for how in "return 3" "exit 4" "_exit 5" "_Exit 6" "thread 7" fork vfork; do
		new_telem_dir
		same "musl exitpath $how" direct "$SHIM" "$W/exitpath" $how
		code=${how#* }
		[ "$how" = fork ] || [ "$how" = vfork ] && code=0
		is "$(counts "$TELEM_DIR" exitpath)" "exitpath/exit:$code=1 exitpath/invocations=1" \
			"musl exitpath $how: counted once, with the status the parent saw"
	done
	new_telem_dir
	same "musl outerr" direct "$SHIM" "$W/outerr"
	is "$(counts "$TELEM_DIR" outerr)" "outerr/exit:5=1 outerr/invocations=1" "musl outerr: counted"
	is "$(ls "$TELEM_DIR"/local/outerr@*-musl-linux-amd64-*.v1.count 2>/dev/null | wc -l)" 1 \
		"musl outerr: its counter file names the runtime musl"
	new_telem_dir
	same "musl crash_null" direct "$SHIM" "$W/crash_null"
	is "$rc" 139 "musl crash_null: dies of SIGSEGV as without the shim"
	is "$(counts "$TELEM_DIR" crash_null)" "crash_null/invocations=1 crash_null/signal:SIGSEGV=1" \
		"musl crash_null: the signal is counted"
	out=$("$TELEM" crashes 2>&1)
	ok "musl crash_null: its record is ingested into function names" grep -q 'crash_null!level_10' <<<"$out"
else
	skip 21 "musl-gcc not installed (musl-tools)"
fi

# ---- i386: the 32-bit shim, a 32-bit program run directly ----
SHIM32=$ROOT/shim/i386/libtelem.so
if [ -f "$SHIM32" ]; then
	for p in exitpath outerr crash_null; do
		gcc -m32 -O2 -g -fomit-frame-pointer -o "$W/${p}32" "$SRC/$p.c" -lpthread
	done
	new_telem_dir
	same "i386 outerr" direct "$SHIM32" "$W/outerr32"
	is "$(counts "$TELEM_DIR" outerr32)" "outerr32/exit:5=1 outerr32/invocations=1" "i386 outerr: counted"
	is "$(ls "$TELEM_DIR"/local/outerr32@*-linux-386-*.v1.count 2>/dev/null | wc -l)" 1 \
		"i386 outerr: its counter file is GOARCH 386"
	new_telem_dir
	same "i386 exitpath vfork" direct "$SHIM32" "$W/exitpath32" vfork
	is "$(counts "$TELEM_DIR" exitpath32)" "exitpath32/exit:0=1 exitpath32/invocations=1" \
		"i386 exitpath vfork: the child's _exit is not the parent's"
	new_telem_dir
	same "i386 crash_null" direct "$SHIM32" "$W/crash_null32"
	is "$(counts "$TELEM_DIR" crash_null32)" "crash_null32/invocations=1 crash_null32/signal:SIGSEGV=1" \
		"i386 crash_null: the signal is counted"
	out=$("$TELEM" crashes 2>&1)
	ok "i386 crash_null: the 64-bit telem ingests the 32-bit record into function names" \
		grep -q 'crash_null32!level_10.*' <<<"$out"
	ok "i386 crash_null: ... down to main" grep -q 'crash_null32!main+' <<<"$out"
	if command -v qemu-i386-static >/dev/null; then
		new_telem_dir
		same "i386 outerr under qemu-i386-static" qemu-i386 "$SHIM32" "$W/outerr32"
		is "$(counts "$TELEM_DIR" outerr32)" "outerr32/exit:5=1 outerr32/invocations=1" \
			"i386 outerr under qemu-i386-static: counted"
	else
		skip 2 "qemu-i386-static not installed (qemu-user-static)"
	fi
else
	skip 12 "no 32-bit toolchain here (gcc-multilib): shim/i386 not built"
fi

# ---- one line for every process: make install, LD_PRELOAD='.../$LIB/...' ----
dest=$(new_dir)
if make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1; then
	line="$dest/usr/local/\$LIB/telem/libtelem.so"
	new_telem_dir
	same "installed \$LIB line, 64-bit outerr" direct "$line" "$PROG/outerr"
	kinds="outerr/exit:5=1 outerr/invocations=1"
	if [ -f "$SHIM32" ]; then
		same "installed \$LIB line, 32-bit outerr" direct "$line" "$W/outerr32"
		ok "installed \$LIB line, 32-bit outerr: no ld.so error line" not_grep 'ld.so' "$W/shim.err"
		is "$(counts "$TELEM_DIR" outerr32)" "outerr32/exit:5=1 outerr32/invocations=1" "installed \$LIB line: the 32-bit program is counted"
	else
		skip 3 "no 32-bit shim"
	fi
	if command -v musl-gcc >/dev/null; then
		same "installed \$LIB line, musl outerr" direct "$line" "$W/outerr"
		kinds="outerr/exit:5=2 outerr/invocations=2"
	else
		skip 1 "no musl"
	fi
	is "$(counts "$TELEM_DIR" outerr)" "$kinds" "installed \$LIB line: the 64-bit (and musl) programs are counted"
	env_out=$("$dest/usr/local/bin/telem" env 2>&1)
	ok "telem env prints the quoted \$LIB line" grep -qF "export LD_PRELOAD='$dest/usr/local/\$LIB/telem/libtelem.so'" <<<"$env_out"
else
	skip 7 "make install failed"
fi

# ---- arm64 under qemu-aarch64-static ----
SHIMA64=$ROOT/shim/aarch64/libtelem.so
if [ -f "$SHIMA64" ] && command -v qemu-aarch64-static >/dev/null; then
	for p in exitpath outerr crash_null crash_recover; do
		clang --target=aarch64-linux-gnu -fuse-ld=lld -O2 -g -fomit-frame-pointer -Wl,--build-id=sha1 \
			-o "$W/${p}64" "$SRC/$p.c" -lpthread 2>/dev/null
	done
	new_telem_dir
	same "arm64 outerr" qemu-aarch64 "$SHIMA64" "$W/outerr64"
	is "$(counts "$TELEM_DIR" outerr64)" "outerr64/exit:5=1 outerr64/invocations=1" "arm64 outerr: counted"
	is "$(ls "$TELEM_DIR"/local/outerr64@*-linux-arm64-*.v1.count 2>/dev/null | wc -l)" 1 \
		"arm64 outerr: its counter file is GOARCH arm64"
	new_telem_dir
	same "arm64 exitpath exit 9" qemu-aarch64 "$SHIMA64" "$W/exitpath64" exit 9
	is "$(counts "$TELEM_DIR" exitpath64)" "exitpath64/exit:9=1 exitpath64/invocations=1" "arm64 exitpath exit 9: counted"
	new_telem_dir
	same "arm64 crash_recover fixup (faults handled by the host's handler)" qemu-aarch64 "$SHIMA64" "$W/crash_recover64" 50 fixup
	is "$(counts "$TELEM_DIR" crash_recover64)" "crash_recover64/exit:0=1 crash_recover64/invocations=1" \
		"arm64 crash_recover: 50 faults delivered to the host's handler, none a crash"
	is "$(records "$TELEM_DIR")" 0 "arm64 crash_recover: no crash record"
	new_telem_dir
	same "arm64 crash_null" qemu-aarch64 "$SHIMA64" "$W/crash_null64"
	is "$(counts "$TELEM_DIR" crash_null64)" "crash_null64/invocations=1 crash_null64/signal:SIGSEGV=1" \
		"arm64 crash_null: the signal is counted"
	out=$("$TELEM" crashes 2>&1)
	ok "arm64 crash_null: the x86-64 telem ingests the arm64 record into function names" \
		grep -q 'crash_null64!level_10+' <<<"$out"
	ok "arm64 crash_null: ... every level down to main" \
		python3 -c 'import sys; s=sys.stdin.read(); sys.exit(not all("crash_null64!level_%d+" % i in s for i in range(1, 11)) or "crash_null64!main+" not in s)' <<<"$out"
else
	skip 13 "no aarch64 shim (clang, lld, libc6-dev-arm64-cross) or no qemu-aarch64-static"
fi

done_testing
