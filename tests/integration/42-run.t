#!/usr/bin/env bash
# telem run: a real make -j2 build with a compile failure and a crashing
# tool; counts against strace; exit status and signals; LD_PRELOAD kept;
# nothing-instrumented reasons; merging; a golden summary table.
. "$(dirname "$0")/../lib.sh"

work=$(new_dir)
user=$(new_dir)
export TELEM_DIR=$user
python3 "$ROOT/scripts/genproject.py" "$work/proj" 12 --fail 5 --crash >/dev/null

# 1. The build under strace, through telem run: every execve the kernel saw,
#    per program, against the summary's runs.
# -ff: one log a process, so no execve line is split by another's output.
( cd "$work/proj" && strace -ff -qq -o "$work/trace" -e trace=execve \
	"$TELEM" run --json -- sh -c 'make -j2 -k >/dev/null 2>&1' >"$work/run.json" 2>"$work/run.err" )
status=$?
( cd "$work/proj" && make clean >/dev/null 2>&1; make -j2 -k >/dev/null 2>&1 )
plain=$?
is "$status" "$plain" "telem run exits with make's status ($plain)"
python3 - "$work/trace" "$work/run.json" >"$work/cmp" 2>&1 <<'PY'
import glob, json, os, re, sys
trace, summary = sys.argv[1], json.load(open(sys.argv[2]))
seen = {}
lines = [l for f in glob.glob(trace + '.*') for l in open(f)]
for line in lines:
    m = re.match(r'execve\("([^"]+)".* = 0$', line)
    if not m:
        continue
    path = os.path.realpath(m.group(1))
    base = os.path.basename(path)
    base = re.sub(r'^(x86_64|aarch64|i686)-linux-gnu-', '', base)
    base = re.sub(r'-\d+$', '', base)
    seen[base] = seen.get(base, 0) + 1
for skip in ('telem', 'rm', 'strace'):
    seen.pop(skip, None)
runs = {p['program']: p['runs'] for p in summary['programs']}
bad = {k: (seen.get(k, 0), runs.get(k, 0)) for k in set(seen) | set(runs) if seen.get(k, 0) != runs.get(k, 0)}
print('strace', sorted(seen.items()))
print('summary', sorted(runs.items()))
sys.exit(1 if bad else 0)
PY
cmp_status=$?
diag "$(cat "$work/cmp")"
ok "summary runs equal strace's execve count for every program" test "$cmp_status" -eq 0
ok "the compile failure appears (gcc failed >= 1)" python3 -c "
import json,sys; s=json.load(open('$work/run.json'))
sys.exit(0 if any(p['program']=='gcc' and p['failed']>=1 for p in s['programs']) else 1)"
ok "the crashing tool appears with its crash and stack" python3 -c "
import json,sys; s=json.load(open('$work/run.json'))
crashed=[p for p in s['programs'] if p['crashed']>=1]
stacks=[st for st in s['stacks'] if any('!' in f for f in st['frames'])]
sys.exit(0 if crashed and stacks else 1)"
ok "the run's counters were merged into the user's directory" test -n "$(ls "$user/local"/make@*.count 2>/dev/null)"

# 2. Exit statuses and signals are COMMAND's.
"$TELEM" run -- sh -c 'exit 3' 2>/dev/null
is "$?" 3 "exit status 3 passes through"
python3 - "$TELEM" <<'PY'
import os, signal, subprocess, sys
p = subprocess.run([sys.argv[1], 'run', '--', 'sh', '-c', 'kill -TERM $$'], stderr=subprocess.DEVNULL)
sys.exit(0 if p.returncode == -signal.SIGTERM else 1)
PY
ok "telem dies by the signal COMMAND died by (SIGTERM)" test $? -eq 0

# 3. A parent LD_PRELOAD is kept, not replaced.
printf '#include <stdio.h>\n#include <stdlib.h>\n__attribute__((constructor)) static void mark(void){const char*f=getenv("MARK");if(f){FILE*o=fopen(f,"a");if(o){fputs("x\\n",o);fclose(o);}}}\n' >"$work/mark.c"
cc -shared -fPIC -o "$work/mark.so" "$work/mark.c"
MARK=$work/marks LD_PRELOAD=$work/mark.so "$TELEM" run --json -- sh -c 'true' >"$work/pre.json" 2>/dev/null
ok "the parent's preloaded library still ran in the child" test -s "$work/marks"
ok "and the shim counted the child too" python3 -c "
import json,sys; s=json.load(open('$work/pre.json')); sys.exit(0 if s['processes']>=1 else 1)"

# 4. Nothing instrumented: an honest reason.
printf 'int main(void){return 0;}\n' >"$work/st.c"
if cc -static -o "$work/static" "$work/st.c" 2>/dev/null; then
	"$TELEM" run -- "$work/static" 2>"$work/st.err"
	ok "a static binary: 'nothing instrumented' with the reason" grep -q "nothing instrumented: it is a static binary" "$work/st.err"
else
	skip 1 "no static libc to build a static binary"
fi

# 5. --keep keeps the run's directory; its files say what the summary says.
"$TELEM" run --json --keep "$work/kept" -- sh -c 'true; true' >"$work/k.json" 2>/dev/null
"$TELEM" --dir "$work/kept" dump --json >"$work/kdump.json"
ok "--json runs equal the kept counter files' invocations" python3 -c "
import json,sys
s=json.load(open('$work/k.json')); d=json.load(open('$work/kdump.json'))
inv={}
for f in d:
    for k,v in f['counters'].items():
        if k.endswith('/invocations'): inv[k.split('/')[0]]=inv.get(k.split('/')[0],0)+v
runs={p['program']:p['runs'] for p in s['programs']}
sys.exit(0 if inv==runs and runs else 1)"

# 6. Mode off: measured and summarized, nothing kept.
off=$(new_dir)
TELEM_DIR=$off "$TELEM" off
TELEM_DIR=$off "$TELEM" run -- sh -c 'true' 2>"$work/off.err"
ok "mode off: the summary is still printed" grep -q "instrumented process" "$work/off.err"
ok "mode off: nothing kept in the user's directory" test -z "$(ls "$off/local" 2>/dev/null)"

# 7. Golden summary table: fixed counter files, fixed text.
gold=$(new_dir)
mkdir -p "$gold/local"
for args in "cc1 3 0 1200000 900000 <64MB -O2:3,-g:1" "make 1 1 4000000 100000 <16MB -j:1"; do
	set -- $args
	python3 "$ROOT/tests/fixtures/summary/mkfile.py" "$gold/local" "$@"
done
"$TELEM" summary "$gold/local" | sed "s#$gold/local#LOCAL#" >"$work/golden.out"
ok "summary table matches the golden file" diff -u "$ROOT/tests/fixtures/summary/golden.txt" "$work/golden.out"

done_testing
