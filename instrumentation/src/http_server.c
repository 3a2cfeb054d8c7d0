/* SERVER spans for any HTTP server (cotel/http_server.h), after the
 * OpenTelemetry semantic conventions, "HTTP server span" (stable). */
#include <stdio.h>
#include <string.h>

#include "cotel/http_server.h"
#include "cotel/provider.h"
#include "cotel/semconv.h"
#include "http_common.h"

#define NAME_MAX_LEN 256

void cotel_http_server_request_init(cotel_http_server_request *r) {
  if (!r) return;
  memset(r, 0, sizeof(*r));
  r->scheme = (cotel_str){"http", 4};
  r->protocol_version = (cotel_str){"1.1", 3};
}

static cotel_attr attr_str(const char *k, cotel_str v) {
  cotel_attr a = {.key = cotel_str_c(k), .type = COTEL_ATTR_STRING};
  a.v.s = v;
  return a;
}

static bool header(const cotel_carrier *c, const char *name, cotel_str *out) {
  if (!c || !c->get) return false;
  return c->get(c->c, name, out, 1) > 0 && out->len > 0;
}

static cotel_str trim(cotel_str s) {
  while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t'))
    s.ptr++, s.len--;
  while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
    s.len--;
  return s;
}

/* Host: host[:port] or [v6][:port] (RFC 9110 §7.2). */
static void split_host(cotel_str h, cotel_str *host, int *port) {
  *port = 0;
  const char *end = h.ptr + h.len, *colon = NULL;
  if (h.len && h.ptr[0] == '[') {
    const char *close = memchr(h.ptr, ']', h.len);
    if (!close) {
      *host = h;
      return;
    }
    *host = (cotel_str){h.ptr + 1, (size_t)(close - h.ptr - 1)};
    if (close + 1 < end && close[1] == ':') colon = close + 1;
  } else {
    colon = memchr(h.ptr, ':', h.len);
    *host = (cotel_str){h.ptr, colon ? (size_t)(colon - h.ptr) : h.len};
  }
  if (!colon) return;
  int v = 0;
  for (const char *q = colon + 1; q < end; q++) {
    if (*q < '0' || *q > '9' || v > 65535) return;
    v = v * 10 + (*q - '0');
  }
  if (colon + 1 < end && v <= 65535) *port = v;
}

static cotel_tracer *server_tracer(cotel_tracer *t) {
  if (t) return t;
  cotel_provider *p = cotel_provider_global();
  return p ? cotel_provider_tracer(p, "cotel.http_server") : NULL;
}

static void span_name(char *buf, cotel_str method, const char *known,
                      cotel_str route) {
  const char *m = known ? known : "HTTP";
  (void)method;
  if (route.len)
    snprintf(buf, NAME_MAX_LEN, "%s %.*s", m, (int)route.len, route.ptr);
  else
    snprintf(buf, NAME_MAX_LEN, "%s", m);
}

int cotel_http_server_start(cotel_tracer *tracer,
                            const cotel_propagator *propagator,
                            const cotel_http_server_request *r,
                            cotel_http_server_span *out) {
  if (!out) return COTEL_EINVAL;
  memset(out, 0, sizeof(*out));
  if (!r || !r->method.ptr || !r->method.len) return COTEL_EINVAL;
  int rc = 0;
  /* W3C Trace Context §3: continue the caller's trace when its headers are
   * valid; invalid ones are ignored by the propagator (a new trace). */
  cotel_context *remote = NULL;
  if (r->headers)
    rc = cotel_extract(propagator, cotel_context_root(), r->headers, &remote);
  if (!remote) remote = cotel_context_retain(cotel_context_root());
  if (cotel_context_span_context(remote, &out->remote) == 0)
    out->remote.tracestate = NULL;

  cotel_attr attrs[16];
  size_t n = 0;
  const char *known = cotel__http_method_known_n(r->method.ptr, r->method.len);
  attrs[n++] = known ? cotel_attr_string(COTEL_ATTR_HTTP_REQUEST_METHOD, known)
                     : cotel_attr_string(COTEL_ATTR_HTTP_REQUEST_METHOD,
                                         COTEL_HTTP_REQUEST_METHOD_VALUE_OTHER);
  if (!known)
    attrs[n++] = attr_str(COTEL_ATTR_HTTP_REQUEST_METHOD_ORIGINAL, r->method);

  /* The target: origin-form "/p?q", or absolute-form "http://h/p?q"
   * (RFC 9112 §3.2). */
  cotel_str t = r->target;
  if (t.len && t.ptr[0] != '/') {
    const char *sep = t.len > 3 ? memmem(t.ptr, t.len, "://", 3) : NULL;
    if (sep) {
      const char *p = sep + 3, *end = t.ptr + t.len;
      while (p < end && *p != '/' && *p != '?')
        p++;
      t = (cotel_str){p, (size_t)(end - p)};
    }
  }
  const char *q = t.len ? memchr(t.ptr, '?', t.len) : NULL;
  cotel_str path = {t.ptr, q ? (size_t)(q - t.ptr) : t.len};
  if (path.len) attrs[n++] = attr_str(COTEL_ATTR_URL_PATH, path);
  if (q && (size_t)(q + 1 - t.ptr) < t.len)
    attrs[n++] = attr_str(COTEL_ATTR_URL_QUERY,
                          (cotel_str){q + 1, t.len - (size_t)(q + 1 - t.ptr)});
  if (r->scheme.len) attrs[n++] = attr_str(COTEL_ATTR_URL_SCHEME, r->scheme);
  if (r->route.len) attrs[n++] = attr_str(COTEL_ATTR_HTTP_ROUTE, r->route);

  cotel_str v;
  if (header(r->headers, "x-forwarded-for", &v)) {
    const char *comma = memchr(v.ptr, ',', v.len);
    cotel_str first =
        trim((cotel_str){v.ptr, comma ? (size_t)(comma - v.ptr) : v.len});
    if (first.len)
      attrs[n++] = attr_str(COTEL_ATTR_CLIENT_ADDRESS, first);
    else if (r->peer_address.len)
      attrs[n++] = attr_str(COTEL_ATTR_CLIENT_ADDRESS, r->peer_address);
  } else if (r->peer_address.len) {
    attrs[n++] = attr_str(COTEL_ATTR_CLIENT_ADDRESS, r->peer_address);
  }
  if (r->peer_address.len)
    attrs[n++] = attr_str(COTEL_ATTR_NETWORK_PEER_ADDRESS, r->peer_address);
  if (r->peer_port > 0)
    attrs[n++] = cotel_attr_int(COTEL_ATTR_NETWORK_PEER_PORT, r->peer_port);
  if (header(r->headers, "host", &v)) {
    cotel_str host;
    int port;
    split_host(trim(v), &host, &port);
    if (host.len) attrs[n++] = attr_str(COTEL_ATTR_SERVER_ADDRESS, host);
    if (!port && r->scheme.len == 5 && memcmp(r->scheme.ptr, "https", 5) == 0)
      port = 443;
    else if (!port && r->scheme.len == 4 &&
             memcmp(r->scheme.ptr, "http", 4) == 0)
      port = 80;
    if (port) attrs[n++] = cotel_attr_int(COTEL_ATTR_SERVER_PORT, port);
  }
  if (header(r->headers, "user-agent", &v))
    attrs[n++] = attr_str(COTEL_ATTR_USER_AGENT_ORIGINAL, v);
  if (r->protocol_version.len)
    attrs[n++] =
        attr_str(COTEL_ATTR_NETWORK_PROTOCOL_VERSION, r->protocol_version);

  char name[NAME_MAX_LEN];
  span_name(name, r->method, known, r->route);
  out->method = known ? known : "HTTP";
  cotel_tracer *tr = server_tracer(tracer);
  cotel_span_options so = {.parent = remote,
                           .kind = COTEL_SPAN_KIND_SERVER,
                           .attrs = attrs,
                           .n_attrs = n};
  if (tr) {
    int src = cotel_span_start(tr, name, &so, &out->span);
    if (src && !rc) rc = src;
  }
  /* The SERVER span's context keeps the extracted baggage (its parent). */
  if (out->span.rec &&
      cotel_context_with_span(remote, out->span, &out->ctx) == 0) {
    cotel_context_release(remote);
  } else {
    out->ctx = remote; /* no span: at least propagate what came in */
  }
  out->token = cotel_context_attach(out->ctx);
  out->attached = true;
  return rc == COTEL_ENOMEM ? rc : 0;
}

void cotel_http_server_set_route(cotel_http_server_span *s, const char *route) {
  if (!s || !route || !*route || s->ended) return;
  cotel_span_set_str(s->span, COTEL_ATTR_HTTP_ROUTE, route);
  char name[NAME_MAX_LEN];
  snprintf(name, sizeof name, "%s %s", s->method ? s->method : "HTTP", route);
  cotel_span_update_name(s->span, name);
}

void cotel_http_server_leave(cotel_http_server_span *s) {
  if (!s || !s->attached) return;
  s->attached = false;
  cotel_context_detach(s->token);
}

void cotel_http_server_end(cotel_http_server_span *s, int status) {
  if (!s || s->ended) return;
  s->ended = true;
  if (status > 0) {
    cotel_span_set_int(s->span, COTEL_ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) {
      char code[16];
      cotel__fmt_status(status, code);
      cotel_span_set_str(s->span, COTEL_ATTR_ERROR_TYPE, code);
      cotel_span_set_status(s->span, COTEL_STATUS_ERROR, NULL);
    }
  } else {
    cotel_span_set_str(s->span, COTEL_ATTR_ERROR_TYPE,
                       COTEL_ERROR_TYPE_VALUE_OTHER);
    cotel_span_set_status(s->span, COTEL_STATUS_ERROR, "no response sent");
  }
  cotel_span_end(s->span, 0);
  cotel_http_server_leave(s);
  cotel_context_release(s->ctx);
  s->ctx = NULL;
}
