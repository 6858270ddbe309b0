"""Per-case results of a peer suite, and their comparison (scripts/test-peers.sh).

  cases.py unittest LOG          one "id<TAB>status" line per case in the -v
                                 output of CPython's test runner
  cases.py gtest JSON            the same from googletest's --gtest_output=json
  cases.py compare KIND A B      A (plain) and B (shim) of that kind: prints
                                 "N cases" and each difference; exit 1 if any

Statuses: ok, FAIL, ERROR, skipped, expected-failure, unexpected-success.
A case missing on one side is a difference: a run that died part way
loses the cases after it."""
import json
import re
import sys

# "test_x (test.test_signal.PosixTests.test_x)", 3.11's form; older ones
# print only the class in the parentheses. The result follows " ... " on the
# same line or, after a docstring line, output of the test or a whole run
# of cases in a child (test_eintr), at the start of a later line: a case
# waits on a stack until its result comes.
HEADER = re.compile(r"^(test\w*) \(([\w.]+)\)")
WORDS = r"(ok|FAIL|ERROR|skipped|expected failure|unexpected success)\b"
INLINE = re.compile(r"\.\.\. " + WORDS)
ALONE = re.compile("^" + WORDS)


def unittest_cases(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    cases, waiting = {}, []

    def add(case, status):
        key, n = case, 1
        while key in cases:  # the same case run again (a rerun, a child)
            n += 1
            key = "%s#%d" % (case, n)
        cases[key] = status

    for line in text.split("\n"):
        m = HEADER.match(line)
        if m:
            name, where = m.group(1), m.group(2)
            waiting.append(where if where.endswith("." + name) else where + "." + name)
            found = INLINE.search(line, m.end())
        else:
            found = INLINE.search(line) or ALONE.match(line)
        if found and waiting:
            add(waiting.pop(), found.group(1).replace(" ", "-"))
    for case in waiting:
        add(case, "no-result")
    # Every case the runner says it ran must have been read.
    ran = sum(int(n) for n in re.findall(r"^Ran (\d+) tests? in ", text, re.M))
    if ran != len(cases):
        cases["(cases read: %d of the %d the runner ran)" % (len(cases), ran)] = "unread"
    return cases


def gtest_cases(path):
    try:
        doc = json.load(open(path))
    except (OSError, ValueError):
        return {}
    cases = {}
    for suite in doc.get("testsuites", []):
        for t in suite.get("testsuite", []):
            if t.get("status") != "RUN":
                status = "skipped"
            elif t.get("failures"):
                status = "FAIL"
            else:
                status = "ok" if t.get("result") == "COMPLETED" else t.get("result", "?")
            cases["%s.%s" % (suite["name"], t["name"])] = status
    return cases


READERS = {"unittest": unittest_cases, "gtest": gtest_cases}


def main(argv):
    if len(argv) == 3 and argv[1] in READERS:
        for case, status in sorted(READERS[argv[1]](argv[2]).items()):
            print("%s\t%s" % (case, status))
        return 0
    if len(argv) == 5 and argv[1] == "compare" and argv[2] in READERS:
        read = READERS[argv[2]]
        a, b = read(argv[3]), read(argv[4])
        diffs = []
        for case in sorted(set(a) | set(b)):
            pa, pb = a.get(case, "missing"), b.get(case, "missing")
            if pa != pb:
                diffs.append("%s: plain %s, shim %s" % (case, pa, pb))
        counts = {}
        for status in a.values():
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items()))
        print("%d cases (%s)" % (len(a), summary or "none"))
        for d in diffs:
            print("differs: " + d)
        return 1 if diffs or not a else 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
