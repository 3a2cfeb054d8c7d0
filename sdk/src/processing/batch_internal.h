/* Batch span processor internals (DESIGN §5), shared by batch_processor.c
 * (the API side: on_end, flush, shutdown), batch_worker.c (the libuv loop
 * thread) and batch_fork.c (pthread_atfork handling).
 *
 * Lifetime: the processor struct is reference-counted. The API holds one
 * reference until destroy; a running worker thread holds another until it
 * exits. So a shutdown that timed out can return while its thread still
 * finishes, and destroy never frees memory that thread uses (the last one
 * out frees, and destroys the exporter).
 *
 * Locking: the fast path (on_end) is lock-free. `mu` guards the fields
 * marked (mu): the export list, the done list, flush/shutdown state and
 * the wake-up handle's liveness. Fields marked (loop) belong to the loop
 * thread alone. */
#ifndef COTEL_BATCH_INTERNAL_H
#define COTEL_BATCH_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

#include "cotel/processor.h"
#include "processing/mpsc_queue.h"

typedef struct cotel__batch cotel__batch;
typedef struct cotel__batch_worker cotel__batch_worker;

/* One export call. Freed once its spans are released (done came, or the
 * processor is being freed) and its timer handle is closed. */
typedef struct cotel__batch_export {
  cotel__batch *b;
  cotel__batch_worker *w; /* incarnation that started it (fork) */
  unsigned incarnation;   /* b->incarnation when it started */
  struct cotel__batch_export *prev, *next; /* b->exports (mu) */
  struct cotel__batch_export *next_done;   /* b->done_list (mu) */
  size_t pos0;                             /* queue position of spans[0] */
  int rc;                                  /* done's result (mu) */
  bool done;                               /* done() was called (mu) */
  bool settled;       /* counted, concurrency slot given back (loop) */
  bool timer_live;    /* timer initialised, close callback not run (mu) */
  bool timer_closing; /* uv_close called (loop) */
  size_t n;           /* spans still retained */
  /* Last of the header: a spare's reuse clears everything before it and
   * keeps the handle, which the loop links to (batch_worker.c). */
  uv_timer_t timer; /* export_timeout_ms (loop) */
  const cotel_span_data *spans[];
} cotel__batch_export;

/* One incarnation of the worker: a loop and its handles. A fork child
 * abandons its parent's (the thread is gone) and makes a new one. */
struct cotel__batch_worker {
  uv_loop_t loop;
  uv_async_t wake;     /* size threshold, flush, shutdown, done results */
  uv_timer_t tick;     /* every schedule_delay_ms */
  uv_timer_t retry;    /* a producer was mid-publish: look again soon */
  uv_timer_t deadline; /* shutdown deadline; unref'd */
  cotel__batch *b;
  /* (loop) */
  unsigned inflight;  /* unsettled exports */
  size_t tick_target; /* export everything below this position */
  bool saw_shutdown;
  bool finishing;
  /* Export objects whose export is over, kept for the next ones (linked by
   * next_done): steady exporting allocates nothing. */
  struct cotel__batch_export *spare;
  unsigned n_spare;
};

struct cotel__batch {
  cotel_span_processor base; /* first: the processor pointer is ours */
  cotel_exporter *exp;
  cotel_batch_options opt;
  unsigned max_concurrent;
  cotel__mpsc_queue q;

  /* Fast-path state (lock-free). The first line is read on every on_end
   * and written almost never; what the worker writes per pump or per
   * export lives on other lines, so that it does not pull this one away
   * from the producers' cores. */
  atomic_bool closed;      /* shutdown called: on_end drops and counts */
  atomic_uint started_gen; /* fork generation the worker belongs to */
  atomic_int refs;
  _Alignas(64) atomic_uint_fast64_t dropped, exported, failed;
  /* A queue head position seen by some producer: a lower bound of the head
   * (positions only grow). on_end reads the real head, a line the worker
   * writes on every pop, only when this bound says a full batch may be
   * waiting: once per batch instead of once per span. */
  _Alignas(64) atomic_size_t head_hint;
  atomic_int wake_pending; /* a size-threshold wake-up is on its way */

  pthread_mutex_t mu;
  pthread_cond_t cv;      /* CLOCK_MONOTONIC; flush progress, worker exit */
  cotel__batch_worker *w; /* (mu) current incarnation, NULL when none */
  unsigned incarnation;   /* (mu) bumped when a fork child restarts */
  bool async_open;        /* (mu) w->wake may be sent to */
  pthread_t thread;
  bool thread_alive;    /* (mu) created, not yet exited; holds a ref */
  bool thread_joinable; /* (mu) neither joined nor detached */
  size_t flush_target;  /* (mu) export below this without a full batch */
  size_t completed_pos; /* (mu) every position below is settled */
  cotel__batch_export *exports;   /* (mu) every unfreed export */
  cotel__batch_export *done_list; /* (mu) done results for the loop */
  bool shutdown_called;           /* (mu) */
  bool shutdown_requested;        /* (mu) the worker should drain and stop */
  uint64_t shutdown_deadline_ns;  /* (mu) */
  bool shutdown_finished;         /* (mu) the worker ran its stop sequence */
  int shutdown_rc;                /* (mu) */

  cotel__batch *reg_prev, *reg_next; /* fork registry (registry lock) */
};

/* batch_worker.c */
/* Start a worker thread with a new loop. Called with b->mu held. */
int cotel__batch_worker_start(cotel__batch *b);
/* Free the processor once its last reference is dropped (batch_processor.c). */
void cotel__batch_final_free(cotel__batch *b);
/* The exporter's done callback (any thread). */
void cotel__batch_export_done(void *arg, int rc);
/* Release an export's spans and free it. No lock needed. */
void cotel__batch_export_free(cotel__batch_export *ex);
/* Send the wake-up, if the loop can take it. Called with b->mu held. */
void cotel__batch_wake_locked(cotel__batch *b);

/* batch_fork.c */
extern atomic_uint cotel__batch_fork_gen;
void cotel__batch_register(cotel__batch *b);
void cotel__batch_unregister(cotel__batch *b);
/* In a fork child, on first use: forget the parent's queue and exports,
 * start a new worker. Cheap no-op when the generation matches. */
void cotel__batch_restart_after_fork(cotel__batch *b);
/* Init b->mu / b->cv (the cond on CLOCK_MONOTONIC). */
int cotel__batch_sync_init(cotel__batch *b);

static inline void cotel__batch_check_fork(cotel__batch *b) {
  if (atomic_load_explicit(&b->started_gen, memory_order_acquire) !=
      atomic_load_explicit(&cotel__batch_fork_gen, memory_order_relaxed))
    cotel__batch_restart_after_fork(b);
}

#endif
