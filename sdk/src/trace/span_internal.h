/* Private: span records (DESIGN §4).
 *
 * A record is pooled and reused. Its `data` is what processors and exporters
 * see (it must stay the first member: cotel_span_data pointers convert back
 * to records). Handles are {record, generation}: the generation is bumped
 * when the record is recycled, so stale handles fail the check and every
 * method on them is a no-op. Every method takes the record's spinlock. */
#ifndef COTEL_SPAN_INTERNAL_H
#define COTEL_SPAN_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>

#include "trace/arena.h"
#include "context/context_internal.h"
#include "cotel/span_data.h"

enum cotel__span_state {
  COTEL__SPAN_FREE = 0,     /* in a pool */
  COTEL__SPAN_RECORDING,    /* started, recording */
  COTEL__SPAN_NONRECORDING, /* started, sampled out / disabled: ids only */
  COTEL__SPAN_ENDED,        /* ended; alive while references remain */
};

#define COTEL__SPAN_INLINE_ARENA 512

struct cotel_provider;
struct cotel_tracer;

struct cotel__span {
  cotel_span_data data; /* first member */
  struct cotel_context ctx;
  atomic_uint refs;
  _Atomic uint32_t gen;
  atomic_flag lock;
  _Atomic uint8_t state;
  struct cotel_provider *prov; /* the pool's owner; fixed for life */
  struct cotel_tracer *tracer;
  struct cotel__span *next;     /* free-list link */
  struct cotel__span *all_next; /* provider's list of every record */
  struct cotel__span *all_prev;
  /* Valid in the first record of a batch on the provider's free stack
   * (pool.c): the next batch and this batch's number of records. */
  struct cotel__span *batch_next;
  uint32_t batch_n;
  cotel__arena arena;
  cotel_attr *attrs; /* == data.attrs, writable */
  uint32_t attr_cap;
  uint32_t event_cap;
  uint32_t link_cap;
  uint32_t attr_hint; /* attributes known at start (sizes the first array) */
  bool dirty;         /* recording fields written since the last reset */
  cotel_event *events;
  cotel_link *links;
  max_align_t inline_arena[COTEL__SPAN_INLINE_ARENA / sizeof(max_align_t)];
};

/* ---- Reference counting of records and contexts, inline for the hot
 * paths (span start/end, attach/detach). The one place that knows that an
 * embedded context node counts on its record. ---- */

static inline struct cotel__span *
cotel__span_of_ctx(struct cotel_context *node) {
  return (struct cotel__span *)((char *)node -
                                offsetof(struct cotel__span, ctx));
}

static inline void cotel__span_ref(struct cotel__span *r) {
  atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

/* Drop one reference; true when it was the last. A sole owner (refs 1) has
 * no one to race with (a handle is not a reference), so it skips the
 * locked read-modify-write. acq_rel: the thread that recycles sees every
 * write made before the other releases. */
static inline bool cotel__span_unref_is_last(struct cotel__span *r) {
  return atomic_load_explicit(&r->refs, memory_order_acquire) == 1 ||
         atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1;
}

/* Recycle a record whose last reference was dropped, and the chain of
 * parents that this frees (span.c). */
void cotel__span_recycle(struct cotel__span *r);

static inline void cotel__span_unref(struct cotel__span *r) {
  if (cotel__span_unref_is_last(r)) cotel__span_recycle(r);
}

/* Retain / release any context node (not NULL). */
static inline struct cotel_context *
cotel__context_ref(struct cotel_context *c) {
  if (c->kind == COTEL__CTX_SPAN)
    cotel__span_ref(cotel__span_of_ctx(c));
  else if (c->kind != COTEL__CTX_ROOT)
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
  return c;
}

static inline void cotel__context_unref(struct cotel_context *c) {
  if (c->kind == COTEL__CTX_SPAN)
    cotel__span_unref(cotel__span_of_ctx(c));
  else if (c->kind != COTEL__CTX_ROOT &&
           atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
    cotel__context_free_last(c);
}

static inline void cotel__span_lock(struct cotel__span *r) {
  while (atomic_flag_test_and_set_explicit(&r->lock, memory_order_acquire))
    __builtin_ia32_pause();
}
static inline void cotel__span_unlock(struct cotel__span *r) {
  atomic_flag_clear_explicit(&r->lock, memory_order_release);
}

/* Put the recording fields a span start does not set back to their
 * initial values. Done when a record is created and when a recorded one is
 * recycled (usually on the exporting thread), so that starting a span on
 * the application thread writes only what differs per span. */
static inline void cotel__span_reset_fields(struct cotel__span *r) {
  cotel_span_data *d = &r->data;
  d->end_ns = 0;
  d->status = COTEL_STATUS_UNSET;
  d->status_message.ptr = "";
  d->status_message.len = 0;
  d->attrs = NULL;
  d->n_attrs = d->dropped_attrs = 0;
  d->events = NULL;
  d->n_events = d->dropped_events = 0;
  d->links = NULL;
  d->n_links = d->dropped_links = 0;
  r->attrs = NULL;
  r->events = NULL;
  r->links = NULL;
  r->attr_cap = r->event_cap = r->link_cap = 0;
  r->attr_hint = 0;
  r->dirty = false;
}

/* Lock a handle's record when the handle is current and the span is
 * recording; NULL (nothing locked) otherwise. */
struct cotel__span *cotel__span_lock_recording(cotel_span s);

/* Recording helpers (span_attrs.c); the record is locked by the caller. */
void cotel__span_set_attr_locked(struct cotel__span *r, const cotel_attr *a);
/* Attributes given at start (options, then sampler) on a fresh record that
 * has none yet; same limits and last-write-wins as setting them one by one. */
void cotel__span_start_attrs(struct cotel__span *r, const cotel_attr *a1,
                             size_t n1, const cotel_attr *a2, size_t n2);
void cotel__span_add_event_locked(struct cotel__span *r, const char *name,
                                  uint64_t time_ns, const cotel_attr *a1,
                                  size_t n1, const cotel_attr *a2, size_t n2);
void cotel__span_add_link_locked(struct cotel__span *r, const cotel_link *l);
/* Copy the input attribute's value into the arena, cutting strings to
 * `maxlen`; false when out of memory. */
bool cotel__attr_copy_value(cotel__arena *a, cotel__chunk_pool *cp,
                            cotel_attr *dst, const cotel_attr *src,
                            uint32_t maxlen);

#endif
