#!/usr/bin/env bash
# Issue 15.3: the schema is versioned and upgraded in place, on both
# backends. A database of schema 1 (tests/fixtures/collector/schema-v1.sql
# and schema-v1-postgresql.sql, what the previous collector made) holding a
# stored report is opened by this
# collector: it becomes schema 2 in one step, the old report is still
# served, a resend of it is still "already stored", and new reports carry
# the new columns. A database of a newer schema is refused, untouched.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/collector/collector.sh"
need_built "$COLLECTOR"
command -v curl >/dev/null || { echo "1..0 # skip curl missing"; exit 0; }
plan 8

W=$(new_dir)
CFG=$FIX/config.json
VALID=$FIX/valid-report.json
week=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Week"])' "$VALID")
# Schema 1 with one report stored the way collector 1 stored it (aggregates included).
# schema_v1 DB: such a database.
schema_v1() {
	PYTHONPATH=$FIX python3 - "$1" "$FIX" "$VALID" <<'PY'
import datetime, hashlib, json, dbq, sys
db = dbq.connect(sys.argv[1])
if db.kind == "sqlite":
    db.conn.executescript(open(sys.argv[2] + "/schema-v1.sql").read())
else:
    db.execute(open(sys.argv[2] + "/schema-v1-postgresql.sql").read())
body = open(sys.argv[3], "rb").read()
r = json.loads(body)
end = datetime.date.fromisoformat(r["Week"]) - datetime.timedelta(days=4)
period = (end - datetime.timedelta(days=end.weekday())).isoformat()
db.execute("INSERT INTO reports(hash, week, period, x, config, received, body) VALUES(?,?,?,?,?,0,?)",
           (hashlib.sha256(body).digest(), r["Week"], period, r["X"], r["Config"], body))
for p in r["Programs"]:
    db.execute("INSERT INTO week_program VALUES(?,?,1) ON CONFLICT DO NOTHING", (p["Program"], period))
    for c, n in p["Counters"].items():
        db.execute("INSERT INTO counts VALUES(1,?,?,?,?,?,0)", (r["Week"], p["Program"], p["Version"], c, n))
        ch = c.split(":")[0]
        db.execute("INSERT INTO week_chart VALUES(?,?,?,1) ON CONFLICT DO NOTHING", (p["Program"], ch, period))
        db.execute("INSERT INTO week_counter VALUES(?,?,?,?,?,1,0.5) ON CONFLICT(program, counter, period)"
                   " DO UPDATE SET total = week_counter.total + excluded.total", (p["Program"], c, period, ch, n))
if db.kind == "sqlite":
    db.execute("PRAGMA user_version=1")
    db.conn.commit()
PY
}
# version DB: the schema version the database records.
version() {
	case $1 in
	postgresql://*) db_value "$1" 'SELECT version FROM telem_schema' ;;
	*) db_value "$1" 'PRAGMA user_version' ;;
	esac
}
# fingerprint DB: a digest of everything in it.
fingerprint() {
	case $1 in
	postgresql://*) pg_dump --no-owner "$1" | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' | sha256sum ;;
	*) sha256sum <"$1" ;;
	esac
}
OLD=$(new_db old)
schema_v1 "$OLD"
program=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Programs"][0]["Program"])' "$VALID")

collector_start "$OLD" "$CFG" || exit 1
is "$(version "$OLD")" 2 "a schema-1 database is upgraded to schema 2"
is "$(get /api/summary | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])')" 1 "its report is still there"
ok "and charted" test "$(get "/api/counters?program=$program" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["totals"]))')" -gt 0
is "$(post "$VALID" "/upload/$week") $(cat "$ANSWER")" "200 already stored" "a resend of the old report is still recognized"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["X"]=0.123; json.dump(r, open(sys.argv[2], "w"))' "$VALID" "$W/new.json"
is "$(post "$W/new.json" "/upload/$week")" 200 "a new report is stored in the upgraded database"
is "$(db_value "$OLD" "SELECT arch || '/' || libc FROM reports ORDER BY id DESC LIMIT 1")" \
	"$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["Programs"][0]; print(p["GOARCH"] + "/" + p["GoVersion"])' "$VALID")" \
	"with the new columns (arch, libc from its first program)"
collector_stop TERM

NEWER=$(new_db newer)
schema_v1 "$NEWER"
case $NEWER in
postgresql://*) pg_sql "$NEWER" 'UPDATE telem_schema SET version = 99' ;;
*) python3 -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute("PRAGMA user_version=99"); db.commit()' "$NEWER" ;;
esac
sum=$(fingerprint "$NEWER")
"$COLLECTOR" --db "$NEWER" --listen 127.0.0.1:0 --config "$CFG" 2>"$W/err" &
pid=$!
remember_pid $pid
wait $pid
is "$? $(cat "$W/err")" "1 telem-collector: $NEWER: made by a newer telem-collector (schema 99)" \
	"a database of a newer schema is refused (exit 1, one line)"
ok "and left untouched" test "$(fingerprint "$NEWER")" = "$sum"
