/* httpkit: HTTP/1.1 server on libuv with http-parser.
 *
 * One request per connection is in flight at a time. Bytes read go into one
 * buffer per connection, consumed from an offset. conn_drive parses it in a
 * loop: a complete message pauses the parser and is dispatched; a handler
 * that answers at once just lets the loop go on (no recursion, no copy of
 * the unread bytes per request), one that answers later calls conn_drive
 * again from hk_respond (pipelining, RFC 9112 §9.3.2). Reading stops while
 * a request is in flight and restarts when the loop runs dry.
 *
 * Slow clients are bounded by one timer per connection: the request head
 * must arrive within the header timeout from its first byte, the body
 * within the body timeout from the end of the head (408 and close), and an
 * idle keep-alive connection is closed after the idle timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>

#include "httpkit.h"

typedef struct hdr_off {
  size_t name_off, name_len, value_off, value_len;
} hdr_off;

struct hk_conn {
  uv_tcp_t tcp;
  hk_server *server;
  hk_conn *next, **prevp; /* server's connection list */
  http_parser parser;
  /* Request being parsed. */
  hk_buf url;
  hk_buf hbytes; /* header names and values */
  hdr_off hdrs[HK_MAX_HEADERS];
  size_t n_hdrs;
  bool last_was_value;
  int reject; /* status to answer with when the request is refused */
  hk_buf body;
  /* Parsed request handed to the handler. */
  hk_request req;
  cotel_header headers[HK_MAX_HEADERS];
  bool in_flight;
  bool keep_alive;
  bool complete;
  bool in_message; /* a request has begun and is not complete yet */
  bool driving;    /* conn_drive is on the stack */
  bool reading;
  bool broken;    /* malformed input: answered 400, closing */
  hk_buf pending; /* bytes read and not parsed yet, from pend_off */
  size_t pend_off;
  uv_timer_t timer; /* header, body or idle timeout */
  int open_handles; /* tcp + timer until both are closed */
  char peer[64];    /* the client's address */
  int peer_port;
  char version[16];
  bool handle_closed;
  bool closing;
};

typedef struct write_req {
  uv_write_t w;
  hk_conn *conn;
  bool close_after;
  char data[];
} write_req;

static void conn_maybe_free(hk_conn *c);
static void conn_close(hk_conn *c);
static void conn_drive(hk_conn *c);
static void conn_read_start(hk_conn *c);
static void conn_arm(hk_conn *c, uint64_t ms, bool idle);
static void write_raw(hk_conn *c, const char *s, size_t n, bool close_after);

static hk_conn *conn_of(http_parser *p) {
  return (hk_conn *)p->data;
}

/* ---- http-parser callbacks ---- */

static int on_message_begin(http_parser *p) {
  hk_conn *c = conn_of(p);
  c->url.len = c->hbytes.len = c->body.len = 0;
  c->n_hdrs = 0;
  c->last_was_value = false;
  c->reject = 0;
  c->complete = false;
  c->in_message = true;
  conn_arm(c, c->server->header_timeout_ms, false);
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  hk_conn *c = conn_of(p);
  if (c->url.len + len > HK_MAX_HEADER_BYTES) {
    c->reject = 414;
    return 0;
  }
  return hk_buf_append(&c->url, at, len) ? -1 : 0;
}

static int header_piece(hk_conn *c, const char *at, size_t len, bool is_value) {
  if (c->reject) return 0;
  if (c->hbytes.len + len > HK_MAX_HEADER_BYTES) {
    c->reject = 431;
    return 0;
  }
  if (!is_value && (c->n_hdrs == 0 || c->last_was_value)) {
    /* A new header line starts. */
    if (c->n_hdrs == HK_MAX_HEADERS) {
      c->reject = 431;
      return 0;
    }
    hdr_off *h = &c->hdrs[c->n_hdrs++];
    h->name_off = c->hbytes.len;
    h->name_len = h->value_len = 0;
    h->value_off = 0;
  }
  hdr_off *h = &c->hdrs[c->n_hdrs - 1];
  if (is_value && !c->last_was_value) h->value_off = c->hbytes.len;
  if (hk_buf_append(&c->hbytes, at, len)) return -1;
  if (is_value)
    h->value_len += len;
  else
    h->name_len += len;
  c->last_was_value = is_value;
  return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  return header_piece(conn_of(p), at, len, false);
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  hk_conn *c = conn_of(p);
  if (c->n_hdrs == 0) return 0;
  return header_piece(c, at, len, true);
}

static int on_headers_complete(http_parser *p) {
  hk_conn *c = conn_of(p);
  conn_arm(c, c->server->body_timeout_ms, false);
  /* Answer "Expect: 100-continue" so clients that wait for it go on
   * (RFC 9110 §10.1.1). */
  for (size_t i = 0; i < c->n_hdrs && !c->reject; i++) {
    const char *n = c->hbytes.data + c->hdrs[i].name_off;
    const char *v = c->hbytes.data + c->hdrs[i].value_off;
    if (c->hdrs[i].name_len == 6 && strncasecmp(n, "expect", 6) == 0 &&
        c->hdrs[i].value_len == 12 && strncasecmp(v, "100-continue", 12) == 0)
      write_raw(c, "HTTP/1.1 100 Continue\r\n\r\n", 25, false);
  }
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  hk_conn *c = conn_of(p);
  if (c->reject) return 0;
  if (c->body.len + len > HK_MAX_BODY_BYTES) {
    c->reject = 413;
    return 0;
  }
  return hk_buf_append(&c->body, at, len) ? -1 : 0;
}

static int on_message_complete(http_parser *p) {
  hk_conn *c = conn_of(p);
  c->complete = true;
  c->in_message = false;
  uv_timer_stop(&c->timer); /* the handler's time is its own business */
  c->keep_alive = http_should_keep_alive(p) != 0;
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- Responses ---- */

static const char *reason(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 204:
    return "No Content";
  case 400:
    return "Bad Request";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 413:
    return "Content Too Large";
  case 414:
    return "URI Too Long";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  default:
    return "Status";
  }
}

static void on_written(uv_write_t *w, int status) {
  write_req *wr = (write_req *)w;
  hk_conn *c = wr->conn;
  bool close_after = wr->close_after;
  free(wr);
  if (status < 0 || close_after) conn_close(c);
}

static void write_raw(hk_conn *c, const char *s, size_t n, bool close_after) {
  if (c->handle_closed || c->closing) return;
  write_req *wr = malloc(sizeof(*wr) + n);
  if (!wr) {
    conn_close(c);
    return;
  }
  wr->conn = c;
  wr->close_after = close_after;
  memcpy(wr->data, s, n);
  uv_buf_t b = uv_buf_init(wr->data, (unsigned)n);
  if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0) {
    free(wr);
    conn_close(c);
  }
}

static void send_response(hk_conn *c, int status, const char *ctype,
                          const char *body, size_t len, bool close_after) {
  hk_buf out = {0};
  int rc = hk_buf_printf(&out, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n",
                         status, reason(status), len);
  if (!rc && ctype) rc = hk_buf_printf(&out, "Content-Type: %s\r\n", ctype);
  if (!rc)
    rc = hk_buf_puts(&out, close_after ? "Connection: close\r\n\r\n"
                                       : "Connection: keep-alive\r\n\r\n");
  if (!rc) rc = hk_buf_append(&out, body, len);
  if (rc)
    conn_close(c);
  else
    write_raw(c, out.data, out.len, close_after);
  hk_buf_free(&out);
}

int hk_respond(hk_request *req, int status, const char *content_type,
               const char *body, size_t len) {
  if (!req) return COTEL_EINVAL;
  hk_conn *c = (hk_conn *)((char *)req - offsetof(hk_conn, req));
  if (!c->in_flight) return COTEL_ESTATE;
  c->in_flight = false;
  bool close_after = !c->keep_alive || c->server->closing;
  send_response(c, status, content_type, body ? body : "", body ? len : 0,
                close_after);
  if (c->handle_closed || c->closing) {
    conn_maybe_free(c);
    return 0;
  }
  /* Answered later (from another callback): go on with what was read past
   * this request. Answered from inside conn_drive: its loop goes on. */
  if (!close_after) conn_drive(c);
  return 0;
}

/* ---- Dispatch ---- */

static void dispatch(hk_conn *c) {
  hk_request *r = &c->req;
  memset(r, 0, sizeof(*r));
  if (hk_buf_append(&c->url, "", 0) || hk_buf_append(&c->body, "", 0) ||
      hk_buf_append(&c->hbytes, "", 0)) {
    conn_close(c);
    return;
  }
  for (size_t i = 0; i < c->n_hdrs; i++) {
    c->headers[i].name.ptr = c->hbytes.data + c->hdrs[i].name_off;
    c->headers[i].name.len = c->hdrs[i].name_len;
    c->headers[i].value.ptr = c->hbytes.data + c->hdrs[i].value_off;
    c->headers[i].value.len = c->hdrs[i].value_len;
  }
  r->method = http_method_str((enum http_method)c->parser.method);
  r->url = c->url.data;
  r->path.ptr = c->url.data;
  const char *q = strchr(c->url.data, '?');
  r->path.len = q ? (size_t)(q - c->url.data) : c->url.len;
  if (q) {
    r->query.ptr = q + 1;
    r->query.len = c->url.len - r->path.len - 1;
  } else {
    r->query.ptr = c->url.data + c->url.len;
  }
  r->headers = c->headers;
  r->n_headers = c->n_hdrs;
  r->body = c->body.data;
  r->body_len = c->body.len;
  r->server = c->server;
  snprintf(c->version, sizeof c->version, "%u.%u", c->parser.http_major % 10u,
           c->parser.http_minor % 10u);
  r->version = c->version;
  r->peer = c->peer;
  r->peer_port = c->peer_port;
  c->in_flight = true;
  if (c->reject) {
    c->keep_alive = false;
    hk_respond(r, c->reject, NULL, NULL, 0);
    return;
  }
  c->server->handler(r, c->server->ud);
}

static void conn_read_stop(hk_conn *c) {
  if (!c->reading) return;
  c->reading = false;
  uv_read_stop((uv_stream_t *)&c->tcp);
}

/* Parse what was read, dispatching each complete request, until a request
 * is in flight or the bytes run out. Never recursive: hk_respond from a
 * handler called here finds `driving` set and returns. */
static void conn_drive(hk_conn *c) {
  if (c->driving) return;
  c->driving = true;
  while (!c->in_flight && !c->closing && !c->broken &&
         c->pend_off < c->pending.len) {
    http_parser_pause(&c->parser, 0);
    const char *data = c->pending.data + c->pend_off;
    size_t len = c->pending.len - c->pend_off;
    size_t used = http_parser_execute(&c->parser, &settings, data, len);
    enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
    c->pend_off += used;
    if (err == HPE_PAUSED && c->complete) {
      c->complete = false;
      dispatch(c);
      continue;
    }
    if (err != HPE_OK) {
      /* Malformed request: answer 400 and close (RFC 9112 §2.2). */
      c->broken = true;
      uv_timer_stop(&c->timer);
      conn_read_stop(c);
      send_response(c, 400, NULL, NULL, 0, true);
    }
    break; /* everything was parsed: wait for more bytes */
  }
  /* Reclaim the parsed bytes: all of them (the usual case), or the first
   * half once it is large (amortised linear in what was read). */
  if (c->pend_off == c->pending.len) {
    c->pending.len = c->pend_off = 0;
  } else if (c->pend_off > 65536 && c->pend_off > c->pending.len / 2) {
    memmove(c->pending.data, c->pending.data + c->pend_off,
            c->pending.len - c->pend_off);
    c->pending.len -= c->pend_off;
    c->pend_off = 0;
  }
  c->driving = false;
  if (c->closing || c->handle_closed || c->broken) return;
  if (c->in_flight) {
    conn_read_stop(c);
  } else {
    conn_read_start(c);
    if (!c->in_message) conn_arm(c, c->server->idle_timeout_ms, true);
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

/* What one connection may hold unparsed: a maximal request and a read. */
#define HK_MAX_PENDING (HK_MAX_HEADER_BYTES + HK_MAX_BODY_BYTES + 65536)

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  hk_conn *c = (hk_conn *)s->data;
  if (n < 0) {
    /* EOF or error. A request needs no EOF to end (RFC 9112 §6.3). */
    conn_close(c);
  } else if (n > 0) {
    if (c->pending.len - c->pend_off + (size_t)n > HK_MAX_PENDING ||
        hk_buf_append(&c->pending, buf->base, (size_t)n))
      conn_close(c);
    else
      conn_drive(c);
  }
  free(buf->base);
}

static void conn_read_start(hk_conn *c) {
  if (c->reading || c->closing) return;
  int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  if (rc == 0 || rc == UV_EALREADY)
    c->reading = true;
  else
    conn_close(c);
}

static void on_conn_timeout(uv_timer_t *t) {
  hk_conn *c = (hk_conn *)t->data;
  if (c->in_flight || c->closing) return;
  if (c->in_message) {
    /* The head or the body did not arrive in time (RFC 9110 §15.5.9). */
    c->broken = true;
    conn_read_stop(c);
    send_response(c, 408, NULL, NULL, 0, true);
  } else {
    conn_close(c); /* idle keep-alive connection */
  }
}

static void conn_arm(hk_conn *c, uint64_t ms, bool idle) {
  (void)idle;
  if (c->closing) return;
  uv_timer_start(&c->timer, on_conn_timeout, ms, 0);
}

/* ---- Connection lifetime ---- */

static void server_check_closed(hk_server *s) {
  if (s->closing && s->listener_closed && s->n_conns == 0 && s->close_cb) {
    void (*cb)(hk_server *) = s->close_cb;
    s->close_cb = NULL;
    cb(s);
  }
}

static void conn_maybe_free(hk_conn *c) {
  if (!c->handle_closed || c->in_flight) return;
  hk_server *s = c->server;
  *c->prevp = c->next;
  if (c->next) c->next->prevp = c->prevp;
  s->n_conns--;
  hk_buf_free(&c->url);
  hk_buf_free(&c->hbytes);
  hk_buf_free(&c->body);
  hk_buf_free(&c->pending);
  free(c);
  server_check_closed(s);
}

static void on_conn_closed(uv_handle_t *h) {
  hk_conn *c = (hk_conn *)h->data;
  if (--c->open_handles > 0) return;
  c->handle_closed = true;
  conn_maybe_free(c);
}

static void conn_close(hk_conn *c) {
  if (c->closing) return;
  c->closing = true;
  c->reading = false;
  uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
  uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

static void on_connection(uv_stream_t *ls, int status) {
  hk_server *s = (hk_server *)ls->data;
  if (status < 0 || s->closing) return;
  hk_conn *c = calloc(1, sizeof(*c));
  if (!c) return;
  c->server = s;
  uv_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
  uv_timer_init(s->loop, &c->timer);
  c->timer.data = c;
  c->open_handles = 2;
  c->next = s->conns;
  if (c->next) c->next->prevp = &c->next;
  c->prevp = &s->conns;
  s->conns = c;
  s->n_conns++;
  if (uv_accept(ls, (uv_stream_t *)&c->tcp) < 0) {
    conn_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  struct sockaddr_storage peer;
  int plen = sizeof(peer);
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &plen) == 0) {
    if (peer.ss_family == AF_INET6) {
      uv_ip6_name((struct sockaddr_in6 *)&peer, c->peer, sizeof c->peer);
      c->peer_port = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
    } else {
      uv_ip4_name((struct sockaddr_in *)&peer, c->peer, sizeof c->peer);
      c->peer_port = ntohs(((struct sockaddr_in *)&peer)->sin_port);
    }
  }
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  conn_read_start(c);
  conn_arm(c, s->idle_timeout_ms, true);
}

/* A timeout from the environment (milliseconds, 1..86400000), else def. */
static uint64_t env_ms(const char *name, uint64_t def) {
  const char *v = getenv(name);
  if (!v || !*v) return def;
  char *end;
  unsigned long long ms = strtoull(v, &end, 10);
  if (*end || ms == 0 || ms > 86400000ull) {
    cotel_log(COTEL_LOG_WARN, "httpkit: bad %s '%s', using %llu", name, v,
              (unsigned long long)def);
    return def;
  }
  return ms;
}

int hk_server_start(hk_server *s, uv_loop_t *loop, const char *host, int port,
                    hk_handler handler, void *ud) {
  if (!s || !loop || !handler || port < 0 || port > 65535) return COTEL_EINVAL;
  memset(s, 0, sizeof(*s));
  s->header_timeout_ms = env_ms("HTTPKIT_HEADER_TIMEOUT_MS", 10000);
  s->body_timeout_ms = env_ms("HTTPKIT_BODY_TIMEOUT_MS", 30000);
  s->idle_timeout_ms = env_ms("HTTPKIT_IDLE_TIMEOUT_MS", 60000);
  s->loop = loop;
  s->handler = handler;
  s->ud = ud;
  struct sockaddr_storage addr;
  const char *h = host ? host : "127.0.0.1";
  if (uv_ip4_addr(h, port, (struct sockaddr_in *)&addr) != 0 &&
      uv_ip6_addr(h, port, (struct sockaddr_in6 *)&addr) != 0)
    return COTEL_EINVAL;
  uv_tcp_init(loop, &s->tcp);
  s->tcp.data = s;
  int rc = uv_tcp_bind(&s->tcp, (struct sockaddr *)&addr, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&s->tcp, 511, on_connection);
  if (rc == 0) {
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    rc = uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&bound, &len);
    if (rc == 0)
      s->port = ntohs(bound.ss_family == AF_INET6
                          ? ((struct sockaddr_in6 *)&bound)->sin6_port
                          : ((struct sockaddr_in *)&bound)->sin_port);
  }
  if (rc != 0) {
    cotel_log(COTEL_LOG_ERROR, "httpkit: listen on %s:%d: %s", h, port,
              uv_strerror(rc));
    s->closing = true;
    uv_close((uv_handle_t *)&s->tcp, NULL);
    return COTEL_ESYS;
  }
  return 0;
}

static void on_listener_closed(uv_handle_t *h) {
  hk_server *s = (hk_server *)h->data;
  s->listener_closed = true;
  server_check_closed(s);
}

void hk_server_close(hk_server *s, void (*close_cb)(hk_server *s)) {
  if (s->closing) return;
  s->closing = true;
  s->close_cb = close_cb;
  uv_close((uv_handle_t *)&s->tcp, on_listener_closed);
  for (hk_conn *c = s->conns; c; c = c->next)
    if (!c->in_flight) conn_close(c);
}

bool hk_request_header(const hk_request *req, const char *name,
                       cotel_str *out) {
  size_t n = strlen(name);
  for (size_t i = 0; i < req->n_headers; i++) {
    if (req->headers[i].name.len == n &&
        strncasecmp(req->headers[i].name.ptr, name, n) == 0) {
      if (out) *out = req->headers[i].value;
      return true;
    }
  }
  return false;
}

cotel_carrier hk_request_carrier(hk_request *req, cotel_header_carrier *hc) {
  cotel_header_carrier_init(hc, req->headers, req->n_headers, req->n_headers,
                            NULL, 0);
  return cotel_header_carrier_as_carrier(hc);
}
