/* The OTLP/HTTP span exporter (cotel_exporter interface).
 *
 * export_spans encodes the batch at once (so the spans are not needed once
 * it returns, although the processor keeps them until `done`), splits it
 * when the request would exceed max_request_bytes, and starts one HTTP
 * request per part on the processor's loop. Each request is retried on its
 * own (OTLP spec "Retryable Response Codes", "OTLP/HTTP Throttling") within
 * the deadline of its export call; `done` is called once every part is
 * finished, with 0 only if all of them succeeded.
 *
 * This file is the lifecycle (start, export, shutdown, destroy); the
 * requests and their retries are in exporter_request.c. All state but the
 * counters is touched only on the loop thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cotel/internal/abi.h"
#include "cotel/internal/time.h"
#include "cotel/otlp.h"
#include "exporter_internal.h"
#include "spool_hooks.h"
#include "cotel/internal/otlp_encode.h"
#include "cotel/internal/http.h"

static const char exporter_name[] = "otlp";

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- loop handles ---------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h) {
  cotel__otlp_exporter *e = (cotel__otlp_exporter *)h->data;
  e->open_handles--;
}

static void on_http_closed(cotel__http *h) {
  cotel__otlp_exporter *e = container_of(h, cotel__otlp_exporter, http);
  e->open_handles--;
}

void cotel__otlp_close_all(cotel__otlp_exporter *e) {
  if (e->closing || !e->started) return;
  e->closing = true;
  cotel__http_close(&e->http, on_http_closed);
  uv_close((uv_handle_t *)&e->pin, on_handle_closed);
  uv_timer_stop(&e->shutdown_timer);
  uv_close((uv_handle_t *)&e->shutdown_timer, on_handle_closed);
  cotel__otlp_spool_close_handles(e);
}

static void on_pin(uv_async_t *a) {
  (void)a;
}

/* In a child after fork(), the batch processor restarts on a new loop and
 * calls start() again. Everything tied to the parent's loop and sockets is
 * abandoned, not closed: the loop is not ours to run any more, and closing
 * curl's connections could write to sockets the parent still uses (a TLS
 * close_notify). The leak is bounded by what was in flight at fork. */
static void forget_parent_state(cotel__otlp_exporter *e) {
  cotel_log(COTEL_LOG_DEBUG,
            "otlp: restarting after fork; %zu request(s) "
            "of the parent abandoned",
            e->n_reqs);
  e->reqs = NULL;
  e->n_reqs = 0;
  e->h2c_up = false; /* the parent's connection is not ours */
  e->h2c_connector = NULL;
  e->own_loop = NULL;
  e->loop = NULL;
  e->open_handles = 0;
  e->closing = false;
  e->started = false;
  memset(&e->http, 0, sizeof e->http);
  cotel__otlp_spool_forget(e);
}

static int exp_start(cotel_exporter *self, struct uv_loop_s *loop) {
  cotel__otlp_exporter *e = (cotel__otlp_exporter *)self;
  int rc;
  if (e->started && !e->shutting && e->pid != getpid()) forget_parent_state(e);
  if (e->started || e->shutting) return COTEL_ESTATE;
  if (!loop) {
    e->own_loop = malloc(sizeof *e->own_loop);
    if (!e->own_loop) return COTEL_ENOMEM;
    if (uv_loop_init(e->own_loop) != 0) {
      free(e->own_loop);
      e->own_loop = NULL;
      return COTEL_ESYS;
    }
    loop = e->own_loop;
  }
  e->loop = loop;
  if ((rc = cotel__http_init(&e->http, loop)) != 0) goto fail;
  uv_async_init(loop, &e->pin, on_pin);
  e->pin.data = e;
  uv_unref((uv_handle_t *)&e->pin);
  uv_timer_init(loop, &e->shutdown_timer);
  e->shutdown_timer.data = e;
  e->open_handles = 3; /* http, pin, shutdown timer */
  e->started = true;
  e->pid = getpid();
  cotel__otlp_spool_start(e);
  return 0;
fail:
  if (e->own_loop) {
    uv_loop_close(e->own_loop);
    free(e->own_loop);
    e->own_loop = NULL;
  }
  return rc;
}

static void exp_export(cotel_exporter *self,
                       const cotel_span_data *const *spans, size_t n,
                       cotel_export_done_fn done, void *done_arg) {
  cotel__otlp_exporter *e = (cotel__otlp_exporter *)self;
  cotel__otlp_call *call;
  if (!e->started && !e->shutting && exp_start(self, NULL) != 0) {
    ADD(e, spans_failed, n);
    done(done_arg, COTEL_ESTATE);
    return;
  }
  if (e->shutting || !e->started) {
    ADD(e, spans_failed, n);
    done(done_arg, COTEL_ESTATE);
    return;
  }
  if (n == 0) {
    done(done_arg, 0);
    return;
  }
  call = calloc(1, sizeof *call);
  if (!call) {
    ADD(e, spans_failed, n);
    done(done_arg, COTEL_ENOMEM);
    return;
  }
  call->done = done;
  call->done_arg = done_arg;
  call->pending = 1; /* held until every part is submitted */
  cotel__otlp_submit(e, call, spans, n,
                     cotel_monotonic_ns() +
                         (uint64_t)e->cfg.timeout_ms * COTEL__NS_PER_MS);
  cotel__otlp_call_release(call);
  /* Without the processor's loop, export is synchronous. */
  if (e->own_loop) uv_run(e->own_loop, UV_RUN_DEFAULT);
}

/* ---- shutdown -------------------------------------------------------- */

static void abort_all(cotel__otlp_exporter *e, int rc) {
  while (e->reqs) {
    cotel__otlp_req *r = e->reqs;
    if (r->state == REQ_IN_FLIGHT) {
      r->in_doubt = cotel__otlp_req_sent_whole(r);
      cotel__http_cancel(&e->http, &r->h);
    }
    cotel__otlp_req_finish(r, rc);
  }
}

static void on_shutdown_deadline(uv_timer_t *t) {
  abort_all((cotel__otlp_exporter *)t->data, COTEL_ETIMEDOUT);
}

static void exp_shutdown(cotel_exporter *self, uint64_t deadline_ns) {
  cotel__otlp_exporter *e = (cotel__otlp_exporter *)self;
  uint64_t now = cotel_monotonic_ns();
  if (e->shutting) return;
  e->shutting = true;
  if (!e->started) return;
  cotel__otlp_spool_shutdown(e);
  /* Requests waiting to retry give up now; those on the wire may finish
   * until the deadline. */
  for (cotel__otlp_req *r = e->reqs, *next; r; r = next) {
    next = r->next;
    if (r->state == REQ_BACKOFF) cotel__otlp_req_finish(r, COTEL_ESTATE);
  }
  if (e->n_reqs == 0) {
    cotel__otlp_close_all(e);
  } else if (deadline_ns <= now) {
    abort_all(e, COTEL_ETIMEDOUT);
  } else {
    uint64_t ms = cotel__ms_until(deadline_ns, now);
    uv_update_time(e->loop); /* shutdown may come long after a callback */
    uv_timer_start(&e->shutdown_timer, on_shutdown_deadline, ms, 0);
  }
  if (e->own_loop) uv_run(e->own_loop, UV_RUN_DEFAULT);
}

static void exp_stats(cotel_exporter *self, cotel_stats *acc) {
  cotel__otlp_exporter *e = (cotel__otlp_exporter *)self;
  acc->spans_exported += GET(e, spans_exported);
  acc->spans_export_failed +=
      GET(e, spans_failed) + cotel__otlp_spool_failed(e);
  acc->export_retries += GET(e, retries);
}

static void exp_destroy(cotel_exporter *self) {
  cotel__otlp_exporter *e = (cotel__otlp_exporter *)self;
  if (!e) return;
  if (e->started && !e->closing) {
    if (!e->own_loop)
      cotel_log(COTEL_LOG_WARN, "otlp: exporter destroyed without shutdown");
    exp_shutdown(self, 0);
    cotel__otlp_close_all(e);
    if (e->own_loop) uv_run(e->own_loop, UV_RUN_DEFAULT);
  }
  if (e->started && e->open_handles > 0) {
    /* Its handles are still in a loop that did not run them closed:
     * freeing would leave that loop with dangling pointers. */
    cotel_log(COTEL_LOG_WARN,
              "otlp: exporter destroyed before its loop closed its handles; "
              "leaking it");
    return;
  }
  if (e->own_loop) {
    uv_loop_close(e->own_loop);
    free(e->own_loop);
  }
  cotel__otlp_spool_free(e);
  cotel__buf_free(&e->scratch);
  cotel__otlp_cfg_free(&e->cfg);
  free(e);
}

/* ---- public ---------------------------------------------------------- */

int cotel_otlp_exporter_new_sized(const cotel_otlp_options *o, size_t size,
                                  cotel_exporter **out) {
  cotel_otlp_options env;
  cotel__otlp_exporter *e;
  int rc;
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!o) {
    cotel_otlp_options_from_env(&env);
  } else if ((rc = cotel__otlp_options_in(o, size, &env)) != 0) {
    return rc; /* members the caller's header lacks keep their defaults */
  }
  o = &env;
  pthread_once(&curl_once, curl_init_once);
  e = calloc(1, sizeof *e);
  if (!e) return COTEL_ENOMEM;
  if ((rc = cotel__otlp_cfg_build(o, &e->cfg)) != 0) {
    free(e);
    return rc;
  }
  cotel__buf_init(&e->scratch);
  e->rng = cotel_monotonic_ns() ^ (uint64_t)(uintptr_t)e;
  e->base.name = exporter_name;
  e->base.start = exp_start;
  e->base.export_spans = exp_export;
  e->base.shutdown = exp_shutdown;
  e->base.stats = exp_stats;
  e->base.destroy = exp_destroy;
  e->base.max_concurrent = e->cfg.max_concurrent;
  e->base.counts_spans = true;
  cotel__otlp_spool_new(e);
  *out = &e->base;
  return 0;
}

int cotel_otlp_exporter_new_from_env(cotel_exporter **out) {
  return cotel_otlp_exporter_new(NULL, out);
}

static void collect(cotel__otlp_exporter *e, cotel_otlp_stats *out);

int cotel_otlp_exporter_stats_sized(cotel_exporter *exp, cotel_otlp_stats *out,
                                    size_t size) {
  cotel__otlp_exporter *e = (cotel__otlp_exporter *)exp;
  if (!exp || !out || exp->name != exporter_name) return COTEL_EINVAL;
  if (size < COTEL__SIZE_UPTO(cotel_otlp_stats, bytes_sent))
    return COTEL_EINVAL;
  cotel_otlp_stats full;
  memset(&full, 0, sizeof full);
  collect(e, &full);
  cotel__abi_out(out, size, &full, sizeof full);
  return 0;
}

static void collect(cotel__otlp_exporter *e, cotel_otlp_stats *out) {
  out->spans_exported = GET(e, spans_exported);
  out->spans_failed = GET(e, spans_failed) + cotel__otlp_spool_failed(e);
  out->spans_rejected = GET(e, spans_rejected);
  out->partial_successes = GET(e, partial_successes);
  out->requests = GET(e, requests);
  out->requests_failed = GET(e, requests_failed);
  out->retries = GET(e, retries);
  out->splits = GET(e, splits);
  out->bytes_sent = GET(e, bytes_sent);
  out->spans_failed_in_doubt = GET(e, spans_in_doubt);
  cotel__otlp_spool_stats(e, out);
}

const char *cotel_otlp_exporter_url(cotel_exporter *exp) {
  if (!exp || exp->name != exporter_name) return NULL;
  return ((cotel__otlp_exporter *)exp)->cfg.url;
}
