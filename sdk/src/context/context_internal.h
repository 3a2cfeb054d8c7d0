/* Private: the context node layout, shared by context.c (slots, futures)
 * and the span code (which embeds one node in every span record). */
#ifndef COTEL_CONTEXT_INTERNAL_H
#define COTEL_CONTEXT_INTERNAL_H

#include <stdatomic.h>

#include "cotel/baggage.h"
#include "cotel/context.h"
#include "cotel/tracestate.h"

enum cotel__ctx_kind {
  COTEL__CTX_ROOT = 0, /* the static root */
  COTEL__CTX_SPAN,     /* embedded in a span record: refs are the record's */
  COTEL__CTX_SPAN_REF, /* heap node pointing at a span (with_span on another
                          parent): holds a record reference */
  COTEL__CTX_REMOTE,   /* heap node with a remote span context */
  COTEL__CTX_BAGGAGE,  /* heap node with baggage */
  COTEL__CTX_VALUE,    /* heap node with a user key/value */
};

/* Every node caches the effective span/span context/baggage of its chain,
 * so lookups are O(1); `parent` is an owned reference that keeps what those
 * borrowed pointers point to alive. User values walk the chain. */
struct cotel_context {
  atomic_uint refs; /* unused for COTEL__CTX_SPAN (the record counts) */
  uint8_t kind;
  struct cotel_context *parent; /* owned reference, NULL for root */
  struct cotel__span *span;     /* effective local span or NULL */
  const cotel_span_context *sc; /* effective span context or NULL */
  cotel_baggage *baggage;       /* effective baggage or NULL */
  /* own payload */
  cotel_span_context remote_sc; /* COTEL__CTX_REMOTE (tracestate owned) */
  const void *key;              /* COTEL__CTX_VALUE */
  void *value;
  void (*value_free)(void *);
};

/* The node embedded in a span record is set up by the span code: kind,
 * span and sc once when the record is created (pool.c), parent (retained)
 * and baggage at each start (span.c); cotel__span_recycle drops the parent
 * when the record is recycled. Reference counting across node kinds is in
 * span_internal.h (cotel__context_ref/unref). */

/* Provided by the span code: */
/* The record's embedded context node. */
struct cotel_context *cotel__span_embedded_ctx(struct cotel__span *rec);
/* The current generation of a record (to build a handle). */
uint32_t cotel__span_gen(struct cotel__span *rec);
/* The context the span was started under (its embedded node's parent). */
struct cotel_context *cotel__span_start_parent(struct cotel__span *rec);
/* Validate a handle: true when rec is live and gen matches. */
bool cotel__span_handle_ok(cotel_span s);

/* The thread's active slot (one thread-local pointer; NULL means the
 * thread's own slot, created on first use). */
extern __attribute__((
    tls_model("initial-exec"))) _Thread_local cotel_slot *cotel__active_slot;
cotel_slot *cotel__thread_slot(void);
/* The thread's own slot (slot.c); read directly by the inline lookup. */
extern __attribute__((
    tls_model("initial-exec"))) _Thread_local cotel_slot cotel__tslot;

/* ---- Added by the context/slot code (helper H2) ---- */

/* The static root context (cotel_context_root), for inline comparisons. */
extern struct cotel_context cotel__root_node;

/* cotel_context_current, inline for the span start path. */
static inline struct cotel_context *cotel__context_current_inline(void) {
  cotel_slot *s = cotel__active_slot;
  struct cotel_context *ctx = s ? s->ctx : cotel__tslot.ctx;
  return ctx ? ctx : &cotel__root_node;
}

/* Free a heap node whose reference count just dropped to zero (the caller
 * did the decrement), then release its parent. */
void cotel__context_free_last(struct cotel_context *ctx);

/* cotel_slot.magic of an initialised slot. */
#define COTEL__SLOT_MAGIC 0x636f736cu /* "cosl" */
/* cotel_slot.depth: nesting depth, plus a flag set while the slot's context
 * is borrowed (cotel_context_attach_borrowed) instead of owned. */
#define COTEL__SLOT_DEPTH_MASK 0x7fffffffu
#define COTEL__SLOT_BORROWED 0x80000000u

/* A callback scope: a stack slot made active around one callback. `ctx`
 * is a context reference the scope either takes over (and releases in
 * cotel__scope_leave with own = true) or borrows (own = false). Used by
 * the libuv helpers so that a callback which stops, closes or frees its
 * request does not release the context it is running in. */
static inline void cotel__scope_enter(cotel_future *run, cotel_context *ctx) {
  run->slot.ctx = ctx;
  run->slot.depth = 0;
  run->slot.magic = COTEL__SLOT_MAGIC;
  run->saved = cotel_slot_enter(&run->slot);
}
static inline void cotel__scope_leave(cotel_future *run, bool own) {
  cotel_future_leave(run); /* warns about contexts left attached */
  if (own) cotel_context_release(run->slot.ctx);
}

#endif
