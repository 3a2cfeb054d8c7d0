/** @file
 * cotel: SERVER spans for any HTTP server (OpenTelemetry HTTP server
 * semantic conventions, stable).
 *
 * Server-agnostic: the server gives the method, the request target, the
 * scheme, the peer address and a header getter (a cotel_carrier); the
 * helper extracts the caller's context with the propagator, starts a SERVER
 * span under it with http.request.method (_OTHER and
 * http.request.method_original for unknown methods), url.path, url.query,
 * url.scheme, http.route (when given), client.address (the first
 * X-Forwarded-For entry, else the peer), network.peer.address/port,
 * server.address/server.port (from Host), user_agent.original and
 * network.protocol.version, and makes it current in the calling thread's
 * active slot (thread or coroutine slot). Work the handler schedules from
 * there (cotel_future, cotel_uv_*) captures it.
 *
 *     cotel_http_server_request r;
 *     cotel_http_server_request_init(&r);
 *     r.method = ...; r.target = ...; r.headers = &carrier; ...
 *     cotel_http_server_span s;
 *     cotel_http_server_start(NULL, NULL, &r, &s);   // current now
 *     ... handle, maybe asynchronously: cotel_http_server_leave(&s) ...
 *     cotel_http_server_end(&s, 200);                // status, end
 *
 * Span name: "{method} {route}" when the route is known, else "{method}"
 * ("HTTP" for an unknown method). Status: ERROR for 5xx (error.type = the
 * code), UNSET for everything else: a 4xx is the client's error, not the
 * server's. */
#ifndef COTEL_HTTP_SERVER_H
#define COTEL_HTTP_SERVER_H

#include "cotel/context.h"
#include "cotel/propagation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the server knows about one request. Views (not necessarily
 * NUL-terminated), borrowed for the duration of cotel_http_server_start.
 * Fill with cotel_http_server_request_init first; members may be appended
 * in later versions. */
typedef struct cotel_http_server_request {
  cotel_str method;           /**< as received: "GET" */
  cotel_str target;           /**< request-target: "/a/b?x=1" (or absolute) */
  cotel_str scheme;           /**< "http" (default) or "https" */
  cotel_str peer_address;     /**< the socket's peer: "127.0.0.1" */
  int peer_port;              /**< 0 when unknown */
  cotel_str protocol_version; /**< "1.1" (default), "1.0", "2" */
  cotel_str route;            /**< the matched route template, or empty */
  /** Request headers; get() is all the helper calls (extraction, Host,
   * User-Agent, X-Forwarded-For). NULL: no headers. */
  const cotel_carrier *headers;
} cotel_http_server_request;

/** Zero every member and set scheme "http" and protocol_version "1.1". */
COTEL_API void cotel_http_server_request_init(cotel_http_server_request *r);

/** One request's span. Caller-embedded (in the server's request struct);
 * read `span` and `ctx`, leave the rest alone. */
typedef struct cotel_http_server_span {
  cotel_span span;    /**< the SERVER span */
  cotel_context *ctx; /**< the span's context (with the extracted baggage):
                         capture it into futures by hand if you need to */
  /** The caller's span context as extracted (zero when none came in; its
   * tracestate pointer is not kept). */
  cotel_span_context remote;
  const char *method; /**< static: the canonical method, or "HTTP" */
  cotel_token token;  /**< private: the attach of ctx */
  bool attached;      /**< private: token not yet detached */
  bool ended;         /**< private: the span has been ended */
} cotel_http_server_span;

/** Extract, start the SERVER span and make its context current (attach in
 * the calling thread's active slot). tracer NULL: the global provider's
 * "cotel.http_server" tracer; propagator NULL: the global one. On error
 * (COTEL_EINVAL: NULL r/out or empty method) nothing is current and out
 * holds no span; COTEL_ENOMEM still returns a usable out (the span may be
 * non-recording). */
COTEL_API int cotel_http_server_start(cotel_tracer *tracer,
                                      const cotel_propagator *propagator,
                                      const cotel_http_server_request *r,
                                      cotel_http_server_span *out);

/** Set http.route once the router knows it (and rename the span
 * "{method} {route}"). */
COTEL_API void cotel_http_server_set_route(cotel_http_server_span *s,
                                           const char *route);

/** Restore the context that was current before start, without ending the
 * span: call it when the handler returns to the server's loop with the
 * response still to come. Must run on the thread and slot of the start.
 * Idempotent. */
COTEL_API void cotel_http_server_leave(cotel_http_server_span *s);

/** Record the response status (http.response.status_code; status ERROR and
 * error.type for 5xx), end the span, leave (if still attached: same thread
 * and slot as the start) and release the context. status <= 0: no response
 * was sent (error.type "_OTHER", status ERROR). Idempotent. */
COTEL_API void cotel_http_server_end(cotel_http_server_span *s, int status);

#ifdef __cplusplus
}
#endif
#endif
