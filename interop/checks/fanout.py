#!/usr/bin/env python3
"""Interop check 5 (issue 5, DESIGN.md §8): C fan-out to a Go backend.

cotel-hop gets `GET /hop?fanout=1000&next=<go-hop>/hop?sleep_ms=10` and
makes 1000 concurrent calls through its libuv loop, each from its own CLIENT
span. In the collector, per request: one C SERVER span (the root), 1000 C
CLIENT spans all children of it, and 1000 Go SERVER spans, each the child of
a distinct CLIENT span, all in one trace. INTEROP_FANOUT_RUNS (10) requests,
one after the other; we report p50/p95 of the whole request as the driver
sees it. Prints ROW|<check>|<counts>|PASS|FAIL lines for run.sh.
"""

import collections
import os
import sys
import time

sys.path.insert(0, os.environ.get("INTEROP_ROOT",
                                   os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
import hoplib  # noqa: E402

FANOUT = int(os.environ.get("INTEROP_FANOUT", "1000"))
RUNS = int(os.environ.get("INTEROP_FANOUT_RUNS", "10"))
SLEEP_MS = 10


def check(spans, reply):
    """Counts for one fan-out trace."""
    c = collections.Counter()
    ids = collections.Counter(s["span_id"] for s in spans)
    c["dup"] = sum(n - 1 for n in ids.values())
    by_id = {s["span_id"]: s for s in spans}
    root_id = reply.get("span_id")
    root = by_id.get(root_id)
    if root is None or root["kind"] != "SERVER" or root["parent_id"] or root["service"] != reply["service"]:
        c["broken"] += 1
    clients = [s for s in by_id.values() if s["kind"] == "CLIENT"]
    servers = [s for s in by_id.values() if s["kind"] == "SERVER" and s["span_id"] != root_id]
    c["clients"] = len(clients)
    c["go_servers"] = len(servers)
    c["client_children"] = sum(1 for s in clients
                               if s["parent_id"] == root_id and s["service"] == reply["service"])
    client_ids = {s["span_id"] for s in clients}
    parents = collections.Counter(s["parent_id"] for s in servers)
    c["server_children"] = sum(1 for s in servers if s["parent_id"] in client_ids)
    # Each CLIENT span has exactly one Go SERVER child.
    c["shared_parent"] = sum(n - 1 for n in parents.values() if n > 1)
    c["orphans"] = sum(1 for s in by_id.values()
                       if s["parent_id"] and s["parent_id"] not in by_id)
    # The replies must name the same spans.
    want = set(reply.get("client_span_ids") or [])
    downs = reply.get("downstream") or []
    c["reply_mismatch"] = (len(want ^ client_ids)
                           + sum(1 for d in downs if not isinstance(d, dict)
                                 or d.get("parent_id") not in want
                                 or d.get("trace_id") != reply.get("trace_id"))
                           + abs(len(downs) - FANOUT))
    return c


def main():
    name = "fanout c->go x%d" % FANOUT
    hoplib.require_env("COLLECTOR_OTLP_HTTP", "COLLECTOR_OUT")
    if os.environ.get("COLLECTOR_ERROR"):
        hoplib.row(name, "no collector: %s" % os.environ["COLLECTOR_ERROR"], False)
        return 1
    store = hoplib.SpanStore()
    peers = hoplib.Peers()
    try:
        go = peers.start("go", "fanout-go")
        c = peers.start("c", "fanout-c")
        url = hoplib.hop_url(c, [go + "?sleep_ms=%d" % SLEEP_MS], fanout=FANOUT)
        lat, replies, bad = [], [], 0
        for i in range(RUNS):
            status, reply, dt = hoplib.get(url, {"baggage": "interop.fanout=%d" % i})
            if status != 200 or not isinstance(reply, dict):
                bad += 1
                hoplib.log("fanout run %d: status %s" % (i, status))
                continue
            lat.append(dt * 1000)
            replies.append(reply)
        expected = {r["trace_id"]: 1 + 2 * FANOUT for r in replies}
        t0 = time.monotonic()
        complete = store.wait_for(expected, timeout=120)
        hoplib.log("fanout: collector complete=%s after %.1f s" % (complete, time.monotonic() - t0))
        totals = collections.Counter()
        n_spans = 0
        for r in replies:
            spans = store.spans(r["trace_id"])
            n_spans += len(spans)
            totals += check(spans, r)
        n = len(replies)
        ok = (bad == 0 and n == RUNS and complete
              and totals["clients"] == n * FANOUT and totals["client_children"] == n * FANOUT
              and totals["go_servers"] == n * FANOUT and totals["server_children"] == n * FANOUT
              and totals["shared_parent"] == 0 and totals["orphans"] == 0
              and totals["dup"] == 0 and totals["broken"] == 0 and totals["reply_mismatch"] == 0)
        counts = ("%d runs, %d spans, CLIENT children of C SERVER %d/%d, Go SERVER children "
                  "of a CLIENT %d/%d, %d orphans, %d dup, %d broken, p50 %.0f ms p95 %.0f ms "
                  "max %.0f ms" % (n, n_spans, totals["client_children"], RUNS * FANOUT,
                                   totals["server_children"], RUNS * FANOUT, totals["orphans"],
                                   totals["dup"], totals["broken"] + totals["shared_parent"]
                                   + totals["reply_mismatch"] + bad,
                                   hoplib.percentile(lat, 50), hoplib.percentile(lat, 95),
                                   max(lat) if lat else float("nan")))
        hoplib.row(name, counts, ok)
        return 0 if ok else 1
    except Exception as e:
        hoplib.log("fanout: %r" % e)
        hoplib.row(name, "error: %s" % e, False)
        return 1
    finally:
        peers.stop()


if __name__ == "__main__":
    sys.exit(main())
