#!/usr/bin/env bash
# Module names chosen by the process never reach uploads unasked (issue 12,
# item 16): in the uploadable report, frames of a module that is neither the
# program's own nor an installed system library become "(other)", unless
# the program's rule in the upload config names the module ("Modules");
# the local report and telem crashes keep every name.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/upload/helpers.sh"
RUN=$PROG/crash_run
need_built "$RUN"
W=$(new_dir)
mkdir -p "$W/lib"
echo '__attribute__((noipa)) int plug_deep(int x) { return *(volatile int *)0 + x; }' >"$W/plug.c"
echo 'extern int plug_deep(int); int main(int c, char **v) { (void)v; return plug_deep(c) * 3 + 1; }' >"$W/app.c"
gcc -O2 -g -fPIC -shared -o "$W/lib/libacme_payroll-Q3-layoffs.so" "$W/plug.c"
gcc -O2 -g -o "$W/plugapp" "$W/app.c" "$W/lib/libacme_payroll-Q3-layoffs.so" -Wl,-rpath,"$W/lib"

# one_week CONFIG_MODULES: a Friday telem dir in mode on, plugapp's crash
# counted and ingested at T0, the week reported at LATER.
one_week() {
	friday_telem_dir "on 2024-06-01"
	"$RUN" "$(new_dir)" "$W" 0 LD_PRELOAD="$SHIM" TELEM_DIR="$TELEM_DIR" TELEM_TEST_NOW=$T0 -- ./plugapp
	TELEM_TEST_NOW=$T0 "$TELEM" crashes --json >"$W/crashes" 2>&1
	echo '{"Version": "v1", "GOOS": ["linux"], "GOARCH": ["amd64", "arm64"], "GoVersion": ["'"$RUNTIME"'"],
 "Programs": [{"Name": "plugapp", "Versions": ["'"$(build_id "$W/plugapp")"'"],
 "Stacks": [{"Name": "crash/crash", "Rate": 1, "Depth": 16}]'"$1"'}]}' >"$TELEM_DIR/upload.config.json"
	TELEM_TEST_NOW=$LATER "$TELEM" report >"$W/report.out" 2>&1
}
frames_of() { # frames_of REPORT: plugapp's one stack's frames, one a line
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = [k for p in r["Programs"] if p["Program"] == "plugapp" for k in p["Stacks"]]
print("\n".join(s[0].split("\n")[1:]) if len(s) == 1 else "%d stacks" % len(s))' "$1"
}

one_week ""
ok "the week's uploadable report is written" test -f "$TELEM_DIR/local/$WEEK.json"
frames_of "$TELEM_DIR/local/$WEEK.json" >"$W/up"
frames_of "$TELEM_DIR/local/local.$WEEK.json" >"$W/local"
is "$(head -n 1 "$W/up")" "(other)" "uploaded: the private library's frame is a placeholder"
ok "uploaded: its name appears nowhere in the report" eval "! grep -q acme '$TELEM_DIR/local/$WEEK.json'"
is "$(sed -n 2p "$W/up" | sed 's/!.*//')" "plugapp" "uploaded: the program's own frames keep their names"
ok "uploaded: the installed C library's frames keep theirs" grep -q '^libc\.so\.6' "$W/up"
is "$(head -n 1 "$W/local" | sed 's/!.*//')" "libacme_payroll-Q3-layoffs.so" "the local report keeps the name"
ok "telem crashes keeps it too" grep -q 'libacme_payroll-Q3-layoffs.so!plug_deep' "$W/crashes"
diag "uploaded: $(paste -sd' ' "$W/up")"

one_week ', "Modules": ["libacme_payroll-Q3-layoffs.so"]'
is "$(frames_of "$TELEM_DIR/local/$WEEK.json" | head -n 1 | sed 's/!.*//')" "libacme_payroll-Q3-layoffs.so" \
	"a module the upload config names is uploaded by name"
done_testing
