/* A request's attributes (HTTP server semantic conventions, stable) and a
 * propagation carrier over its request headers. */
#include "ngx_http_cotel.h"

static cotel_str ngx_http_cotel_str(const u_char *p, size_t len) {
  cotel_str s;
  s.ptr = (const char *)p;
  s.len = len;
  return s;
}

static cotel_attr ngx_http_cotel_attr_s(const char *key, const u_char *p,
                                        size_t len) {
  cotel_attr a;
  a.key = cotel_str_c(key);
  a.type = COTEL_ATTR_STRING;
  a.v.s = ngx_http_cotel_str(p, len);
  return a;
}

size_t ngx_http_cotel_request_attrs(ngx_http_request_t *r, cotel_attr *attrs) {
  size_t n = 0;
  ngx_connection_t *c = r->connection;

  attrs[n++] = ngx_http_cotel_attr_s("http.request.method", r->method_name.data,
                                     r->method_name.len);
  /* url.path and url.query as the client sent them (semconv: the path is
   * not decoded); r->uri may already be rewritten at this point. */
  u_char *q = ngx_strlchr(r->unparsed_uri.data,
                          r->unparsed_uri.data + r->unparsed_uri.len, '?');
  size_t plen = q ? (size_t)(q - r->unparsed_uri.data) : r->unparsed_uri.len;
  attrs[n++] = ngx_http_cotel_attr_s("url.path", r->unparsed_uri.data, plen);
  if (r->args.len)
    attrs[n++] = ngx_http_cotel_attr_s("url.query", r->args.data, r->args.len);
#if (NGX_HTTP_SSL)
  const char *scheme = c->ssl ? "https" : "http";
#else
  const char *scheme = "http";
#endif
  attrs[n++] = ngx_http_cotel_attr_s("url.scheme", (const u_char *)scheme,
                                     ngx_strlen(scheme));
  if (r->headers_in.server.len)
    attrs[n++] = ngx_http_cotel_attr_s(
        "server.address", r->headers_in.server.data, r->headers_in.server.len);
  if (c->local_sockaddr) {
    attrs[n].key = cotel_str_c("server.port");
    attrs[n].type = COTEL_ATTR_INT;
    attrs[n++].v.i = ngx_inet_get_port(c->local_sockaddr);
  }
  if (c->addr_text.len)
    attrs[n++] = ngx_http_cotel_attr_s("client.address", c->addr_text.data,
                                       c->addr_text.len);
  const char *ver = NULL;
  switch (r->http_version) {
  case NGX_HTTP_VERSION_9:
    ver = "0.9";
    break;
  case NGX_HTTP_VERSION_10:
    ver = "1.0";
    break;
  case NGX_HTTP_VERSION_11:
    ver = "1.1";
    break;
#ifdef NGX_HTTP_VERSION_20
  case NGX_HTTP_VERSION_20:
    ver = "2";
    break;
#endif
  default:
    break;
  }
  if (ver)
    attrs[n++] = ngx_http_cotel_attr_s("network.protocol.version",
                                       (const u_char *)ver, ngx_strlen(ver));
  if (r->headers_in.user_agent)
    attrs[n++] = ngx_http_cotel_attr_s("user_agent.original",
                                       r->headers_in.user_agent->value.data,
                                       r->headers_in.user_agent->value.len);
  return n;
}

/* ---- carrier over r->headers_in ---- */

static size_t ngx_http_cotel_get(void *c, const char *key, cotel_str *values,
                                 size_t max) {
  ngx_http_request_t *r = c;
  size_t klen = ngx_strlen(key), n = 0;
  for (ngx_list_part_t *part = &r->headers_in.headers.part; part;
       part = part->next) {
    ngx_table_elt_t *h = part->elts;
    for (ngx_uint_t i = 0; i < part->nelts; i++) {
      if (h[i].hash == 0 || h[i].key.len != klen ||
          ngx_strncasecmp(h[i].key.data, (u_char *)key, klen) != 0)
        continue;
      if (n < max)
        values[n] = ngx_http_cotel_str(h[i].value.data, h[i].value.len);
      n++;
    }
  }
  return n;
}

static size_t ngx_http_cotel_keys(void *c, cotel_str *keys, size_t max) {
  ngx_http_request_t *r = c;
  size_t n = 0;
  for (ngx_list_part_t *part = &r->headers_in.headers.part; part;
       part = part->next) {
    ngx_table_elt_t *h = part->elts;
    for (ngx_uint_t i = 0; i < part->nelts; i++) {
      if (h[i].hash == 0) continue;
      if (n < max) keys[n] = ngx_http_cotel_str(h[i].key.data, h[i].key.len);
      n++;
    }
  }
  return n;
}

static int ngx_http_cotel_set(void *c, const char *key, const char *value,
                              size_t value_len) {
  ngx_http_request_t *r = c;
  size_t klen = ngx_strlen(key);
  u_char *v = ngx_pnalloc(r->pool, value_len + 1);
  if (v == NULL) return COTEL_ENOMEM;
  ngx_memcpy(v, value, value_len);
  v[value_len] = '\0';
  for (ngx_list_part_t *part = &r->headers_in.headers.part; part;
       part = part->next) {
    ngx_table_elt_t *h = part->elts;
    for (ngx_uint_t i = 0; i < part->nelts; i++) {
      if (h[i].hash == 0 || h[i].key.len != klen ||
          ngx_strncasecmp(h[i].key.data, (u_char *)key, klen) != 0)
        continue;
      h[i].value.data = v;
      h[i].value.len = value_len;
      return 0;
    }
  }
  ngx_table_elt_t *h = ngx_list_push(&r->headers_in.headers);
  u_char *k = ngx_pnalloc(r->pool, klen + 1);
  if (h == NULL || k == NULL) return COTEL_ENOMEM;
  ngx_memcpy(k, key, klen + 1); /* propagators pass lowercase names */
  h->key.data = k;
  h->key.len = klen;
  h->lowcase_key = k;
  h->hash = ngx_hash_key(k, klen);
  h->value.data = v;
  h->value.len = value_len;
#if (nginx_version >= 1023000)
  h->next = NULL;
#endif
  return 0;
}

cotel_carrier ngx_http_cotel_carrier(ngx_http_request_t *r) {
  cotel_carrier carrier;
  carrier.get = ngx_http_cotel_get;
  carrier.keys = ngx_http_cotel_keys;
  carrier.set = ngx_http_cotel_set;
  carrier.c = r;
  return carrier;
}
