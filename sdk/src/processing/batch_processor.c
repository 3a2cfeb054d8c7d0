/* Batch span processor, API side (DESIGN §5; OTel spec "Batching
 * processor"). on_end is lock-free and never blocks; force_flush and
 * shutdown are bounded by their deadlines whatever the exporter does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cotel/internal/time.h"
#include "cotel/internal/abi.h"
#include "processing/batch_internal.h"
#include "cotel/common.h"
#include "cotel/provider.h"

/* How long shutdown waits, past its deadline, for the worker's final
 * counts. */
#define SHUTDOWN_GRACE_NS (500 * COTEL__NS_PER_MS)

/* How long destroy waits, past the shutdown deadline, for the worker. */
#define DESTROY_GRACE_MS 200u

static inline cotel__batch *to_batch(cotel_span_processor *self) {
  return (cotel__batch *)self;
}

static void batch_on_end(cotel_span_processor *self,
                         const cotel_span_data *sd) {
  cotel__batch *b = to_batch(self);
  size_t pos, head;
  if (atomic_load_explicit(&b->closed, memory_order_relaxed)) {
    atomic_fetch_add_explicit(&b->dropped, 1, memory_order_relaxed);
    return;
  }
  cotel__batch_check_fork(b);
  cotel_span_data_retain(sd);
  if (cotel__mpsc_push(&b->q, (void *)sd, &pos) != 0) {
    cotel_span_data_release(sd);
    atomic_fetch_add_explicit(&b->dropped, 1, memory_order_relaxed);
    return;
  }
  /* Wake the loop once per batch, not per span: the timer covers the rest.
   * head_hint <= head, so a queue below one batch by the hint is below it by
   * the real head too; the real head is read only past that. (A head past
   * pos + 1: the worker already took this span.) */
  head = atomic_load_explicit(&b->head_hint, memory_order_relaxed);
  if (pos + 1 <= head || pos + 1 - head < b->opt.max_export_batch_size) return;
  if (atomic_load_explicit(&b->wake_pending, memory_order_relaxed)) return;
  head = cotel__mpsc_head(&b->q);
  if (pos + 1 <= head || pos + 1 - head < b->opt.max_export_batch_size) {
    atomic_store_explicit(&b->head_hint, head, memory_order_relaxed);
    return;
  }
  if (!atomic_exchange(&b->wake_pending, 1)) {
    pthread_mutex_lock(&b->mu);
    cotel__batch_wake_locked(b);
    pthread_mutex_unlock(&b->mu);
  }
}

static uint64_t deadline_after(uint64_t timeout_ms) {
  return cotel__deadline_ns(cotel_monotonic_ns(), timeout_ms);
}

/* Wait on b->cv until deadline_ns (CLOCK_MONOTONIC). ETIMEDOUT or 0. */
static int wait_until(cotel__batch *b, uint64_t deadline_ns) {
  struct timespec ts = cotel__timespec_of_ns(deadline_ns);
  return pthread_cond_timedwait(&b->cv, &b->mu, &ts);
}

static int batch_force_flush(cotel_span_processor *self, uint64_t timeout_ms) {
  cotel__batch *b = to_batch(self);
  uint64_t deadline = deadline_after(timeout_ms);
  size_t target;
  int rc = 0;
  if (atomic_load_explicit(&b->closed, memory_order_relaxed))
    return COTEL_ESTATE;
  cotel__batch_check_fork(b);
  pthread_mutex_lock(&b->mu);
  target = cotel__mpsc_tail(&b->q);
  if (b->completed_pos < target) {
    if (b->flush_target < target) b->flush_target = target;
    cotel__batch_wake_locked(b);
    while (b->completed_pos < target) {
      if (wait_until(b, deadline) == ETIMEDOUT) {
        if (b->completed_pos < target) rc = COTEL_ETIMEDOUT;
        break;
      }
    }
  }
  pthread_mutex_unlock(&b->mu);
  return rc;
}

static int batch_shutdown(cotel_span_processor *self, uint64_t timeout_ms) {
  cotel__batch *b = to_batch(self);
  uint64_t deadline = deadline_after(timeout_ms);
  bool join = false;
  int rc;
  cotel__batch_check_fork(b);
  pthread_mutex_lock(&b->mu);
  if (b->shutdown_called) {
    pthread_mutex_unlock(&b->mu);
    return COTEL_ESTATE;
  }
  b->shutdown_called = true;
  atomic_store(&b->closed, true);
  b->shutdown_requested = true;
  b->shutdown_deadline_ns = deadline;
  if (!b->thread_alive) {
    /* No worker (it could not be started): nothing can run the exporter. */
    b->shutdown_finished = true;
    b->shutdown_rc = COTEL_ESTATE;
  }
  cotel__batch_wake_locked(b);
  while (!b->shutdown_finished)
    if (wait_until(b, deadline) == ETIMEDOUT) break;
  /* The worker settles its accounts at the same deadline (in-flight spans
   * failed, queued ones dropped): a short grace lets the caller read stats
   * in which every ended span is accounted for. */
  while (!b->shutdown_finished && b->thread_alive)
    if (wait_until(b, deadline + SHUTDOWN_GRACE_NS) == ETIMEDOUT) break;
  if (b->shutdown_finished) {
    rc = b->shutdown_rc;
    if (b->thread_joinable && !b->thread_alive) {
      b->thread_joinable = false;
      join = true;
    }
  } else {
    rc = COTEL_ETIMEDOUT;
  }
  pthread_mutex_unlock(&b->mu);
  if (join) pthread_join(b->thread, NULL);
  return rc;
}

static void batch_stats(cotel_span_processor *self, cotel_stats *acc) {
  cotel__batch *b = to_batch(self);
  acc->spans_dropped += atomic_load_explicit(&b->dropped, memory_order_relaxed);
  acc->spans_exported +=
      atomic_load_explicit(&b->exported, memory_order_relaxed);
  acc->spans_export_failed +=
      atomic_load_explicit(&b->failed, memory_order_relaxed);
  if (b->exp->stats) b->exp->stats(b->exp, acc);
}

/* The last reference is gone: the worker has exited (or never existed in
 * this process), so nothing else touches b. */
void cotel__batch_final_free(cotel__batch *b) {
  void *item;
  if (b->exp->destroy) b->exp->destroy(b->exp);
  /* Exports whose done never came: the exporter is gone, so are its
   * references to these spans. */
  while (b->exports) {
    cotel__batch_export *ex = b->exports;
    b->exports = ex->next;
    cotel__batch_export_free(ex);
  }
  while (cotel__mpsc_pop(&b->q, &item) == COTEL__MPSC_OK)
    cotel_span_data_release(item);
  cotel__mpsc_free(&b->q);
  pthread_cond_destroy(&b->cv);
  pthread_mutex_destroy(&b->mu);
  free(b);
}

static void batch_destroy(cotel_span_processor *self) {
  cotel__batch *b = to_batch(self);
  bool join = false, shut;
  cotel__batch_check_fork(b);
  pthread_mutex_lock(&b->mu);
  shut = b->shutdown_called;
  pthread_mutex_unlock(&b->mu);
  if (!shut) batch_shutdown(self, COTEL_DEFAULT_SHUTDOWN_TIMEOUT_MS);
  cotel__batch_unregister(b);
  pthread_mutex_lock(&b->mu);
  /* A shutdown that timed out leaves the worker finishing (the exporter
   * failing its in-flight work, handles closing). Give it a moment, so that
   * it exits, and its spans are released, before the caller frees the
   * provider the spans came from. */
  if (b->thread_alive) {
    uint64_t dl = b->shutdown_deadline_ns, now = cotel_monotonic_ns();
    dl = cotel__deadline_ns(dl > now ? dl : now, DESTROY_GRACE_MS);
    while (b->thread_alive)
      if (wait_until(b, dl) == ETIMEDOUT) break;
  }
  if (b->thread_joinable) {
    b->thread_joinable = false;
    if (b->thread_alive)
      pthread_detach(b->thread); /* it frees b if it outlives us */
    else
      join = true;
  }
  pthread_mutex_unlock(&b->mu);
  if (join) pthread_join(b->thread, NULL);
  if (atomic_fetch_sub(&b->refs, 1) == 1) cotel__batch_final_free(b);
}

/* Takes ownership of exp even on failure (as the simple processor does):
 * the caller never has to clean up after a failed call. */
int cotel_batch_processor_new_sized(cotel_exporter *exp,
                                    const cotel_batch_options *o, size_t size,
                                    cotel_span_processor **out) {
  cotel_batch_options opt;
  cotel__batch *b = NULL;
  int rc = COTEL_EINVAL;
  if (out) *out = NULL;
  if (!out || !exp || !exp->export_spans) goto fail;
  /* Members the caller's header did not have come from the environment
   * (docs/abi.md). */
  cotel_batch_options_from_env(&opt);
  if (o &&
      !cotel__abi_in(&opt, sizeof opt, o, size,
                     COTEL__SIZE_UPTO(cotel_batch_options, export_timeout_ms)))
    goto fail;
  if (opt.max_queue_size == 0 || opt.max_export_batch_size == 0 ||
      opt.schedule_delay_ms == 0)
    goto fail;
  /* OTel spec: maxExportBatchSize must be <= maxQueueSize. */
  if (opt.max_export_batch_size > opt.max_queue_size)
    opt.max_export_batch_size = opt.max_queue_size;
  rc = COTEL_ENOMEM;
  /* Aligned, so that the cache-line split of the struct (batch_internal.h)
   * is real; sizeof is a multiple of the alignment. */
  b = aligned_alloc(_Alignof(cotel__batch), sizeof *b);
  if (!b) goto fail;
  memset(b, 0, sizeof *b);
  b->exp = exp;
  b->opt = opt;
  b->max_concurrent = exp->max_concurrent ? exp->max_concurrent : 1;
  b->base.on_end = batch_on_end;
  b->base.force_flush = batch_force_flush;
  b->base.shutdown = batch_shutdown;
  b->base.stats = batch_stats;
  b->base.destroy = batch_destroy;
  atomic_init(&b->refs, 1);
  rc = cotel__mpsc_init(&b->q, opt.max_queue_size);
  if (rc) goto fail_b;
  rc = cotel__batch_sync_init(b);
  if (rc) goto fail_q;
  /* Registered first, so that a fork between here and the worker start
   * finds a consistent processor (its lock is taken by the prepare hook). */
  cotel__batch_register(b);
  pthread_mutex_lock(&b->mu);
  atomic_store(&b->started_gen, atomic_load(&cotel__batch_fork_gen));
  rc = cotel__batch_worker_start(b);
  pthread_mutex_unlock(&b->mu);
  if (rc) goto fail_reg;
  *out = &b->base;
  return 0;

fail_reg:
  cotel__batch_unregister(b);
  pthread_cond_destroy(&b->cv);
  pthread_mutex_destroy(&b->mu);
fail_q:
  cotel__mpsc_free(&b->q);
fail_b:
  free(b);
fail:
  if (exp && exp->destroy) exp->destroy(exp);
  return rc;
}
