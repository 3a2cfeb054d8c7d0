#!/usr/bin/env python3
"""The fault matrix (`make faults`): cotel against the real OpenTelemetry
Collector (the interop build, OTLP/HTTP in, file exporter out) and, where the
collector cannot misbehave by itself, a small fault proxy in front of it.

Every fault runs the producer (build/bin/cotel-gen, or $FAULTS_GEN,
e.g. build/bin/cotel-gen: same options, same JSON line) and checks:
  - span_end never waits on the network: max_end_ns < MAX_END_NS (500 ms)
  - memory bounded: peak_rss_kb < MAX_RSS_KB
  - ended = exported + dropped + failed (+ spool_pending) exactly
  - the collector received every `exported` span (unique span ids) and
    nothing more, except spans the producer counts failed *in doubt* (sent in
    full, then a timeout or a cut answer: the collector may have them); no
    duplicates (except where a SIGKILL makes at-least-once show: reported)
  - delivery resumes after recovery (spans exported after the fault)
  - shutdown(timeout) returns within timeout + SHUT_MARGIN_MS
One PASS/FAIL line per fault, then "N passed, N failed". FAULTS_QUICK=1
shortens every phase (CI: the whole matrix in under 4 minutes).
Loopback only; every process is started here and stopped here.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
GEN = os.environ.get("FAULTS_GEN", os.path.join(BUILD, "bin", "cotel-gen"))
QUICK = os.environ.get("FAULTS_QUICK", "") not in ("", "0")
ONLY = os.environ.get("FAULTS_ONLY", "")
# Far below the export timeout (2 s) and the first backoff (1 s): a span_end
# that waited on the network would show; scheduler preemption on a loaded
# 2-core machine (load 20 while measuring: up to 98 ms seen) must not.
MAX_END_NS = 500_000_000
MAX_RSS_KB = 256 * 1024
SHUT_MARGIN_MS = 1000
S = 0.4 if QUICK else 1.0  # time scale


def log(*a):
    print("faults:", *a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, limit=60.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def collector_bin():
    out = subprocess.run(
        ["sh", "-c", "INTEROP_ROOT=interop; . interop/lib.sh; interop_env; interop_collector_bin"],
        cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip()


class Collector:
    """The real collector on a fixed port; each start writes its own file."""

    def __init__(self, work, port):
        self.work, self.port, self.proc, self.n = work, port, None, 0
        self.outs = []
        self.tls = None  # (cert, key): serve https

    def start(self):
        self.n += 1
        out = os.path.join(self.work, "collector-%d.jsonl" % self.n)
        cfg = os.path.join(self.work, "collector-%d.yaml" % self.n)
        with open(cfg, "w") as f:
            f.write("""receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d%s
exporters:
  file:
    path: %s
    format: json
    flush_interval: 50ms
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: error
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
""" % (self.port, "\n        tls:\n          cert_file: %s\n          key_file: %s" % self.tls if self.tls else "", out))
        self.outs.append(out)
        logf = open(os.path.join(self.work, "collector-%d.log" % self.n), "w")
        self.proc = subprocess.Popen([COLLECTOR, "--config", "file:" + cfg],
                                     stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        if not wait_port(self.port, 60):
            raise RuntimeError("collector did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def received(self):
        """(total spans, unique span ids) over every file written so far."""
        total, ids = 0, set()
        for out in self.outs:
            if not os.path.exists(out):
                continue
            with open(out) as f:
                for line in f:
                    try:
                        d = json.loads(line)
                    except ValueError:
                        continue
                    for rs in d.get("resourceSpans", []):
                        for ss in rs.get("scopeSpans", []):
                            for sp in ss.get("spans", []):
                                total += 1
                                ids.add((sp.get("traceId"), sp.get("spanId")))
        return total, len(ids)


class Proxy(threading.Thread):
    """HTTP/1.1 in front of the collector. mode (changeable while running):
    pass | delay <ms> | status <code> [retry_after] | reset | half.
    Misbehaving modes never forward the request (the collector never sees
    what the client was not told about)."""

    def __init__(self, target_port):
        super().__init__(daemon=True)
        self.target = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.mode = "pass"
        self.count = 0
        self.stopped = False

    def run(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def close(self):
        self.stopped = True
        self.sock.close()

    @staticmethod
    def read_msg(s, buf):
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                return None, b""
            buf += d
        head, rest = buf.split(b"\r\n\r\n", 1)
        n = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v.strip())
        while len(rest) < n:
            d = s.recv(65536)
            if not d:
                return None, b""
            rest += d
        return head + b"\r\n\r\n" + rest[:n], rest[n:]

    def conn(self, c):
        up, buf = None, b""
        try:
            while True:
                req, buf = self.read_msg(c, buf)
                if req is None:
                    return
                self.count += 1
                words = self.mode.split()
                if words[0] == "delay":
                    time.sleep(int(words[1]) / 1000.0)
                    c.setblocking(False)
                    try:
                        if c.recv(1, socket.MSG_PEEK) == b"":
                            return  # the client gave up: never forwarded
                    except BlockingIOError:
                        pass
                    c.setblocking(True)
                    words = ["pass"]
                if words[0] == "status":
                    extra = b"Retry-After: %s\r\n" % words[2].encode() if len(words) > 2 else b""
                    c.sendall(b"HTTP/1.1 %s Busy\r\nContent-Length: 0\r\n%s\r\n" % (words[1].encode(), extra))
                    continue
                if words[0] == "reset":
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
                if words[0] == "half":
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\r\nabc")
                    return
                if up is None:
                    up = socket.create_connection(("127.0.0.1", self.target), timeout=30)
                    ubuf = b""
                up.sendall(req)
                resp, ubuf = self.read_msg(up, ubuf)
                if resp is None:
                    return
                c.sendall(resp)
        except OSError:
            return
        finally:
            c.close()
            if up:
                up.close()


def run_gen(args, env_extra, timed=None):
    """Start the producer; `timed` is a list of (seconds, callable) run while
    it works. Returns (json dict or None, returncode, elapsed s)."""
    env = dict(os.environ)
    env.update({"OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_LOG_LEVEL": "error",
                "OTEL_EXPORTER_OTLP_TIMEOUT": "2000"})
    env.update(env_extra)
    t0 = time.monotonic()
    p = subprocess.Popen([GEN] + args, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    for at, fn in sorted(timed or [], key=lambda x: x[0]):
        d = t0 + at - time.monotonic()
        if d > 0:
            time.sleep(d)
        fn(p)
    try:
        out, _ = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return None, "hang", time.monotonic() - t0
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    res = None
    if lines:
        # With --fork the children print first; the parent's line is last.
        res = dict(lines[-1])
        res["_children"] = lines[:-1]
    return res, p.returncode, time.monotonic() - t0


RESULTS = []  # (name, ok, detail, counters)


def accounted(r):
    return r["exported"] + r["dropped"] + r["failed"] + r.get("spool_pending", 0)


def process_problems(r, shut_ms, who=""):
    """What one producer process's JSON line breaks: span_end bound,
    memory, exact accounting, shutdown bound."""
    p = []
    if r["max_end_ns"] >= MAX_END_NS:
        p.append("max_end_ns %d" % r["max_end_ns"])
    if r["peak_rss_kb"] >= MAX_RSS_KB:
        p.append("peak_rss_kb %d" % r["peak_rss_kb"])
    if r["ended"] != accounted(r):
        p.append("ended %d != exported+dropped+failed+spooled %d" % (r["ended"], accounted(r)))
    if r["shutdown_ms"] > shut_ms + SHUT_MARGIN_MS:
        p.append("shutdown %d ms > %d" % (r["shutdown_ms"], shut_ms + SHUT_MARGIN_MS))
    return [who + x for x in p]


def check(name, r, col, shut_ms, expect_exported=True, dup_ok=False, notes=""):
    if r is None:
        RESULTS.append((name, False, "no JSON line from the producer", {}))
        return
    acc = accounted(r)
    problems = process_problems(r, shut_ms)
    total, uniq = (0, 0)
    if col is not None:
        time.sleep(0.3)  # the file exporter flushes every 50 ms
        total, uniq = col.received()
        doubt = r.get("in_doubt", 0)
        if not dup_ok and not r["exported"] <= uniq <= r["exported"] + doubt:
            problems.append("collector has %d unique spans, exported %d (+%d in doubt)"
                            % (uniq, r["exported"], doubt))
        if total != uniq and not dup_ok:
            problems.append("%d duplicates at the collector" % (total - uniq))
    if expect_exported and r["exported"] == 0:
        problems.append("nothing exported after recovery")
    r = {k: v for k, v in r.items() if not k.startswith("_")}
    r["collector_total"], r["collector_unique"] = total, uniq
    r["lost_unaccounted"] = r["ended"] - acc
    r["notes"] = notes
    RESULTS.append((name, not problems, "; ".join(problems), r))


def fault_down_at_start(work, col):
    # Collector absent for the first 3 s (scaled), then up.
    r, rc, _ = run_gen(["--duration", str(8 * S), "--rate", "2000", "--shutdown-timeout-ms", "3000"],
                       {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % col.port},
                       [(3 * S, lambda p: col.start())])
    check("collector down at start, then up", r, col, 3000)


def fault_down_mid_run(work, col):
    col.start()
    down = 10 * S
    r, rc, _ = run_gen(["--duration", str(down + 8 * S), "--rate", "2000", "--shutdown-timeout-ms", "3000"],
                       {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % col.port},
                       [(2 * S, lambda p: col.stop()), (2 * S + down, lambda p: col.start())])
    check("collector down %.0f s mid-run" % down, r, col, 3000)


def fault_sigkill(work, col):
    col.start()
    r, rc, _ = run_gen(["--duration", str(8 * S), "--rate", "20000", "--shutdown-timeout-ms", "3000"],
                       {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % col.port},
                       [(2 * S, lambda p: col.stop(signal.SIGKILL)), (3 * S, lambda p: col.start())])
    # What the killed collector had accepted but not yet written to its
    # file is the collector's loss, and a request it read but never
    # answered is retried: both are reported, not failed.
    check("collector SIGKILLed with requests in flight", r, col, 3000, dup_ok=True,
          notes="collector-side loss/duplicates reported")


def with_proxy(col, mode_fn):
    col.start()
    px = Proxy(col.port)
    px.start()
    return px


def fault_slow(work, col):
    col.start()
    px = Proxy(col.port)
    px.start()
    px.mode = "delay 3000"
    r, rc, _ = run_gen(["--duration", str(6 * S), "--rate", "1000", "--shutdown-timeout-ms", "2000"],
                       {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % px.port,
                        "OTEL_EXPORTER_OTLP_TIMEOUT": "1000"},
                       [(4 * S, lambda p: setattr(px, "mode", "pass"))])
    px.close()
    check("collector slower than the export timeout", r, col, 2000)


def fault_status(work, col, mode, name):
    col.start()
    px = Proxy(col.port)
    px.start()
    px.mode = mode
    r, rc, _ = run_gen(["--duration", str(8 * S), "--rate", "2000", "--shutdown-timeout-ms", "3000"],
                       {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % px.port},
                       [(3 * S, lambda p: setattr(px, "mode", "pass"))])
    px.close()
    check(name, r, col, 3000)


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_ca(work, name):
    key, crt = os.path.join(work, name + ".key"), os.path.join(work, name + ".pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
            "-days", "2", "-subj", "/CN=" + name)
    return key, crt


def make_cert(work, name, ca, san):
    key, csr, crt = (os.path.join(work, name + x) for x in (".key", ".csr", ".pem"))
    ext = os.path.join(work, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\n" % san)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + name)
    openssl("x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0], "-CAcreateserial",
            "-out", crt, "-days", "2", "-extfile", ext)
    return crt, key


def make_expired_cert(work, name, ca, san):
    """A certificate that expired long ago (2020-01-02), signed by `ca`:
    `openssl ca` takes explicit dates, `req -days` cannot go back."""
    key, csr, crt = (os.path.join(work, name + x) for x in (".key", ".csr", ".pem"))
    ext, cnf = os.path.join(work, name + ".ext"), os.path.join(work, name + ".cnf")
    db = os.path.join(work, name + ".db")
    open(db, "w").close()
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\n" % san)
    with open(cnf, "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = %s\nnew_certs_dir = %s\n"
                "serial = %s\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n"
                % (db, work, os.path.join(work, name + ".srl")))
    with open(os.path.join(work, name + ".srl"), "w") as f:
        f.write("01\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + name)
    openssl("ca", "-batch", "-config", cnf, "-cert", ca[1], "-keyfile", ca[0], "-in", csr,
            "-out", crt, "-notext", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z",
            "-extfile", ext)
    return crt, key


def fault_tls(work, col, kind):
    """https collector; the client trusts another CA, the certificate
    expired, or it names another host: every export refused, none retried, nothing sent
    in clear text (the collector only speaks TLS: a downgrade would show as
    a plain-HTTP request it refuses, and as spans missing from `failed`)."""
    ca = make_ca(work, "ca")
    other = make_ca(work, "other-ca")
    if kind == "ok":  # the control: the same setup, verified, delivers
        col.tls = make_cert(work, "server", ca, "IP:127.0.0.1,DNS:localhost")
        trust, name = ca[1], "TLS: control, a verified https collector"
    elif kind == "ca":
        col.tls = make_cert(work, "server", ca, "IP:127.0.0.1,DNS:localhost")
        trust, name = other[1], "TLS: server certificate from an unknown CA"
    elif kind == "expired":
        col.tls = make_expired_cert(work, "server", ca, "IP:127.0.0.1,DNS:localhost")
        trust, name = ca[1], "TLS: expired server certificate"
    else:
        col.tls = make_cert(work, "server", ca, "DNS:cotel-other.test")
        trust, name = ca[1], "TLS: hostname mismatch"
    col.start()
    r, rc, _ = run_gen(["--duration", str(3 * S), "--rate", "1000", "--shutdown-timeout-ms", "2000"],
                       {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://127.0.0.1:%d" % col.port,
                        "OTEL_EXPORTER_OTLP_CERTIFICATE": trust})
    check(name, r, col, 2000, expect_exported=kind == "ok")
    if kind == "ok":
        return
    if RESULTS[-1][1] and r is not None and (r["exported"] or r["retried"]):
        RESULTS[-1] = (name, False, "exported %d, retried %d" % (r["exported"], r["retried"]), RESULTS[-1][3])


def fault_fork(work, col):
    """fork() three times in a row while producer threads and exports are
    in flight (batches of 100 every 50 ms). Every process keeps exporting
    its own spans: each accounts for all of its spans, the collector holds
    the sum, and nothing twice (a child never exports its parent's queue)."""
    col.start()
    name = "fork 3 children while exporting"
    forks = 3
    r, rc, _ = run_gen(["--duration", str(6 * S), "--rate", "2000", "--threads", "2",
                        "--fork", str(forks), "--shutdown-timeout-ms", "3000"],
                       {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % col.port,
                        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "100",
                        "OTEL_BSP_SCHEDULE_DELAY": "50"})
    if r is None:
        RESULTS.append((name, False, "no JSON line (rc %s)" % rc, {}))
        return
    kids = r["_children"]
    procs = [r] + kids
    problems = []
    if rc != 0 or r.get("children_failed", 1) != 0:
        problems.append("rc %s, %s children failed" % (rc, r.get("children_failed")))
    if len(kids) != forks:
        problems.append("%d children reported, %d forked" % (len(kids), forks))
    for who, x in [("parent", r)] + [("child %s" % k.get("child"), k) for k in kids]:
        problems += process_problems(x, 3000, who + ": ")
        if x["exported"] == 0:
            problems.append("%s exported nothing" % who)
    if r.get("exported_after_fork", 0) == 0:
        problems.append("the parent exported nothing after forking")
    time.sleep(0.3)
    total, uniq = col.received()
    exported = sum(x["exported"] for x in procs)
    doubt = sum(x.get("in_doubt", 0) for x in procs)
    if not exported <= uniq <= exported + doubt:
        problems.append("collector has %d unique spans, exported %d (+%d in doubt)" % (uniq, exported, doubt))
    if total != uniq:
        problems.append("%d duplicates at the collector" % (total - uniq))
    row = {k: sum(x.get(k, 0) for x in procs) for k in
           ("started", "ended", "exported", "dropped", "failed", "retried", "in_doubt")}
    row.update(max_end_ns=max(x["max_end_ns"] for x in procs),
               peak_rss_kb=max(x["peak_rss_kb"] for x in procs),
               shutdown_ms=max(x["shutdown_ms"] for x in procs),
               collector_total=total, collector_unique=uniq,
               lost_unaccounted=row["ended"] - accounted(row),
               notes="parent exported %d (%d after the forks), children %s" % (
                   r["exported"], r.get("exported_after_fork", 0),
                   ", ".join(str(k["exported"]) for k in kids)))
    RESULTS.append((name, not problems, "; ".join(problems), row))


def fault_dns(work, col):
    r, rc, el = run_gen(["--duration", str(3 * S), "--rate", "1000", "--shutdown-timeout-ms", "2000"],
                        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://cotel-no-such-host.invalid:4318"})
    check("DNS failure", r, None, 2000, expect_exported=False)


def fault_exit_without_shutdown(work, col):
    col.start()
    t0 = time.monotonic()
    r, rc, el = run_gen(["--spans", "5000", "--rate", "5000", "--exit-without-shutdown"],
                        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % col.port})
    ok = rc == 0 and el < 30
    RESULTS.append(("exit without shutdown", ok, "" if ok else "rc %s after %.1f s" % (rc, el),
                    {"notes": "exit(0) after the spans, no shutdown: rc %s in %.1f s" % (rc, el)}))


def fault_spool(work, col, spool):
    down = 30 * S
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % col.port}
    name = "collector down %.0f s at 5000 spans/s, %s spool" % (down, "with" if spool else "without")
    if spool:
        env["COTEL_EXPORTER_OTLP_SPOOL_DIR"] = os.path.join(work, "spool")
    r, rc, _ = run_gen(["--duration", str(down + 4 * S), "--rate", "5000",
                        "--shutdown-timeout-ms", "3000"] + (["--drain-ms", "30000"] if spool else []),
                       env, [(down, lambda p: col.start())])
    check(name, r, col, 3000)
    if RESULTS[-1][1] and r is not None:
        if spool and (r["dropped"] or r["failed"] or r["exported"] != r["ended"]):
            RESULTS[-1] = (name, False, "lost with the spool: %d dropped, %d failed" % (r["dropped"], r["failed"]), RESULTS[-1][3])
        if not spool and r["dropped"] + r["failed"] == 0:
            RESULTS[-1] = (name, False, "nothing dropped without a spool?", RESULTS[-1][3])


def fault_spool_producer_killed(work, col):
    spool = os.path.join(work, "spool-kill")
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % col.port,
           "COTEL_EXPORTER_OTLP_SPOOL_DIR": spool}
    r1, rc1, _ = run_gen(["--duration", "30", "--rate", "5000"], env,
                         [(4 * S, lambda p: p.send_signal(signal.SIGKILL))])
    col.start()
    r, rc, _ = run_gen(["--spans", "0", "--drain-ms", "30000", "--shutdown-timeout-ms", "3000"], env)
    name = "producer SIGKILLed during an outage, restarted: spool replayed"
    if r is None:
        RESULTS.append((name, False, "no JSON line", {}))
        return
    time.sleep(0.3)
    total, uniq = col.received()
    problems = []
    if r1 is not None:
        problems.append("the first run was not killed")
    if r["spool_recovered"] == 0:
        problems.append("nothing recovered")
    if r["spool_replayed"] != r["spool_recovered"]:
        problems.append("replayed %d of %d recovered" % (r["spool_replayed"], r["spool_recovered"]))
    if uniq != r["spool_replayed"]:
        problems.append("collector has %d unique spans, replayed %d" % (uniq, r["spool_replayed"]))
    if total - uniq != r["spool_duplicated"] and total - uniq > r["spool_duplicated"]:
        problems.append("%d duplicates, %d counted" % (total - uniq, r["spool_duplicated"]))
    r = dict(r)
    r["collector_total"], r["collector_unique"] = total, uniq
    r["lost_unaccounted"] = 0
    r["notes"] = "recovered %d, corrupt records %d" % (r["spool_recovered"], r["spool_corrupt"])
    RESULTS.append((name, not problems, "; ".join(problems), r))


FAULTS = [
    ("down-start", fault_down_at_start),
    ("down-mid", fault_down_mid_run),
    ("slow", fault_slow),
    ("429", lambda w, c: fault_status(w, c, "status 429 1", "429 with Retry-After storm")),
    ("503", lambda w, c: fault_status(w, c, "status 503", "503 storm")),
    ("reset", lambda w, c: fault_status(w, c, "reset", "TCP resets")),
    ("half", lambda w, c: fault_status(w, c, "half", "half-written responses")),
    ("sigkill", fault_sigkill),
    ("tls-ok", lambda w, c: fault_tls(w, c, "ok")),
    ("tls-ca", lambda w, c: fault_tls(w, c, "ca")),
    ("tls-expired", lambda w, c: fault_tls(w, c, "expired")),
    ("tls-host", lambda w, c: fault_tls(w, c, "host")),
    ("dns", fault_dns),
    ("fork", fault_fork),
    ("exit", fault_exit_without_shutdown),
    ("spool", lambda w, c: fault_spool(w, c, True)),
    ("nospool", lambda w, c: fault_spool(w, c, False)),
    ("spool-kill", fault_spool_producer_killed),
]


def main():
    global COLLECTOR
    COLLECTOR = collector_bin()
    if not os.access(COLLECTOR, os.X_OK):
        print("faults: no collector at %s (run `make interop` once to build it)" % COLLECTOR)
        return 1
    if not os.access(GEN, os.X_OK):
        print("faults: no producer at %s" % GEN)
        return 1
    t_all = time.monotonic()
    for key, fn in FAULTS:
        if ONLY and key not in ONLY.split(","):
            continue
        work = tempfile.mkdtemp(prefix="cotel-faults-%s-" % key)
        col = Collector(work, free_port())
        t0 = time.monotonic()
        try:
            fn(work, col)
        except Exception as e:  # a broken harness is a failure too
            RESULTS.append((key, False, "harness: %r" % e, {}))
        finally:
            col.stop()
        name, ok, detail, r = RESULTS[-1]
        print("%s %s (%.1f s)%s" % ("PASS" if ok else "FAIL", name, time.monotonic() - t0,
                                     ": " + detail if detail else ""), flush=True)
        if r:
            r = {k: v for k, v in r.items() if not k.startswith("_")}
            print("  " + json.dumps(r, sort_keys=True), flush=True)
    passed = sum(1 for x in RESULTS if x[1])
    print("%d passed, %d failed (%.0f s)" % (passed, len(RESULTS) - passed, time.monotonic() - t_all))
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
