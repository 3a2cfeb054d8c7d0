"""Shared code of the hop checks (checks/chains.py, checks/fanout.py).

Standard library only. It starts hop services through peers.sh, drives them
over HTTP, and reads the spans back from the collector's file exporter
output ($COLLECTOR_OUT: OTLP JSON, one export request per line), selecting
spans by trace id since other checks write to the same file.
"""

import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("INTEROP_ROOT", HERE)

SPAN_KIND = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def row(name, counts, ok):
    """One result row for run.sh's summary table."""
    print("ROW|%s|%s|%s" % (name, counts, "PASS" if ok else "FAIL"), flush=True)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def require_env(*names):
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        raise SystemExit("missing environment: %s (run through interop/run.sh)"
                         % ", ".join(missing))


class Peers:
    """Hop services started with peers.sh; stop() ends them by PID, with
    SIGTERM first so their batch processors flush."""

    def __init__(self):
        self.pids = []
        # The services' stdout/stderr files (peers.sh puts them in TMPDIR).
        self.logdir = tempfile.mkdtemp(prefix="cotel-peers-")

    def start(self, kind, name):
        env = dict(os.environ, TMPDIR=self.logdir)
        out = subprocess.run(["bash", os.path.join(ROOT, "peers.sh"), "start", kind, name],
                             capture_output=True, text=True, timeout=120, env=env)
        if out.returncode != 0:
            raise RuntimeError("cannot start %s %s: %s" % (kind, name, out.stderr.strip()))
        pid, url = out.stdout.split()[-2:]
        self.pids.append(int(pid))
        return url

    def stop(self):
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        for pid in self.pids:
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.pids = []
        # Whatever a service said on stderr (warnings, sanitizer reports)
        # goes to ours before the files go.
        for err in sorted(glob.glob(os.path.join(self.logdir, "*.err"))):
            with open(err, errors="replace") as f:
                text = f.read().strip()
            if text:
                log("== %s\n%s" % (os.path.basename(err), text[-4000:]))
        shutil.rmtree(self.logdir, ignore_errors=True)


def _alive(pid):
    # peers.sh's children are reparented to init, which reaps them; a zombie
    # shows as state Z until then.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def hop_url(first, rest=(), **params):
    """URL for the first hop with next=<rest...> and extra parameters."""
    q = dict(params)
    if rest:
        q["next"] = ",".join(rest)
    return first + ("?" + urllib.parse.urlencode(q) if q else "")


def get(url, headers=None, timeout=120):
    """GET -> (status, parsed JSON or None, seconds)."""
    req = urllib.request.Request(url, headers=headers or {})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        return e.code, None, time.monotonic() - t0
    except (urllib.error.URLError, OSError) as e:
        log("GET %s: %s" % (url, e))
        return 0, None, time.monotonic() - t0
    dt = time.monotonic() - t0
    try:
        return status, json.loads(body), dt
    except ValueError:
        return status, None, dt


def chain_of(reply):
    """The hops of a chain reply, first to last (following "downstream"
    while it is an object)."""
    hops = []
    while isinstance(reply, dict):
        hops.append(reply)
        reply = reply.get("downstream")
    return hops


def random_traceparent(flags):
    tid = "%032x" % random.getrandbits(128)
    sid = "%016x" % random.getrandbits(64)
    return tid, sid, "00-%s-%s-%s" % (tid, sid, flags)


def baggage_entries(header):
    """W3C baggage header -> {key: value} (properties dropped)."""
    out = {}
    for member in (header or "").split(","):
        kv = member.split(";", 1)[0].strip()
        if "=" in kv:
            k, v = kv.split("=", 1)
            out[k.strip()] = urllib.parse.unquote(v.strip())
    return out


class SpanStore:
    """Spans of the collector's output file, by trace id, read
    incrementally. Each span is a dict: trace_id, span_id, parent_id,
    kind (name), name, service, flags."""

    def __init__(self, path=None):
        self.path = path or os.environ["COLLECTOR_OUT"]
        self.offset = 0
        self.rest = b""
        self.by_trace = {}
        self.bad_lines = 0

    def _read(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        self.offset += len(data)
        data = self.rest + data
        lines = data.split(b"\n")
        self.rest = lines.pop()
        for line in lines:
            if line.strip():
                self._add_line(line)

    def _add_line(self, line):
        try:
            doc = json.loads(line)
        except ValueError:
            self.bad_lines += 1
            return
        for rs in doc.get("resourceSpans", []):
            service = None
            for a in rs.get("resource", {}).get("attributes", []):
                if a.get("key") == "service.name":
                    service = a.get("value", {}).get("stringValue")
            for ss in rs.get("scopeSpans", []):
                for s in ss.get("spans", []):
                    tid = s.get("traceId", "").lower()
                    self.by_trace.setdefault(tid, []).append({
                        "trace_id": tid,
                        "span_id": s.get("spanId", "").lower(),
                        "parent_id": (s.get("parentSpanId") or "").lower(),
                        "kind": SPAN_KIND.get(s.get("kind"), str(s.get("kind"))),
                        "name": s.get("name"),
                        "service": service,
                        "flags": s.get("flags"),
                    })

    def count(self, trace_ids):
        return sum(len(self.by_trace.get(t, ())) for t in trace_ids)

    def wait_for(self, expected, timeout=60.0):
        """Polls the file until `expected` ({trace_id: span count}) has at
        least that many spans per trace, or the timeout. Returns True when
        complete. A short grace read follows so late duplicates show."""
        deadline = time.monotonic() + timeout
        while True:
            self._read()
            if all(len(self.by_trace.get(t, ())) >= n for t, n in expected.items()):
                time.sleep(0.5)
                self._read()
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    def spans(self, trace_id):
        self._read()
        return self.by_trace.get(trace_id, [])


def percentile(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, -(-len(v) * p // 100) - 1))
    return v[int(k)]
