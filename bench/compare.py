#!/usr/bin/env python3
"""Side-by-side table of the cotel, opentelemetry-go and opentelemetry-rust
benchmark results (JSON files written by the three drivers), with the
DESIGN §7 targets and whether each holds. Used by scripts/bench.sh.

usage: compare.py C.json [GO.json|-] [RUST.json|-]
"""
import json
import os
import sys


def load(path):
    if not path or path == "-":
        return {}
    try:
        with open(path) as f:
            return {c["name"]: c for c in json.load(f)["cases"]}
    except (OSError, ValueError, KeyError) as e:
        print(f"note: cannot read {path}: {e}")
        return {}


c, go, rs = (load(a) for a in (sys.argv[1:] + ["-", "-", "-"])[:3])

ROWS = [
    "span_start_end", "span_4_attrs", "span_non_recording", "span_child",
    "context_attach_thread", "context_coroutine_swap",
    "context_coroutine_attach", "context_future", "w3c_inject", "w3c_extract",
    "otlp_encode_pb", "allocs_per_span", "allocs_per_span_thread",
    "allocs_per_span_allocator", "threads_2_vs_1",
]


def med(d, k):
    return d[k]["median_ns"] if k in d else None


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.1f}x"


print()
hdr = f"{'case':<26} {'unit':>9} {'cotel':>9} {'go':>9} {'rust':>9} {'go/cotel':>9} {'rust/cotel':>10}"
print(hdr)
print("-" * len(hdr))
for k in ROWS:
    if k not in c and k not in go and k not in rs:
        continue
    unit = (c.get(k) or go.get(k) or rs.get(k))["unit"]
    cv, gv, rv = med(c, k), med(go, k), med(rs, k)
    # Ratios make sense for costs; for the thread scaling ratio they don't.
    cmp = unit == "ns/op"
    print(f"{k:<26} {unit:>9} {fmt(cv):>9} {fmt(gv):>9} {fmt(rv):>9} "
          f"{ratio(gv, cv) if cmp else '-':>9} {ratio(rv, cv) if cmp else '-':>10}")
print("(go: context_attach_thread is trace.ContextWithSpan, Go has no current "
      "context; rust: Context::attach + guard drop)")

# DESIGN §7 targets: (label, case, check(cotel, go, rust) -> bool or None).
def le(limit):
    return lambda v, g, r: None if v is None else v <= limit


TARGETS = [
    ("start+end <= 60 ns", "span_start_end", le(60)),
    ("start+end <= 1/3 of rust", "span_start_end",
     lambda v, g, r: None if v is None or r is None else v * 3 <= r),
    ("start+end <= 1/5 of go", "span_start_end",
     lambda v, g, r: None if v is None or g is None else v * 5 <= g),
    ("4 attributes <= 100 ns", "span_4_attrs", le(100)),
    ("non-recording <= 10 ns", "span_non_recording", le(10)),
    ("context current+restore, thread <= 5 ns", "context_attach_thread", le(5)),
    ("  coroutine swap <= 5 ns", "context_coroutine_swap", le(5)),
    ("  coroutine swap+attach <= 5 ns", "context_coroutine_attach", le(5)),
    ("  future enter+leave <= 5 ns", "context_future", le(5)),
    ("W3C inject <= 30 ns", "w3c_inject", le(30)),
    ("W3C extract <= 50 ns", "w3c_extract", le(50)),
    ("OTLP pb encode <= 100 ns/span", "otlp_encode_pb", le(100)),
    ("2 threads vs 1 >= 1.8x", "threads_2_vs_1",
     lambda v, g, r: None if v is None else v >= 1.8),
    ("heap allocs per span == 0", "allocs_per_span",
     lambda v, g, r: None if v is None else v < 0.005),
]

print()
print(f"{'DESIGN §7 target':<42} {'cotel':>9}  holds")
print("-" * 60)
held = failed = 0
for label, k, check in TARGETS:
    v = med(c, k)
    ok = check(v, med(go, k), med(rs, k))
    word = "n/a" if ok is None else "yes" if ok else "NO"
    held += ok is True
    failed += ok is False
    print(f"{label:<42} {fmt(v):>9}  {word}")
# bench/wrk.sh's result, next to c.json: loss of req/s, OTLP export on.
wrk_path = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])),
                        "wrk.json")
try:
    with open(wrk_path) as f:
        loss = json.load(f)["loss_pct"]["otlp"]
    ok = loss <= 3
    held += ok
    failed += not ok
    print(f"{'HTTP server under wrk <= 3% loss (otlp)':<42} {loss:>8.1f}%  "
          f"{'yes' if ok else 'NO'}")
except (OSError, ValueError, KeyError):
    print("(instrumented libuv HTTP server under wrk <= 3% loss: not measured; "
          "bench/wrk.sh)")
print(f"targets: {held} hold, {failed} missed")
