#!/usr/bin/env bash
# telem crashes --symbolize (issue 12 item 13, issue 14 item 7): modules
# are found by build-id where the crash record says they were loaded from
# (a program run as ./gen, not on PATH), inlined frames are shown as gdb
# shows them, a library rebuilt since is never used to name frames, and
# what is missing is said exactly (file missing vs no symbols).
. "$(dirname "$0")/../lib.sh"
RUN=$PROG/crash_run
need_built "$RUN"
command -v gdb >/dev/null || { echo "1..0 # skip gdb is not installed"; exit 0; }
W=$(new_dir)
cat >"$W/gen.c" <<'C'
#include <stdio.h>
extern int plug_value(int);
static int *volatile table;
static inline __attribute__((always_inline)) int cell(int i) { return table[i] * 2; }
static inline __attribute__((always_inline)) int row_value(int i) { return cell(i) + plug_value(i); }
__attribute__((noipa)) static int render(int i) { int r = row_value(i) + 1; return r; }
int main(int argc, char **argv) { (void)argv; printf("%d\n", render(argc)); return 0; }
C
cat >"$W/plug.c" <<'C'
__attribute__((noipa)) int plug_value(int x) { return x + 1; }
C
mkdir -p "$W/lib"
gcc -O2 -g -fPIC -shared -o "$W/lib/libplug.so" "$W/plug.c"
gcc -O2 -g -o "$W/gen" "$W/gen.c" -L"$W/lib" -lplug -Wl,-rpath,"$W/lib"
T=$(new_dir)
"$RUN" "$(new_dir)" "$W" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$T" -- ./gen
sym() { # sym OUT: crashes --symbolize --json of $T, from a directory where gen is not
	(cd / && "$TELEM" --dir "$T" crashes --symbolize --json >"$1" 2>"$1.err")
}
q() { python3 -c '
import json, sys
s = [x for x in json.load(open(sys.argv[1])) if x["program"] == "gen"][0]
print(eval(sys.argv[2]))' "$@"; }
sym "$W/s1"
ok "./gen (not on PATH) is found where it was loaded from" test "$(q "$W/s1" 's["symbolized"][0] is not None')" = True
# gdb's frames at the fault: innermost inlined first, "name at file:line".
(cd "$W" && gdb -batch -nx -ex run -ex bt ./gen 2>/dev/null) | python3 -c '
import re, sys
for line in sys.stdin:
    m = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\) at (\S+):(\d+)", line)
    if m:
        print("%s at %s:%s" % (m.group(1), m.group(2).split("/")[-1], m.group(3)))' | head -n 3 >"$W/gdb"
q "$W/s1" '"\n".join(l.split(" at ")[0] + " at " + l.split(" at ")[1].split("/")[-1] for l in s["symbolized"][0].split("\n"))' >"$W/telem"
is "$(cat "$W/telem")" "$(cat "$W/gdb")" "the faulting frame shows its inlined functions, with lines, as gdb's backtrace does"
diag "gdb: $(paste -sd' ' "$W/gdb")"

# The library rebuilt in place: another build under the same path.
echo '__attribute__((noipa)) int plug_value(int x) { return x * 7 + 3; } int other(void) { return 1; }' >"$W/plug.c"
gcc -O2 -g -fPIC -shared -o "$W/lib/libplug.so" "$W/plug.c"
T2=$(new_dir)
cat >"$W/plug_crash.c" <<'C'
extern int plug_value(int);
int main(int argc, char **argv) { (void)argv; return plug_value(argc) == 99; }
C
echo '__attribute__((noipa)) int plug_value(int x) { return *(volatile int *)0 + x; }' >"$W/plug.c"
gcc -O2 -g -fPIC -shared -o "$W/lib/libplug.so" "$W/plug.c"
gcc -O2 -g -o "$W/plug_crash" "$W/plug_crash.c" -L"$W/lib" -lplug -Wl,-rpath,"$W/lib"
"$RUN" "$(new_dir)" "$W" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$T2" -- ./plug_crash
"$TELEM" --dir "$T2" crashes >/dev/null 2>&1 # ingested while the library is the build that crashed
echo '__attribute__((noipa)) int plug_value(int x) { return x - 5; } int pad1(void) { return 2; } int pad2(void) { return 3; }' >"$W/plug.c"
gcc -O2 -g -fPIC -shared -o "$W/lib/libplug.so" "$W/plug.c"
(cd / && "$TELEM" --dir "$T2" crashes --symbolize --json >"$W/s2" 2>&1)
is "$(python3 -c '
import json, sys
s = [x for x in json.load(open(sys.argv[1])) if x["program"] == "plug_crash"][0]
i = [n for n, f in enumerate(s["frames"]) if f.startswith("libplug.so")][0]
print(s["symbolized"][i], "is another build" in s["missing"][i])' "$W/s2")" "None True" \
	"a library rebuilt since the crash is not used to name its frames, and that is said"

# Missing file vs no symbols.
cp "$W/gen" "$W/gen.keep"
rm "$W/gen"
sym "$W/s3"
ok "a deleted program: the reason says the file is missing" \
	eval "q '$W/s3' 's[\"missing\"][0]' | grep -q 'gen is missing'"
cp "$W/gen.keep" "$W/gen"
strip --strip-all "$W/gen"
sym "$W/s4"
is "$(q "$W/s4" 's["symbolized"][0] is None and "no symbols" in s["missing"][0]')" True \
	"the same build without symbols: the reason says it has no symbols"
diag "$(q "$W/s4" 's["missing"][0]')"
ok "the recorded frames do not change with --symbolize" \
	test "$(q "$W/s1" 's["frames"]')" = "$(q "$W/s4" 's["frames"]')"
ok "paths never reach the frames" eval "! q '$W/s1' '\" \".join(s[\"frames\"])' | grep -q /"
done_testing
