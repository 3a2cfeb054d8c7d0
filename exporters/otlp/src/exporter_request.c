/* OTLP exporter requests: one HTTP POST per batch (or part of a split
 * batch), retried on its own within its export call's deadline.
 *
 * OTLP spec "Retryable Response Codes" and "OTLP/HTTP Throttling": 429,
 * 502, 503, 504 and transport failures are retried with exponential backoff
 * and jitter, or after Retry-After; everything else is final. "Partial
 * Success": logged and counted, never retried. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exporter_internal.h"
#include "spool_hooks.h"
#include "cotel/internal/otlp_response.h"
#include "cotel/internal/otlp_encode.h"
#include "cotel/internal/otlp_retry.h"
#include "cotel/internal/http.h"

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
    cotel_log(COTEL_LOG_WARN,
              "otlp: export of %zu spans to %s failed after %u attempt(s): %s",
              r->n_spans, e->cfg.url, r->attempts, cotel_strerror(rc));
  }
  r->state = REQ_DONE;
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
  if (e->shutting && e->n_reqs == 0) cotel__otlp_close_all(e);
}

static void req_attempt(cotel__otlp_req *r);

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
  if (now + delay * 1000000u >= r->deadline_ns) {
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

static void on_success(cotel__otlp_req *r) {
  cotel__otlp_exporter *e = r->e;
  int64_t rejected = 0;
  char msg[256];
  if (cotel__otlp_partial_success(r->h.resp.data, r->h.resp.len, e->cfg.json,
                                  &rejected, msg, sizeof msg)) {
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
  cotel__otlp_req_finish(r, 0);
}

static void on_http_done(cotel__http_req *h) {
  cotel__otlp_req *r = container_of(h, cotel__otlp_req, h);
  long st = h->status;
  if (h->curl_rc != CURLE_OK) {
    cotel_log(COTEL_LOG_DEBUG, "otlp: %s: %s", r->e->cfg.url,
              h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->curl_rc));
    if (cotel__otlp_curl_retryable(h->curl_rc)) {
      req_retry(r, -1, COTEL_ERETRY);
    } else {
      cotel_log(COTEL_LOG_WARN, "otlp: %s: %s", r->e->cfg.url,
                h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->curl_rc));
      cotel__otlp_req_finish(r, COTEL_EEXPORT);
    }
    return;
  }
  if (st >= 200 && st < 300) {
    on_success(r);
  } else if (cotel__otlp_status_retryable(st)) {
    uint64_t ms = 0;
    int64_t after = -1;
    if (h->retry_after[0] &&
        cotel__otlp_parse_retry_after(
            h->retry_after, strlen(h->retry_after),
            (int64_t)(cotel_time_now_ns() / 1000000000u), &ms) == 0)
      after = (int64_t)ms;
    cotel_log(COTEL_LOG_DEBUG, "otlp: HTTP %ld (retryable)", st);
    req_retry(r, after, COTEL_ERETRY);
  } else {
    /* Not retryable (OTLP spec "Failures"): the body, when it is text, says
     * why; a protobuf google.rpc.Status is not decoded. */
    int n = (int)(h->resp.len < 200 ? h->resp.len : 200);
    cotel_log(COTEL_LOG_WARN, "otlp: %s answered HTTP %ld%s%.*s", r->e->cfg.url,
              st, text_body(r) && n ? ": " : "", text_body(r) ? n : 0,
              (const char *)h->resp.data);
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
  /* Each attempt gets what is left of the call's budget. */
  ms = (r->deadline_ns - now + 999999u) / 1000000u;
  curl_easy_setopt(r->h.easy, CURLOPT_TIMEOUT_MS, (long)ms);
  cotel__http_req_prepare(&r->h);
  r->h.done = on_http_done;
  r->attempts++;
  r->state = REQ_IN_FLIGHT;
  ADD(e, requests, 1);
  ADD(e, bytes_sent, r->body.len);
  if (r->attempts > 1) ADD(e, retries, 1);
  if ((rc = cotel__http_start(&e->http, &r->h)) != 0)
    cotel__otlp_req_finish(r, rc);
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
  /* Behind a spool backlog, the request queues on disk (in order). */
  if (rc == 0 && cotel__otlp_spool_divert(e, &r->body, n)) {
    cotel__buf_free(&r->body);
    free(r);
    return 0;
  }
  if (rc == 0) rc = cotel__otlp_easy_setup(e, &r->h, &r->body);
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
