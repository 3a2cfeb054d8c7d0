/* The batch processor's loop thread (DESIGN §5): takes batches from the
 * queue when it holds max_export_batch_size spans, when the schedule timer
 * fires or when a flush asks, hands them to the exporter with at most
 * max_concurrent calls in flight, bounds each call by export_timeout_ms and
 * runs the shutdown sequence by its deadline. */
#include <signal.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "cotel/internal/time.h"
#include "processing/batch_internal.h"
#include "cotel/common.h"

static void pump(cotel__batch_worker *w);
static void on_retry(uv_timer_t *t) {
  pump(t->data);
}

void cotel__batch_wake_locked(cotel__batch *b) {
  if (b->async_open) uv_async_send(&b->w->wake);
}

static void count_result(cotel__batch *b, int rc, size_t n) {
  /* An exporter that counts its own spans would be counted twice. */
  if (b->exp->counts_spans || n == 0) return;
  if (rc == 0)
    atomic_fetch_add_explicit(&b->exported, n, memory_order_relaxed);
  else
    atomic_fetch_add_explicit(&b->failed, n, memory_order_relaxed);
}

void cotel__batch_export_free(cotel__batch_export *ex) {
  for (size_t i = 0; i < ex->n; i++)
    cotel_span_data_release(ex->spans[i]);
  free(ex);
}

/* How long past the shutdown deadline the worker lets an exporter's own
 * deadline handling run before it stops the loop (finish()). */
#define EXPORTER_DEADLINE_GRACE_MS 50u

/* Spare export objects: at most this many beyond those in flight. */
#define SPARE_MAX 8u

static void on_spare_closed(uv_handle_t *h) {
  free(h->data);
}

/* An export object for up to max_export_batch_size spans, its timer
 * initialised (loop thread): a spare one when there is, else a new one.
 * Spares keep their timer handle, so that reusing one needs no close
 * callback to have run first. */
static cotel__batch_export *export_get(cotel__batch_worker *w) {
  cotel__batch_export *ex = w->spare;
  if (ex) {
    w->spare = ex->next_done;
    w->n_spare--;
    memset(ex, 0, offsetof(cotel__batch_export, timer));
  } else {
    ex = calloc(1, sizeof *ex + w->b->opt.max_export_batch_size *
                                    sizeof(const cotel_span_data *));
    if (!ex) return NULL;
    uv_timer_init(&w->loop, &ex->timer);
  }
  ex->timer.data = ex;
  ex->timer_live = true;
  return ex;
}

/* An export that is over: unlinked, its spans released, its timer stopped
 * (loop thread). Kept as a spare, or its timer closed and then freed. */
static void export_put(cotel__batch_worker *w, cotel__batch_export *ex) {
  if (w->n_spare >= SPARE_MAX || w->finishing) {
    ex->timer.data = ex;
    uv_close((uv_handle_t *)&ex->timer, on_spare_closed);
    return;
  }
  ex->next_done = w->spare;
  w->spare = ex;
  w->n_spare++;
}

/* Close every spare (the worker is finishing). */
static void spares_close(cotel__batch_worker *w) {
  while (w->spare) {
    cotel__batch_export *ex = w->spare;
    w->spare = ex->next_done;
    w->n_spare--;
    uv_close((uv_handle_t *)&ex->timer, on_spare_closed);
  }
}

static void unlink_export_locked(cotel__batch *b, cotel__batch_export *ex) {
  if (ex->prev)
    ex->prev->next = ex->next;
  else
    b->exports = ex->next;
  if (ex->next) ex->next->prev = ex->prev;
  ex->prev = ex->next = NULL;
}

/* Positions below the result are settled: popped and either in no export
 * or in a settled one. Called on the loop thread with mu held. */
static void update_completed_locked(cotel__batch *b, cotel__batch_worker *w) {
  size_t done = cotel__mpsc_head(&b->q);
  for (cotel__batch_export *ex = b->exports; ex; ex = ex->next)
    if (ex->w == w && !ex->settled && ex->pos0 < done) done = ex->pos0;
  if (done != b->completed_pos) {
    b->completed_pos = done;
    pthread_cond_broadcast(&b->cv);
  }
}

/* Count an export's result once, whoever gets there first (its done, its
 * timeout, or the shutdown giving up). Called with mu held. */
static bool settle_locked(cotel__batch *b, cotel__batch_export *ex, int rc) {
  if (ex->settled) return false;
  ex->settled = true;
  count_result(b, rc, ex->n);
  return true;
}

/* On the loop thread: settle and give the concurrency slot back. */
static bool settle(cotel__batch_worker *w, cotel__batch_export *ex, int rc) {
  bool first;
  pthread_mutex_lock(&w->b->mu);
  first = settle_locked(w->b, ex, rc);
  pthread_mutex_unlock(&w->b->mu);
  if (first) w->inflight--;
  return first;
}

static void on_export_timer_closed(uv_handle_t *h) {
  cotel__batch_export *ex = h->data;
  cotel__batch *b = ex->b;
  bool free_it;
  pthread_mutex_lock(&b->mu);
  ex->timer_live = false;
  free_it = ex->done;
  if (free_it) unlink_export_locked(b, ex);
  pthread_mutex_unlock(&b->mu);
  if (free_it) cotel__batch_export_free(ex);
}

static void close_export_timer(cotel__batch_export *ex) {
  if (ex->timer_live && !ex->timer_closing) {
    ex->timer_closing = true;
    uv_close((uv_handle_t *)&ex->timer, on_export_timer_closed);
  }
}

static void on_export_timeout(uv_timer_t *t) {
  cotel__batch_export *ex = t->data;
  cotel__batch_worker *w = ex->w;
  /* Move on (OTel spec, Batching processor: exportTimeout). The spans stay
   * retained until done comes, so a late done finds them valid. */
  if (settle(w, ex, COTEL_ETIMEDOUT))
    cotel_log(COTEL_LOG_WARN,
              "batch processor: export of %zu spans timed out after %u ms",
              ex->n, w->b->opt.export_timeout_ms);
  pump(w);
}

void cotel__batch_export_done(void *arg, int rc) {
  cotel__batch_export *ex = arg;
  cotel__batch *b = ex->b;
  bool free_it = false;
  pthread_mutex_lock(&b->mu);
  if (ex->done) {
    pthread_mutex_unlock(&b->mu);
    cotel_log(COTEL_LOG_WARN,
              "batch processor: exporter '%s' called done twice",
              b->exp->name ? b->exp->name : "?");
    return;
  }
  if (ex->incarnation != b->incarnation) {
    /* Started by the parent's worker before a fork: forgotten with it. */
    pthread_mutex_unlock(&b->mu);
    return;
  }
  ex->done = true;
  ex->rc = rc;
  if (b->async_open) {
    /* The loop thread settles it: uv handles are not thread-safe, and done
     * may come from any thread or from inside export_spans. */
    ex->next_done = b->done_list;
    b->done_list = ex;
    uv_async_send(&b->w->wake);
  } else {
    /* The loop is stopping: count it here unless it gave up on it already;
     * the spans are released here or by the pending timer close. */
    settle_locked(b, ex, rc);
    if (!ex->timer_live) {
      unlink_export_locked(b, ex);
      free_it = true;
    }
  }
  pthread_mutex_unlock(&b->mu);
  if (free_it) cotel__batch_export_free(ex);
}

/* Settle every export whose done has come. Loop thread. */
static void process_done(cotel__batch_worker *w) {
  cotel__batch *b = w->b;
  cotel__batch_export *list;
  pthread_mutex_lock(&b->mu);
  list = b->done_list;
  b->done_list = NULL;
  pthread_mutex_unlock(&b->mu);
  while (list) {
    cotel__batch_export *ex = list;
    list = ex->next_done;
    settle(w, ex, ex->rc);
    for (size_t i = 0; i < ex->n; i++)
      cotel_span_data_release(ex->spans[i]);
    ex->n = 0;
    /* Its timer is live: finish() closes timers only after its own last
     * process_done, and nothing calls this after finish(). */
    uv_timer_stop(&ex->timer);
    pthread_mutex_lock(&b->mu);
    unlink_export_locked(b, ex);
    pthread_mutex_unlock(&b->mu);
    export_put(w, ex); /* its timer handle goes with it */
  }
}

/* Pop up to `max` spans into a new export and start it. Returns how many
 * spans it took (0: nothing could be popped). */
static size_t start_export(cotel__batch_worker *w, size_t max) {
  cotel__batch *b = w->b;
  cotel__batch_export *ex = export_get(w);
  size_t n = 0;
  int rc = COTEL__MPSC_OK;
  if (!ex) {
    cotel_log(COTEL_LOG_ERROR, "batch processor: out of memory for a batch");
    return 0;
  }
  ex->b = b;
  ex->w = w;
  ex->pos0 = cotel__mpsc_head(&b->q);
  while (n < max) {
    void *item;
    rc = cotel__mpsc_pop(&b->q, &item);
    if (rc != COTEL__MPSC_OK) break;
    ex->spans[n++] = item;
  }
  if (rc == COTEL__MPSC_BUSY) uv_timer_start(&w->retry, on_retry, 1, 0);
  if (n == 0) {
    export_put(w, ex);
    return 0;
  }
  ex->n = n;
  if (b->opt.export_timeout_ms > 0)
    uv_timer_start(&ex->timer, on_export_timeout, b->opt.export_timeout_ms, 0);
  pthread_mutex_lock(&b->mu);
  ex->incarnation = b->incarnation;
  ex->next = b->exports;
  if (b->exports) b->exports->prev = ex;
  b->exports = ex;
  pthread_mutex_unlock(&b->mu);
  w->inflight++;
  b->exp->export_spans(b->exp, ex->spans, n, cotel__batch_export_done, ex);
  return n;
}

static void on_deadline(uv_timer_t *t);

/* Shutdown, after draining or at the deadline: shut the exporter down,
 * count whatever is still unsettled as failed and queued spans as dropped,
 * close every handle so that uv_run returns. */
static void finish(cotel__batch_worker *w, int rc) {
  cotel__batch *b = w->b;
  uint64_t deadline;
  size_t left = 0;
  void *item;
  if (w->finishing) return;
  w->finishing = true;
  pthread_mutex_lock(&b->mu);
  deadline = b->shutdown_deadline_ns;
  pthread_mutex_unlock(&b->mu);
  if (b->exp->shutdown) b->exp->shutdown(b->exp, deadline);
  pthread_mutex_lock(&b->mu);
  b->async_open = false; /* later done calls settle without the loop */
  pthread_mutex_unlock(&b->mu);
  process_done(w); /* all that came so far, incl. during exporter shutdown */

  pthread_mutex_lock(&b->mu);
  for (cotel__batch_export *ex = b->exports; ex; ex = ex->next) {
    if (ex->w != w) continue;
    if (settle_locked(b, ex, COTEL_ETIMEDOUT)) {
      w->inflight--;
      rc = COTEL_ETIMEDOUT;
    }
    close_export_timer(ex);
  }
  pthread_mutex_unlock(&b->mu);
  while (cotel__mpsc_pop(&b->q, &item) == COTEL__MPSC_OK) {
    cotel_span_data_release(item);
    left++;
  }
  if (left) {
    atomic_fetch_add_explicit(&b->dropped, left, memory_order_relaxed);
    rc = COTEL_ETIMEDOUT;
  }
  pthread_mutex_lock(&b->mu);
  b->shutdown_rc = rc;
  b->completed_pos = SIZE_MAX; /* release any flush still waiting */
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);

  spares_close(w);
  uv_close((uv_handle_t *)&w->wake, NULL);
  uv_close((uv_handle_t *)&w->tick, NULL);
  uv_close((uv_handle_t *)&w->retry, NULL);
  /* The unref'd deadline timer stays: if the exporter keeps handles open
   * past the deadline it stops the loop, so the thread still ends. It
   * fires a little after the deadline: an exporter's own shutdown timer
   * for the same deadline (which fails and counts what it had in flight)
   * was started earlier from a slightly older clock reading, and stopping
   * the loop before it ran lost those counts (two requests of 512 spans
   * in 2 of 30 runs of test_cotel_gen's timed-out shutdown). */
  uint64_t now = cotel_monotonic_ns();
  uint64_t ms = cotel__ms_until(deadline, now) + EXPORTER_DEADLINE_GRACE_MS;
  uv_timer_start(&w->deadline, on_deadline, ms, 0);
}

typedef struct open_count {
  cotel__batch_worker *w;
  int open;
} open_count;

static void count_open(uv_handle_t *h, void *arg) {
  open_count *oc = arg;
  if (!uv_is_closing(h) && h->data != oc->w) oc->open++;
}

static void on_deadline(uv_timer_t *t) {
  cotel__batch_worker *w = t->data;
  if (!w->finishing) {
    cotel_log(COTEL_LOG_WARN, "batch processor: shutdown deadline passed");
    finish(w, COTEL_ETIMEDOUT);
  } else {
    /* Handles still closing end the loop by themselves; only open ones
     * (the exporter's) would keep the thread past the deadline. */
    open_count oc = {w, 0};
    uv_walk(&w->loop, count_open, &oc);
    if (oc.open == 0) return;
    cotel_log(COTEL_LOG_WARN,
              "batch processor: exporter '%s' left loop handles open",
              w->b->exp->name ? w->b->exp->name : "?");
    uv_stop(&w->loop);
  }
}

static void pump(cotel__batch_worker *w) {
  cotel__batch *b = w->b;
  size_t target, batch = b->opt.max_export_batch_size;
  bool draining;
  if (w->finishing) return;
  process_done(w);
  atomic_store(&b->wake_pending, 0);
  pthread_mutex_lock(&b->mu);
  target = b->flush_target;
  draining = b->shutdown_requested;
  if (draining && !w->saw_shutdown) {
    uint64_t now = cotel_monotonic_ns(), dl = b->shutdown_deadline_ns;
    uint64_t ms = cotel__ms_until(dl, now);
    w->saw_shutdown = true;
    uv_timer_stop(&w->tick);
    uv_timer_start(&w->deadline, on_deadline, ms, 0);
  }
  pthread_mutex_unlock(&b->mu);
  if (w->tick_target > target) target = w->tick_target;
  if (draining) target = SIZE_MAX;

  while (w->inflight < b->max_concurrent) {
    size_t head = cotel__mpsc_head(&b->q), tail = cotel__mpsc_tail(&b->q);
    size_t avail = tail - head;
    if (avail == 0) break;
    if (avail < batch && head >= target) break; /* wait for a full batch */
    if (start_export(w, avail < batch ? avail : batch) == 0) break;
    process_done(w); /* exporters that call done inside export_spans */
  }
  pthread_mutex_lock(&b->mu);
  update_completed_locked(b, w);
  pthread_mutex_unlock(&b->mu);
  if (draining && w->inflight == 0 &&
      cotel__mpsc_head(&b->q) == cotel__mpsc_tail(&b->q))
    finish(w, 0);
}

static void on_wake(uv_async_t *a) {
  pump(a->data);
}

static void on_tick(uv_timer_t *t) {
  cotel__batch_worker *w = t->data;
  w->tick_target = cotel__mpsc_tail(&w->b->q);
  pump(w);
}

static void drop_ref(cotel__batch *b);

static void *worker_main(void *arg) {
  cotel__batch_worker *w = arg;
  cotel__batch *b = w->b;
  int rc;
  if (b->exp->start) {
    rc = b->exp->start(b->exp, &w->loop);
    if (rc)
      cotel_log(COTEL_LOG_ERROR, "batch processor: exporter '%s' start: %s",
                b->exp->name ? b->exp->name : "?", cotel_strerror(rc));
  }
  uv_run(&w->loop, UV_RUN_DEFAULT);
  /* Unpublish the loop before closing its descriptors: a fork from now on
   * must not see (and close) descriptor numbers that may be reused. */
  pthread_mutex_lock(&b->mu);
  if (b->w == w) b->w = NULL;
  pthread_mutex_unlock(&b->mu);
  if (!uv_is_closing((uv_handle_t *)&w->deadline))
    uv_close((uv_handle_t *)&w->deadline, NULL);
  uv_run(&w->loop, UV_RUN_NOWAIT);
  rc = uv_loop_close(&w->loop);
  if (rc)
    cotel_log(COTEL_LOG_WARN, "batch processor: loop not closed (%s); leaked",
              uv_strerror(rc));
  pthread_mutex_lock(&b->mu);
  b->shutdown_finished = true;
  b->thread_alive = false;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
  if (rc == 0) free(w);
  drop_ref(b);
  return NULL;
}

static void drop_ref(cotel__batch *b) {
  if (atomic_fetch_sub(&b->refs, 1) == 1) cotel__batch_final_free(b);
}

int cotel__batch_worker_start(cotel__batch *b) {
  cotel__batch_worker *w = calloc(1, sizeof *w);
  sigset_t all, old;
  int rc;
  if (!w) return COTEL_ENOMEM;
  w->b = b;
  if (uv_loop_init(&w->loop)) {
    free(w);
    return COTEL_ESYS;
  }
  uv_async_init(&w->loop, &w->wake, on_wake);
  uv_timer_init(&w->loop, &w->tick);
  uv_timer_init(&w->loop, &w->retry);
  uv_timer_init(&w->loop, &w->deadline);
  w->wake.data = w->tick.data = w->retry.data = w->deadline.data = w;
  uv_unref((uv_handle_t *)&w->deadline);
  uv_timer_start(&w->tick, on_tick, b->opt.schedule_delay_ms,
                 b->opt.schedule_delay_ms);
  w->tick_target = 0;
  b->w = w;
  b->async_open = true;
  b->thread_alive = true;
  b->thread_joinable = true;
  atomic_fetch_add(&b->refs, 1);
  /* The worker takes no signals: they belong to the application's threads. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  rc = pthread_create(&b->thread, NULL, worker_main, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc) {
    cotel_log(COTEL_LOG_ERROR, "batch processor: pthread_create: %s",
              strerror(rc));
    atomic_fetch_sub(&b->refs, 1);
    b->thread_alive = b->thread_joinable = false;
    b->async_open = false;
    b->w = NULL;
    uv_close((uv_handle_t *)&w->wake, NULL);
    uv_close((uv_handle_t *)&w->tick, NULL);
    uv_close((uv_handle_t *)&w->retry, NULL);
    uv_close((uv_handle_t *)&w->deadline, NULL);
    uv_run(&w->loop, UV_RUN_NOWAIT);
    uv_loop_close(&w->loop);
    free(w);
    return COTEL_ESYS;
  }
  return 0;
}
