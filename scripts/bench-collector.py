#!/usr/bin/env python3
"""Data for scripts/bench-collector.sh (numbers only; no assertion).

  bench-collector.py config FILE                 a config with 20 programs of many counters
  bench-collector.py body CONFIG SIZE FILE       one report of about SIZE bytes, X = __X__
  bench-collector.py fleet CONFIG DB WEEKS MACHINES
        writes WEEKS x MACHINES reports (every program in each) straight into
        the collector's database DB (its schema must exist), with their rows and
        the per-week aggregates the collector keeps, computed the same way.
  bench-collector.py topg SQLITE URL
        copies every table of the SQLite database into the PostgreSQL one
        (its schema made by the collector), with COPY: the same fleet on both.
"""
import datetime
import hashlib
import json
import random
import sqlite3
import sys
import time

PROGRAMS = ["gcc", "g++", "cc1", "cc1plus", "as", "ld.bfd", "collect2", "make", "ninja", "clang", "clang++",
            "lld", "ar", "ranlib", "python3", "cmake", "rustc", "javac", "ccache", "dash"]
FLAGS = ["-O0", "-O1", "-O2", "-O3", "-Os", "-g", "-c", "-o", "-Wall", "-Wextra", "-std", "-I", "-D", "-L", "-l",
         "-fPIC", "-shared", "-pthread", "-MD", "-MF"]
TIMES = ["<10ms", "<100ms", "<1s", "<10s", "<1m", "<10m", ">=10m"]
RSS = ["<16MB", "<64MB", "<256MB", "<1GB", "<4GB", ">=4GB"]


def config():
    progs = []
    for p in PROGRAMS:
        progs.append({"Name": p, "Counters": [
            {"Name": p + "/invocations", "Rate": 1},
            {"Name": p + "/flag:{" + ",".join(FLAGS) + "}", "Rate": 1},
            {"Name": p + "/exit:{0,1,2,4}", "Rate": 1},
            {"Name": p + "/wall:{" + ",".join(TIMES) + "}", "Rate": 1},
            {"Name": p + "/cpu:{" + ",".join(TIMES) + "}", "Rate": 1},
            {"Name": p + "/maxrss:{" + ",".join(RSS) + "}", "Rate": 1},
            {"Name": p + "/wall-us", "Rate": 1},
            {"Name": p + "/cpu-us", "Rate": 1}],
            "Stacks": [{"Name": "crash/crash", "Rate": 1, "Depth": 16}]})
    return {"Version": "bench-1", "GOOS": ["linux"], "GOARCH": ["amd64", "arm64"], "Programs": progs}


def program_counters(rnd, p, n_flags):
    runs = rnd.randint(1, 500)
    c = {p + "/invocations": runs, p + "/exit:0": runs, p + "/wall-us": runs * rnd.randint(5, 900),
         p + "/cpu-us": runs * rnd.randint(5, 800)}
    for f in rnd.sample(FLAGS, n_flags):
        c[p + "/flag:" + f] = rnd.randint(1, runs)
    c[p + "/wall:" + rnd.choice(TIMES[:4])] = runs
    c[p + "/cpu:" + rnd.choice(TIMES[:4])] = runs
    c[p + "/maxrss:" + rnd.choice(RSS[:4])] = runs
    return c


def body(cfg_path, size, out):
    rnd = random.Random(1)
    cfg = json.load(open(cfg_path))
    report = {"Week": "2024-05-12", "LastWeek": "2024-05-05", "X": "__X__", "Programs": [], "Config": cfg["Version"]}
    for p in PROGRAMS:
        report["Programs"].append({"Program": p, "Version": "%012x" % rnd.getrandbits(48), "GoVersion": "glibc2.36",
                                   "GOOS": "linux", "GOARCH": "amd64", "Counters": program_counters(rnd, p, 12),
                                   "Stacks": {}})
        if len(json.dumps(report, indent=1)) >= size:
            break
    text = json.dumps(report, indent=1).replace('"__X__"', "__X__")
    open(out, "w").write(text)
    print("%d bytes, %d programs, %d counters" % (len(text), len(report["Programs"]),
                                                   sum(len(p["Counters"]) for p in report["Programs"])))


def period(week):
    d = datetime.date.fromisoformat(week) - datetime.timedelta(days=4)
    return (d - datetime.timedelta(days=d.weekday())).isoformat()


def chart(counter):
    return counter.split(":", 1)[0]


def fleet(cfg_path, db_path, weeks, machines):
    cfg = json.load(open(cfg_path))
    rnd = random.Random(2)
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA synchronous=OFF")
    start = datetime.date(2023, 5, 7)
    # each machine keeps its weekday and moves through 3 versions per program
    wd = [rnd.randrange(7) for _ in range(machines)]
    versions = {p: ["%012x" % rnd.getrandbits(48) for _ in range(3)] for p in PROGRAMS}
    agg_prog, agg_ver, agg_chart, agg_counter, agg_stack = {}, {}, {}, {}, {}
    t0 = time.time()
    rid = db.execute("SELECT coalesce(max(id), 0) FROM reports").fetchone()[0]
    for w in range(weeks):
        db.execute("BEGIN")
        for m in range(machines):
            week = (start + datetime.timedelta(days=7 * w + wd[m])).isoformat()
            per = period(week)
            report = {"Week": week, "LastWeek": "", "X": rnd.random() * 0.998 + 0.001, "Programs": [],
                      "Config": cfg["Version"]}
            for p in PROGRAMS:
                v = versions[p][min(2, (w * 3) // weeks + (m % 7 == 0))]
                stacks = {}
                if rnd.random() < 0.01:
                    stacks["crash/crash\n%s!f%d+0x1a\n%s!main+0x2" % (p, rnd.randrange(5), p)] = 1
                report["Programs"].append({"Program": p, "Version": v, "GoVersion": "glibc2.36", "GOOS": "linux",
                                           "GOARCH": "amd64", "Counters": program_counters(rnd, p, 3),
                                           "Stacks": stacks})
            text = json.dumps(report, separators=(",", ":")).encode()
            rid += 1
            db.execute("INSERT INTO reports(id, hash, week, period, x, config, received, body) VALUES(?,?,?,?,?,?,?,?)",
                       (rid, hashlib.sha256(text).digest(), week, per, report["X"], cfg["Version"], int(t0), text))
            rows = []
            for prog in report["Programs"]:
                p, v = prog["Program"], prog["Version"]
                agg_prog[(p, per)] = agg_prog.get((p, per), 0) + 1
                agg_ver[(p, per, v)] = agg_ver.get((p, per, v), 0) + 1
                sums = {}
                for c, n in prog["Counters"].items():
                    rows.append((rid, week, p, v, c, n, 0))
                    sums[chart(c)] = sums.get(chart(c), 0) + n
                for ch in sums:
                    agg_chart[(p, ch, per)] = agg_chart.get((p, ch, per), 0) + 1
                for c, n in prog["Counters"].items():
                    a = agg_counter.setdefault((p, c, per), [0, 0, 0.0])
                    a[0] += n
                    a[1] += 1
                    a[2] += n / sums[chart(c)] if sums[chart(c)] else 0
                for s, n in stacks.items():
                    rows.append((rid, week, p, v, s, n, 1))
                    a = agg_stack.setdefault((s, p, v), [0, 0, per, per])
                    a[0] += n
                    a[1] += 1
                    a[2], a[3] = min(a[2], per), max(a[3], per)
            db.executemany("INSERT INTO counts(report, week, program, version, counter, count, is_stack) VALUES(?,?,?,?,?,?,?)", rows)
        db.execute("COMMIT")
        sys.stderr.write("\rweek %d/%d, %.0fs" % (w + 1, weeks, time.time() - t0))
    db.execute("BEGIN")
    db.executemany("INSERT INTO week_program VALUES(?,?,?)", [k + (n,) for k, n in agg_prog.items()])
    db.executemany("INSERT INTO week_version VALUES(?,?,?,?)", [k + (n,) for k, n in agg_ver.items()])
    db.executemany("INSERT INTO week_chart VALUES(?,?,?,?)", [k + (n,) for k, n in agg_chart.items()])
    db.executemany("INSERT INTO week_counter(program, counter, period, chart, total, reports, share) VALUES(?,?,?,?,?,?,?)",
                   [(p, c, per, chart(c), a[0], a[1], a[2]) for (p, c, per), a in agg_counter.items()])
    db.executemany("INSERT INTO stacks VALUES(?,?,?,?,?,?,?)", [k + tuple(a) for k, a in agg_stack.items()])
    db.execute("COMMIT")
    db.close()
    sys.stderr.write("\n%d reports, %d aggregate rows in %.0fs\n" % (
        rid, len(agg_prog) + len(agg_ver) + len(agg_chart) + len(agg_counter) + len(agg_stack), time.time() - t0))


def copy_text(v):
    """One value in COPY's text format."""
    if v is None:
        return "\\N"
    if isinstance(v, bytes):
        return "\\\\x" + v.hex()
    return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def topg(sqlite_path, url):
    import io
    import psycopg2
    src = sqlite3.connect(sqlite_path)
    dst = psycopg2.connect(url)
    cur = dst.cursor()
    t0 = time.time()
    for (table,) in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name = 'counts'"):
        cols = [r[1] for r in src.execute("PRAGMA table_info(%s)" % table)]
        rows = src.execute("SELECT %s FROM %s" % (", ".join(cols), table))
        n = 0
        while True:
            chunk = rows.fetchmany(100000)
            if not chunk:
                break
            text = "".join("\t".join(copy_text(v) for v in r) + "\n" for r in chunk)
            cur.copy_expert("COPY %s(%s) FROM STDIN" % (table, ", ".join(cols)), io.StringIO(text))
            n += len(chunk)
        sys.stderr.write("%s: %d rows, %.0fs\n" % (table, n, time.time() - t0))
    cur.execute("SELECT setval('reports_id_seq', (SELECT coalesce(max(id), 1) FROM reports))")
    dst.commit()
    cur.execute("ANALYZE")
    dst.commit()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "config":
        json.dump(config(), open(sys.argv[2], "w"), indent=1)
    elif cmd == "body":
        body(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "topg":
        topg(sys.argv[2], sys.argv[3])
    elif cmd == "fleet":
        fleet(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
