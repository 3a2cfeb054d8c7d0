#!/usr/bin/env python3
"""Combine the per-round results of `make bench` into one file and a table.

usage: combine.py OUT_DIR

Reads OUT_DIR/rounds/*.json (each {"impl", "cases": [{"case", "impl",
"metric", "value", "note"?}]}, one file per implementation and round, as
written by cotel-bench-spans, bench/go and bench/rust) and the service
results OUT_DIR/http_hop.json and OUT_DIR/seed_ab_1000.json (same shape,
already aggregated). Writes:

  OUT_DIR/results.json   {"machine": ..., "rounds": N, "cases": [{"case",
                         "impl", "metric", "value"}]}: over the rounds, the
                         median of each metric, except allocs_per_op (the
                         maximum) and dropped (the sum)
  OUT_DIR/{cotel,go,rust}.json   the same, one implementation each
  OUT_DIR/results.md     the side-by-side table (docs/performance.md)
  OUT_DIR/chart.dat      thread CPU ns per op by case, for bench/chart.gp
and prints the table and the DESIGN §7 targets.
"""
import glob
import json
import os
import platform
import statistics
import sys

out = sys.argv[1]
vals = {}  # (case, impl, metric) -> [values over rounds]
notes = {}
order = []  # cases in first-seen order
rounds = {}
for path in sorted(glob.glob(os.path.join(out, "rounds", "*.json"))):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"note: {path}: {e}")
        continue
    impl = doc.get("impl", "?")
    rounds[impl] = rounds.get(impl, 0) + 1
    for c in doc["cases"]:
        k = (c["case"], c.get("impl", impl), c["metric"])
        vals.setdefault(k, []).append(float(c["value"]))
        if c.get("note"):
            notes[(c["case"], k[1])] = c["note"]
        if c["case"] not in order:
            order.append(c["case"])

combined = []
for (case, impl, metric), v in vals.items():
    if metric == "allocs_per_op":
        x = max(v)
    elif metric == "dropped":
        x = sum(v)
    else:
        x = statistics.median(v)
    combined.append({"case": case, "impl": impl, "metric": metric,
                     "value": round(x, 4)})
for extra in ("http_hop.json", "seed_ab_1000.json", "otlp_export.json",
              "memory.json"):
    try:
        with open(os.path.join(out, extra)) as f:
            for c in json.load(f)["cases"]:
                combined.append({k: c[k] for k in ("case", "impl", "metric",
                                                   "value")})
                if c["case"] not in order:
                    order.append(c["case"])
    except (OSError, ValueError, KeyError):
        pass


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


machine = {"cpu": cpu_model(), "cores": os.cpu_count(),
           "kernel": platform.release(),
           "load": open("/proc/loadavg").read().split()[:3]}
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"machine": machine, "rounds": rounds, "cases": combined}, f,
              indent=1)
    f.write("\n")
for impl in ("cotel", "go", "rust"):
    with open(os.path.join(out, impl + ".json"), "w") as f:
        json.dump({"impl": impl, "cases": [c for c in combined
                                           if c["impl"] == impl]}, f,
                  indent=1)
        f.write("\n")

get = {(c["case"], c["impl"], c["metric"]): c["value"] for c in combined}


def fmt(v, prec=1):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.{prec}f}"


def ratio(a, b):
    return "-" if a is None or b is None or b < 0.5 else f"{a / b:.1f}x"


IMPLS = ("cotel", "go", "rust")
lines = []
lines.append("| case | metric | cotel | go | rust | go/cotel | rust/cotel |")
lines.append("|---|---|---:|---:|---:|---:|---:|")
for case in order:
    if case in ("http_hop", "seed_ab_1000", "otlp_export"):
        continue
    for metric in ("thread_cpu_ns_per_op", "ns_per_op",
                   "export_cpu_ns_per_op", "allocs_per_op",
                   "thread_cpu_ratio", "dropped"):
        row = [get.get((case, i, metric)) for i in IMPLS]
        if all(v is None for v in row):
            continue
        if metric == "dropped" and not any(row):
            continue
        prec = 3 if metric in ("allocs_per_op", "thread_cpu_ratio") else 1
        lines.append(f"| `{case}` | {metric} | " +
                     " | ".join(fmt(v, prec) for v in row) +
                     f" | {ratio(row[1], row[0])} | {ratio(row[2], row[0])} |")
svc = [c for c in combined if c["case"] in ("http_hop", "seed_ab_1000")]
if svc:
    lines.append("")
    lines.append("| case | variant | metric | value |")
    lines.append("|---|---|---|---:|")
    for c in svc:
        lines.append(f"| `{c['case']}` | {c['impl']} | {c['metric']} | "
                     f"{fmt(c['value'], 2)} |")
table = "\n".join(lines)
with open(os.path.join(out, "results.md"), "w") as f:
    f.write(f"Machine: {machine['cpu']}, {machine['cores']} cores, Linux "
            f"{machine['kernel']}, load {' '.join(machine['load'])}; "
            f"rounds: {rounds}\n\n{table}\n")
print()
print(table)

# Chart data: thread CPU ns per op, one line per case with all three.
with open(os.path.join(out, "chart.dat"), "w") as f:
    f.write("# case cotel go rust (thread CPU ns per op; - = not measured)\n")
    for case in order:
        row = [get.get((case, i, "thread_cpu_ns_per_op")) for i in IMPLS]
        if row[0] is None or case.startswith("threads_"):
            continue
        f.write(case + " " + " ".join("-" if v is None else f"{v:.2f}"
                                      for v in row) + "\n")

# DESIGN §7 and issue 13 targets, on thread CPU time.
def c(case, metric="thread_cpu_ns_per_op", impl="cotel"):
    return get.get((case, impl, metric))


def le(x, lim):
    return None if x is None else x <= lim


rust_se = c("span_start_end", impl="rust")
TARGETS = [
    ("span start+end <= 70 ns thread CPU", c("span_start_end"), 70),
    ("span start+end <= rust/3", c("span_start_end"),
     None if rust_se is None else rust_se / 3),
    ("4 attrs <= 100 ns", c("span_4_attrs"), 100),
    ("non-recording <= 10 ns", c("span_non_recording"), 10),
    ("W3C inject <= 30 ns", c("w3c_inject"), 30),
    ("W3C extract <= 50 ns", c("w3c_extract"), 50),
    ("OTLP pb encode <= 100 ns/span", c("otlp_encode_pb"), 100),
    ("allocs per span == 0 (max window)",
     c("allocs_per_span", "allocs_per_op"), 0.0049),
    ("2 producers / 1 <= 1.15", c("threads_2_vs_1", "thread_cpu_ratio"),
     1.15),
]
mem = get.get(("memory_burst_1m", "cotel", "rss_after_burst_over_steady"))
if mem is not None:
    TARGETS.append(("RSS after a 1M burst <= 2x steady", mem, 2.0))
hop_u = get.get(("http_hop", "untraced", "rps"))
hop_t = get.get(("http_hop", "traced", "rps"))
print()
print(f"{'target':<40} {'cotel':>9}  holds")
print("-" * 58)
for label, v, lim in TARGETS:
    ok = None if lim is None else le(v, lim)
    print(f"{label:<40} {fmt(v, 2):>9}  "
          f"{'n/a' if ok is None else 'yes' if ok else 'NO'}")
if hop_u and hop_t:
    loss = 100 * (1 - hop_t / hop_u)
    print(f"{'http_hop traced loss <= 3%':<40} {loss:>8.1f}%  "
          f"{'yes' if loss <= 3 else 'NO'}")
    # Server CPU per request moves less with the machine's load than req/s.
    cu = get.get(("http_hop", "untraced", "server_cpu_us_per_req"))
    ct = get.get(("http_hop", "traced", "server_cpu_us_per_req"))
    if cu and ct:
        print(f"{'http_hop traced server CPU/req vs untraced':<40} "
              f"{100 * (ct / cu - 1):>+8.1f}%")
