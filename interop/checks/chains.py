#!/usr/bin/env python3
"""Interop check 4 (issue 5, DESIGN.md §8): Go <-> C <-> Rust call chains.

For each chain (go->c->rust, rust->c->go, c->go->c->rust->c) we start one hop
service per position and send, 32 in flight:
  * INTEROP_CHAIN_REQUESTS (200) requests with no traceparent and a baggage
    header: each must be exactly one trace in the collector, with every
    SERVER span the child of its caller's CLIENT span and every CLIENT span
    the child of its own service's SERVER span (0 broken links, 0 orphans,
    0 duplicates), and the baggage must reach the last hop;
  * 20 requests whose traceparent has the sampled flag off (00): no span
    with their trace ids may reach the collector, and every hop must see
    the flag off;
  * 5 requests with flags 03 (sampled + random, W3C Trace Context level 2):
    we report what each SDK propagates and exports, and check the chain is
    linked under the driver's span.
Prints ROW|<check>|<counts>|PASS|FAIL lines for run.sh.
"""

import collections
import concurrent.futures
import os
import sys
import time

sys.path.insert(0, os.environ.get("INTEROP_ROOT",
                                   os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
import hoplib  # noqa: E402

CHAINS = [
    ("go->c->rust", ["go", "c", "rust"]),
    ("rust->c->go", ["rust", "c", "go"]),
    ("c->go->c->rust->c", ["c", "go", "c", "rust", "c"]),
]
N_PLAIN = int(os.environ.get("INTEROP_CHAIN_REQUESTS", "200"))
N_OFF = 20
N_RANDOM = 5
IN_FLIGHT = 32


def check_trace(spans, hops, root_parent):
    """Counts for one trace: the hop replies say which span ids each
    service made; the collector's spans must link exactly that way."""
    c = collections.Counter()
    ids = collections.Counter(s["span_id"] for s in spans)
    c["dup"] += sum(n - 1 for n in ids.values())
    by_id = {s["span_id"]: s for s in spans}
    for s in by_id.values():
        if s["parent_id"] and s["parent_id"] != root_parent and s["parent_id"] not in by_id:
            c["orphans"] += 1
    roots = [s for s in by_id.values() if s["parent_id"] == root_parent]
    if len(roots) != 1:
        c["broken"] += 1
    expected = 2 * len(hops) - 1
    c["extra"] += max(0, len(by_id) - expected)
    for i, hop in enumerate(hops):
        want_parent = root_parent if i == 0 else (hops[i - 1].get("client_span_ids") or [""])[0]
        srv = by_id.get(hop.get("span_id"))
        if srv is None:
            c["missing"] += 1
        elif (srv["kind"] != "SERVER" or srv["service"] != hop.get("service")
              or srv["parent_id"] != want_parent):
            c["broken"] += 1
        # What the hop itself extracted must agree with the collector.
        if (hop.get("parent_id") or "") != want_parent:
            c["broken"] += 1
        if i == len(hops) - 1:
            continue
        cids = hop.get("client_span_ids") or []
        if len(cids) != 1:
            c["broken"] += 1
            continue
        cl = by_id.get(cids[0])
        if cl is None:
            c["missing"] += 1
        elif (cl["kind"] != "CLIENT" or cl["service"] != hop.get("service")
              or cl["parent_id"] != hop.get("span_id")):
            c["broken"] += 1
    return c


def flags_of(traceparent):
    if not traceparent:
        return "none"
    parts = traceparent.strip().split("-")
    return parts[3] if len(parts) == 4 else "bad"


def run_chain(tag, label, kinds, store):
    rows = []
    peers = hoplib.Peers()
    try:
        names = ["%s-%d-%s" % (tag, i, k) for i, k in enumerate(kinds)]
        urls = [peers.start(k, n) for k, n in zip(kinds, names)]
        url = hoplib.hop_url(urls[0], urls[1:])
        run_id = "%08x" % hoplib.random.getrandbits(32)

        def one(spec):
            kind, i = spec
            headers = {"baggage": "interop.run=%s,interop.req=%s-%d" % (run_id, kind, i)}
            tp = None
            if kind != "plain":
                tp = hoplib.random_traceparent("00" if kind == "off" else "03")
                headers["traceparent"] = tp[2]
            status, reply, dt = hoplib.get(url, headers)
            return spec, tp, status, reply, dt

        results = []
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(IN_FLIGHT) as pool:
            # Unsampled first: once the later traces have reached the
            # collector, anything the unsampled ones exported would have too.
            results += pool.map(one, [("off", i) for i in range(N_OFF)])
            results += pool.map(one, [("random", i) for i in range(N_RANDOM)])
            t1 = time.monotonic()
            results += pool.map(one, [("plain", i) for i in range(N_PLAIN)])
            wall_plain = time.monotonic() - t1
        hoplib.log("%s: %d requests in %.1f s" % (label, len(results), time.monotonic() - t0))

        n = len(kinds)
        bad_reply = 0
        baggage_ok = collections.Counter()
        traces = {}
        for (kind, i), tp, status, reply, dt in results:
            hops = hoplib.chain_of(reply)
            tids = {h.get("trace_id") for h in hops}
            if (status != 200 or len(hops) != n or len(tids) != 1
                    or [h.get("service") for h in hops] != names
                    or (tp and tids != {tp[0]})):
                bad_reply += 1
                hoplib.log("%s: bad reply to %s-%d: %s %r" % (label, kind, i, status, reply))
                continue
            bag = hoplib.baggage_entries(hops[-1].get("baggage"))
            if bag.get("interop.run") == run_id and bag.get("interop.req") == "%s-%d" % (kind, i):
                baggage_ok[kind] += 1
            traces[(kind, i)] = (tids.pop(), hops, tp, dt)

        sampled = {t[0]: 2 * n - 1 for k, t in traces.items() if k[0] != "off"}
        complete = store.wait_for(sampled, timeout=90)
        # The unsampled ones were answered before the sampled ones were sent.
        time.sleep(1.0)

        # 1. plain requests: one trace each, every link right.
        plain = {k: v for k, v in traces.items() if k[0] == "plain"}
        totals = collections.Counter()
        n_spans = 0
        for (kind, i), (tid, hops, tp, dt) in plain.items():
            spans = store.spans(tid)
            n_spans += len(spans)
            totals += check_trace(spans, hops, "")
        # One trace per request: distinct trace ids, each complete.
        n_traces = len({v[0] for v in plain.values()})
        lat = [v[3] * 1000 for v in plain.values()]
        broken = totals["broken"] + totals["missing"] + totals["extra"]
        ok = (bad_reply == 0 and n_traces == N_PLAIN and complete and broken == 0
              and totals["orphans"] == 0 and totals["dup"] == 0
              and baggage_ok["plain"] == N_PLAIN)
        rows.append(("chains %s" % label,
                     "%d req, %d traces, %d spans, %d broken, %d orphans, %d dup, "
                     "baggage %d/%d, %d bad replies, p50 %.1f ms p95 %.1f ms, %.0f req/s"
                     % (N_PLAIN, n_traces, n_spans, broken, totals["orphans"], totals["dup"],
                        baggage_ok["plain"], N_PLAIN, bad_reply,
                        hoplib.percentile(lat, 50), hoplib.percentile(lat, 95),
                        N_PLAIN / wall_plain if wall_plain else 0), ok))
        if totals["missing"] or totals["extra"]:
            hoplib.log("%s: %d spans missing, %d extra" % (label, totals["missing"], totals["extra"]))

        # 2. sampled flag off: no spans anywhere, the flag off at every hop.
        off = {k: v for k, v in traces.items() if k[0] == "off"}
        off_spans = sum(len(store.spans(v[0])) for v in off.values())
        hops_off = sum(1 for v in off.values() for h in v[1][1:]
                       if flags_of(h.get("incoming_traceparent")) == "00")
        ok = (len(off) == N_OFF and off_spans == 0 and hops_off == N_OFF * (n - 1)
              and baggage_ok["off"] == N_OFF)
        rows.append(("chains %s unsampled" % label,
                     "%d req flags 00, %d spans exported (want 0), flags 00 seen at %d/%d "
                     "downstream hops, baggage %d/%d"
                     % (N_OFF, off_spans, hops_off, N_OFF * (n - 1), baggage_ok["off"], N_OFF),
                     ok))

        # 3. random flag (0x02): report what each SDK passes on and exports.
        rnd = {k: v for k, v in traces.items() if k[0] == "random"}
        seen = [collections.Counter() for _ in range(n)]
        exported = collections.defaultdict(collections.Counter)
        rtotals = collections.Counter()
        for tid, hops, tp, dt in rnd.values():
            for j, h in enumerate(hops):
                seen[j][flags_of(h.get("incoming_traceparent"))] += 1
            spans = store.spans(tid)
            rtotals += check_trace(spans, hops, tp[1])
            for s in spans:
                if s["kind"] == "SERVER" and s["flags"] is not None:
                    exported[s["service"]]["%02x" % (s["flags"] & 0xFF)] += 1
        path = ["driver 03"] + ["%s<-%s" % (kinds[j], "/".join(sorted(seen[j]))) for j in range(1, n)]
        exp_txt = " ".join("%s=%s" % (kinds[j], "/".join(sorted(exported[names[j]])) or "n/a")
                           for j in range(n))
        sampled_kept = all(set(seen[j]) <= {"01", "03"} for j in range(1, n))
        rbroken = rtotals["broken"] + rtotals["missing"] + rtotals["extra"]
        ok = (len(rnd) == N_RANDOM and sampled_kept and rbroken == 0
              and rtotals["orphans"] == 0 and rtotals["dup"] == 0)
        rows.append(("chains %s random flag" % label,
                     "flags received: %s; exported span flags: %s; %d broken"
                     % (" ".join(path), exp_txt, rbroken + rtotals["orphans"] + rtotals["dup"]),
                     ok))
    except Exception as e:  # a row, not a traceback, for the summary
        hoplib.log("%s: %r" % (label, e))
        rows.append(("chains %s" % label, "error: %s" % e, False))
    finally:
        peers.stop()
    return rows


def main():
    hoplib.require_env("COLLECTOR_OTLP_HTTP", "COLLECTOR_OUT")
    if os.environ.get("COLLECTOR_ERROR"):
        for label in ["chains %s" % c[0] for c in CHAINS]:
            hoplib.row(label, "no collector: %s" % os.environ["COLLECTOR_ERROR"], False)
        return 1
    # The chains run with cotel's hops exporting over OTLP/gRPC (the
    # other checks cover cotel over OTLP/HTTP); the Go and Rust peers keep
    # OTLP/HTTP.
    if os.environ.get("COLLECTOR_OTLP_GRPC"):
        os.environ["COTEL_HOP_OTLP_PROTOCOL"] = "grpc"
        print("chains: cotel hops export over OTLP/gRPC to %s" % os.environ["COLLECTOR_OTLP_GRPC"],
              flush=True)
    store = hoplib.SpanStore()
    failed = False
    for k, (label, kinds) in enumerate(CHAINS):
        for name, counts, ok in run_chain("chain%d" % (k + 1), label, kinds, store):
            hoplib.row(name, counts, ok)
            failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
