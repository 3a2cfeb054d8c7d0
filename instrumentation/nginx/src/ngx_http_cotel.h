/* ngx_http_cotel_module: OpenTelemetry tracing for nginx on cotel.
 *
 * Shared by the module's three files: configuration (ngx_http_cotel_conf.c),
 * the per-request span (ngx_http_cotel_module.c) and the request's
 * attributes and header carrier (ngx_http_cotel_request.c). Directive names
 * and meanings follow the official ngx_otel_module so that configurations
 * carry over; docs/nginx.md describes them. */
#ifndef NGX_HTTP_COTEL_H
#define NGX_HTTP_COTEL_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <cotel/cotel.h>
#include <cotel/http_server.h>

/* otel_trace_context: bit 1 extracts, bit 2 injects. */
#define NGX_HTTP_COTEL_EXTRACT 1
#define NGX_HTTP_COTEL_INJECT 2

typedef struct {
  ngx_str_t key;
  ngx_http_complex_value_t value;
} ngx_http_cotel_attr_conf_t;

typedef struct {
  /* otel_exporter { ... }; unset members leave the OTEL_* value. */
  ngx_flag_t exporter; /* the block is present */
  ngx_str_t endpoint;
  ngx_str_t trusted_certificate;
  ngx_msec_t interval;
  ngx_uint_t batch_size;
  ngx_uint_t batch_count;
  ngx_array_t *headers; /* ngx_keyval_t */
  ngx_str_t service_name;
  ngx_array_t *resource_attrs; /* ngx_keyval_t */
  /* Some location traces or propagates: workers build a provider. */
  ngx_flag_t used;
} ngx_http_cotel_main_conf_t;

typedef struct {
  ngx_int_t trace;                    /* NGX_CONF_UNSET, 0, 1 */
  ngx_http_complex_value_t *trace_cv; /* otel_trace $variable */
  ngx_uint_t context;                 /* NGX_HTTP_COTEL_EXTRACT | _INJECT */
  ngx_http_complex_value_t *span_name;
  ngx_array_t *span_attrs; /* ngx_http_cotel_attr_conf_t */
} ngx_http_cotel_loc_conf_t;

/* One traced request (main request only; subrequests use it too). */
typedef struct {
  cotel_http_server_span hs; /* the SERVER span (cotel/http_server.h) */
  cotel_span_context sc;     /* the span's ids (tracestate not used) */
  cotel_span_context parent; /* the extracted parent, when has_parent */
  cotel_context *parent_ctx; /* owned reference */
  unsigned has_parent : 1;
  unsigned ended : 1;
} ngx_http_cotel_ctx_t;

extern ngx_module_t ngx_http_cotel_module;
extern ngx_command_t ngx_http_cotel_commands[];

void *ngx_http_cotel_create_main_conf(ngx_conf_t *cf);
void *ngx_http_cotel_create_loc_conf(ngx_conf_t *cf);
char *ngx_http_cotel_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);

/* What the server helper of cotel/http_server.h needs to know of the
 * request (views into r's memory, valid for the request): method, target,
 * scheme, peer, protocol version, the location as route, and `headers`
 * (a carrier over r->headers_in) for Host, User-Agent and X-Forwarded-For.
 * The helper turns it into the stable HTTP server semantic conventions. */
void ngx_http_cotel_server_request(ngx_http_request_t *r,
                                   const cotel_carrier *headers,
                                   cotel_http_server_request *out);

/* A carrier over r->headers_in (get, keys, and set: replaces the first
 * same-named header or appends one; values copied into r->pool). */
cotel_carrier ngx_http_cotel_carrier(ngx_http_request_t *r);

#endif
