# Helpers shared by the crash tests (tests/integration/2*.t); source after lib.sh.
# records DIR | oracle_counts DIR PREFIX | signal_counters DIR PROG | counter_total DIR NAME
# record_fields FILE | record_of DIR

# records DIR: how many crash records DIR/crash holds.
records() { find "$1/crash" -maxdepth 1 -name '*.rec' 2>/dev/null | wc -l; }

# oracle_counts DIR PREFIX: "NAME=COUNT", a line each, for the counters
# starting with PREFIX, summed over DIR's counter files and read with
# lib.sh's independent reader (telem would ingest the records first).
oracle_counts() {
	local files=("$1"/local/*.v1.count)
	[ -e "${files[0]}" ] || return 0
	cf_oracle "${files[@]}" | python3 -c '
import json, sys
total = {}
for line in sys.stdin:
    for k, v in json.loads(line)["counters"].items():
        if k.startswith(sys.argv[1]):
            total[k] = total.get(k, 0) + v
for kv in sorted(total.items()):
    print("%s=%d" % kv)
' "$2"
}

# signal_counters DIR PROG: PROG's signal counters, "NAME=COUNT" on one line.
signal_counters() { oracle_counts "$1" "$2/signal:" | paste -sd' ' -; }

# counter_total DIR NAME: NAME's count over DIR's counter files (0 if none).
counter_total() { oracle_counts "$1" "$2" | awk -F= -v n="$2" '$1 == n { c = $2 } END { print c + 0 }'; }

# record_fields FILE: "program=P kind=K signo=S exit=E complete=C", read
# from the header as laid out in shim/crashrecord.h (independently of telem).
record_fields() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
head = struct.Struct("<8sIIIIiiiIQqq68s16s32s8s8s160s4x34QIIIIQQQQ")
if len(d) < head.size:
    sys.exit("record shorter than its header")
f = head.unpack_from(d)
if f[0] != b"TELEMCR1" or f[2] != head.size:
    sys.exit("not a version-2 record of %d header bytes" % head.size)
print("program=%s kind=%d signo=%d exit=%d complete=%d" %
      (f[12].split(b"\0")[0].decode(), f[4], f[5], f[7], f[18 + 34 + 3]))
PY
}

# record_of DIR: record_fields of DIR's crash record (the first, if several);
# nothing when there is none.
record_of() {
	local rec
	rec=$(find "$1/crash" -maxdepth 1 -name '*.rec' 2>/dev/null | head -n1)
	[ -z "$rec" ] || record_fields "$rec" 2>&1
}
