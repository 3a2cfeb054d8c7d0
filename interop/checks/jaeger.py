#!/usr/bin/env python3
"""Check 2, Jaeger: the C SDK's corpus sent to Jaeger v2 over OTLP/HTTP,
read back through Jaeger's API (GET /api/v3/traces/{trace_id}), must have
every span, with correct parent references, and every field the Jaeger
storage model keeps.

Jaeger's answer is OTLP/JSON, so the spans are compared with the fidelity
check's code, with three allowances for what Jaeger does by design:
- attributes, events and links are compared by key / time / id, not order
  (Jaeger sorts attributes by key);
- the scope's schema_url is not kept (Jaeger's span model has no field for
  it): counted and reported, not compared;
- Jaeger adds an "@jaeger@warnings" attribute to spans it could not adjust
  for clock skew (e.g. a parent that is in another service, or a span with
  a fixed timestamp in the past): reported, not compared.

Environment (set by interop/run.sh): INTEROP_BIN, JAEGER_OTLP_HTTP,
JAEGER_OTLP_GRPC (optional: the same checks over OTLP/gRPC),
JAEGER_QUERY (or JAEGER_ERROR), INTEROP_WORK."""

import json
import os
import sys
import time
import urllib.error
import urllib.request

import fidelity
from fidelity import Compare, compare_span, row, run_corpus, text, workdir

WARNINGS_KEY = "@jaeger@warnings"


def fetch_trace(query, trace_id):
    """The trace's spans as (resource_spans, scope_spans, span), or []."""
    url = "%s/api/v3/traces/%s" % (query.rstrip("/"), trace_id)
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            doc = fidelity.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return []
        raise
    out = []
    result = doc.get("result") or {}
    for rs in result.get("resourceSpans") or []:
        for ss in rs.get("scopeSpans") or []:
            for sp in ss.get("spans") or []:
                out.append((rs, ss, sp))
    return out


def main():
    query = os.environ.get("JAEGER_QUERY")
    endpoint = os.environ.get("JAEGER_OTLP_HTTP")
    grpc_endpoint = os.environ.get("JAEGER_OTLP_GRPC")
    if not query or not endpoint:
        err = os.environ.get("JAEGER_ERROR", "JAEGER_QUERY / JAEGER_OTLP_HTTP not set")
        print("jaeger: " + err)
        row("jaeger", err, False)
        return 1
    rc = check("jaeger", "OTLP/HTTP protobuf", query, endpoint, ["--protocol", "protobuf"])
    # The same corpus over OTLP/gRPC, plain and gzip.
    if grpc_endpoint:
        rc |= check("jaeger grpc", "OTLP/gRPC", query, grpc_endpoint,
                    ["--protocol", "grpc"])
        rc |= check("jaeger grpc+gzip", "OTLP/gRPC gzip", query, grpc_endpoint,
                    ["--protocol", "grpc", "--gzip"])
    return rc


def check(name, how, query, endpoint, args):
    print("jaeger: corpus over %s -> Jaeger v2, read back from %s" % (how, query), flush=True)
    corpus, err = run_corpus(name, endpoint, args, workdir())
    if err:
        print("  " + err)
        row(name, err, False)
        return 1
    spans = corpus["spans"]
    by_trace = {}
    for s in spans:
        by_trace.setdefault(s["trace_id"], set()).add(s["span_id"])

    # Poll until every recorded span is readable (Jaeger batches writes).
    got = {}
    deadline = time.monotonic() + 30
    pending = set(by_trace)
    while pending and time.monotonic() < deadline:
        for tid in sorted(pending):
            try:
                copies = fetch_trace(query, tid)
            except (OSError, ValueError) as e:
                print("  jaeger: GET trace %s: %s" % (tid, e))
                copies = []
            got[tid] = copies
            if by_trace[tid] <= {sp.get("spanId") for _, _, sp in copies}:
                pending.discard(tid)
        if pending:
            time.sleep(0.3)

    c = Compare("jaeger", ordered=False)
    found = 0
    parents_ok = 0
    schema_urls_lost = 0
    warnings = []
    for tid, want_ids in sorted(by_trace.items()):
        copies = got.get(tid, [])
        index = {}
        for rs, ss, sp in copies:
            index.setdefault(sp.get("spanId"), []).append((rs, ss, sp))
        for sid in sorted(set(index) - want_ids):
            c.fail("trace %s: span %s returned but never recorded" % (tid, sid))
        for rec in (s for s in spans if s["trace_id"] == tid):
            span_name = text(rec["name"])
            found_copies = index.get(rec["span_id"], [])
            if not found_copies:
                c.fail("span %s %r: missing from Jaeger" % (rec["span_id"], span_name))
                continue
            found += 1
            if len(found_copies) > 1:
                c.fail("span %s %r: %d copies" % (rec["span_id"], span_name, len(found_copies)))
            rs, ss, sp = found_copies[0]
            attrs = []
            for a in sp.get("attributes") or []:
                if a.get("key") == WARNINGS_KEY:
                    vals = (a.get("value") or {}).get("arrayValue", {}).get("values", [])
                    warnings += ["%r: %s" % (span_name, v.get("stringValue")) for v in vals]
                else:
                    attrs.append(a)
            sp = dict(sp, attributes=attrs)
            # Parent reference: the id, and for a local parent, that the
            # parent is in the same trace as Jaeger returns it.
            pid = sp.get("parentSpanId", "")
            if pid == rec["parent_span_id"] and (
                    not pid or rec["parent_is_remote"] or pid in index):
                parents_ok += 1
            else:
                c.fail("span %s %r: parent %r, want %r%s" % (
                    rec["span_id"], span_name, pid, rec["parent_span_id"],
                    "" if pid in index else " (not in the trace)"))
            rec = dict(rec)
            if text(rec["scope"]["schema_url"]) and not ss.get("schemaUrl"):
                schema_urls_lost += 1
                rec["scope"] = dict(rec["scope"], schema_url="")
            compare_span(c, rec, corpus["resource"], (rs, ss, sp))

    for w in sorted(set(warnings)):
        print("  note: Jaeger warning on %s" % w)
    if schema_urls_lost:
        print("  note: Jaeger does not keep the scope schema_url (%d spans)" % schema_urls_lost)
    for m in c.mismatches[:60]:
        print("  MISMATCH [jaeger] %s" % m)
    if len(c.mismatches) > 60:
        print("  ... %d more mismatches" % (len(c.mismatches) - 60))
    counts = "%d/%d spans in %d traces, %d/%d parent refs ok, %d fields compared, %d mismatches" % (
        found, len(spans), len(by_trace), parents_ok, len(spans), c.fields, len(c.mismatches))
    ok = found == len(spans) and parents_ok == len(spans) and not c.mismatches
    row(name, counts, ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
