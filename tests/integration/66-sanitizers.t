#!/usr/bin/env bash
# Sanitizer builds run unchanged under the shim and are counted (issue 13):
# gcc's shared runtimes (libasan, libtsan, liblsan, libubsan: preloaded
# after the shim) and clang's linked-in ones (initialized from
# .preinit_array, before the shim's start, calling its interposed
# sigaction and pthread_create). tests/programs/sanitized.c, for each of
# address, thread, undefined, leak and each compiler: a clean run, the
# sanitizer's own error, and a NULL store. The reports name PIDs, thread
# ids and ASLR addresses, which differ from run to run with or without the
# shim; those are masked, everything else is compared byte for byte. A
# report the sanitizer ends with its exit code is counted as that exit.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crash.sh"
need_built

W=$(new_dir)
SRC=$ROOT/tests/programs/sanitized.c
mask() { sed -E 's/==[0-9]+==/==PID==/g; s/0x[0-9a-f]+/0xADDR/g; s/\b(T|tid=|pid=)[0-9]+/\1N/g'; }

for cc in gcc clang; do
	for san in address thread undefined leak; do
		prog=$W/$cc-$san
		extra=
		[ $san = undefined ] && extra=-fno-sanitize-recover=all
		if ! command -v $cc >/dev/null || ! $cc -g -O1 -fsanitize=$san $extra -o "$prog" "$SRC" -lpthread 2>/dev/null; then
			skip 6 "$cc -fsanitize=$san cannot build here"
			continue
		fi
		name=$(basename "$prog")
		for mode in ok "error $san" crash; do
			new_telem_dir
			r1=0 r2=0
			# The same environment size for both runs: a sanitizer's
			# frame-pointer unwinder walks on into whatever the host's
			# main leaves in its frame register, here a pointer among the
			# environment strings, so the report's last frame depends on
			# their lengths (mod 8) with or without telem.
			XX_PRELOAD=$SHIM "$prog" $mode >"$W/bare.out" 2>"$W/bare.err" || r1=$?
			LD_PRELOAD=$SHIM "$prog" $mode >"$W/shim.out" 2>"$W/shim.err" || r2=$?
			if [ "$r1" = "$r2" ] && cmp -s "$W/bare.out" "$W/shim.out" &&
				cmp -s <(mask <"$W/bare.err") <(mask <"$W/shim.err"); then
				_tap_result 0 "$name $mode: stdout, stderr (report) and status $r1 as without the shim"
			else
				_tap_result 1 "$name $mode: stdout, stderr (report) and status as without the shim" || true
				diag "status $r1 without, $r2 with" "$(diff <(mask <"$W/bare.err") <(mask <"$W/shim.err") | head -6)"
			fi
			got=$(oracle_counts "$TELEM_DIR" "$name/" | grep -E '/(invocations|exit:|signal:)' | grep -v '=0$' | paste -sd' ' -)
			is "$got" "$name/exit:$r1=1 $name/invocations=1" "$name $mode: counted once, as exit $r1"
		done
	done
done

done_testing
