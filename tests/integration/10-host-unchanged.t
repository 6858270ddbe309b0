#!/usr/bin/env bash
# The host never notices: for each host command, stdout, stderr, exit status
# (and the object file gcc writes) are byte for byte the same with and
# without the shim, whatever state the telem directory is in; errno at main
# is 0 and no descriptor is left open; fds 0-2 closed at start; umask 077.
. "$(dirname "$0")/../lib.sh"
need_built "$PROG/exit7" "$PROG/outerr" "$PROG/errno_main"

W=$(new_dir)
HOST_CWD=$W
printf 'int twice(int x) { return 2 * x; }\n' >"$W/good.c"
printf 'int broken(void) {\n\treturn undeclared_name + ;\n}\n' >"$W/bad.c"
SH=$(prog_name /bin/sh)

# Host commands: name, the counters they must leave ("prog:exit ..."), command.
CASES=(gcc-good gcc-error sh-exit3 exit7 _Exit7 outerr errno_main)
case_expect() {
	case $1 in
	gcc-good) echo "gcc:0 cc1:0 as:0" ;;
	gcc-error) echo "gcc:1 cc1:1" ;;
	sh-exit3) echo "$SH:3" ;;
	exit7 | _Exit7) echo "exit7:7" ;;
	outerr) echo "outerr:5" ;;
	errno_main) echo "errno_main:0" ;;
	esac
}
case_cmd() {
	case $1 in
	gcc-good) CMD=(gcc -c good.c -o out.o) ;;
	gcc-error) CMD=(gcc -c bad.c -o out.o) ;;
	sh-exit3) CMD=(sh -c 'exit 3') ;;
	exit7) CMD=("$PROG/exit7") ;;
	_Exit7) CMD=("$PROG/exit7" _Exit) ;;
	outerr) CMD=("$PROG/outerr") ;;
	errno_main) CMD=("$PROG/errno_main") ;;
	esac
}

B=$(new_dir)
for c in "${CASES[@]}"; do
	case_cmd "$c"
	host_run "$B/$c" "${CMD[@]}"
done
is "$(cat "$B/gcc-error/status") $(cat "$B/sh-exit3/status") $(cat "$B/exit7/status") $(cat "$B/outerr/status")" \
	"1 3 7 5" "baseline: the hosts exit as expected without the shim"

# with_shim CASE TELEM_DIR OUT: runs the case preloaded.
with_shim() {
	case_cmd "$1"
	HOST_SHIM=$SHIM HOST_TELEM_DIR=$2 host_run "$3" "${CMD[@]}"
}

# Runs CASE once with the shim into DIR, so that DIR holds real files.
prime() {
	with_shim "$1" "$2" "$(new_dir)"
	compgen -G "$2/local/*.v1.count" >/dev/null
}

# Each env_* makes a telem directory for a case and prints its path;
# failing means the variant cannot be set up here (it is then skipped).
env_fresh() { new_dir; }
env_missing() { echo "$(new_dir)/no/such/dir"; }
env_not_a_dir() { local f; f=$(new_dir)/file; echo "not a directory" >"$f"; echo "$f"; }
env_local_not_a_dir() { local d; d=$(new_dir); echo x >"$d/local"; echo "$d"; }
env_chmod_555() { local d; d=$(new_dir); mkdir "$d/local"; chmod 555 "$d/local" "$d"; echo "$d"; }
env_ro_mount() {
	local d; d=$(new_dir)
	try_mount -t tmpfs -o ro,size=1m,mode=700 tmpfs "$d" && echo "$d"
}
# Full to the last block.
env_full_tmpfs() {
	local d; d=$(new_dir)
	try_mount -t tmpfs -o size=64k,mode=700 tmpfs "$d" || return 1
	mkdir "$d/local" && echo 3 >"$d/local/weekends"
	dd if=/dev/zero of="$d/fill" bs=4k 2>/dev/null
	echo "$d"
}
# Room for the weekends file and a directory, not for a 16 KiB page: a
# sparse file written through its mapping would raise SIGBUS here.
env_almost_full_tmpfs() {
	local d; d=$(new_dir)
	try_mount -t tmpfs -o size=64k,mode=700 tmpfs "$d" || return 1
	dd if=/dev/zero of="$d/fill" bs=4k count=13 2>/dev/null
	echo "$d"
}
env_truncated_100() { local d; d=$(new_dir); prime "$1" "$d" && truncate -s 100 "$d"/local/*.v1.count && echo "$d"; }
env_truncated_8192() { local d; d=$(new_dir); prime "$1" "$d" && truncate -s 8192 "$d"/local/*.v1.count && echo "$d"; }
env_garbage() {
	local d f; d=$(new_dir)
	prime "$1" "$d" || return 1
	for f in "$d"/local/*.v1.count; do head -c 16384 /dev/urandom >"$f"; done
	echo "$d"
}
# The header stays valid (so the file is adopted), the rest is random:
# bucket heads, limit and records point anywhere.
env_garbage_records() {
	local d f hdr; d=$(new_dir)
	prime "$1" "$d" || return 1
	for f in "$d"/local/*.v1.count; do
		hdr=$(od -An -tu4 -j28 -N4 "$f" | tr -d ' ')
		{ head -c "$hdr" "$f"; head -c $((16384 - hdr)) /dev/urandom; } >"$f.new" && mv "$f.new" "$f"
	done
	echo "$d"
}
# Every bucket chain loops back on its first record (go#68311: a corrupt
# file must not make the host loop).
env_cycle() {
	local d; d=$(new_dir)
	prime "$1" "$d" || return 1
	python3 - "$d"/local/*.v1.count <<'PY' || return 1
import struct, sys
for path in sys.argv[1:]:
    data = bytearray(open(path, "rb").read())
    hdr = struct.unpack_from("<I", data, 28)[0]
    for b in range(512):
        head = struct.unpack_from("<I", data, hdr + 4 + 4 * b)[0]
        if head:
            struct.pack_into("<I", data, head + 12, head)
    open(path, "wb").write(data)
PY
	echo "$d"
}
# Today's files and the weekends file are symlinks to paths elsewhere: the
# shim must not follow them (the directory may be shared).
env_symlinks() {
	local d s f; d=$(new_dir); s=$(new_dir)
	prime "$1" "$s" || return 1
	mkdir "$d/local" "$d/victim"
	for f in "$s"/local/*.v1.count "$s/local/weekends"; do
		ln -s "$d/victim/$(basename "$f")" "$d/local/$(basename "$f")"
	done
	echo "$d"
}

# FIFOs where the mode, weekends and counter files belong: opening one for
# reading without O_NONBLOCK would block the host forever. Run on two cases
# only, with a short timeout, since a failure here costs the timeout.
env_fifo_mode() { local d; d=$(new_dir); mkfifo "$d/mode"; echo "$d"; }
env_fifo_weekends() { local d; d=$(new_dir); mkdir "$d/local"; mkfifo "$d/local/weekends"; echo "$d"; }
env_fifo_counter_file() {
	local d s f; d=$(new_dir); s=$(new_dir)
	prime "$1" "$s" || return 1
	mkdir "$d/local"
	for f in "$s"/local/*.v1.count; do mkfifo "$d/local/$(basename "$f")"; done
	echo "$d"
}
cases_fifo_mode() { echo sh-exit3 exit7; }
cases_fifo_weekends() { echo sh-exit3 exit7; }
timeout_fifo_mode() { echo 5; }
timeout_fifo_weekends() { echo 5; }

ENVS=(fresh missing not_a_dir local_not_a_dir chmod_555 ro_mount full_tmpfs almost_full_tmpfs
	truncated_100 truncated_8192 garbage garbage_records cycle symlinks
	fifo_mode fifo_weekends fifo_counter_file)

# Checks made after a run, beyond the host's bytes.
after_fresh() { # the shim did count: invocations and exactly one exit each
	local want have p code bad=0
	have=$(TELEM_DIR=$2 counters_sum)
	for want in $(case_expect "$1"); do
		p=${want%%:*} code=${want#*:}
		local inv exits
		inv=$(grep -c "^$p/invocations=1$" <<<"$have")
		exits=$(grep "^$p/exit:" <<<"$have" | tr '\n' ' ')
		if [ "$inv" != 1 ] || [ "$exits" != "$p/exit:$code=1 " ]; then
			bad=1
			diag "$p: invocations line found $inv times; exit counters: ${exits:-none}"
		fi
	done
	ok "$1: fresh dir: counted $(case_expect "$1"), one exit each" test $bad -eq 0
	[ $bad -eq 0 ] || diag "all counters:" "$have"
}
# Short files (a creator that died mid-way) are completed or replaced
# (issue 11.5): afterwards every file is a valid counter file of 16 KiB.
after_truncated_100() { repaired_files "$@"; }
after_truncated_8192() { repaired_files "$@"; }
repaired_files() {
	local bad
	bad=$(cf_oracle "$2"/local/*.v1.count | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["error"]: print(r["file"], r["error"])')
	is "$bad:$(stat -c %s "$2"/local/*.v1.count | sort -u)" ":16384" "$1: $3: the short files were repaired"
}
after_garbage() { same_files "$@"; }
same_files() {
	local now
	now=$(file_sums "$2/local")
	is "$now" "$(cat "$2.sums")" "$1: $3: the unusable files were left untouched"
}
after_symlinks() {
	is "$(ls -A "$2/victim")" "" "$1: symlinks: nothing created or written through them"
}

for e in "${ENVS[@]}"; do
	cases=("${CASES[@]}")
	if declare -F "cases_$e" >/dev/null; then read -ra cases <<<"$("cases_$e")"; fi
	timeout=60
	if declare -F "timeout_$e" >/dev/null; then timeout=$("timeout_$e"); fi
	for c in "${cases[@]}"; do
		if ! dir=$(env_$e "$c") || [ -z "$dir" ]; then
			skip 1 "$c: $e: cannot be set up here (needs root and tmpfs mounts)"
			continue
		fi
		file_sums "$dir/local" >"$dir.sums"
		HOST_TIMEOUT=$timeout with_shim "$c" "$dir" "$W/run-$e-$c"
		ok "$c: telem dir $e: same stdout, stderr, status as without the shim" \
			same_run "$B/$c" "$W/run-$e-$c"
		if declare -F "after_$e" >/dev/null; then "after_$e" "$c" "$dir" "$e"; fi
	done
done

# umask 077: the host's files follow its umask, telem's files do not.
for c in "${CASES[@]}"; do
	dir=$(new_dir)
	case_cmd "$c"
	HOST_UMASK=077 host_run "$W/base-umask-$c" "${CMD[@]}" # baseline under the same umask
	HOST_UMASK=077 HOST_SHIM=$SHIM HOST_TELEM_DIR=$dir host_run "$W/umask-$c" "${CMD[@]}"
	ok "$c: umask 077: same stdout, stderr, status as without the shim" \
		same_run "$W/base-umask-$c" "$W/umask-$c"
	modes=$(cd "$dir/local" 2>/dev/null && stat -c '%a %n' ./*.v1.count weekends | awk '{print $1}' | sort -u | tr '\n' ' ')
	is "$modes" "600 " "$c: umask 077: counter files and weekends are 0600 (private, issue 10)"
done

# fds 0, 1 and 2 closed at start: the shim's files must not become the
# host's stdin/stdout/stderr. Same exit status, and every counter file
# still valid (a host writing to "fd 1" would have written into it).
for c in "${CASES[@]}"; do
	case_cmd "$c"
	dir=$(new_dir)
	HOST_CLOSE_FDS=1 host_run "$W/base-closed-$c" "${CMD[@]}"
	HOST_CLOSE_FDS=1 HOST_SHIM=$SHIM HOST_TELEM_DIR=$dir host_run "$W/closed-$c" "${CMD[@]}"
	is "$(cat "$W/closed-$c/status")" "$(cat "$W/base-closed-$c/status")" \
		"$c: fds 0-2 closed: same exit status as without the shim"
	files=$(cd "$dir" && find . -type f | sort | tr '\n' ' ')
	bad=$(cf_oracle "$dir"/local/*.v1.count | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["error"]: print(r["file"], r["error"])')
	ok "$c: fds 0-2 closed: only counter files and weekends created, all valid" \
		test -z "$bad" -a -n "$(compgen -G "$dir/local/*.v1.count")" -a \
		"$(grep -vc '^\./local/\([^/]*\.v1\.count\|weekends\)$' <<<"${files// /$'\n'}")" -le 1
	[ -z "$bad" ] || diag "$bad"
	diag "files: $files"
done
# errno_main again with 0-2 closed, its report in a file: descriptors at
# main and at exit are the same with and without the shim.
HOST_CLOSE_FDS=1 host_run "$W/x" "$PROG/errno_main" "$W/report-base"
HOST_CLOSE_FDS=1 HOST_SHIM=$SHIM HOST_TELEM_DIR=$(new_dir) host_run "$W/x" "$PROG/errno_main" "$W/report-shim"
is "$(cat "$W/report-shim" 2>&1)" "$(cat "$W/report-base" 2>&1)" \
	"fds 0-2 closed: errno and open descriptors at main and exit as without the shim"

# errno at main, explicitly.
dir=$(new_dir)
HOST_SHIM=$SHIM HOST_TELEM_DIR=$dir host_run "$W/errno" "$PROG/errno_main"
is "$(head -n1 "$W/errno/stdout")" "errno at main: 0" "errno is 0 at main with the shim"
is "$(sed -n 2p "$W/errno/stdout")" "$(sed -n 2p "$B/errno_main/stdout")" \
	"the same descriptors are open at main with the shim ($(sed -n 2p "$B/errno_main/stdout"))"
# Second run: steady state, today's file exists and is adopted.
HOST_SHIM=$SHIM HOST_TELEM_DIR=$dir host_run "$W/errno2" "$PROG/errno_main"
ok "steady state (file exists): same output, errno 0, same descriptors" same_run "$B/errno_main" "$W/errno2"

done_testing
