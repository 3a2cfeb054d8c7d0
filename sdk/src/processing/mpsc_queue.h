/* A bounded lock-free multi-producer queue of pointers (Dmitry Vyukov's
 * bounded MPMC ring, used here with one consumer).
 *
 * Why this shape: the batch processor's on_end must never block (DESIGN §5),
 * so producers claim a position with one CAS and publish with one release
 * store; a full ring fails at once instead of waiting. Positions only grow,
 * which lets the consumer tell "everything enqueued before position T has
 * been taken" (force_flush) without a lock. */
#ifndef COTEL_MPSC_QUEUE_H
#define COTEL_MPSC_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cotel/common.h"

typedef struct cotel__mpsc_cell {
  atomic_size_t seq;
  void *item;
} cotel__mpsc_cell;

typedef struct cotel__mpsc_queue {
  /* Producers and the consumer write different cache lines. */
  _Alignas(64) atomic_size_t enqueue_pos;
  _Alignas(64) atomic_size_t dequeue_pos; /* written by the consumer only */
  _Alignas(64) cotel__mpsc_cell *cells;
  size_t cap;
  size_t mask; /* cap - 1 when cap is a power of two, else 0 */
} cotel__mpsc_queue;

/* Result of a dequeue attempt. */
enum {
  COTEL__MPSC_OK = 0,
  COTEL__MPSC_EMPTY = 1,
  /* A producer has claimed the next position but not yet published it. */
  COTEL__MPSC_BUSY = 2,
};

/* `cap` > 0 slots. 0 or COTEL_ENOMEM. */
int cotel__mpsc_init(cotel__mpsc_queue *q, size_t cap);
void cotel__mpsc_free(cotel__mpsc_queue *q);
/* Forget every item and start over at position 0 (fork child: no other
 * thread exists). The caller handles the items first if it wants them. */
void cotel__mpsc_reset(cotel__mpsc_queue *q);

static inline size_t cotel__mpsc_slot(const cotel__mpsc_queue *q, size_t pos) {
  /* Avoid a division on the hot path for the usual power-of-two sizes. */
  return q->mask ? (pos & q->mask) : (pos % q->cap);
}

/* Any thread. 0, or COTEL_EFULL without side effects. On success *pos (if
 * not NULL) is the item's position. Inline: it is on_end's whole cost. */
static inline int cotel__mpsc_push(cotel__mpsc_queue *q, void *item,
                                   size_t *pos_out) {
  size_t pos = atomic_load_explicit(&q->enqueue_pos, memory_order_relaxed);
  for (;;) {
    cotel__mpsc_cell *c = &q->cells[cotel__mpsc_slot(q, pos)];
    size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
    intptr_t dif = (intptr_t)seq - (intptr_t)pos;
    if (dif == 0) {
      if (atomic_compare_exchange_weak_explicit(&q->enqueue_pos, &pos, pos + 1,
                                                memory_order_relaxed,
                                                memory_order_relaxed)) {
        c->item = item;
        atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
        if (pos_out) *pos_out = pos;
        return 0;
      }
      /* pos was reloaded by the failed CAS. */
    } else if (dif < 0) {
      return COTEL_EFULL; /* the cell still holds the item of pos - cap */
    } else {
      pos = atomic_load_explicit(&q->enqueue_pos, memory_order_relaxed);
    }
  }
}

/* The single consumer only. */
int cotel__mpsc_pop(cotel__mpsc_queue *q, void **item);

/* Positions, for sizes and flush targets (relaxed snapshots). */
static inline size_t cotel__mpsc_tail(cotel__mpsc_queue *q) {
  return atomic_load_explicit(&q->enqueue_pos, memory_order_acquire);
}
static inline size_t cotel__mpsc_head(cotel__mpsc_queue *q) {
  return atomic_load_explicit(&q->dequeue_pos, memory_order_acquire);
}

#endif
