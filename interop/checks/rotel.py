#!/usr/bin/env python3
"""Check 3, Rust collector: the C SDK's corpus sent to rotel (a collector
written in Rust, from the npm package rotel-agent-linux-x64) over OTLP/HTTP
protobuf, forwarded by rotel over OTLP/gRPC to the OpenTelemetry Collector,
must come out of the collector equal, field by field (the fidelity check's
comparison, attribute/event/link order included).

rotel 0.0.2, the only version published on npm, answers 400 to OTLP/HTTP
JSON, so only protobuf (plain and gzip) is sent through it.

Environment (set by interop/run.sh): INTEROP_BIN, ROTEL_OTLP_HTTP (or
ROTEL_ERROR), ROTEL_OTLP_GRPC (optional: also over OTLP/gRPC), COLLECTOR_OUT,
INTEROP_WORK."""

import os
import sys

from fidelity import check_collector_copy, row, run_corpus, workdir


def main():
    endpoint = os.environ.get("ROTEL_OTLP_HTTP")
    out_path = os.environ.get("COLLECTOR_OUT")
    if not endpoint or not out_path:
        err = os.environ.get("ROTEL_ERROR", "ROTEL_OTLP_HTTP / COLLECTOR_OUT not set")
        print("rotel: " + err)
        row("rotel", err, False)
        return 1
    grpc_endpoint = os.environ.get("ROTEL_OTLP_GRPC")
    work = workdir()
    ok = True
    runs = [
        ("protobuf", ["--protocol", "protobuf", "--processor", "batch"]),
        ("protobuf+gzip", ["--protocol", "protobuf", "--processor", "simple", "--gzip"]),
    ]
    # The same corpus into rotel's OTLP/gRPC receiver, plain and gzip.
    if grpc_endpoint:
        runs += [
            ("grpc", ["--protocol", "grpc", "--processor", "batch"]),
            ("grpc+gzip", ["--protocol", "grpc", "--processor", "simple", "--gzip"]),
        ]
    for label, args in runs:
        grpc = label.startswith("grpc")
        print("rotel: corpus over OTLP/%s %s -> rotel -> OTLP/gRPC -> collector"
              % ("gRPC" if grpc else "HTTP", label), flush=True)
        corpus, err = run_corpus("rotel " + label, grpc_endpoint if grpc else endpoint,
                                 args, work)
        if err:
            print("  " + err)
            ok = row("rotel %s" % label, err, False) and ok
            continue
        counts, good = check_collector_copy("rotel " + label, corpus, out_path)
        ok = row("rotel %s" % label, counts, good) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
