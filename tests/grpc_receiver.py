#!/usr/bin/env python3
"""A scriptable OTLP/gRPC receiver for cotel's gRPC exporter tests.

An independent gRPC server (grpcio from PyPI, installed into build/pyenv by
tests/support/pyenv.sh), so the exporter's framing, headers and status
handling are checked against a real gRPC implementation, not against our
own reading of the protocol.

Prints the control port as the first line of stdout. Clients speak gRPC to
the port GET /grpc_port returns: a TCP relay in front of the gRPC server,
which counts connections and can cut them with a TCP reset.

  TraceService/Export    records the request, then answers by the next
                         scripted action (default: OK, empty response)
  POST /control          body: one action per line, for the next calls:
                           ok                            the default
                           status <code> [message...]    trailers-only error
                           trailers <code> [message...]  headers first, then
                                                         the status in trailers
                           retry_info <code> <ms>        error with a RetryInfo
                                                         in grpc-status-details-bin
                           partial <rejected> [message...]
                           delay <ms>                    answer OK late
                           reset                         cut every connection
                                                         (TCP RST), no answer
  POST /reset            forget calls and the script
  GET /grpc_port         the port to send gRPC to
  GET /connections       connections the relay accepted so far
  GET /received/count    calls recorded
  GET /received/<i>/body         the request message (decompressed by grpcio)
  GET /received/<i>/header/<h>   a request metadata value (404 if absent)
  GET /received/<i>/meta         lines key=value: time_ms (monotonic),
                                 len, action, timeout_ms (from grpc-timeout)

With --sink (for bench/bench_otlp_export.c): no relay, nothing recorded,
every call answered OK; only /grpc_port and /received/count work.
"""
import os
import socket
import struct
import sys
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from otlp_receiver import partial_pb, varint  # noqa: E402

LOCK = threading.Lock()
RECEIVED = []
SCRIPT = []
SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"


def field_bytes(num, b):
    return varint(num << 3 | 2) + varint(len(b)) + b


def retry_info_status(code, msg, ms):
    """google.rpc.Status{code, message, details[Any{RetryInfo{Duration}}]}."""
    dur = b""
    if ms // 1000:
        dur += b"\x08" + varint(ms // 1000)
    if ms % 1000:
        dur += b"\x10" + varint((ms % 1000) * 1000000)
    retry_info = field_bytes(1, dur)
    any_ = field_bytes(1, b"type.googleapis.com/google.rpc.RetryInfo")
    any_ += field_bytes(2, retry_info)
    st = b"\x08" + varint(code)
    if msg:
        st += field_bytes(2, msg.encode())
    return st + field_bytes(3, any_)


class Relay:
    """TCP relay: counts connections, resets them on demand."""

    def __init__(self, upstream_port):
        self.up = upstream_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.accepted = 0
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            c, _ = self.sock.accept()
            u = socket.create_connection(("127.0.0.1", self.up))
            for s in (c, u):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with LOCK:
                self.accepted += 1
                self.conns.append((c, u))
            threading.Thread(target=self.pump, args=(c, u), daemon=True).start()
            threading.Thread(target=self.pump, args=(u, c), daemon=True).start()

    @staticmethod
    def pump(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def reset_all(self):
        with LOCK:
            conns, self.conns = self.conns, []
        for c, u in conns:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            for s in (c, u):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            c.close()


RELAY = None


SINK_COUNT = [0]


def sink_export(request, context):
    with LOCK:
        SINK_COUNT[0] += 1
    return b""


def export(request, context):
    md = {k.lower(): v for k, v in context.invocation_metadata()}
    remaining = context.time_remaining()
    with LOCK:
        action = SCRIPT.pop(0) if SCRIPT else "ok"
        RECEIVED.append({
            "body": request,
            "headers": md,
            "time_ms": int(time.monotonic() * 1000),
            "action": action,
            "timeout_ms": -1 if remaining is None else int(remaining * 1000),
        })
    words = action.split()
    verb, args = words[0], words[1:]
    if verb == "status":
        context.abort(_code(args[0]), " ".join(args[1:]))
    if verb == "trailers":
        context.send_initial_metadata((("x-cotel", "headers-first"),))
        context.abort(_code(args[0]), " ".join(args[1:]))
    if verb == "retry_info":
        code = int(args[0])
        st = retry_info_status(code, "slow down", int(args[1]))
        context.set_trailing_metadata((("grpc-status-details-bin", st),))
        context.abort(_code(args[0]), "slow down")
    if verb == "partial":
        return partial_pb(int(args[0]), " ".join(args[1:]))
    if verb == "delay":
        time.sleep(int(args[0]) / 1000.0)
    if verb == "reset":
        RELAY.reset_all()
        time.sleep(0.2)
        context.abort(grpc.StatusCode.UNAVAILABLE, "reset")
    return b""


def _code(s):
    return next(c for c in grpc.StatusCode if c.value[0] == int(s))


class Control(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=b""):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        with LOCK:
            if self.path == "/control":
                SCRIPT.extend(x.strip() for x in body.splitlines() if x.strip())
            elif self.path == "/reset":
                SCRIPT.clear()
                RECEIVED.clear()
            else:
                return self.reply(404)
        self.reply(200)

    def do_GET(self):
        p = self.path.strip("/").split("/")
        with LOCK:
            if p == ["grpc_port"]:
                return self.reply(200, str(RELAY.port if RELAY else GRPC_PORT[0]))
            if p == ["received", "count"] and not RELAY:
                return self.reply(200, str(SINK_COUNT[0]))
            if p == ["connections"]:
                return self.reply(200, str(RELAY.accepted))
            if p == ["received", "count"]:
                return self.reply(200, str(len(RECEIVED)))
            if len(p) >= 3 and p[0] == "received":
                i = int(p[1])
                if i >= len(RECEIVED):
                    return self.reply(404)
                r = RECEIVED[i]
                if p[2] == "body":
                    return self.reply(200, r["body"])
                if p[2] == "header" and len(p) == 4:
                    v = r["headers"].get(p[3].lower())
                    return self.reply(404) if v is None else self.reply(200, v)
                if p[2] == "meta":
                    return self.reply(200, "time_ms=%d\nlen=%d\naction=%s\n"
                                      "timeout_ms=%d\n" % (
                                          r["time_ms"], len(r["body"]),
                                          r["action"], r["timeout_ms"]))
        self.reply(404)


GRPC_PORT = [0]


def main():
    global RELAY
    sink = "--sink" in sys.argv[1:]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Export": grpc.unary_unary_rpc_method_handler(
            sink_export if sink else export),
    })
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    GRPC_PORT[0] = port
    if not sink:
        RELAY = Relay(port)
    ctl = ThreadingHTTPServer(("127.0.0.1", 0), Control)
    ctl.daemon_threads = True
    print(ctl.server_address[1], flush=True)
    # Die with the test: stdin closes when the parent exits.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)),
                     daemon=True).start()
    ctl.serve_forever()


if __name__ == "__main__":
    main()
