/* httpkit: a small HTTP/1.1 server and client on one libuv loop, shared by
 * the example services (w3c-service, cotel-hop).
 *
 * - Server: libuv TCP + Debian's http-parser. One request per connection at
 *   a time (keep-alive and pipelining handled by pausing the parser); the
 *   handler may answer later, from any callback on the loop.
 * - Client: libcotel's one libcurl-multi-on-libuv client
 *   (cotel/internal/http.h), every transfer instrumented with cotel/curl.h
 *   (a CLIENT span, child of the context current at hk_fetch, headers
 *   injected). Each transfer embeds a cotel_future: the context current when
 *   the request is scheduled is made current around its completion callback
 *   (DESIGN §3 "future slot"), so callers never pass their span by hand.
 * - Server spans through cotel/http_server.h.
 * - JSON is Debian's jansson, used directly by the services.
 *
 * Everything here is single-threaded: call it from the loop's thread only.
 * Functions return 0 or a negative COTEL_E* code. */
#ifndef COTEL_HTTPKIT_H
#define COTEL_HTTPKIT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <uv.h>

#include "cotel/context.h"
#include "cotel/http_server.h"
#include "cotel/internal/http.h"
#include "cotel/propagation.h"
#include "cotel/setup.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Growable buffer (always NUL-terminated when data != NULL) ---- */
typedef struct hk_buf {
  char *data;
  size_t len;
  size_t cap;
} hk_buf;

int hk_buf_append(hk_buf *b, const void *p, size_t n);
int hk_buf_puts(hk_buf *b, const char *s);
int hk_buf_printf(hk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void hk_buf_free(hk_buf *b);

/* Percent-encode everything but RFC 3986 unreserved characters. */
int hk_url_encode(hk_buf *out, const char *s, size_t len);
/* Decode %XX and '+' (form encoding) into out; bad escapes are kept as is. */
int hk_url_decode(hk_buf *out, const char *s, size_t len);
/* Find `name` in a query string ("a=1&b=2"), decoding its value into out
 * (reset first). COTEL_ENOTFOUND when absent. */
int hk_query_get(cotel_str query, const char *name, hk_buf *out);

/* ---- Server ---- */
#define HK_MAX_HEADERS 64
#define HK_MAX_HEADER_BYTES (64 * 1024)
#define HK_MAX_BODY_BYTES (4 * 1024 * 1024)

typedef struct hk_conn hk_conn;
typedef struct hk_server hk_server;

/* One parsed request; valid until hk_respond. */
typedef struct hk_request {
  const char *method; /* "GET", "POST", ... (static) */
  const char *url;    /* request target as sent, NUL-terminated */
  cotel_str path;     /* views into url */
  cotel_str query;    /* after '?', without it (len 0 if none) */
  cotel_header *headers;
  size_t n_headers;
  const char *body; /* NUL-terminated; body_len authoritative */
  size_t body_len;
  const char *version; /* "1.1", "1.0" */
  const char *peer;    /* the client's address ("" when unknown) */
  int peer_port;
  hk_server *server;
  void *user; /* free for the handler */
} hk_request;

/* Called once per complete request, on the loop thread, with the thread's
 * own slot active. The handler must eventually call hk_respond exactly
 * once (now or from a later callback). */
typedef void (*hk_handler)(hk_request *req, void *ud);

struct hk_server {
  uv_tcp_t tcp;
  uv_loop_t *loop;
  hk_handler handler;
  void *ud;
  int port; /* bound port (after listen) */
  bool closing;
  bool listener_closed;
  size_t n_conns;
  hk_conn *conns; /* intrusive list of open connections */
  /* Slow clients (HTTPKIT_HEADER_TIMEOUT_MS, _BODY_, _IDLE_; defaults 10 s,
   * 30 s, 60 s): request head from its first byte, body from the end of the
   * head (408 and close), idle keep-alive connection (closed). */
  uint64_t header_timeout_ms;
  uint64_t body_timeout_ms;
  uint64_t idle_timeout_ms;
  void (*close_cb)(hk_server *s);
};

/* Bind host:port (port 0: an ephemeral one, see s->port) and listen. */
int hk_server_start(hk_server *s, uv_loop_t *loop, const char *host, int port,
                    hk_handler handler, void *ud);
/* Stop accepting, close idle connections; connections with a request in
 * flight close once it is answered. close_cb (may be NULL) runs when the
 * listener and every connection are closed. */
void hk_server_close(hk_server *s, void (*close_cb)(hk_server *s));

/* First value of a header (case-insensitive); false when absent. */
bool hk_request_header(const hk_request *req, const char *name, cotel_str *out);
/* A carrier over the request headers for cotel_extract (read-only). The
 * header carrier is filled in by this call and must outlive the carrier. */
cotel_carrier hk_request_carrier(hk_request *req, cotel_header_carrier *hc);

/* Send the response and release the request (it must not be used after).
 * content_type may be NULL (no header). If the client went away the
 * response is dropped and 0 returned. */
int hk_respond(hk_request *req, int status, const char *content_type,
               const char *body, size_t len);

/* ---- Client ---- */
typedef struct hk_transfer hk_transfer;

typedef struct hk_client {
  uv_loop_t *loop;
  cotel__http http;
  uv_timer_t keep;        /* ref'd while transfers run (http's are not) */
  hk_transfer *transfers; /* in-flight transfers */
  size_t active;
  bool traced; /* instrument transfers (default); false: plain requests */
  bool closed;
} hk_client;

typedef struct hk_response {
  int error;          /* 0, or COTEL_EEXPORT-style negative code */
  const char *errmsg; /* curl's message when error != 0 */
  long status;        /* HTTP status (0 when no response) */
  const char *body;   /* NUL-terminated, borrowed for the callback */
  size_t body_len;
  char client_span_id[17]; /* the transfer's CLIENT span ("" if none) */
} hk_response;

/* Completion callback. It runs with the context that was current when
 * hk_fetch was called made current again (the transfer's future slot); the
 * transfer's CLIENT span has ended by then. */
typedef void (*hk_fetch_cb)(const hk_response *resp, void *ud);

int hk_client_init(hk_client *c, uv_loop_t *loop);
/* Abort in-flight transfers (their callbacks run with COTEL_ESTATE), close
 * the client. */
void hk_client_close(hk_client *c);

typedef struct hk_fetch_options {
  const char *method; /* NULL: GET, or POST when body != NULL */
  const char *url;
  struct curl_slist *headers; /* ownership passes to the transfer */
  const char *body;           /* copied */
  size_t body_len;
  long timeout_ms; /* 0: 10000 */
} hk_fetch_options;

/* Start a transfer: a CLIENT span, child of the current context, with its
 * context injected. The current context is also captured (a cotel_future)
 * and entered around `cb`. On error the headers are freed and cb is not
 * called. */
int hk_fetch(hk_client *c, const hk_fetch_options *o, hk_fetch_cb cb, void *ud);

/* ---- Timer with a future slot ---- */
typedef void (*hk_timer_cb)(void *ud);
/* Run cb after ms on the loop, with the current context (captured now)
 * current around it. The timer frees itself. */
int hk_after(uv_loop_t *loop, uint64_t ms, hk_timer_cb cb, void *ud);

/* ---- Service skeleton shared by the example programs ---- */
typedef struct hk_service_options {
  const char *host;         /* --host, default 127.0.0.1 */
  int port;                 /* --port, 0 = ephemeral */
  const char *service_name; /* --service (when allowed), else default */
} hk_service_options;

/* A loop, a server, a client, a provider and a propagator from the OTEL_*
 * environment, and SIGINT/SIGTERM handling that stops accepting, lets the
 * requests in flight finish, then flushes the spans. */
typedef struct hk_service {
  uv_loop_t loop;
  hk_server server;
  hk_client client;
  cotel_provider *provider;
  cotel_tracer *tracer;
  cotel_propagator *propagator;
  uv_signal_t sigint, sigterm;
  bool stopping;
  bool sdk_disabled;
  char service_name[128]; /* the resource's service.name */
} hk_service;

/* Parse --host H --port N [--service NAME] (also --opt=value). Prints usage
 * and returns COTEL_EINVAL on a bad argument. */
int hk_service_args(int argc, char **argv, bool allow_service,
                    hk_service_options *o);
/* Set everything up and listen; prints "listening on HOST:PORT" as the
 * first line of stdout. `default_name` is service.name unless the options or
 * OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES give one. */
int hk_service_start(hk_service *s, const hk_service_options *o,
                     const char *default_name, const char *tracer_name,
                     hk_handler handler, void *ud);
/* Server side of a traced request (cotel/http_server.h): extract the
 * caller's context with the service's propagator and start a SERVER span
 * named "{method} {route}" under it, current until
 * cotel_http_server_leave/_end. */
int hk_server_span_start(hk_service *s, hk_request *req, const char *route,
                         cotel_http_server_span *out);

/* Run until a signal; then shut down. Returns the process exit code. */
int hk_service_run(hk_service *s);

#ifdef __cplusplus
}
#endif
#endif
