#!/usr/bin/env python3
"""Check: the OTLP file exporter's lines are OTLP/JSON the Collector reads,
field for field.

cotel-otlp-corpus records its span corpus and exports it through the
otlp/file exporter (--file): OTLP/JSON lines, one ExportTraceServiceRequest
per line. Each line is then given, unchanged, to the Collector: POSTed to
its OTLP/HTTP receiver as application/json, which decodes it with pdata's
OTLP/JSON unmarshaler, the one the contrib `otlpjsonfile` receiver uses (that
receiver's module is not on the Go module proxy this project builds from).
The collector's file exporter output is then compared with what the SDK
recorded by fidelity.py's comparator: 0 mismatches.

Environment (set by interop/run.sh): INTEROP_BIN, COLLECTOR_OTLP_HTTP,
COLLECTOR_OUT, INTEROP_WORK."""

import os
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fidelity  # noqa: E402


def post_lines(path, endpoint):
    """POST every line; return (lines, error text or None)."""
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            if not line.endswith(b"\n"):
                return n, "line %d does not end in a newline" % (n + 1)
            n += 1
            req = urllib.request.Request(endpoint.rstrip("/") + "/v1/traces", data=line,
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    if r.status != 200:
                        return n, "line %d: HTTP %d" % (n, r.status)
            except urllib.error.HTTPError as e:
                return n, "line %d: HTTP %d %s" % (n, e.code, e.read()[:200])
            except (urllib.error.URLError, OSError) as e:
                return n, "line %d: %s" % (n, e)
    return n, None


def main():
    endpoint = os.environ.get("COLLECTOR_OTLP_HTTP")
    out_path = os.environ.get("COLLECTOR_OUT")
    if not endpoint or not out_path or os.environ.get("COLLECTOR_ERROR"):
        return 0 if fidelity.row("otlp/file fidelity", "no collector", False) else 1
    work = fidelity.workdir()
    jsonl = os.path.join(work, "otlp-file-corpus.jsonl")
    if os.path.exists(jsonl):
        os.unlink(jsonl)
    print("otlp_file: corpus through otlp/file -> %s -> collector" % jsonl, flush=True)
    binary = os.path.join(os.environ.get("INTEROP_BIN", "build/bin"), "cotel-otlp-corpus")
    service = "cotel-corpus-otlp-file-%d" % os.getpid()
    rec = os.path.join(work, service + ".json")
    p = subprocess.run([binary, "--file", jsonl, "--out", rec, "--service", service],
                       capture_output=True, text=True, timeout=120)
    sys.stdout.write(p.stderr)
    if p.returncode != 0:
        return 0 if fidelity.row("otlp/file fidelity", "cotel-otlp-corpus exited with %d"
                                 % p.returncode, False) else 1
    with open(rec, "rb") as f:
        corpus = fidelity.loads(f.read().decode("utf-8"))
    n, err = post_lines(jsonl, endpoint)
    if err:
        print("  " + err)
        return 0 if fidelity.row("otlp/file fidelity", err, False) else 1
    counts, good = fidelity.check_collector_copy("otlp/file", corpus, out_path)
    ok = fidelity.row("otlp/file fidelity", "%d lines, %s" % (n, counts), good)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
