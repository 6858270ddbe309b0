# Shared helpers for the TAP integration tests (tests/integration/*.t).
# Source it first thing:  . "$(dirname "$0")/../lib.sh"
#
# TAP:    plan N | ok DESC CMD... | is GOT WANT DESC | diag MSG... | skip N WHY | done_testing
# Paths:  ROOT SHIM TELEM PROG
# Dirs:   new_dir (a fresh directory, removed at exit), new_telem_dir (same, exported as TELEM_DIR)
# Mounts: try_mount ARGS... (root only; unmounted at exit)
# Files:  cf_oracle FILE... (an independent Python reader of Go's v1 format, JSON out)
#         dump_json (telem dump --json of $TELEM_DIR/local)
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHIM=$ROOT/shim/libtelem.so
TELEM=$ROOT/tools/telem
PROG=$ROOT/build/programs
export LC_ALL=C
# The system Python when there is one: version-manager shims (pyenv) cost
# most of a second per start, and the tests start Python often.
if [ -x /usr/bin/python3 ]; then
	python3() { /usr/bin/python3 "$@"; }
fi

# Nothing the developer's shell set may change what the tests see.
unset LD_PRELOAD TELEM_DIR TELEM_MODE TELEM_DEBUG TELEM_TEST_NOW XDG_CONFIG_HOME

_tap_n=0
_tap_failed=0
_tap_planned=
_tap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/telem-test.XXXXXX")
# A run that forgets TELEM_DIR falls back to $HOME/.config/telem: keep that
# inside the test's own directory, never the developer's.
export HOME=$_tap_tmp/home
mkdir -p "$HOME"
# Mount points, newest last; a file, since mounts are made in subshells too.
_tap_mounts=$_tap_tmp/mounts
: >"$_tap_mounts"

_tap_cleanup() {
	local m
	tac "$_tap_mounts" 2>/dev/null | while IFS= read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	rm -f "$_tap_mounts"
	chmod -R u+rwx "$_tap_tmp" 2>/dev/null || true
	rm -rf "$_tap_tmp"
}
trap _tap_cleanup EXIT
# Killed by a timeout (run.sh's, or prove's user): still unmount and clean.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

plan() {
	_tap_planned=$1
	echo "1..$1"
}

# Prints the plan at the end, for scripts whose count depends on the machine.
done_testing() {
	[ -n "$_tap_planned" ] || echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

_tap_result() { # STATUS DESC
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $2"
	fi
	return "$1"
}

# ok DESC CMD [ARGS...]: passes when CMD exits 0.
ok() {
	local desc=$1 rc=0
	shift
	"$@" || rc=$?
	_tap_result "$rc" "$desc" || true
	return 0
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3" || true
		diag "got:  '$1'" "want: '$2'"
	fi
	return 0
}

# skip N WHY: N tests that cannot run here.
skip() {
	local i
	for ((i = 0; i < $1; i++)); do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n # skip $2"
	done
}

new_dir() {
	mktemp -d "$_tap_tmp/d.XXXXXX"
}

new_telem_dir() {
	TELEM_DIR=$(new_dir)
	export TELEM_DIR
}

# shim_on DATE CMD...: runs CMD under the shim as if on that day, its output
# and status dropped (the data is what counts, not the run).
shim_on() {
	local day=$1
	shift
	TELEM_TEST_NOW=$(date -u -d "$day" +%s) LD_PRELOAD=$SHIM "$@" >/dev/null 2>&1 || true
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# try_mount MOUNT-ARGS... DIR: mounts (root only) and remembers DIR for cleanup.
try_mount() {
	is_root || return 1
	local dir=${*: -1}
	mount "$@" 2>/dev/null || return 1
	echo "$dir" >>"$_tap_mounts"
}

# Skips the whole script where strace cannot trace (no ptrace in a container).
need_strace() {
	if ! strace -f -qq -o /dev/null true 2>/dev/null; then
		echo "1..0 # skip strace cannot trace here"
		exit 0
	fi
}

need_built() {
	local f
	for f in "$SHIM" "$TELEM" "$@"; do
		if [ ! -e "$f" ]; then
			echo "1..0 # skip $f is not built (run make)"
			exit 0
		fi
	done
}

# file_sums DIR: checksums of the regular counter files in DIR (a FIFO
# there must not block the test itself).
file_sums() {
	(cd "$1" 2>/dev/null && find . -maxdepth 1 -type f -name '*.v1.count' -exec sha256sum {} + | sort)
}

dump_json() {
	"$TELEM" --dir "$TELEM_DIR" dump --json
}

# The program name as the shim writes it: basename of the resolved
# executable, Debian triplet prefix and -<digits> suffix dropped.
prog_name() {
	local base
	base=$(basename "$(readlink -f "$1")")
	normalize_name "$base"
}

normalize_name() {
	python3 - "$1" <<'EOF'
import re, sys
n = sys.argv[1]
for t in ("x86_64-linux-gnu-", "aarch64-linux-gnu-", "i686-linux-gnu-", "x86_64-pc-linux-gnu-"):
    if len(n) > len(t) and n.startswith(t):
        n = n[len(t):]
        break
m = re.match(r"^(.+)-[0-9]+$", n)
if m:
    n = m.group(1)
print(n[:64])
EOF
}

# An independent reader of Go's v1 counter format (written from DESIGN.md,
# sharing no code with shim/): prints one JSON object per file with
# "error" (null when the file is valid), "meta", "counters" and "duplicates".
cf_oracle() {
	python3 - "$@" <<'EOF'
import json, struct, sys

PREFIX = b"# telemetry/counter file v1\n"
PAGE = 16384

def fnv_bucket(name):
    h = 2166136261
    for c in name:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return (h ^ (h >> 16)) % 512

def parse(data):
    out = {"error": None, "meta": {}, "counters": {}, "duplicates": [], "records": 0}
    if len(data) < PAGE or not data.startswith(PREFIX):
        out["error"] = "short or bad prefix"
        return out
    if len(data) % PAGE:
        out["error"] = "size not a multiple of 16 KiB"
        return out
    hdr = struct.unpack_from("<I", data, 28)[0]
    if hdr % 32 or hdr < 32 or hdr > 32 + 512 + 31:
        out["error"] = "bad hdrLen %d" % hdr
        return out
    meta = data[32:hdr].rstrip(b"\0")
    if b"\0" in meta or not meta.endswith(b"\n\n"):
        out["error"] = "bad meta padding"
        return out
    for line in meta.decode().split("\n"):
        if line:
            k, v = line.split(": ", 1)
            out["meta"][k] = v
    limit = struct.unpack_from("<I", data, hdr)[0]
    first = hdr + 2080
    if limit and not (first <= limit <= len(data)):
        out["error"] = "limit %d out of bounds" % limit
        return out
    for b in range(512):
        off = struct.unpack_from("<I", data, hdr + 4 + 4 * b)[0]
        seen = set()
        while off:
            if off in seen or off % 32 or off < first or off + 16 > limit:
                out["error"] = "bad record offset %d in bucket %d" % (off, b)
                return out
            seen.add(off)
            count, word, nxt = struct.unpack_from("<QII", data, off)
            n = word & 0x00FFFFFF
            size = (16 + n + 31) & ~31
            if word & 0xFF000000 != 0xFF000000 or n == 0 or off + size > limit \
                    or off // PAGE != (off + size) // PAGE:
                out["error"] = "bad record at %d" % off
                return out
            name = data[off + 16: off + 16 + n]
            if fnv_bucket(name) != b:
                out["error"] = "record at %d in the wrong bucket" % off
                return out
            key = name.decode("utf-8", "backslashreplace")
            if key in out["counters"]:
                out["duplicates"].append(key)
            out["counters"][key] = count
            out["records"] += 1
            off = nxt
    return out

for path in sys.argv[1:]:
    with open(path, "rb") as f:
        r = parse(f.read())
    r["file"] = path
    print(json.dumps(r))
EOF
}

# host_run OUTDIR CMD...: runs CMD as a host would run, in $HOST_CWD (default
# the current directory), stdin /dev/null, keeping OUTDIR/stdout,
# OUTDIR/stderr and OUTDIR/status, and OUTDIR/out.o if CMD made ./out.o.
# Only CMD is preloaded (not timeout, not the shell that starts it), and only
# when HOST_SHIM is set. Also read: HOST_TELEM_DIR (unset = no TELEM_DIR),
# HOST_UMASK, HOST_CLOSE_FDS=1 (start CMD with fds 0, 1, 2 closed), HOST_TIMEOUT
# (seconds, default 60; status 124 when it expires), HOST_ENV
# (extra VAR=VALUE words).
host_run() {
	local out=$1 rc=0
	shift
	mkdir -p "$out"
	(
		cd "${HOST_CWD:-.}" && rm -f out.o || exit 125
		[ -z "${HOST_TELEM_DIR+set}" ] || export TELEM_DIR=$HOST_TELEM_DIR
		[ -z "${HOST_ENV:-}" ] || export ${HOST_ENV?}
		export H_PRELOAD="${HOST_SHIM:-}" H_UMASK="${HOST_UMASK:-022}" H_CLOSE="${HOST_CLOSE_FDS:-0}"
		exec timeout "${HOST_TIMEOUT:-60}" bash -c '
				umask "$H_UMASK"
				[ -z "$H_PRELOAD" ] || export LD_PRELOAD=$H_PRELOAD
				unset H_PRELOAD H_UMASK
				if [ "$H_CLOSE" = 1 ]; then unset H_CLOSE; exec "$@" <&- >&- 2>&-; fi
				unset H_CLOSE
				exec "$@"' host "$@"
	) </dev/null >"$out/stdout" 2>"$out/stderr" || rc=$?
	echo "$rc" >"$out/status"
	if [ -e "${HOST_CWD:-.}/out.o" ]; then mv "${HOST_CWD:-.}/out.o" "$out/out.o"; fi
	return 0
}

# same_run BASE OUT: the two host_run results are byte for byte the same;
# says what differs otherwise.
same_run() {
	local f rc=0
	for f in status stdout stderr out.o; do
		[ -e "$1/$f" ] || [ -e "$2/$f" ] || continue
		if ! cmp -s "$1/$f" "$2/$f"; then
			rc=1
			diag "$f differs:" "  without shim: $(head -c 300 "$1/$f" 2>&1 | cat -v)" \
				"  with shim:    $(head -c 300 "$2/$f" 2>&1 | cat -v)"
		fi
	done
	return $rc
}

# counters_sum [PREFIX]: name=total lines over every file of $TELEM_DIR/local.
counters_sum() {
	dump_json | python3 -c '
import json, sys
c = {}
for f in json.load(sys.stdin):
    for k, v in f["counters"].items():
        c[k] = c.get(k, 0) + v
for k in sorted(c):
    if k.startswith(sys.argv[1]):
        print("%s=%d" % (k, c[k]))
' "${1:-}"
}
