#!/usr/bin/env bash
# Exactness on a real build: a generated C project of 120 files built with
# make -j4 under the shim and under strace -f. For every program (make, gcc,
# cc1, as, collect2, ld.bfd, ar, dash) the shim's <prog>/invocations equals
# the number of successful execve calls of it that strace saw; every process
# counted exactly one exit; and the build's output is bit-identical to a
# build without the shim.
. "$(dirname "$0")/../lib.sh"
need_built
if ! command -v strace >/dev/null || ! strace -f -qq -o /dev/null true 2>/dev/null; then
	echo "1..0 # skip strace is missing or cannot trace here"
	exit 0
fi

P=$(new_dir)
NFILES=120
gen_project() {
	local i
	mkdir -p "$P/src" "$P/lib"
	: >"$P/src/all.h"
	for ((i = 0; i < NFILES; i++)); do
		printf 'int f%03d(int x);\n' "$i" >>"$P/src/all.h"
		printf '#include "all.h"\nint f%03d(int x) { return x * %d + %d; }\n' "$i" $((i % 7 + 1)) "$i" \
			>"$P/src/f$(printf %03d "$i").c"
	done
	for ((i = 0; i < 4; i++)); do
		printf 'int g%d(int x) { return x ^ %d; }\n' "$i" "$i" >"$P/lib/g$i.c"
	done
	{
		echo '#include <stdio.h>'
		echo '#include "all.h"'
		echo 'int g0(int); int g1(int); int g2(int); int g3(int);'
		echo 'int main(void) {'
		echo '	long s = g0(1) + g1(2) + g2(3) + g3(4);'
		for ((i = 0; i < NFILES; i++)); do printf '\ts += f%03d(%d);\n' "$i" "$i"; done
		echo '	printf("%ld\n", s);'
		echo '	return 0;'
		echo '}'
	} >"$P/main.c"
	# Pattern rules, flags that differ per file, a static library made by
	# ar, and a recipe with a redirection (run through /bin/sh).
	cat >"$P/Makefile" <<'MK'
SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:.c=.o)
LIBOBJS := $(patsubst %.c,%.o,$(wildcard lib/*.c))
CFLAGS := -O1 -Wall

all: prog stamp.txt

prog: main.o $(OBJS) lib/libg.a
	gcc -o $@ main.o $(OBJS) lib/libg.a

src/f0%.o: src/f0%.c src/all.h
	gcc $(CFLAGS) -O2 -DFILE_GROUP=0 -c $< -o $@
src/f1%.o: src/f1%.c src/all.h
	gcc $(CFLAGS) -g -c $< -o $@
%.o: %.c
	gcc $(CFLAGS) -Isrc -c $< -o $@

lib/libg.a: $(LIBOBJS)
	ar rcs $@ $^

stamp.txt: prog
	./prog > $@ && echo built >> $@

clean:
	rm -f prog stamp.txt main.o $(OBJS) $(LIBOBJS) lib/libg.a
MK
}
gen_project
ok "generated $NFILES+5 C files and a Makefile" test "$(ls "$P"/src/*.c "$P"/lib/*.c "$P/main.c" | wc -l)" -ge 100

# Plain build first, for the bit-identical comparison.
plain=$(new_dir)
if make -s -j4 -C "$P" >"$plain/log" 2>&1; then
	cp "$P/prog" "$P/stamp.txt" "$plain/"
	sha256sum "$P"/src/*.o | sed "s|$P/||" >"$plain/objs"
fi
ok "the project builds without the shim" test -e "$plain/prog"
make -s -C "$P" clean

# Under strace, with only the traced command preloaded (strace -E).
new_telem_dir
trace=$(new_dir)/trace
strace -f -ff -qq -e trace=execve -o "$trace" -E LD_PRELOAD="$SHIM" \
	make -s -j4 -C "$P" >"$trace.out" 2>&1
rc=$?
is "$rc" 0 "make -j4 under the shim and strace builds the project"
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$trace.out")"

ok "the program built under the shim is bit-identical" cmp -s "$plain/prog" "$P/prog"
ok "its output is the same" cmp -s "$plain/stamp.txt" "$P/stamp.txt"
ok "all $NFILES objects are bit-identical" \
	cmp -s "$plain/objs" <(sha256sum "$P"/src/*.o | sed "s|$P/||")

# Successful execve per program, normalized as the shim names programs.
traced=$(python3 - "$trace" <<'PY'
import glob, os, re, sys
counts = {}
exec_ok = re.compile(r'^execve\("((?:[^"\\]|\\.)*)", .*\) = 0$')
for path in glob.glob(sys.argv[1] + ".*"):
    for line in open(path, errors="replace"):
        m = exec_ok.match(line.rstrip("\n"))
        if not m:
            continue
        exe = m.group(1).encode().decode("unicode_escape")
        base = os.path.basename(os.path.realpath(exe))
        for t in ("x86_64-linux-gnu-", "aarch64-linux-gnu-", "i686-linux-gnu-", "x86_64-pc-linux-gnu-"):
            if len(base) > len(t) and base.startswith(t):
                base = base[len(t):]
                break
        base = re.sub(r"^(.+)-[0-9]+$", r"\1", base)[:64]
        counts[base] = counts.get(base, 0) + 1
for k in sorted(counts):
    print("%s=%d" % (k, counts[k]))
PY
)
counted=$(counters_sum | sed -n 's|^\([^/]*\)/invocations=|\1=|p')
diag "strace execve: $(echo $traced)"
diag "shim counted:  $(echo $counted)"

for p in make gcc cc1 as collect2 ld.bfd ar prog "$(prog_name /bin/sh)"; do
	want=$(sed -n "s/^$p=//p" <<<"$traced")
	have=$(sed -n "s/^$p=//p" <<<"$counted")
	ok "$p: invocations ${have:-0} = strace's successful execve ${want:-0} (> 0)" \
		test -n "$want" -a "${have:-0}" = "$want"
done
is "$counted" "$traced" "every program: invocations = successful execve, and no other program counted"

# Every process counted exactly one exit, and the build exited 0 throughout.
exits=$(counters_sum | python3 -c '
import re, sys
inv, ex, bad = {}, {}, []
for line in sys.stdin:
    k, v = line.strip().rsplit("=", 1)
    p, c = k.split("/", 1)
    if c == "invocations": inv[p] = int(v)
    elif c.startswith("exit:"):
        ex[p] = ex.get(p, 0) + int(v)
        if c != "exit:0": bad.append(k)
for p in sorted(set(inv) | set(ex)):
    if inv.get(p) != ex.get(p): bad.append("%s: %s invocations, %s exits" % (p, inv.get(p), ex.get(p)))
print("; ".join(bad))
')
is "$exits" "" "each program: exit:0 counts equal invocations (one exit per process)"

files=$(ls "$TELEM_DIR"/local/*.v1.count | wc -l)
bad=$(cf_oracle "$TELEM_DIR"/local/*.v1.count | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["error"] or r["duplicates"]: print(r["file"], r["error"], r["duplicates"])')
is "$bad" "" "all $files counter files are valid for an independent reader, no duplicate name"

done_testing
