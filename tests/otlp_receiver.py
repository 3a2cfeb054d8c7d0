#!/usr/bin/env python3
"""A scriptable OTLP/HTTP receiver for cotel's exporter tests.

Listens on 127.0.0.1 (port 0 unless --port) and prints the port as the
first line of stdout. Python 3 standard library only.

  POST /v1/traces        records the request, then answers by the next
                         scripted action (default: 200 and an empty
                         ExportTraceServiceResponse in the request's format)
  POST /control          body: one action per line, queued for the next
                         /v1/traces requests, in order:
                           status <code> [retry_after <value...>]
                           partial <rejected> [message...]
                           delay <ms> [status <code>]   answer late
                           reset                        headers, half a body,
                                                        then a TCP reset
                           close                        close, no response
                           junk <code> <bytes> [<type>] a body of 0xff bytes
                           stream <MiB>                 a 200 with an endless-
                                                        looking chunked body
                           headers <n> <bytes>          n huge header lines
                           evil <code>                  a text body forging
                                                        log lines
                           ok                           the default answer
  POST /reset            forget requests and the script
  GET /received/count    number of /v1/traces requests recorded
  GET /received/<i>/body         the body, gunzipped when it was gzip
  GET /received/<i>/header/<h>   a request header's value (404 if absent)
  GET /received/<i>/meta         lines key=value: encoding, raw_len, len,
                                 time_ms (monotonic), action, peer_port
  GET /received/<i>/json         a JSON body flattened to sorted lines
                                 path=value (e.g.
                                 resourceSpans.0.scopeSpans.0.spans.0.name=x)
Each request is answered on its own thread (slow answers do not hold the
others); connections are kept alive (HTTP/1.1).
"""
import argparse
import gzip
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
RECEIVED = []  # dicts: headers, body, raw_len, encoding, time_ms, action
SCRIPT = []  # list of action strings


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def partial_pb(rejected, message):
    """ExportTraceServiceResponse{partial_success{rejected_spans, msg}}."""
    inner = b"\x08" + varint(rejected)
    m = message.encode()
    if m:
        inner += b"\x12" + varint(len(m)) + m
    return b"\x0a" + varint(len(inner)) + inner


def flatten(prefix, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flatten(prefix + "." + k if prefix else k, x, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            flatten(prefix + "." + str(i) if prefix else str(i), x, out)
    else:
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif v is None:
            v = "null"
        out.append("%s=%s" % (prefix, v))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, code, body=b"", ctype="text/plain", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        with LOCK:
            if parts == ["received", "count"]:
                return self.reply(200, str(len(RECEIVED)).encode())
            if len(parts) >= 3 and parts[0] == "received":
                try:
                    rec = RECEIVED[int(parts[1])]
                except (ValueError, IndexError):
                    return self.reply(404)
                what = parts[2]
                if what == "body":
                    return self.reply(200, rec["body"], "application/octet-stream")
                if what == "header" and len(parts) == 4:
                    v = rec["headers"].get(parts[3].lower())
                    if v is None:
                        return self.reply(404)
                    return self.reply(200, v.encode())
                if what == "meta":
                    meta = "".join(
                        "%s=%s\n" % (k, rec[k])
                        for k in ("encoding", "raw_len", "len", "time_ms", "action", "peer_port")
                    )
                    return self.reply(200, meta.encode())
                if what == "json":
                    out = []
                    try:
                        flatten("", json.loads(rec["body"]), out)
                    except ValueError:
                        return self.reply(422)
                    return self.reply(200, ("\n".join(sorted(out)) + "\n").encode())
        self.reply(404)

    def do_POST(self):
        body = self.read_body()
        if self.path == "/control":
            with LOCK:
                SCRIPT.extend(l.strip() for l in body.decode().splitlines() if l.strip())
            return self.reply(200)
        if self.path == "/reset":
            with LOCK:
                del RECEIVED[:]
                del SCRIPT[:]
            return self.reply(200)
        if self.path != "/v1/traces":
            return self.reply(404)
        enc = (self.headers.get("Content-Encoding") or "").lower()
        raw_len = len(body)
        if enc == "gzip":
            try:
                body = gzip.decompress(body)
            except OSError:
                return self.reply(400, b"bad gzip")
        with LOCK:
            action = SCRIPT.pop(0) if SCRIPT else "ok"
            RECEIVED.append(
                {
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "raw_len": raw_len,
                    "len": len(body),
                    "encoding": enc or "identity",
                    "time_ms": int(time.monotonic() * 1000),
                    "action": action,
                    "peer_port": self.client_address[1],
                }
            )
        self.act(action)

    def act(self, action):
        json_req = (self.headers.get("Content-Type") or "").startswith("application/json")
        ctype = "application/json" if json_req else "application/x-protobuf"
        words = action.split()
        if words and words[0] == "delay":
            time.sleep(int(words[1]) / 1000.0)
            words = words[2:] or ["ok"]
        kind = words[0] if words else "ok"
        try:
            if kind == "ok":
                self.reply(200, b"{}" if json_req else b"", ctype)
            elif kind == "status":
                code = int(words[1])
                extra = []
                if len(words) > 3 and words[2] == "retry_after":
                    extra.append(("Retry-After", " ".join(words[3:])))
                self.reply(code, b"error %d" % code, "text/plain", extra)
            elif kind == "partial":
                rejected = int(words[1])
                msg = " ".join(words[2:])
                if json_req:
                    body = json.dumps(
                        {"partialSuccess": {"rejectedSpans": str(rejected), "errorMessage": msg}}
                    ).encode()
                else:
                    body = partial_pb(rejected, msg)
                self.reply(200, body, ctype)
            elif kind == "reset":
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                self.abort()
            elif kind == "junk":
                # "junk <status> <bytes> [<content-type>]": a body of 0xff
                # bytes (no valid protobuf, JSON or text) of that size.
                n = int(words[2])
                self.reply(int(words[1]), b"\xff" * n,
                           words[3] if len(words) > 3 else ctype)
            elif kind == "evil":
                # "evil <status>": a text/plain body made to forge log
                # lines: terminal escapes, CR/LF, NUL, BEL, bad UTF-8.
                self.reply(int(words[1]),
                           b"\x1b[31mred\r\nFAKE: all spans exported\x00\x07\x9b\xc3(\x7f\xe2\x80\x8b ok",
                           "text/plain")
            elif kind == "stream":
                # "stream <MiB>": a 200 whose chunked body goes on for that
                # many MiB (a response no client should keep whole).
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"%x\r\n%s\r\n" % (1 << 20, b"\x0a" * (1 << 20))
                for _ in range(int(words[1])):
                    self.wfile.write(chunk)
                self.wfile.write(b"0\r\n\r\n")
            elif kind == "headers":
                # "headers <n> <bytes>": a 200 with n extra header lines of
                # that many bytes each.
                extra = [("X-Hostile-%d" % i, "h" * int(words[2])) for i in range(int(words[1]))]
                self.reply(200, b"{}" if json_req else b"", ctype, extra)
            elif kind == "close":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self.reply(500, b"bad action")
        except OSError:
            self.close_connection = True

    def abort(self):
        # SO_LINGER 0: close() sends a RST instead of a FIN.
        self.connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        self.close_connection = True
        self.connection.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # quiet
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert", help="serve https with this PEM cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca", help="require a client certificate")
    args = ap.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.tls_client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    # Die with the test: stdin closes when the parent exits.
    threading.Thread(target=watch_stdin, args=(srv,), daemon=True).start()
    srv.serve_forever(poll_interval=0.05)


def watch_stdin(srv):
    try:
        sys.stdin.read()
    except OSError:
        pass
    srv.shutdown()


if __name__ == "__main__":
    main()
