#!/usr/bin/env python3
"""Make a damaged copy of OTLP/JSON lines, for testing `cotel-trace --check`.

    damage.py IN.jsonl OUT.jsonl

Picks four traces (three when there are only three, the fourth damage then
going to the first) that have a true root and a SERVER span whose parent
is a CLIENT span, and breaks each one way:
  1. drops that CLIENT span            -> 1 orphan, 1 broken edge
  2. copies another trace's last span  -> 1 duplicate span id
  3. starts a non-root span 50 ms before its parent -> 1 skewed child
  4. clears a CLIENT span's parent id  -> 1 trace with more than one root
and appends one line that is not JSON. Prints the counts --check must
report, as JSON, on stdout."""

import json
import sys


def spans_of(docs):
    for d in docs:
        for rs in d.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                for sp in ss.get("spans", []):
                    yield ss, sp


def main():
    src, dst = sys.argv[1], sys.argv[2]
    docs = [json.loads(line) for line in open(src, encoding="utf-8") if line.strip()]
    by_trace = {}
    for ss, sp in spans_of(docs):
        by_trace.setdefault(sp["traceId"], []).append((ss, sp))

    def kind(sp):
        return int(sp.get("kind", 0)) if not isinstance(sp.get("kind"), str) else \
            {"SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3}.get(sp["kind"], 0)

    eligible = []
    for tid, spans in by_trace.items():
        ids = {sp["spanId"]: sp for _, sp in spans}
        has_root = any(not sp.get("parentSpanId") for _, sp in spans)
        pair = next(((ss, ids[sp["parentSpanId"]]) for ss, sp in spans
                     if kind(sp) == 2 and sp.get("parentSpanId") in ids
                     and kind(ids[sp["parentSpanId"]]) == 3), None)
        if has_root and pair and len(spans) >= 3:
            eligible.append(tid)
    if len(eligible) < 3:
        sys.exit("damage.py: need 3 traces with a root and a CLIENT->SERVER edge, found %d"
                 % len(eligible))
    t1, t2, t3 = eligible[:3]
    t4 = eligible[3] if len(eligible) > 3 else t1

    # 1. drop the CLIENT parent of a SERVER span (the span's own children:
    # its SERVER child only, in a chain).
    ids = {sp["spanId"]: sp for _, sp in by_trace[t1]}
    victim = next(ids[sp["parentSpanId"]] for _, sp in by_trace[t1]
                  if kind(sp) == 2 and sp.get("parentSpanId") in ids
                  and kind(ids[sp["parentSpanId"]]) == 3)
    for d in docs:
        for rs in d.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                ss["spans"] = [sp for sp in ss.get("spans", []) if sp is not victim]
    # 2. a duplicate of the latest-starting span of t2.
    ss, sp = max(by_trace[t2], key=lambda p: int(p[1]["startTimeUnixNano"]))
    ss["spans"].append(json.loads(json.dumps(sp)))
    # 3. a child starting 50 ms before its parent.
    ids = {sp["spanId"]: sp for _, sp in by_trace[t3]}
    child = next(sp for _, sp in by_trace[t3] if sp.get("parentSpanId") in ids)
    parent_start = int(ids[child["parentSpanId"]]["startTimeUnixNano"])
    dur = int(child["endTimeUnixNano"]) - int(child["startTimeUnixNano"])
    child["startTimeUnixNano"] = str(parent_start - 50000000)
    child["endTimeUnixNano"] = str(parent_start - 50000000 + dur)
    # 4. a second root: a CLIENT span loses its parent id.
    cl = next(sp for _, sp in by_trace[t4] if kind(sp) == 3 and sp.get("parentSpanId")
              and sp is not victim)
    cl["parentSpanId"] = ""

    with open(dst, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\n")
        f.write("this line is not OTLP JSON\n")
    json.dump({"orphans": 1, "multi_root": 1, "skewed": 1, "duplicates": 1,
               "broken_edges": 1, "unreadable_lines": 1, "broken_traces": len({t1, t2, t3, t4}),
               "traces": [t1, t2, t3, t4]}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
