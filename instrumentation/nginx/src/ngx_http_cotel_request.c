/* A request's attributes (HTTP server semantic conventions, stable) and a
 * propagation carrier over its request headers. */
#include "ngx_http_cotel.h"

static cotel_str ngx_http_cotel_str(const u_char *p, size_t len) {
  cotel_str s;
  s.ptr = (const char *)p;
  s.len = len;
  return s;
}

static cotel_str ngx_http_cotel_c(const char *s) {
  return cotel_str_c(s);
}

void ngx_http_cotel_server_request(ngx_http_request_t *r,
                                   const cotel_carrier *headers,
                                   cotel_http_server_request *out) {
  ngx_connection_t *c = r->connection;
  ngx_http_core_loc_conf_t *clcf =
      ngx_http_get_module_loc_conf(r, ngx_http_core_module);
  cotel_http_server_request_init(out);
  out->method = ngx_http_cotel_str(r->method_name.data, r->method_name.len);
  /* As the client sent it: r->uri may already be rewritten. */
  out->target = ngx_http_cotel_str(r->unparsed_uri.data, r->unparsed_uri.len);
#if (NGX_HTTP_SSL)
  if (c->ssl) out->scheme = ngx_http_cotel_c("https");
#endif
  out->peer_address = ngx_http_cotel_str(c->addr_text.data, c->addr_text.len);
  if (c->sockaddr) out->peer_port = ngx_inet_get_port(c->sockaddr);
  switch (r->http_version) {
  case NGX_HTTP_VERSION_9:
    out->protocol_version = ngx_http_cotel_c("0.9");
    break;
  case NGX_HTTP_VERSION_10:
    out->protocol_version = ngx_http_cotel_c("1.0");
    break;
#ifdef NGX_HTTP_VERSION_20
  case NGX_HTTP_VERSION_20:
    out->protocol_version = ngx_http_cotel_c("2");
    break;
#endif
  default:
    break;
  }
  out->route = ngx_http_cotel_str(clcf->name.data, clcf->name.len);
  out->headers = headers;
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
