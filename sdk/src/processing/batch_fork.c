/* fork() safety of the batch processor (DESIGN §5; opentelemetry-cpp does
 * not restart its worker after fork).
 *
 * A child has only the thread that called fork(): the worker and its loop
 * are gone, and the loop's kernel objects (epoll, eventfd) are shared with
 * the parent, so the child must never run that loop. The atfork handlers
 * keep every processor consistent across fork (prepare takes each lock);
 * the child handler reinitialises the locks and bumps a generation counter.
 * The next on_end / force_flush / shutdown in the child sees the new
 * generation (one relaxed load on the fast path) and restarts: the spans
 * queued in the parent are released unexported (the parent exports them),
 * and a new worker with a new loop starts (exporter->start is called again
 * with that loop). */
#include <stdlib.h>
#include <unistd.h>

#include "processing/batch_internal.h"
#include "cotel/common.h"

atomic_uint cotel__batch_fork_gen;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static cotel__batch *reg_head;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void prepare(void) {
  pthread_mutex_lock(&reg_mu);
  for (cotel__batch *b = reg_head; b; b = b->reg_next)
    pthread_mutex_lock(&b->mu);
}

static void parent(void) {
  for (cotel__batch *b = reg_head; b; b = b->reg_next)
    pthread_mutex_unlock(&b->mu);
  pthread_mutex_unlock(&reg_mu);
}

/* Close the abandoned loop's own descriptors (they refer to kernel objects
 * the parent still uses; closing the child's copies does not affect it).
 * The loop's memory is leaked: freeing it would need running it. */
static void abandon_loop(cotel__batch_worker *w) {
#ifdef __linux__
  int fds[3] = {w->loop.backend_fd, w->loop.async_io_watcher.fd,
                w->loop.async_wfd};
  for (int i = 0; i < 3; i++) {
    bool seen = false;
    for (int j = 0; j < i; j++)
      seen |= fds[j] == fds[i];
    if (fds[i] >= 0 && !seen) close(fds[i]);
  }
#else
  (void)w;
#endif
}

static void child(void) {
  for (cotel__batch *b = reg_head; b; b = b->reg_next) {
    /* The waiters of the parent's condition variable do not exist here, and
     * glibc's broadcast could wait for them: start from a fresh one. */
    pthread_mutex_unlock(&b->mu);
    cotel__batch_sync_init(b);
    if (b->w) abandon_loop(b->w);
    b->w = NULL;
    b->async_open = false;
    if (b->thread_alive) {
      /* The worker's reference dies with it; the API's keeps b alive. */
      atomic_fetch_sub(&b->refs, 1);
      b->thread_alive = false;
    }
    b->thread_joinable = false;
    if (b->shutdown_called && !b->shutdown_finished) {
      b->shutdown_finished = true;
      b->shutdown_rc = COTEL_ETIMEDOUT;
    }
  }
  pthread_mutex_unlock(&reg_mu);
  atomic_fetch_add(&cotel__batch_fork_gen, 1);
}

static void install_atfork(void) {
  pthread_atfork(prepare, parent, child);
}

int cotel__batch_sync_init(cotel__batch *b) {
  pthread_condattr_t ca;
  if (pthread_mutex_init(&b->mu, NULL)) return COTEL_ESYS;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  if (pthread_cond_init(&b->cv, &ca)) {
    pthread_condattr_destroy(&ca);
    pthread_mutex_destroy(&b->mu);
    return COTEL_ESYS;
  }
  pthread_condattr_destroy(&ca);
  return 0;
}

void cotel__batch_register(cotel__batch *b) {
  pthread_once(&atfork_once, install_atfork);
  pthread_mutex_lock(&reg_mu);
  b->reg_prev = NULL;
  b->reg_next = reg_head;
  if (reg_head) reg_head->reg_prev = b;
  reg_head = b;
  pthread_mutex_unlock(&reg_mu);
}

void cotel__batch_unregister(cotel__batch *b) {
  pthread_mutex_lock(&reg_mu);
  if (b->reg_prev)
    b->reg_prev->reg_next = b->reg_next;
  else if (reg_head == b)
    reg_head = b->reg_next;
  if (b->reg_next) b->reg_next->reg_prev = b->reg_prev;
  b->reg_prev = b->reg_next = NULL;
  pthread_mutex_unlock(&reg_mu);
}

void cotel__batch_restart_after_fork(cotel__batch *b) {
  unsigned gen = atomic_load(&cotel__batch_fork_gen);
  void *item, **parent_spans = NULL;
  size_t n = 0;
  pthread_mutex_lock(&b->mu);
  if (atomic_load(&b->started_gen) == gen) {
    pthread_mutex_unlock(&b->mu);
    return;
  }
  /* The parent's queued spans: released below, outside the lock (a release
   * may take the span pool's lock), never exported here; the parent exports
   * them. A cell a parent thread was still publishing at fork stays
   * unpublished forever, hence the reset. Without memory they are leaked. */
  parent_spans = malloc(b->q.cap * sizeof *parent_spans);
  while (parent_spans && n < b->q.cap &&
         cotel__mpsc_pop(&b->q, &item) == COTEL__MPSC_OK)
    parent_spans[n++] = item;
  cotel__mpsc_reset(&b->q);
  atomic_store(&b->head_hint, 0); /* a lower bound of the new head */
  /* The parent's in-flight exports belong to the abandoned loop: forgotten
   * (their spans stay retained; a done will never come for them here). */
  b->exports = NULL;
  b->done_list = NULL;
  b->incarnation++;
  b->completed_pos = 0;
  b->flush_target = 0;
  atomic_store(&b->wake_pending, 0);
  if (!b->shutdown_called) {
    int rc = cotel__batch_worker_start(b);
    if (rc)
      cotel_log(COTEL_LOG_ERROR,
                "batch processor: cannot restart the worker after fork: %s",
                cotel_strerror(rc));
  }
  atomic_store(&b->started_gen, gen);
  pthread_mutex_unlock(&b->mu);
  for (size_t i = 0; i < n; i++)
    cotel_span_data_release(parent_spans[i]);
  free(parent_spans);
}
