/* httpkit: HTTP/1.1 server on libuv with http-parser.
 *
 * One request per connection is in flight at a time. When a message is
 * complete the parser is paused, reading stops and the bytes already read
 * past it are kept; once the response is written the parser resumes on them
 * (pipelining, RFC 9112 §9.3.2) and reading restarts. */
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
  hk_buf pending; /* bytes read past the current request */
  char peer[64];  /* the client's address */
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
static void conn_feed(hk_conn *c, const char *data, size_t len);
static void conn_read_start(hk_conn *c);

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

static void write_raw(hk_conn *c, const char *s, size_t n, bool close_after);

static int on_headers_complete(http_parser *p) {
  hk_conn *c = conn_of(p);
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
  if (!close_after) {
    /* Go on with what was read past this request, then read more. */
    http_parser_pause(&c->parser, 0);
    hk_buf rest = c->pending;
    c->pending = (hk_buf){0};
    if (rest.len) conn_feed(c, rest.data, rest.len);
    hk_buf_free(&rest);
    if (!c->in_flight && !c->closing && !c->handle_closed) conn_read_start(c);
  }
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

/* Parse bytes; stops at a complete request (kept in c->pending beyond). */
static void conn_feed(hk_conn *c, const char *data, size_t len) {
  size_t used = http_parser_execute(&c->parser, &settings, data, len);
  enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
  if (err == HPE_PAUSED && c->complete) {
    c->complete = false;
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (used < len && hk_buf_append(&c->pending, data + used, len - used)) {
      conn_close(c);
      return;
    }
    dispatch(c);
    return;
  }
  if (err != HPE_OK) {
    /* Malformed request: answer 400 and close (RFC 9112 §2.2). */
    uv_read_stop((uv_stream_t *)&c->tcp);
    send_response(c, 400, NULL, NULL, 0, true);
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  hk_conn *c = (hk_conn *)s->data;
  if (n < 0) {
    /* EOF or error. A request needs no EOF to end (RFC 9112 §6.3). */
    conn_close(c);
  } else if (n > 0) {
    if (c->in_flight) {
      if (hk_buf_append(&c->pending, buf->base, (size_t)n)) conn_close(c);
    } else {
      conn_feed(c, buf->base, (size_t)n);
    }
  }
  free(buf->base);
}

static void conn_read_start(hk_conn *c) {
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
    conn_close(c);
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
  c->handle_closed = true;
  conn_maybe_free(c);
}

static void conn_close(hk_conn *c) {
  if (c->closing) return;
  c->closing = true;
  uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_connection(uv_stream_t *ls, int status) {
  hk_server *s = (hk_server *)ls->data;
  if (status < 0 || s->closing) return;
  hk_conn *c = calloc(1, sizeof(*c));
  if (!c) return;
  c->server = s;
  uv_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
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
}

int hk_server_start(hk_server *s, uv_loop_t *loop, const char *host, int port,
                    hk_handler handler, void *ud) {
  if (!s || !loop || !handler || port < 0 || port > 65535) return COTEL_EINVAL;
  memset(s, 0, sizeof(*s));
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
