/* OTLP exporter requests: one HTTP POST (or gRPC call) per batch (or part
 * of a split batch), retried on its own within its export call's deadline.
 *
 * OTLP spec "Retryable Response Codes" and "OTLP/HTTP Throttling": 429,
 * 502, 503, 504 and transport failures are retried with exponential backoff
 * and jitter, or after Retry-After; everything else is final. "Partial
 * Success": logged and counted, never retried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cotel/internal/time.h"
#include "cotel/internal/utf8.h"
#include "exporter_internal.h"
#include "spool_hooks.h"
#include "cotel/internal/otlp_response.h"
#include "cotel/internal/otlp_encode.h"
#include "cotel/internal/otlp_retry.h"
#include "cotel/internal/http.h"

static void h2c_kick(cotel__otlp_exporter *e);
static bool h2c(const cotel__otlp_exporter *e);

/* A request given up. The first failure of an episode is a warning with
 * its root cause; the rest, until a success ends the episode, are debug
 * lines (a collector that is down must not flood the log). */
static void note_failure(cotel__otlp_req *r, int rc) {
  cotel__otlp_exporter *e = r->e;
  char why[400];
  if (rc == COTEL_ETIMEDOUT && r->cause[0])
    snprintf(why, sizeof why, "%s (gave up at the export timeout)", r->cause);
  else if (r->cause[0])
    snprintf(why, sizeof why, "%s", r->cause);
  else
    snprintf(why, sizeof why, "%s", cotel_strerror(rc));
  e->episode_failed += r->n_spans;
  if (!e->failing) {
    e->failing = true;
    cotel_log(COTEL_LOG_WARN,
              "otlp: cannot export to %s: %s; spans are being dropped "
              "(further failures at debug level until delivery recovers)",
              e->cfg.url, why);
  } else {
    cotel_log(COTEL_LOG_DEBUG,
              "otlp: export of %zu spans failed after %u attempt(s): %s",
              r->n_spans, r->attempts, why);
  }
}

/* A success ends a failure episode: one line says so. */
static void note_success(cotel__otlp_exporter *e) {
  if (!e->failing) return;
  e->failing = false;
  cotel_log(COTEL_LOG_WARN,
            "otlp: export to %s recovered; %llu spans were lost meanwhile",
            e->cfg.url, (unsigned long long)e->episode_failed);
  e->episode_failed = 0;
}

void cotel__otlp_call_release(cotel__otlp_call *call) {
  if (--call->pending > 0) return;
  cotel_export_done_fn done = call->done;
  void *arg = call->done_arg;
  int rc = call->rc;
  free(call);
  done(arg, rc);
}

static void on_req_closed(uv_handle_t *h) {
  cotel__otlp_req *r = (cotel__otlp_req *)h->data;
  r->e->open_handles--;
  free(r);
}

/* The request is over: count, unlink, tell the call. rc != 0 counts every
 * span of the request as failed; on success the caller counted already. */
void cotel__otlp_req_finish(cotel__otlp_req *r, int rc) {
  cotel__otlp_exporter *e = r->e;
  cotel__otlp_call *call = r->call;
  if (rc != 0 && cotel__otlp_spool_absorb(e, r, rc)) rc = 0;
  if (rc != 0) {
    ADD(e, spans_failed, r->n_spans);
    ADD(e, requests_failed, 1);
    if (r->in_doubt) ADD(e, spans_in_doubt, r->n_spans);
    note_failure(r, rc);
  }
  r->state = REQ_DONE;
  if (e->h2c_connector == r) e->h2c_connector = NULL;
  if (r->prev)
    r->prev->next = r->next;
  else
    e->reqs = r->next;
  if (r->next) r->next->prev = r->prev;
  if (--e->n_reqs == 0) uv_unref((uv_handle_t *)&e->pin);
  if (r->h.easy) curl_easy_cleanup(r->h.easy);
  cotel__buf_free(&r->body);
  cotel__buf_free(&r->h.resp);
  uv_timer_stop(&r->timer);
  uv_close((uv_handle_t *)&r->timer, on_req_closed);
  if (rc != 0 && call->rc == 0) call->rc = rc;
  cotel__otlp_call_release(call);
  if (h2c(e) && !e->h2c_connector) h2c_kick(e);
  if (e->shutting && e->n_reqs == 0) cotel__otlp_close_all(e);
}

static void req_attempt(cotel__otlp_req *r);

/* gRPC on plain http:// (h2c with prior knowledge). */
static bool h2c(const cotel__otlp_exporter *e) {
  return e->cfg.grpc && strncasecmp(e->cfg.url, "https://", 8) != 0;
}

/* Requests waiting for the h2c connection try again. */
static void h2c_kick(cotel__otlp_exporter *e) {
  for (cotel__otlp_req *w = e->reqs, *next; w; w = next) {
    next = w->next;
    if (w->state == REQ_WAIT) req_attempt(w);
  }
}
static int easy_setup(struct cotel__otlp_exporter *e, cotel__otlp_req *r);

static void on_backoff(uv_timer_t *t) {
  req_attempt((cotel__otlp_req *)t->data);
}

/* A retryable failure: wait and try again, unless attempts, the deadline or
 * a shutdown say otherwise. `after_ms` < 0: no Retry-After. */
static void req_retry(cotel__otlp_req *r, int64_t after_ms, int rc) {
  cotel__otlp_exporter *e = r->e;
  uint64_t delay, now;
  if (cotel__otlp_spool_retry(r, after_ms, rc)) return;
  if (e->shutting) {
    cotel__otlp_req_finish(r, rc);
    return;
  }
  if (e->cfg.max_attempts && r->attempts >= e->cfg.max_attempts) {
    cotel__otlp_req_finish(r, rc);
    return;
  }
  if (after_ms >= 0) {
    delay = (uint64_t)after_ms;
  } else {
    delay = cotel__otlp_backoff_ms(
        e->cfg.backoff_initial_ms, e->cfg.backoff_max_ms,
        e->cfg.backoff_multiplier, r->attempts, cotel__otlp_rand_next(&e->rng));
  }
  now = cotel_monotonic_ns();
  /* Waiting past the deadline only to fail then helps nobody. */
  if (cotel__deadline_ns(now, delay) >= r->deadline_ns) {
    cotel_log(COTEL_LOG_DEBUG,
              "otlp: a retry in %llu ms would pass the export deadline",
              (unsigned long long)delay);
    cotel__otlp_req_finish(r, COTEL_ETIMEDOUT);
    return;
  }
  cotel_log(COTEL_LOG_DEBUG, "otlp: retrying %zu spans in %llu ms", r->n_spans,
            (unsigned long long)delay);
  r->state = REQ_BACKOFF;
  /* The loop's cached time may be stale (we may be outside its
   * callbacks): timers count from it, so refresh it first. */
  uv_update_time(e->loop);
  uv_timer_start(&r->timer, on_backoff, delay, 0);
}

static bool text_body(const cotel__otlp_req *r) {
  return !strncasecmp(r->h.content_type, "text/", 5) ||
         !strncasecmp(r->h.content_type, "application/json", 16);
}

static void on_success(cotel__otlp_req *r, const uint8_t *body, size_t len) {
  cotel__otlp_exporter *e = r->e;
  int64_t rejected = 0;
  char msg[256];
  if (cotel__otlp_partial_success(body, len, e->cfg.json, &rejected, msg,
                                  sizeof msg)) {
    /* OTLP spec "Partial Success": log, count, never retry. */
    uint64_t rej = rejected < 0 ? 0 : (uint64_t)rejected;
    if (rej > r->n_spans) rej = r->n_spans;
    ADD(e, partial_successes, 1);
    ADD(e, spans_rejected, rej);
    ADD(e, spans_failed, rej);
    ADD(e, spans_exported, r->n_spans - rej);
    cotel_log(COTEL_LOG_WARN,
              "otlp: partial success: %lld of %zu spans rejected: %s",
              (long long)rejected, r->n_spans, msg[0] ? msg : "(no message)");
  } else {
    ADD(e, spans_exported, r->n_spans);
  }
  note_success(e);
  cotel__otlp_req_finish(r, 0);
}

bool cotel__otlp_req_sent_whole(cotel__otlp_req *r) {
  curl_off_t up = 0;
  if (!r->h.easy ||
      curl_easy_getinfo(r->h.easy, CURLINFO_SIZE_UPLOAD_T, &up) != CURLE_OK)
    return false;
  return up > 0 && (size_t)up >= r->body.len;
}

/* libcurl failed the transfer (no complete response). */
static void on_transport_error(cotel__otlp_req *r) {
  cotel__http_req *h = &r->h;
  /* Sent in full, then a timeout or a cut: the receiver may have it. */
  r->in_doubt = cotel__otlp_req_sent_whole(r);
  cotel__otlp_transport_cause(r->e, h, r->cause, sizeof r->cause);
  cotel_log(COTEL_LOG_DEBUG, "otlp: %s", r->cause);
  if (cotel__otlp_curl_retryable(h->curl_rc))
    req_retry(r, -1, COTEL_ERETRY);
  else
    cotel__otlp_req_finish(r, COTEL_EEXPORT);
}

static void on_grpc_header(cotel__http_req *h, const char *line, size_t n) {
  cotel__otlp_req *r = container_of(h, cotel__otlp_req, h);
  cotel__grpc_header(&r->grpc, line, n);
}

/* OTLP spec "OTLP/gRPC Response": grpc-status from the trailers (or the
 * headers of a trailers-only response); OK carries an
 * ExportTraceServiceResponse, which may hold a partial success. */
static void on_grpc_done(cotel__otlp_req *r) {
  cotel__http_req *h = &r->h;
  int code = r->grpc.status;
  char nbuf[16];
  const uint8_t *msg;
  size_t len;
  bool has_ri = false;
  uint64_t ri_ms = 0;
  if (h2c(r->e)) {
    cotel__otlp_exporter *e = r->e;
    bool was_connector = e->h2c_connector == r;
    if (h->curl_rc == CURLE_OK && h->http_version == CURL_HTTP_VERSION_2_0)
      e->h2c_up = true;
    else if (h->curl_rc != CURLE_OK)
      e->h2c_up = false;
    if (was_connector) e->h2c_connector = NULL;
    if (h->curl_rc != CURLE_OK && r->reused && !e->shutting) {
      /* The connection we reused is gone (a reset, the server's idle
       * close): reconnect at once, as gRPC clients do. */
      cotel_log(COTEL_LOG_DEBUG, "otlp: %s: %s; reconnecting", e->cfg.url,
                h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->curl_rc));
      req_attempt(r);
      h2c_kick(e);
      return;
    }
    if (was_connector) h2c_kick(e);
  }
  if (h->curl_rc != CURLE_OK) {
    on_transport_error(r);
    return;
  }
  if (h->http_version != CURL_HTTP_VERSION_2_0) {
    snprintf(r->cause, sizeof r->cause,
             "%s answered HTTP %ld over HTTP/1: not a gRPC server (an "
             "OTLP/HTTP port? OTLP/gRPC is usually on 4317)",
             r->e->cfg.url, h->status);
    cotel__otlp_req_finish(r, COTEL_EEXPORT);
    return;
  }
  if (code < 0) {
    /* No grpc-status: the HTTP status says what happened (grpc
     * "http-grpc-status-mapping.md"). */
    code = h->status == 200 ? COTEL__GRPC_UNKNOWN
                            : cotel__grpc_status_from_http(h->status);
    snprintf(r->grpc.message, sizeof r->grpc.message,
             "HTTP %ld without grpc-status (not a gRPC server?)", h->status);
  }
  if (code == COTEL__GRPC_OK) {
    if (cotel__grpc_unframe(h->resp.data, h->resp.len, &msg, &len) != 0)
      msg = NULL, len = 0; /* unreadable: a full success all the same */
    on_success(r, msg, len);
    return;
  }
  if (r->grpc.details[0])
    has_ri = cotel__grpc_retry_info(r->grpc.details, strlen(r->grpc.details),
                                    &ri_ms);
  snprintf(r->cause, sizeof r->cause, "answered gRPC %s%s%s",
           cotel__grpc_code_name(code, nbuf), r->grpc.message[0] ? ": " : "",
           r->grpc.message);
  if (cotel__grpc_retryable(code, has_ri)) {
    cotel_log(COTEL_LOG_DEBUG, "otlp: %s (retryable)", r->cause);
    req_retry(r, has_ri ? (int64_t)ri_ms : -1, COTEL_ERETRY);
    return;
  }
  cotel__otlp_req_finish(r, COTEL_EEXPORT);
}

static void on_http_done(cotel__http_req *h) {
  cotel__otlp_req *r = container_of(h, cotel__otlp_req, h);
  long st = h->status;
  r->in_doubt = false; /* an answer, unless on_transport_error says not */
  if (r->e->cfg.grpc) {
    on_grpc_done(r);
    return;
  }
  if (h->curl_rc != CURLE_OK) {
    on_transport_error(r);
    return;
  }
  if (st >= 200 && st < 300) {
    on_success(r, h->resp.data, h->resp.len);
  } else if (cotel__otlp_status_retryable(st)) {
    int64_t after = cotel__otlp_retry_after_ms(h);
    snprintf(r->cause, sizeof r->cause, "answered HTTP %ld", st);
    cotel_log(COTEL_LOG_DEBUG, "otlp: HTTP %ld (retryable)", st);
    req_retry(r, after, COTEL_ERETRY);
  } else {
    /* Not retryable (OTLP spec "Failures"): the body, when it is text, says
     * why; a protobuf google.rpc.Status is not decoded. */
    char said[201] = "";
    if (text_body(r))
      cotel__utf8_printable(said, sizeof said, (const char *)h->resp.data,
                            h->resp.len);
    snprintf(r->cause, sizeof r->cause, "answered HTTP %ld%s%s", st,
             said[0] ? ": " : "", said);
    if (st == 404 || st == 405 || st == 415)
      snprintf(r->cause + strlen(r->cause), sizeof r->cause - strlen(r->cause),
               " (is %s an OTLP/HTTP traces endpoint?)", r->e->cfg.url);
    cotel__otlp_req_finish(r, COTEL_EEXPORT);
  }
}

static void req_attempt(cotel__otlp_req *r) {
  cotel__otlp_exporter *e = r->e;
  uint64_t now = cotel_monotonic_ns(), ms;
  int rc;
  if (now >= r->deadline_ns) {
    cotel__otlp_req_finish(r, COTEL_ETIMEDOUT);
    return;
  }
  if (h2c(e) && !e->h2c_up && e->h2c_connector && e->h2c_connector != r) {
    r->state = REQ_WAIT; /* until the connection is up (or failed) */
    return;
  }
  /* A gRPC retry gets a fresh easy handle: a finished HTTP/2 one added
   * again may fail without sending anything. */
  if (e->cfg.grpc && r->attempts > 0) {
    curl_easy_cleanup(r->h.easy);
    r->h.easy = NULL;
    if ((rc = easy_setup(e, r)) != 0) {
      cotel__otlp_req_finish(r, rc);
      return;
    }
  }
  /* Each attempt gets what is left of the call's budget. */
  ms = cotel__ms_until(r->deadline_ns, now);
  curl_easy_setopt(r->h.easy, CURLOPT_TIMEOUT_MS, (long)ms);
  cotel__http_req_prepare(&r->h);
  r->h.done = on_http_done;
  if (e->cfg.grpc) {
    /* The server learns the same budget (gRPC "grpc-timeout"). */
    cotel__grpc_timeout_header(ms, r->timeout_line);
    cotel__grpc_result_reset(&r->grpc);
    r->h.on_header = on_grpc_header;
  }
  if (h2c(e)) {
    /* libcurl 7.88 (Debian 12) breaks an h2c connection that a second
     * prior-knowledge transfer reuses ("Error in the HTTP2 framing
     * layer", curl issue 10634, fixed in 8.0). So only the request that
     * opens the connection asks for prior knowledge; the others, once it
     * is up, ask for plain HTTP/2, which reuses (multiplexes on) it. */
    r->reused = e->h2c_up;
    if (!e->h2c_up) e->h2c_connector = r;
    curl_easy_setopt(r->h.easy, CURLOPT_HTTP_VERSION,
                     e->h2c_up ? (long)CURL_HTTP_VERSION_2_0
                               : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    /* And a prior-knowledge request must never land on a cached
     * connection (one a timed-out stream left behind, say). */
    curl_easy_setopt(r->h.easy, CURLOPT_FRESH_CONNECT, e->h2c_up ? 0L : 1L);
  }
  r->attempts++;
  r->state = REQ_IN_FLIGHT;
  ADD(e, requests, 1);
  ADD(e, bytes_sent, r->body.len);
  if (r->attempts > 1) ADD(e, retries, 1);
  if ((rc = cotel__http_start(&e->http, &r->h)) != 0)
    cotel__otlp_req_finish(r, rc);
}

int64_t cotel__otlp_retry_after_ms(const cotel__http_req *h) {
  uint64_t ms = 0;
  if (h->retry_after[0] &&
      cotel__otlp_parse_retry_after(
          h->retry_after, strlen(h->retry_after),
          (int64_t)(cotel_time_now_ns() / COTEL__NS_PER_S), &ms) == 0)
    return (int64_t)ms;
  return -1;
}

int cotel__otlp_easy_setup(cotel__otlp_exporter *e, cotel__http_req *h,
                           const cotel__buf *body) {
  CURL *c = curl_easy_init();
  if (!c) return COTEL_ENOMEM;
  h->easy = c;
  curl_easy_setopt(c, CURLOPT_URL, e->cfg.url);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body->data);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, e->cfg.headers);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  if (e->cfg.ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, e->cfg.ca_file);
  if (e->cfg.cert_file) curl_easy_setopt(c, CURLOPT_SSLCERT, e->cfg.cert_file);
  if (e->cfg.key_file) curl_easy_setopt(c, CURLOPT_SSLKEY, e->cfg.key_file);
  if (e->cfg.insecure) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  return 0;
}

/* The request's handle: OTLP/HTTP as the spool's replay makes it, plus, for
 * gRPC, the per-attempt grpc-timeout and HTTP/2. */
static int easy_setup(cotel__otlp_exporter *e, cotel__otlp_req *r) {
  int rc = cotel__otlp_easy_setup(e, &r->h, &r->body);
  if (rc || !e->cfg.grpc) return rc;
  CURL *c = r->h.easy;
  /* One list node of our own in front of the shared headers: the
   * per-attempt grpc-timeout (libcurl only reads the list). */
  r->timeout_h.data = r->timeout_line;
  r->timeout_h.next = e->cfg.headers;
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, &r->timeout_h);
  /* h2c with prior knowledge on http://, ALPN h2 on https:// (gRPC
   * "PROTOCOL-HTTP2.md"); wait for the shared connection rather than
   * open another. */
  if (!h2c(e))
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
  return 0;
}

/* Start one request for the body in e->scratch. */
static int req_new(cotel__otlp_exporter *e, cotel__otlp_call *call, size_t n,
                   uint64_t deadline_ns) {
  cotel__otlp_req *r = calloc(1, sizeof *r);
  int rc;
  if (!r) return COTEL_ENOMEM;
  cotel__buf_init(&r->body);
  cotel__buf_init(&r->h.resp);
  if (e->cfg.gzip) {
    rc = cotel__gzip(e->scratch.data, e->scratch.len, &r->body);
  } else {
    r->body = e->scratch; /* hand the buffer over */
    cotel__buf_init(&e->scratch);
    rc = 0;
  }
  if (rc == 0 && e->cfg.grpc) rc = cotel__grpc_frame(&r->body, e->cfg.gzip);
  /* Behind a spool backlog, the request queues on disk (in order). The
   * spool is OTLP/HTTP only (config_build.c). */
  if (rc == 0 && cotel__otlp_spool_divert(e, &r->body, n)) {
    cotel__buf_free(&r->body);
    free(r);
    return 0;
  }
  if (rc == 0) rc = easy_setup(e, r);
  if (rc != 0) {
    if (r->h.easy) curl_easy_cleanup(r->h.easy);
    cotel__buf_free(&r->body);
    free(r);
    return rc;
  }
  r->e = e;
  r->call = call;
  r->n_spans = n;
  r->deadline_ns = deadline_ns;
  uv_timer_init(e->loop, &r->timer);
  r->timer.data = r;
  e->open_handles++;
  r->next = e->reqs;
  if (r->next) r->next->prev = r;
  e->reqs = r;
  if (e->n_reqs++ == 0) uv_ref((uv_handle_t *)&e->pin);
  call->pending++;
  req_attempt(r);
  return 0;
}

static void fail_spans(cotel__otlp_exporter *e, cotel__otlp_call *call,
                       size_t n, int rc) {
  ADD(e, spans_failed, n);
  if (call->rc == 0) call->rc = rc;
  cotel_log(COTEL_LOG_WARN, "otlp: %zu spans not exported: %s", n,
            cotel_strerror(rc));
}

/* Encode spans[0..n) and send them, halving while a request would be over
 * max_request_bytes. */
void cotel__otlp_submit(cotel__otlp_exporter *e, cotel__otlp_call *call,
                        const cotel_span_data *const *spans, size_t n,
                        uint64_t deadline_ns) {
  int rc = e->cfg.json ? cotel__otlp_encode_json(spans, n, &e->scratch)
                       : cotel__otlp_encode_pb(spans, n, &e->scratch);
  if (rc != 0) {
    fail_spans(e, call, n, rc);
    return;
  }
  if (e->cfg.max_request_bytes && e->scratch.len > e->cfg.max_request_bytes &&
      n > 1) {
    if (!call->split) {
      call->split = true;
      ADD(e, splits, 1);
    }
    cotel__otlp_submit(e, call, spans, n / 2, deadline_ns);
    cotel__otlp_submit(e, call, spans + n / 2, n - n / 2, deadline_ns);
    return;
  }
  if ((rc = req_new(e, call, n, deadline_ns)) != 0) fail_spans(e, call, n, rc);
}
