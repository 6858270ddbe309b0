#!/usr/bin/env bash
# A crash loop cannot fill the disk and loses no count: 1,000 processes
# crash into one telem directory, 50 at a time. Every one dies of SIGSEGV,
# at most 64 records are left (all complete, 16 MiB at most), and the counts are exact:
# crash_null/invocations and crash_null/signal:SIGSEGV = 1000,
# crash/dropped = 1000 - records.
# And the alternate signal stack each thread gets is given back however the
# thread ends: 1,000 threads that return, call pthread_exit or are
# cancelled leave the process no bigger than without the shim.
. "$(dirname "$0")/../lib.sh"
need_built "$PROG/crash_null" "$PROG/thread_churn"

TOTAL=1000
BATCH=50
MAX_RECORDS=64
ulimit -c 0 # a thousand cores would be the test filling the disk
new_telem_dir

deaths=$(python3 - "$PROG/crash_null" "$TOTAL" "$BATCH" "$SHIM" <<'EOF'
import os, subprocess, sys
prog, total, batch, shim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
env = dict(os.environ, LD_PRELOAD=shim)
codes = {}
for start in range(0, total, batch):
    procs = [subprocess.Popen([prog], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(min(batch, total - start))]
    for p in procs:
        rc = p.wait()
        codes[rc] = codes.get(rc, 0) + 1
print(" ".join("%s:%d" % kv for kv in sorted(codes.items())))
EOF
)
is "$deaths" "-11:$TOTAL" "$TOTAL processes, $BATCH at a time, each died of SIGSEGV (returncode:count)"

recs=$(find "$TELEM_DIR/crash" -maxdepth 1 -name '*.rec' | wc -l)
ok "at most $MAX_RECORDS records ($recs)" test "$recs" -le "$MAX_RECORDS"
ok "at least one record" test "$recs" -ge 1
bytes=$(find "$TELEM_DIR/crash" -maxdepth 1 -name '*.rec' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
ok "records hold at most 16 MiB in all ($bytes bytes)" test "$bytes" -le $((16 << 20))
others=$(find "$TELEM_DIR/crash" -mindepth 1 -maxdepth 1 ! -name '*.rec' | wc -l)
is "$others" 0 "nothing but records in crash/"

# Every record complete: its writer finished before dying.
incomplete=$(python3 - "$TELEM_DIR"/crash/*.rec <<'EOF'
import struct, sys
head = struct.Struct("<8sIIIIiiiIQqq68s16s32s8s8s160s4x34QIIIIQQQQ")
bad = 0
for path in sys.argv[1:]:
    d = open(path, "rb").read()
    if len(d) < head.size:
        bad += 1
        continue
    f = head.unpack_from(d)
    if f[0] != b"TELEMCR1" or f[2] != head.size or f[18 + 34 + 3] != 1:
        bad += 1
print(bad)
EOF
)
is "$incomplete" 0 "every record is complete"

# Counts, with lib.sh's independent reader (telem would ingest the records).
files=("$TELEM_DIR"/local/*.v1.count)
counts=$(cf_oracle "${files[@]}" | python3 -c '
import json, sys
total = {}
errors = []
for line in sys.stdin:
    r = json.loads(line)
    if r["error"] or r["duplicates"]:
        errors.append("%s: %s %s" % (r["file"], r["error"], r["duplicates"]))
    for k, v in r["counters"].items():
        total[k] = total.get(k, 0) + v
print(total.get("crash_null/invocations", 0), total.get("crash_null/signal:SIGSEGV", 0),
      total.get("crash/dropped", 0), "; ".join(errors) or "valid")
')
read -r invocations signals dropped valid <<<"$counts"
is "$valid" valid "the counter files are valid, no duplicate names"
is "$invocations" "$TOTAL" "crash_null/invocations = $TOTAL"
is "$signals" "$TOTAL" "crash_null/signal:SIGSEGV = $TOTAL"
is "$dropped" "$((TOTAL - recs))" "crash/dropped = $TOTAL - $recs records"
# --- thread churn: the 64 KiB alternate stacks go when their threads go ---
for how in return exit cancel; do
	plain=$("$PROG/thread_churn" "$how" 1000)
	shimmed=$(LD_PRELOAD=$SHIM "$PROG/thread_churn" "$how" 1000)
	is "$shimmed" "$plain" "1,000 threads ending by $how: the process grows by $plain KiB with the shim as without"
done
done_testing
