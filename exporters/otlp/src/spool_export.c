/* The disk spool in the OTLP exporter (a cotel extension): what goes in,
 * and the replay.
 *
 * In: a request whose attempt failed in a retryable way (connection
 * refused or reset, timeout, 429/502/503/504) is appended to the spool at
 * once instead of being retried from memory; it is flagged "maybe
 * delivered" when the failure came after the request may have reached the
 * receiver (a timeout, a cut response, a shutdown that aborted it). While
 * the spool holds anything, new requests are appended behind it, so the
 * order is kept and the processor's queue keeps draining at disk speed
 * instead of filling up while the endpoint is away.
 *
 * Out: one replay request at a time, oldest record first, on the exporter's
 * loop. A retryable failure waits (Retry-After, else the exporter's backoff
 * schedule, growing up to its maximum) and tries the same record again; a
 * delivery moves to the next record at once; a final refusal (e.g. 400)
 * drops the record and counts it. Delivery is at-least-once: before each
 * replay the cursor records that the record is on the wire, so a crash
 * before the answer makes the next run send it again, counted in
 * spool_spans_duplicated. */
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/otlp_response.h"
#include "cotel/internal/otlp_retry.h"
#include "spool.h"
#include "spool_hooks.h"

typedef struct cotel__otlp_spool_ctx {
  cotel__otlp_exporter *e;
  cotel__spool *s;
  bool off;      /* after fork: the parent's */
  bool started;  /* the timer exists */
  bool sending;  /* a replay request is in flight */
  bool stopping; /* shutdown: no more replays */
  cotel__http_req h;
  cotel__buf body;
  uint32_t spans;
  bool own;
  uv_timer_t timer;
  unsigned failures; /* consecutive failed replays */
  int64_t hint_ms;   /* Retry-After of the last failure, or -1 */
} cotel__otlp_spool_ctx;

#define SP_GET(s, f) atomic_load_explicit(&(s)->c.f, memory_order_relaxed)

static cotel__otlp_spool_ctx *active(cotel__otlp_exporter *e) {
  cotel__otlp_spool_ctx *x = e->spool;
  return x && !x->off ? x : NULL;
}

void cotel__otlp_spool_new(cotel__otlp_exporter *e) {
  cotel__otlp_spool_ctx *x;
  int rc;
  if (!e->cfg.spool_dir) return;
  if (!(x = calloc(1, sizeof *x))) {
    cotel_log(COTEL_LOG_WARN, "otlp spool: out of memory; not spooling");
    return;
  }
  rc = cotel__spool_open(e->cfg.spool_dir, e->cfg.spool_max_bytes, &x->s);
  if (rc != 0) {
    cotel_log(COTEL_LOG_WARN, "otlp spool: cannot use %s (%s); not spooling",
              e->cfg.spool_dir, cotel_strerror(rc));
    free(x);
    return;
  }
  x->e = e;
  x->hint_ms = -1;
  cotel__buf_init(&x->body);
  cotel__buf_init(&x->h.resp);
  e->spool = x;
}

void cotel__otlp_spool_free(cotel__otlp_exporter *e) {
  cotel__otlp_spool_ctx *x = e->spool;
  if (!x) return;
  if (x->h.easy) curl_easy_cleanup(x->h.easy);
  cotel__spool_close(x->s);
  cotel__buf_free(&x->body);
  cotel__buf_free(&x->h.resp);
  free(x);
  e->spool = NULL;
}

static void replay_next(cotel__otlp_spool_ctx *x);

static void on_timer(uv_timer_t *t) {
  replay_next((cotel__otlp_spool_ctx *)t->data);
}

static void schedule(cotel__otlp_spool_ctx *x, uint64_t ms) {
  if (!x->started || x->stopping || x->sending) return;
  uv_update_time(x->e->loop);
  uv_timer_start(&x->timer, on_timer, ms, 0);
}

/* After a failed replay, or a fresh failure: when to try the head again. */
static uint64_t next_delay(cotel__otlp_spool_ctx *x) {
  cotel__otlp_exporter *e = x->e;
  if (x->hint_ms >= 0) {
    uint64_t ms = (uint64_t)x->hint_ms;
    x->hint_ms = -1;
    return ms;
  }
  return cotel__otlp_backoff_ms(
      e->cfg.backoff_initial_ms, e->cfg.backoff_max_ms,
      e->cfg.backoff_multiplier, x->failures ? x->failures : 1,
      cotel__otlp_rand_next(&e->rng));
}

void cotel__otlp_spool_start(cotel__otlp_exporter *e) {
  cotel__otlp_spool_ctx *x = active(e);
  if (!x) return;
  uv_timer_init(e->loop, &x->timer);
  x->timer.data = x;
  /* Replays never keep a loop alive on their own (a private loop would
   * make every export wait for the spool to drain). */
  uv_unref((uv_handle_t *)&x->timer);
  e->open_handles++;
  x->started = true;
  if (cotel__spool_pending(x->s)) schedule(x, 0);
}

void cotel__otlp_spool_forget(cotel__otlp_exporter *e) {
  cotel__otlp_spool_ctx *x = active(e);
  if (!x) return;
  cotel_log(COTEL_LOG_WARN,
            "otlp spool: a forked child does not spool (the parent keeps %s)",
            e->cfg.spool_dir);
  /* Only the parent's loop may touch the handles and the easy handle. */
  x->h.easy = NULL;
  x->sending = false;
  x->started = false;
  cotel__spool_abandon(x->s);
  x->s = NULL;
  x->off = true;
}

void cotel__otlp_spool_shutdown(cotel__otlp_exporter *e) {
  cotel__otlp_spool_ctx *x = active(e);
  if (!x || !x->started) return;
  x->stopping = true;
  uv_timer_stop(&x->timer);
  if (x->sending) {
    /* Its record stays first in the spool, marked as possibly delivered. */
    cotel__http_cancel(&e->http, &x->h);
    x->sending = false;
  }
}

static void on_timer_closed(uv_handle_t *h) {
  cotel__otlp_spool_ctx *x = (cotel__otlp_spool_ctx *)h->data;
  x->e->open_handles--;
}

void cotel__otlp_spool_close_handles(cotel__otlp_exporter *e) {
  cotel__otlp_spool_ctx *x = active(e);
  if (!x || !x->started) return;
  cotel__otlp_spool_shutdown(e);
  x->started = false;
  uv_close((uv_handle_t *)&x->timer, on_timer_closed);
}

/* ---- in ----------------------------------------------------------------- */

/* Failures after which a request may have reached the receiver. */
static bool maybe_delivered(CURLcode c) {
  return c == CURLE_OPERATION_TIMEDOUT || c == CURLE_RECV_ERROR ||
         c == CURLE_GOT_NOTHING || c == CURLE_PARTIAL_FILE;
}

static uint32_t rec_flags(const cotel__otlp_exporter *e, bool maybe) {
  return (e->cfg.json ? COTEL__SPOOL_JSON : 0u) |
         (e->cfg.gzip ? COTEL__SPOOL_GZIP : 0u) |
         (maybe ? COTEL__SPOOL_MAYBE : 0u);
}

/* Append; true when the spool took (or, over its budget, dropped) it. */
static bool put(cotel__otlp_spool_ctx *x, const cotel__buf *body, size_t n,
                bool maybe) {
  int rc = cotel__spool_append(x->s, body->data, body->len, (uint32_t)n,
                               rec_flags(x->e, maybe));
  if (rc != 0 && rc != COTEL_EFULL) return false;
  if (!x->sending && !uv_is_active((uv_handle_t *)&x->timer))
    schedule(x, next_delay(x));
  return true;
}

bool cotel__otlp_spool_divert(cotel__otlp_exporter *e, cotel__buf *body,
                              size_t n) {
  cotel__otlp_spool_ctx *x = active(e);
  if (!x || !x->started || (!x->sending && !cotel__spool_pending(x->s)))
    return false;
  return put(x, body, n, false);
}

bool cotel__otlp_spool_retry(cotel__otlp_req *r, int64_t after_ms, int rc) {
  cotel__otlp_spool_ctx *x = active(r->e);
  if (!x || !x->started) return false;
  if (after_ms >= 0) x->hint_ms = after_ms;
  cotel__otlp_req_finish(r, rc); /* spool_absorb takes it */
  return true;
}

bool cotel__otlp_spool_absorb(cotel__otlp_exporter *e, cotel__otlp_req *r,
                              int rc) {
  cotel__otlp_spool_ctx *x = active(e);
  CURLcode c = r->h.curl_rc;
  bool maybe;
  if (!x || !x->started) return false;
  /* A final refusal (4xx, TLS, a bad URL) would be refused again. */
  if (rc != COTEL_ERETRY && rc != COTEL_ETIMEDOUT && rc != COTEL_ESTATE)
    return false;
  /* Sent but unanswered: timed out, cut, or aborted by a shutdown (its
   * transfer cancelled: no result). A refused connection or a 503 was not
   * delivered. */
  maybe = maybe_delivered(c) ||
          (r->state == REQ_IN_FLIGHT && c == CURLE_OK && r->h.status == 0);
  if (!put(x, &r->body, r->n_spans, maybe)) return false;
  cotel_log(COTEL_LOG_DEBUG, "otlp spool: %zu spans spooled (%s)", r->n_spans,
            cotel_strerror(rc));
  return true;
}

/* ---- out ---------------------------------------------------------------- */

static void replay_failed(cotel__otlp_spool_ctx *x) {
  x->failures++;
  schedule(x, next_delay(x));
}

/* The head record is done with: count it, go on with the next one. */
static void replay_settled(cotel__otlp_spool_ctx *x, bool delivered,
                           uint64_t rejected) {
  cotel__otlp_exporter *e = x->e;
  uint32_t own = cotel__spool_ack(x->s, delivered);
  if (own && delivered) {
    if (rejected > own) rejected = own;
    ADD(e, spans_exported, own - rejected);
    ADD(e, spans_failed, rejected);
  }
  x->failures = 0;
  schedule(x, 0);
}

static void on_replay_done(cotel__http_req *h) {
  cotel__otlp_spool_ctx *x = container_of(h, cotel__otlp_spool_ctx, h);
  cotel__otlp_exporter *e = x->e;
  long st = h->status;
  x->sending = false;
  if (h->curl_rc != CURLE_OK) {
    /* Even a TLS failure is waited out: the records are worth more than
     * the retries, and the budget bounds the disk. */
    cotel_log(COTEL_LOG_DEBUG, "otlp spool: replay to %s: %s", e->cfg.url,
              h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->curl_rc));
    cotel__spool_unsent(x->s, maybe_delivered(h->curl_rc));
    replay_failed(x);
  } else if (st >= 200 && st < 300) {
    int64_t rejected = 0;
    char msg[256];
    if (cotel__otlp_partial_success(h->resp.data, h->resp.len, e->cfg.json,
                                    &rejected, msg, sizeof msg)) {
      ADD(e, partial_successes, 1);
      ADD(e, spans_rejected, rejected > 0 ? (uint64_t)rejected : 0u);
    }
    replay_settled(x, true, rejected > 0 ? (uint64_t)rejected : 0u);
  } else if (cotel__otlp_status_retryable(st)) {
    int64_t after = cotel__otlp_retry_after_ms(h);
    if (after >= 0) x->hint_ms = after;
    cotel__spool_unsent(x->s, false); /* the server said no */
    replay_failed(x);
  } else {
    cotel_log(COTEL_LOG_WARN,
              "otlp spool: %s refused a spooled request (HTTP %ld); its %u "
              "spans are dropped",
              e->cfg.url, st, x->spans);
    replay_settled(x, false, 0);
  }
}

static void replay_next(cotel__otlp_spool_ctx *x) {
  cotel__otlp_exporter *e = x->e;
  uint32_t flags;
  bool maybe;
  int rc;
  if (!x->started || x->stopping || x->sending) return;
  for (;;) {
    rc = cotel__spool_peek(x->s, &x->body, &x->spans, &flags, &x->own, &maybe);
    if (rc == COTEL_ENOTFOUND) return; /* drained */
    if (rc != 0) {
      replay_failed(x);
      return;
    }
    if (((flags & COTEL__SPOOL_JSON) != 0) == e->cfg.json &&
        ((flags & COTEL__SPOOL_GZIP) != 0) == e->cfg.gzip)
      break;
    cotel_log(COTEL_LOG_WARN,
              "otlp spool: a record in another protocol or compression than "
              "configured; its %u spans are dropped",
              x->spans);
    cotel__spool_ack(x->s, false);
  }
  if (x->h.easy) curl_easy_cleanup(x->h.easy);
  x->h.easy = NULL;
  if ((rc = cotel__otlp_easy_setup(e, &x->h, &x->body)) != 0) {
    replay_failed(x);
    return;
  }
  curl_easy_setopt(x->h.easy, CURLOPT_TIMEOUT_MS, (long)e->cfg.timeout_ms);
  cotel__http_req_prepare(&x->h);
  x->h.done = on_replay_done;
  cotel__spool_sending(x->s);
  ADD(e, requests, 1);
  ADD(e, retries, 1);
  ADD(e, bytes_sent, x->body.len);
  if (cotel__http_start(&e->http, &x->h) != 0) {
    replay_failed(x);
    return;
  }
  x->sending = true;
}

/* ---- counters ----------------------------------------------------------- */

uint64_t cotel__otlp_spool_failed(cotel__otlp_exporter *e) {
  cotel__otlp_spool_ctx *x = e->spool;
  return x && x->s ? SP_GET(x->s, dropped_own) : 0;
}

void cotel__otlp_spool_stats(cotel__otlp_exporter *e, cotel_otlp_stats *out) {
  cotel__otlp_spool_ctx *x = e->spool;
  cotel__spool *s = x ? x->s : NULL;
  out->spool_spans_written = s ? SP_GET(s, written) : 0;
  out->spool_spans_replayed = s ? SP_GET(s, replayed) : 0;
  out->spool_spans_recovered = s ? SP_GET(s, recovered) : 0;
  out->spool_spans_dropped = s ? SP_GET(s, dropped) : 0;
  out->spool_spans_duplicated = s ? SP_GET(s, duplicated) : 0;
  out->spool_records_corrupt = s ? SP_GET(s, corrupt) : 0;
  out->spool_spans_pending = s ? SP_GET(s, pending_own) : 0;
  out->spool_bytes = s ? SP_GET(s, bytes) : 0;
}
