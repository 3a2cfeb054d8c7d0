#!/usr/bin/env python3
"""Check: cotel-trace on the chains' collector output (Go, C and Rust hops).

Runs after chains.py (name order). From the collector's file exporter
output it keeps the spans of the chain services (service.name chainN-i-kind)
and:
  1. `cotel-trace --check` must pass: no orphan, one root per trace, no
     child before its parent, no duplicate, and every caller -> callee edge
     of every chain seen and none broken;
  2. on a copy damaged by tools/cotel-trace/damage.py, --check must exit 1
     and report exactly the damage done;
  3. the --html page of the chains, loaded in headless Chromium, must show
     every span nested under its parent with every service
     (tests/viewer_dom.py; screenshot in $INTEROP_WORK/chains.png);
  4. a generated trace of 10,003 spans (3 of them orphans) likewise.
Environment (set by interop/run.sh): INTEROP_BIN, INTEROP_ROOT,
COLLECTOR_OUT, INTEROP_WORK."""

import collections
import json
import os
import re
import subprocess
import sys

ROOT = os.environ.get("INTEROP_ROOT",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
REPO = os.path.dirname(os.path.abspath(ROOT))
BIN = os.environ.get("INTEROP_BIN", os.path.join(REPO, "build", "bin"))
CHAIN_SERVICE = re.compile(r"^(chain\d+)-(\d+)-([a-z]+)$")


def row(name, counts, ok):
    print("ROW|%s|%s|%s" % (name, counts, "PASS" if ok else "FAIL"), flush=True)
    return ok


def service_of(rs):
    for a in (rs.get("resource") or {}).get("attributes") or []:
        if a.get("key") == "service.name":
            return (a.get("value") or {}).get("stringValue", "")
    return ""


def chain_lines(src, dst):
    """Copy the chain services' resourceSpans; return (spans, services)."""
    n, services = 0, set()
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            keep = [rs for rs in doc.get("resourceSpans") or []
                    if CHAIN_SERVICE.match(service_of(rs))]
            if not keep:
                continue
            for rs in keep:
                services.add(service_of(rs))
                n += sum(len(ss.get("spans") or []) for ss in rs.get("scopeSpans") or [])
            out.write(json.dumps({"resourceSpans": keep}, separators=(",", ":"),
                                 ensure_ascii=False) + "\n")
    return n, services


def check(path, *extra):
    p = subprocess.run([os.path.join(BIN, "cotel-trace"), "--check", "--quiet"] + list(extra)
                       + [path], capture_output=True, text=True, timeout=300)
    total = next((l for l in p.stdout.splitlines() if l.startswith("total: ")), "")
    nums = [int(x) for x in re.findall(r"(\d+) ", total)]
    edges = re.findall(r"^  (\S+) -> (\S+): (\d+) seen, (\d+) broken$", p.stdout, re.M)
    return p.returncode, total, nums, edges, p.stdout + p.stderr


def browser(page, spans, services, orphans, shot=None):
    cmd = [sys.executable, os.path.join(REPO, "tests", "viewer_dom.py"), page,
           "--spans", str(spans), "--services", ",".join(sorted(services)),
           "--orphans", str(orphans)]
    if shot:
        cmd += ["--screenshot", shot]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    out = (p.stdout + p.stderr).strip()
    print("  " + out.replace("\n", "\n  "))
    return p.returncode, out.splitlines()[-1] if out else ""


def big_trace(path):
    """10,003 spans in one trace: a 2,000-deep chain, 4 leaves per link
    (one in error, each with an event), 3 orphans."""
    tid, t0, spans, i = "0af7651916cd43dd8448eb211c80319c", 1700000000000000000, [], 1
    for d in range(2000):
        link = i
        i += 1
        spans.append({"traceId": tid, "spanId": "%016x" % link,
                      "parentSpanId": "%016x" % (link - 5) if d else "", "name": "link %d" % d,
                      "kind": 1, "startTimeUnixNano": str(t0 + d * 1000),
                      "endTimeUnixNano": str(t0 + 10 ** 10 - d)})
        for k in range(4):
            spans.append({"traceId": tid, "spanId": "%016x" % i, "parentSpanId": "%016x" % link,
                          "name": "leaf %d.%d" % (d, k), "kind": 1,
                          "startTimeUnixNano": str(t0 + d * 1000 + 100 + k),
                          "endTimeUnixNano": str(t0 + d * 1000 + 900),
                          "status": {"code": 2 if k == 3 else 0},
                          "events": [{"name": "e", "timeUnixNano": str(t0 + d * 1000 + 500)}]})
            i += 1
    for k in range(3):
        spans.append({"traceId": tid, "spanId": "%016x" % i, "parentSpanId": "ffffffffffff000%d" % k,
                      "name": "orphan %d" % k, "kind": 1, "startTimeUnixNano": str(t0 + 5000),
                      "endTimeUnixNano": str(t0 + 9000)})
        i += 1
    doc = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "big"}}]},
        "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}
    with open(path, "w") as f:
        f.write(json.dumps(doc, separators=(",", ":")) + "\n")
    return len(spans)


def main():
    out = os.environ.get("COLLECTOR_OUT")
    work = os.environ.get("INTEROP_WORK") or "/tmp"
    if not out or os.environ.get("COLLECTOR_ERROR") or not os.path.exists(out):
        row("cotel-trace --check chains", "no collector output", False)
        return 1
    ok = True
    chains = os.path.join(work, "chains.jsonl")
    n_spans, services = chain_lines(out, chains)
    # The caller -> callee pairs the chains must show: consecutive hops.
    hops = collections.defaultdict(list)
    for s in services:
        m = CHAIN_SERVICE.match(s)
        hops[m.group(1)].append((int(m.group(2)), s))
    want_edges = {(a[1], b[1]) for h in hops.values() for a, b in zip(sorted(h), sorted(h)[1:])}

    # 1. the chains as the collector wrote them.
    rc, total, nums, edges, text = check(chains)
    seen = {(a, b) for a, b, s, br in edges if int(s) > 0}
    broken_edges = sum(int(br) for _, _, _, br in edges)
    good = rc == 0 and n_spans > 0 and seen == want_edges and broken_edges == 0
    if not good:
        print(text[-3000:])
        for e in sorted(want_edges - seen):
            print("  edge %s -> %s never seen" % e)
    ok &= row("cotel-trace --check chains",
              "%s traces, %d spans, %d services, %d/%d edges seen, %d broken, exit %d"
              % (nums[0] if nums else "?", n_spans, len(services), len(seen & want_edges),
                 len(want_edges), broken_edges, rc), good)

    # 2. a damaged copy must be caught, exactly.
    damaged = os.path.join(work, "chains-damaged.jsonl")
    p = subprocess.run([sys.executable, os.path.join(REPO, "tools", "cotel-trace", "damage.py"),
                        chains, damaged], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        ok &= row("cotel-trace --check damaged chains", p.stderr.strip()[-200:], False)
    else:
        want = json.loads(p.stdout)
        rc, total, nums, edges, text = check(damaged)
        # total: T traces (B broken), S spans, V services, O orphans, M traces
        # with more than one root, K children..., D duplicate..., E broken
        # edges, U unreadable lines
        got = dict(zip(["traces", "broken_traces", "spans", "services", "orphans",
                        "multi_root", "skewed", "duplicates", "broken_edges",
                        "unreadable_lines"], nums))
        keys = ["orphans", "multi_root", "skewed", "duplicates", "broken_edges",
                "unreadable_lines", "broken_traces"]
        diff = [k for k in keys if got.get(k) != want[k]]
        good = rc == 1 and not diff
        if not good:
            print(text[-3000:])
        ok &= row("cotel-trace --check damaged chains",
                  "exit %d; caught %s; want %s" % (
                      rc, ", ".join("%s %s" % (k, got.get(k)) for k in keys),
                      "the same" if not diff else ", ".join("%s %s" % (k, want[k]) for k in diff)),
                  good)

    # 3. the chains' page in Chromium.
    page = os.path.join(work, "chains.html")
    subprocess.run([os.path.join(BIN, "cotel-trace"), "--html", page, "--title",
                    "cotel interop chains", chains], check=False, timeout=300)
    rc, last = browser(page, n_spans, services, 0, os.path.join(work, "chains.png"))
    ok &= row("cotel-trace page of the chains (chromium)", last, rc == 0)

    # 4. a 10,003-span trace in Chromium.
    big = os.path.join(work, "big.jsonl")
    n = big_trace(big)
    page = os.path.join(work, "big.html")
    subprocess.run([os.path.join(BIN, "cotel-trace"), "--html", page, big], check=False,
                   timeout=300)
    rc, last = browser(page, n, {"big"}, 3)
    ok &= row("cotel-trace page of 10,003 spans (chromium)", last, rc == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
