/** @file
 * cotel: libcurl client spans (OpenTelemetry HTTP client semantic
 * conventions, stable).
 *
 * Instrument an easy handle once; every transfer it performs then gets a
 * CLIENT span named after the method, child of the context current when the
 * transfer was started (or of an explicit parent), with the propagators'
 * headers added to each request it sends (redirects and curl's own retries
 * included) and the attributes http.request.method (_OTHER for unknown
 * methods, with http.request.method_original), url.full (user and password
 * replaced by REDACTED, as are the values of the AWSAccessKeyId, Signature,
 * sig and X-Goog-Signature query parameters), server.address, server.port,
 * network.peer.address, network.peer.port, network.protocol.version,
 * http.response.status_code, http.request.resend_count (when the transfer
 * sent more than one request) and error.type. A status of 400 or more, or a
 * libcurl error, makes the span's status ERROR.
 *
 *     CURL *e = curl_easy_init();
 *     cotel_curl_instrument(e, NULL);
 *     curl_easy_setopt(e, CURLOPT_URL, "http://example.com/");
 *     cotel_curl_easy_perform(e);          // span current -> parent
 *     ...
 *     cotel_curl_uninstrument(e);
 *     curl_easy_cleanup(e);
 *
 * With a multi handle (any event loop), add with cotel_curl_multi_add_handle
 * (it captures the current context as the parent) and call cotel_curl_done
 * when curl_multi_info_read reports CURLMSG_DONE. Several transfers in
 * flight on one multi handle each have their own span and parent.
 *
 * How it hooks into libcurl: CURLOPT_PREREQFUNCTION (libcurl >= 7.80) runs
 * before every request is sent; there the span starts (at the first
 * request) and the headers are (re)written. libcurl has no callback at the
 * end of a transfer, hence cotel_curl_easy_perform / cotel_curl_done. The
 * instrumentation owns CURLOPT_PREREQFUNCTION, CURLOPT_PREREQDATA and
 * CURLOPT_HTTPHEADER of the handle: give your own header list to
 * cotel_curl_set_headers (or the options) instead of CURLOPT_HTTPHEADER; it
 * is never modified, our lines are chained in front of it.
 *
 * Cost: the state is allocated once per handle (cotel_curl_instrument). A
 * transfer allocates nothing in cotel beyond the pooled span record (no
 * malloc in steady state); header lines are written into a buffer owned by
 * the handle's state that grows only when a longer line is first seen.
 *
 * The functions taking a CURL * look the state up in a small table under a
 * mutex: a handle may be used from any thread, one transfer at a time, as
 * libcurl requires. */
#ifndef COTEL_CURL_H
#define COTEL_CURL_H

#include <curl/curl.h>

#include "cotel/context.h"
#include "cotel/propagation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options for the curl instrumentation; fill with cotel_curl_options_init.
 */
typedef struct cotel_curl_options {
  /** Tracer for the spans; NULL: the global provider's "cotel.curl" tracer,
   * looked up when a transfer starts. */
  cotel_tracer *tracer;
  /** Propagator for the headers; NULL: the global one at each transfer. */
  const cotel_propagator *propagator;
  /** The caller's own header list (borrowed: it must live as long as the
   * transfers that use it; cotel never modifies or frees it). */
  struct curl_slist *headers;
} cotel_curl_options;

/** Fill `o` with the defaults (every member NULL). */
COTEL_API void cotel_curl_options_init(cotel_curl_options *o);

/** Instrument `easy` (o NULL: defaults). Instrumenting an instrumented handle
 * again replaces its options. Sets CURLOPT_PREREQFUNCTION/DATA and
 * CURLOPT_HTTPHEADER. 0, COTEL_EINVAL, COTEL_ENOMEM, COTEL_ENOTSUP (libcurl
 * older than 7.80). Thread-safe. */
COTEL_API int cotel_curl_instrument(CURL *easy, const cotel_curl_options *o);

/** Replace the caller's header list of an instrumented handle (borrowed, as
 * in the options). Use it instead of CURLOPT_HTTPHEADER, which the
 * instrumentation sets at each request. 0, COTEL_EINVAL (not instrumented).
 * Not during a transfer. */
COTEL_API int cotel_curl_set_headers(CURL *easy, struct curl_slist *headers);

/** Make `parent` (retained; NULL = the current context) the parent of the
 * next transfer's span, and mark that transfer started now. Called by
 * cotel_curl_multi_add_handle and cotel_curl_easy_perform; call it yourself
 * to give an explicit parent, or before curl_multi_add_handle when you do
 * not use the wrapper. 0, COTEL_EINVAL. */
COTEL_API int cotel_curl_set_parent(CURL *easy, cotel_context *parent);

/** curl_multi_add_handle, with the current context as the parent of the
 * transfer's span (unless cotel_curl_set_parent gave one since the last
 * transfer). */
COTEL_API CURLMcode cotel_curl_multi_add_handle(CURLM *multi, CURL *easy);

/** curl_easy_perform, then cotel_curl_done with its result. */
COTEL_API CURLcode cotel_curl_easy_perform(CURL *easy);

/** The transfer on `easy` completed with `result` (CURLMSG_DONE's
 * data.result): record the response and end its span. A transfer that
 * failed before sending a request (connection refused, DNS) still gets its
 * span, started when the transfer was started. No-op for a handle that is
 * not instrumented or has no transfer in progress. */
COTEL_API void cotel_curl_done(CURL *easy, CURLcode result);

/** The span of the transfer in progress on `easy` (COTEL_SPAN_NONE if none):
 * add your own attributes or events to it. */
COTEL_API cotel_span cotel_curl_span(CURL *easy);

/** Forget `easy`: end a transfer's span still open (status ERROR), restore
 * the caller's header list and remove the prereq callback, free the state.
 * Call before curl_easy_cleanup. */
COTEL_API void cotel_curl_uninstrument(CURL *easy);

#ifdef __cplusplus
}
#endif
#endif
