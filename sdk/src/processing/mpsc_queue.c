/* Bounded lock-free ring (see mpsc_queue.h). Each cell carries a sequence
 * number: seq == pos means free for the producer of `pos`, seq == pos + 1
 * means published for the consumer of `pos`. */
#include "processing/mpsc_queue.h"

#include <stdlib.h>

#include "cotel/common.h"

int cotel__mpsc_init(cotel__mpsc_queue *q, size_t cap) {
  if (cap == 0) return COTEL_EINVAL;
  q->cells = calloc(cap, sizeof *q->cells);
  if (!q->cells) return COTEL_ENOMEM;
  q->cap = cap;
  q->mask = (cap & (cap - 1)) == 0 ? cap - 1 : 0;
  if (cap == 1) q->mask = 0; /* pos % 1 == 0; mask 0 would read as "no mask" */
  cotel__mpsc_reset(q);
  return 0;
}

void cotel__mpsc_reset(cotel__mpsc_queue *q) {
  for (size_t i = 0; i < q->cap; i++) {
    atomic_store_explicit(&q->cells[i].seq, i, memory_order_relaxed);
    q->cells[i].item = NULL;
  }
  atomic_store_explicit(&q->enqueue_pos, 0, memory_order_relaxed);
  atomic_store_explicit(&q->dequeue_pos, 0, memory_order_release);
}

void cotel__mpsc_free(cotel__mpsc_queue *q) {
  free(q->cells);
  q->cells = NULL;
}

int cotel__mpsc_pop(cotel__mpsc_queue *q, void **item) {
  size_t pos = atomic_load_explicit(&q->dequeue_pos, memory_order_relaxed);
  cotel__mpsc_cell *c = &q->cells[cotel__mpsc_slot(q, pos)];
  size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
  if (seq != pos + 1) {
    size_t tail = atomic_load_explicit(&q->enqueue_pos, memory_order_acquire);
    return tail == pos ? COTEL__MPSC_EMPTY : COTEL__MPSC_BUSY;
  }
  *item = c->item;
  c->item = NULL;
  atomic_store_explicit(&c->seq, pos + q->cap, memory_order_release);
  atomic_store_explicit(&q->dequeue_pos, pos + 1, memory_order_release);
  return COTEL__MPSC_OK;
}
