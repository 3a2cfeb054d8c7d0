#!/usr/bin/env python3
"""Check 1, field fidelity: the C SDK's corpus, sent over OTLP/HTTP, must come
out of the OpenTelemetry Collector equal, field by field.

cotel-otlp-corpus records a corpus of spans (every attribute type, events,
links, kinds, status, remote and local parents, dropped counts, resource and
scope attributes, non-ASCII and invalid UTF-8 strings), exports it, and
writes what it recorded as JSON. This script runs it once per transport
(protobuf, JSON, protobuf+gzip), then finds its spans, by trace id, in the
collector's file exporter output (OTLP/JSON lines, shared with the other
checks) and compares every field. Invalid UTF-8 is expected back as U+FFFD,
one per maximal ill-formed subpart (Unicode §3.9), which is also what
Python's "replace" error handler produces.

Environment (set by interop/run.sh): INTEROP_BIN, COLLECTOR_OTLP_HTTP,
COLLECTOR_OUT, INTEROP_WORK (scratch directory; a temporary one otherwise).
Prints `ROW|<check>|<counts>|PASS|FAIL` lines for the summary table.

The helpers here are reused by rotel.py (import fidelity)."""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time

# OTLP SpanFlags (trace.proto): bits 0-7 are the W3C trace flags; bit 8 says
# that bit 9 is known; bit 9 is "the parent (or link) is remote".
FLAG_HAS_IS_REMOTE = 0x100
FLAG_IS_REMOTE = 0x200


class NegZero(int):
    """json parses "-0" as the int 0; keep its sign for doubleValue."""


def _parse_int(s):
    return NegZero(0) if s.strip() == "-0" else int(s)


def loads(text):
    return json.loads(text, parse_int=_parse_int)


def text(v):
    """A recorded string: plain, or {"hex": bytes} when not valid UTF-8."""
    if isinstance(v, dict):
        return bytes.fromhex(v["hex"]).decode("utf-8", "replace")
    return v


# ---- normalised values: ("string", s) ("bool", b) ("int", i)
# ("double", bits-or-"NaN") ("array", [values]) ----

def _double(v):
    if isinstance(v, str):
        if v in ("NaN", "Infinity", "-Infinity"):
            v = float(v.replace("Infinity", "inf"))
        else:
            v = float(v)
    elif isinstance(v, NegZero):
        v = -0.0
    v = float(v)
    if math.isnan(v):
        return ("double", "NaN")  # every NaN is the same NaN here
    return ("double", struct.pack("<d", v).hex(), repr(v))


def recorded_value(typ, v):
    if typ == "string":
        return ("string", text(v))
    if typ == "bool":
        return ("bool", bool(v))
    if typ == "int":
        return ("int", int(v))
    if typ == "double":
        return _double(v)
    if typ.endswith("_array"):
        item = typ[: -len("_array")]
        return ("array", [recorded_value(item, x) for x in v])
    raise ValueError("unknown recorded attribute type %r" % typ)


def otlp_value(v):
    """An OTLP/JSON AnyValue (as the collector's pdata writes it)."""
    if not isinstance(v, dict) or len(v) == 0:
        return ("empty",)
    if "stringValue" in v:
        return ("string", v["stringValue"])
    if "boolValue" in v:
        return ("bool", bool(v["boolValue"]))
    if "intValue" in v:
        return ("int", int(v["intValue"]))
    if "doubleValue" in v:
        return _double(v["doubleValue"])
    if "arrayValue" in v:
        return ("array", [otlp_value(x) for x in v["arrayValue"].get("values", [])])
    if "kvlistValue" in v:
        return ("kvlist", [(kv["key"], otlp_value(kv.get("value")))
                           for kv in v["kvlistValue"].get("values", [])])
    if "bytesValue" in v:
        return ("bytes", v["bytesValue"])
    return ("unknown", json.dumps(v))


def show(v):
    if v and v[0] == "double" and len(v) == 3:
        return "double %s" % v[2]
    return repr(v)


class Compare:
    """Counts compared fields and collects mismatches."""

    def __init__(self, label, ordered=True):
        self.label = label
        self.ordered = ordered  # attribute, event and link order must match
        self.fields = 0
        self.mismatches = []

    def eq(self, where, want, got):
        self.fields += 1
        if want != got:
            self.mismatches.append("%s: want %s, got %s" % (where, want, got))
            return False
        return True

    def fail(self, msg):
        self.mismatches.append(msg)

    def attrs(self, where, recorded, otlp):
        want = [(text(a["key"]), recorded_value(a["type"], a["value"])) for a in recorded]
        got = [(a.get("key", ""), otlp_value(a.get("value"))) for a in (otlp or [])]
        if not self.eq(where + " attribute count", len(want), len(got)):
            wk = {k for k, _ in want}
            gk = {k for k, _ in got}
            for k in sorted(wk - gk):
                self.fail("%s: attribute %r missing" % (where, k))
            for k in sorted(gk - wk):
                self.fail("%s: attribute %r unexpected" % (where, k))
        gmap = {}
        for k, v in got:
            gmap.setdefault(k, v)
        for i, (k, v) in enumerate(want):
            if k not in gmap:
                continue
            self.fields += 1
            if gmap[k] != v:
                self.mismatches.append("%s attribute %r: want %s, got %s"
                                       % (where, k, show(v), show(gmap[k])))
            if self.ordered and i < len(got):
                self.eq(where + " attribute order #%d" % i, k, got[i][0])


def expected_flags(trace_flags, is_remote):
    return (trace_flags & 0xFF) | FLAG_HAS_IS_REMOTE | (FLAG_IS_REMOTE if is_remote else 0)


def compare_span(c, rec, resource, got):
    """Compare one recorded span with the collector's copy.

    got = (resource_spans, scope_spans, span) as found in the output."""
    rs, ss, sp = got
    w = "span %s %r" % (rec["span_id"], text(rec["name"]))
    c.eq(w + " traceId", rec["trace_id"], sp.get("traceId", ""))
    c.eq(w + " spanId", rec["span_id"], sp.get("spanId", ""))
    c.eq(w + " parentSpanId", rec["parent_span_id"], sp.get("parentSpanId", ""))
    c.eq(w + " traceState", text(rec["tracestate"]), sp.get("traceState", ""))
    c.eq(w + " flags", expected_flags(rec["flags"], rec["parent_is_remote"]),
         int(sp.get("flags", 0)))
    c.eq(w + " name", text(rec["name"]), sp.get("name", ""))
    c.eq(w + " kind", rec["kind"], int(sp.get("kind", 0)))
    c.eq(w + " startTimeUnixNano", rec["start_ns"], int(sp.get("startTimeUnixNano", 0)))
    c.eq(w + " endTimeUnixNano", rec["end_ns"], int(sp.get("endTimeUnixNano", 0)))
    st = sp.get("status") or {}
    c.eq(w + " status.code", rec["status_code"], int(st.get("code", 0)))
    c.eq(w + " status.message", text(rec["status_message"]), st.get("message", ""))
    c.attrs(w, rec["attrs"], sp.get("attributes"))
    c.eq(w + " droppedAttributesCount", rec["dropped_attrs"],
         int(sp.get("droppedAttributesCount", 0)))
    events = sp.get("events") or []
    rec_events = rec["events"]
    if not c.ordered:
        rec_events = sorted(rec_events, key=lambda e: (e["time_ns"], text(e["name"])))
        events = sorted(events, key=lambda e: (int(e.get("timeUnixNano", 0)), e.get("name", "")))
    if c.eq(w + " event count", len(rec_events), len(events)):
        for i, (re_, ge) in enumerate(zip(rec_events, events)):
            we = "%s event #%d" % (w, i)
            c.eq(we + " name", text(re_["name"]), ge.get("name", ""))
            c.eq(we + " timeUnixNano", re_["time_ns"], int(ge.get("timeUnixNano", 0)))
            c.attrs(we, re_["attrs"], ge.get("attributes"))
            c.eq(we + " droppedAttributesCount", re_["dropped_attrs"],
                 int(ge.get("droppedAttributesCount", 0)))
    c.eq(w + " droppedEventsCount", rec["dropped_events"], int(sp.get("droppedEventsCount", 0)))
    links = sp.get("links") or []
    rec_links = rec["links"]
    if not c.ordered:
        rec_links = sorted(rec_links, key=lambda l: (l["trace_id"], l["span_id"]))
        links = sorted(links, key=lambda l: (l.get("traceId", ""), l.get("spanId", "")))
    if c.eq(w + " link count", len(rec_links), len(links)):
        for i, (rl, gl) in enumerate(zip(rec_links, links)):
            wl = "%s link #%d" % (w, i)
            c.eq(wl + " traceId", rl["trace_id"], gl.get("traceId", ""))
            c.eq(wl + " spanId", rl["span_id"], gl.get("spanId", ""))
            c.eq(wl + " traceState", text(rl["tracestate"]), gl.get("traceState", ""))
            c.eq(wl + " flags", expected_flags(rl["flags"], rl["is_remote"]),
                 int(gl.get("flags", 0)))
            c.attrs(wl, rl["attrs"], gl.get("attributes"))
            c.eq(wl + " droppedAttributesCount", rl["dropped_attrs"],
                 int(gl.get("droppedAttributesCount", 0)))
    c.eq(w + " droppedLinksCount", rec["dropped_links"], int(sp.get("droppedLinksCount", 0)))
    scope = ss.get("scope") or {}
    rsc = rec["scope"]
    c.eq(w + " scope.name", text(rsc["name"]), scope.get("name", ""))
    c.eq(w + " scope.version", text(rsc["version"]), scope.get("version", ""))
    c.eq(w + " scope schemaUrl", text(rsc["schema_url"]), ss.get("schemaUrl", ""))
    c.attrs(w + " scope", rsc["attrs"], scope.get("attributes"))
    res = rs.get("resource") or {}
    c.attrs(w + " resource", resource["attrs"], res.get("attributes"))
    c.eq(w + " resource schemaUrl", text(resource["schema_url"]), rs.get("schemaUrl", ""))


class OutputReader:
    """Reads the collector's file exporter output (OTLP/JSON, one
    TracesData per line) incrementally, keeping the spans of the traces it
    was asked for, keyed by (traceId, spanId), every copy kept."""

    def __init__(self, path, trace_ids):
        self.path = path
        self.trace_ids = set(trace_ids)
        self.offset = 0
        self.partial = b""
        self.spans = {}
        self.bad_lines = 0

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
                self.offset = f.tell()
        except FileNotFoundError:
            return
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            if not line.strip():
                continue
            try:
                doc = loads(line.decode("utf-8"))
            except ValueError:
                self.bad_lines += 1
                continue
            for rs in doc.get("resourceSpans") or []:
                for ss in rs.get("scopeSpans") or []:
                    for sp in ss.get("spans") or []:
                        if sp.get("traceId") in self.trace_ids:
                            key = (sp["traceId"], sp.get("spanId"))
                            self.spans.setdefault(key, []).append((rs, ss, sp))

    def wait_for(self, keys, timeout):
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if all(k in self.spans for k in keys) or time.monotonic() > deadline:
                return
            time.sleep(0.2)


def run_corpus(label, endpoint, extra_args, work):
    """Run cotel-otlp-corpus; return (recorded corpus, error text or None)."""
    binary = os.path.join(os.environ.get("INTEROP_BIN", "build/bin"), "cotel-otlp-corpus")
    service = "cotel-corpus-%s-%d" % (label.replace(" ", "-").replace("+", "-"), os.getpid())
    out = os.path.join(work, service + ".json")
    cmd = [binary, "--endpoint", endpoint, "--out", out, "--service", service] + extra_args
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "cannot run %s: %s" % (binary, e)
    sys.stdout.write(p.stderr)
    if p.returncode != 0:
        return None, "cotel-otlp-corpus exited with %d (%s)" % (p.returncode, " ".join(cmd[1:]))
    with open(out, "rb") as f:
        return loads(f.read().decode("utf-8")), None


def check_collector_copy(label, corpus, out_path, timeout=30, quiet=False):
    """Compare a recorded corpus with the collector's output; return the
    ROW text parts (counts, ok) and print the mismatches."""
    spans = corpus["spans"]
    keys = [(s["trace_id"], s["span_id"]) for s in spans]
    reader = OutputReader(out_path, {k[0] for k in keys})
    reader.wait_for(keys, timeout)
    c = Compare(label)
    found = 0
    for rec, key in zip(spans, keys):
        copies = reader.spans.get(key, [])
        if not copies:
            c.fail("span %s %r: missing from the collector output" % (key[1], text(rec["name"])))
            continue
        found += 1
        if len(copies) > 1:
            c.fail("span %s %r: %d copies" % (key[1], text(rec["name"]), len(copies)))
        compare_span(c, rec, corpus["resource"], copies[0])
    extra = [k for k in reader.spans if k not in set(keys)]
    for k in extra:
        c.fail("span %s of trace %s: received but never recorded" % (k[1], k[0]))
    for m in ([] if quiet else c.mismatches[:60]):
        print("  MISMATCH [%s] %s" % (label, m))
    if not quiet and len(c.mismatches) > 60:
        print("  ... %d more mismatches" % (len(c.mismatches) - 60))
    counts = "%d/%d spans, %d fields compared, %d mismatches" % (
        found, len(spans), c.fields, len(c.mismatches))
    return counts, not c.mismatches and found == len(spans) and len(spans) > 0


def self_test(corpus, out_path):
    """The comparison must be able to fail: each of these changes to the
    recorded corpus (already received, so no waiting) must be caught."""
    import copy

    def first(c, pred):
        return next(s for s in c["spans"] if pred(s))

    def mutations():
        yield "attribute value", lambda c: c["spans"][-1]["attrs"].__setitem__(
            0, dict(c["spans"][-1]["attrs"][0], value="changed"))
        yield "span name", lambda c: c["spans"][0].__setitem__("name", "changed")
        yield "event time", lambda c: first(c, lambda s: s["events"])["events"][0].__setitem__(
            "time_ns", 1)
        yield "link span id", lambda c: first(c, lambda s: s["links"])["links"][0].__setitem__(
            "span_id", "0102030405060708")
        yield "trace flags", lambda c: c["spans"][0].__setitem__("flags", 0)
        yield "dropped count", lambda c: c["spans"][0].__setitem__("dropped_attrs", 99)
        yield "resource attribute", lambda c: c["resource"]["attrs"].pop()

    caught = total = 0
    for what, mutate in mutations():
        total += 1
        c = copy.deepcopy(corpus)
        try:
            mutate(c)
        except StopIteration:
            print("  self-test: nothing to change for %s" % what)
            continue
        _, good = check_collector_copy("self-test", c, out_path, timeout=0, quiet=True)
        if good:
            print("  self-test: a changed %s went unnoticed" % what)
        else:
            caught += 1
    return row("fidelity comparator self-test", "%d/%d injected differences caught"
               % (caught, total), caught == total)


def workdir():
    w = os.environ.get("INTEROP_WORK")
    if w:
        os.makedirs(w, exist_ok=True)
        return w
    return tempfile.mkdtemp(prefix="cotel-fidelity-")


def row(name, counts, ok):
    print("ROW|%s|%s|%s" % (name, counts, "PASS" if ok else "FAIL"), flush=True)
    return ok


def main():
    endpoint = os.environ.get("COLLECTOR_OTLP_HTTP")
    grpc_endpoint = os.environ.get("COLLECTOR_OTLP_GRPC")
    out_path = os.environ.get("COLLECTOR_OUT")
    if not endpoint or not out_path:
        print("fidelity: COLLECTOR_OTLP_HTTP and COLLECTOR_OUT must be set")
        return row("fidelity", "not configured", False) and 0 or 1
    work = workdir()
    runs = [
        ("protobuf", ["--protocol", "protobuf", "--processor", "batch"]),
        ("json", ["--protocol", "json", "--processor", "batch"]),
        ("protobuf+gzip", ["--protocol", "protobuf", "--processor", "simple", "--gzip"]),
    ]
    # The same corpus over OTLP/gRPC (libcurl HTTP/2, no gRPC library), plain
    # and gzip, to the collector's gRPC receiver.
    if grpc_endpoint:
        runs += [
            ("grpc", ["--protocol", "grpc", "--processor", "batch"]),
            ("grpc+gzip", ["--protocol", "grpc", "--processor", "simple", "--gzip"]),
        ]
    ok = True
    for label, args in runs:
        grpc = label.startswith("grpc")
        print("fidelity: corpus over OTLP/%s %s -> collector" % ("gRPC" if grpc else "HTTP", label),
              flush=True)
        corpus, err = run_corpus(label, grpc_endpoint if grpc else endpoint, args, work)
        if err:
            print("  " + err)
            ok = row("fidelity %s" % label, err, False) and ok
            continue
        counts, good = check_collector_copy(label, corpus, out_path)
        ok = row("fidelity %s" % label, counts, good) and ok
        if label == "protobuf" and good:
            ok = self_test(corpus, out_path) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
