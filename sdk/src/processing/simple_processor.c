/* Simple span processor (OTel trace SDK "Simple processor"): exports each
 * sampled span as it ends, on the ending thread, one export at a time.
 * Exporters are asynchronous (exporter.h), so the processor owns a private
 * libuv loop and runs it until `done` arrives, bounded by the export
 * timeout. Meant for tests and debugging: the batch processor is the
 * production path. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "cotel/internal/time.h"
#include "cotel/processor.h"
#include "cotel/provider.h"

#define EXPORT_TIMEOUT_MS 30000u

typedef struct simple_proc {
  cotel_span_processor base;
  cotel_exporter *exp;
  pthread_mutex_t mu; /* serialises exports and the loop */
  uv_loop_t *loop;    /* created with the first export */
  uv_timer_t timer;   /* wakes uv_run at the deadline */
  uv_async_t wake;    /* wakes uv_run when done arrives (any thread) */
  bool started, shut_down, exp_shut;
  /* `done` may come from the exporter's own thread. */
  pthread_mutex_t done_mu;
  pthread_cond_t done_cv;
  _Atomic uint64_t exported, failed, dropped;
} simple_proc;

typedef struct wait_state {
  simple_proc *sp;
  pthread_t loop_thread; /* the exporting thread, which runs the loop */
  bool done;
  int rc;
} wait_state;

static void on_done(void *arg, int rc) {
  wait_state *w = arg;
  simple_proc *sp = w->sp;
  /* Everything under done_mu: the waiter cannot return (and free w, or the
   * processor) before we let go of it. uv_run(UV_RUN_ONCE) would otherwise
   * go on to block in poll until the deadline timer, even when done came
   * from a callback it just ran; on the loop's thread uv_stop is enough. */
  pthread_mutex_lock(&sp->done_mu);
  w->done = true;
  w->rc = rc;
  if (pthread_equal(pthread_self(), w->loop_thread))
    uv_stop(sp->loop);
  else
    uv_async_send(&sp->wake);
  pthread_cond_signal(&sp->done_cv);
  pthread_mutex_unlock(&sp->done_mu);
}

static void on_wake(uv_async_t *a) {
  uv_stop(a->loop);
}

static bool is_done(wait_state *w) {
  pthread_mutex_lock(&w->sp->done_mu);
  bool d = w->done;
  pthread_mutex_unlock(&w->sp->done_mu);
  return d;
}

static void on_timer(uv_timer_t *t) {
  (void)t;
}

/* Caller holds mu. */
static int ensure_started(simple_proc *sp) {
  if (sp->started) return 0;
  if (!sp->loop) {
    sp->loop = malloc(sizeof *sp->loop);
    if (!sp->loop) return COTEL_ENOMEM;
    if (uv_loop_init(sp->loop)) {
      free(sp->loop);
      sp->loop = NULL;
      return COTEL_ESYS;
    }
    uv_timer_init(sp->loop, &sp->timer);
    uv_async_init(sp->loop, &sp->wake, on_wake);
    /* Neither keeps the loop alive: "alive" means the exporter has work. */
    uv_unref((uv_handle_t *)&sp->timer);
    uv_unref((uv_handle_t *)&sp->wake);
  }
  int rc = sp->exp->start ? sp->exp->start(sp->exp, sp->loop) : 0;
  if (rc) return rc;
  sp->started = true;
  return 0;
}

/* Run the loop once, waking by the deadline at the latest. */
static void run_once(simple_proc *sp, uint64_t deadline_ns) {
  uint64_t ms = cotel__ms_until(deadline_ns, cotel_monotonic_ns());
  uv_timer_start(&sp->timer, on_timer, ms, 0);
  uv_ref((uv_handle_t *)&sp->timer);
  uv_run(sp->loop, UV_RUN_ONCE);
  uv_timer_stop(&sp->timer);
  uv_unref((uv_handle_t *)&sp->timer);
}

/* Wait for `done`: drive the loop while the exporter has work on it,
 * otherwise wait for another thread to call done. Caller holds mu. */
static bool wait_done(simple_proc *sp, wait_state *w, uint64_t deadline_ns) {
  while (!is_done(w)) {
    if (cotel_monotonic_ns() >= deadline_ns) return false;
    if (uv_loop_alive(sp->loop)) {
      run_once(sp, deadline_ns);
      continue;
    }
    /* Nothing on our loop can finish it: another thread will call done. */
    struct timespec ts = cotel__timespec_of_ns(deadline_ns);
    pthread_mutex_lock(&sp->done_mu);
    if (!w->done) pthread_cond_timedwait(&sp->done_cv, &sp->done_mu, &ts);
    pthread_mutex_unlock(&sp->done_mu);
  }
  return true;
}

static void sp_on_end(cotel_span_processor *self, const cotel_span_data *sd) {
  simple_proc *sp = (simple_proc *)self;
  /* Spec: only sampled spans reach exporters. */
  if (!(sd->context.flags & COTEL_TRACE_FLAG_SAMPLED)) return;
  pthread_mutex_lock(&sp->mu);
  if (sp->shut_down || ensure_started(sp)) {
    pthread_mutex_unlock(&sp->mu);
    atomic_fetch_add(&sp->dropped, 1);
    return;
  }
  wait_state w = {sp, pthread_self(), false, 0};
  /* The exporter may keep the span past done (e.g. in memory): it retains
   * it itself. We hold a reference while the export is in flight. */
  cotel_span_data_retain(sd);
  sp->exp->export_spans(sp->exp, &sd, 1, on_done, &w);
  uint64_t deadline =
      cotel__deadline_ns(cotel_monotonic_ns(), EXPORT_TIMEOUT_MS);
  bool ok = wait_done(sp, &w, deadline);
  if (!ok) {
    /* The exporter still holds &w: fail it now so it cannot call back into
     * a dead stack frame later. */
    if (sp->exp->shutdown) sp->exp->shutdown(sp->exp, cotel_monotonic_ns());
    sp->exp_shut = true;
    while (!is_done(&w) && uv_loop_alive(sp->loop))
      uv_run(sp->loop, UV_RUN_NOWAIT);
    sp->shut_down = true;
    cotel_log(COTEL_LOG_ERROR,
              "simple processor: export timed out; exporter shut down");
  }
  cotel_span_data_release(sd);
  pthread_mutex_unlock(&sp->mu);
  if (ok && w.rc == 0)
    atomic_fetch_add(&sp->exported, 1);
  else
    atomic_fetch_add(&sp->failed, 1);
}

static int sp_force_flush(cotel_span_processor *self, uint64_t timeout_ms) {
  /* Nothing is queued: waiting for an export in progress is enough. */
  (void)timeout_ms;
  simple_proc *sp = (simple_proc *)self;
  pthread_mutex_lock(&sp->mu);
  pthread_mutex_unlock(&sp->mu);
  return 0;
}

static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* Caller holds mu. */
static int close_loop(simple_proc *sp, uint64_t deadline_ns) {
  int rc = 0;
  if (!sp->loop) return 0;
  while (uv_loop_alive(sp->loop)) {
    if (cotel_monotonic_ns() >= deadline_ns) {
      rc = COTEL_ETIMEDOUT;
      break;
    }
    run_once(sp, deadline_ns);
  }
  /* Whatever is left (our timer; an exporter's handles after a timeout). */
  uv_walk(sp->loop, close_walk, NULL);
  while (uv_run(sp->loop, UV_RUN_NOWAIT)) {
  }
  uv_loop_close(sp->loop);
  free(sp->loop);
  sp->loop = NULL;
  return rc;
}

static int sp_shutdown(cotel_span_processor *self, uint64_t timeout_ms) {
  simple_proc *sp = (simple_proc *)self;
  uint64_t deadline = cotel__deadline_ns(cotel_monotonic_ns(), timeout_ms);
  pthread_mutex_lock(&sp->mu);
  if (sp->shut_down && !sp->loop) {
    pthread_mutex_unlock(&sp->mu);
    return 0;
  }
  sp->shut_down = true;
  if (sp->started && !sp->exp_shut && sp->exp->shutdown)
    sp->exp->shutdown(sp->exp, deadline);
  sp->exp_shut = true;
  int rc = close_loop(sp, deadline);
  pthread_mutex_unlock(&sp->mu);
  return rc;
}

static void sp_stats(cotel_span_processor *self, cotel_stats *acc) {
  simple_proc *sp = (simple_proc *)self;
  acc->spans_dropped += atomic_load(&sp->dropped);
  if (sp->exp->counts_spans && sp->exp->stats) {
    sp->exp->stats(sp->exp, acc);
    return;
  }
  acc->spans_exported += atomic_load(&sp->exported);
  acc->spans_export_failed += atomic_load(&sp->failed);
  if (sp->exp->stats) {
    /* Only what the exporter counts beyond spans (e.g. retries). */
    cotel_stats tmp = {0};
    sp->exp->stats(sp->exp, &tmp);
    acc->export_retries += tmp.export_retries;
  }
}

static void sp_destroy(cotel_span_processor *self) {
  simple_proc *sp = (simple_proc *)self;
  sp_shutdown(self, COTEL_DEFAULT_SHUTDOWN_TIMEOUT_MS);
  if (sp->exp->destroy) sp->exp->destroy(sp->exp);
  pthread_mutex_destroy(&sp->mu);
  pthread_mutex_destroy(&sp->done_mu);
  pthread_cond_destroy(&sp->done_cv);
  free(sp);
}

int cotel_simple_processor_new(cotel_exporter *exp,
                               cotel_span_processor **out) {
  if (!out || !exp || !exp->export_spans) {
    if (out) *out = NULL;
    if (exp && exp->destroy) exp->destroy(exp);
    return COTEL_EINVAL;
  }
  *out = NULL;
  simple_proc *sp = calloc(1, sizeof *sp);
  if (!sp) {
    if (exp->destroy) exp->destroy(exp);
    return COTEL_ENOMEM;
  }
  sp->exp = exp;
  pthread_mutex_init(&sp->mu, NULL);
  pthread_mutex_init(&sp->done_mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&sp->done_cv, &ca);
  pthread_condattr_destroy(&ca);
  sp->base.on_end = sp_on_end;
  sp->base.force_flush = sp_force_flush;
  sp->base.shutdown = sp_shutdown;
  sp->base.stats = sp_stats;
  sp->base.destroy = sp_destroy;
  *out = &sp->base;
  return 0;
}
