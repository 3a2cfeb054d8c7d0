/** @file
 * cotel: contexts and slots (DESIGN §3).
 *
 * A cotel_context is immutable and reference-counted: the active span (local
 * or remote), baggage and user values. Deriving a child is O(1).
 *
 * A slot is a mutable cell holding the current context of one execution
 * unit. Each thread has exactly one active-slot pointer: by default its own
 * thread slot; coroutine slots and future slots are switched in around the
 * code that belongs to them. cotel_context_current() reads the active slot. */
#ifndef COTEL_CONTEXT_H
#define COTEL_CONTEXT_H

#include "cotel/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cotel_baggage cotel_baggage; /**< see cotel/baggage.h */

/** The empty root context: static, never freed (retain/release are no-ops). */
COTEL_API cotel_context *cotel_context_root(void);
/** Reference counting. retain returns its argument; NULL is allowed. */
COTEL_API cotel_context *cotel_context_retain(cotel_context *ctx);
/** Drop a reference; the context is freed with the last one. NULL and the
 * root are no-ops. */
COTEL_API void cotel_context_release(cotel_context *ctx);

/** Getters take NULL as the current context. */
/** The active span of a context: COTEL_SPAN_NONE when it has none or only a
 * remote span context. */
COTEL_API cotel_span cotel_context_span(const cotel_context *ctx);
/** The span context of the active span, local or remote. COTEL_ENOTFOUND when
 * the context has none (out zeroed). The tracestate is borrowed from ctx. */
COTEL_API int cotel_context_span_context(const cotel_context *ctx,
                                         cotel_span_context *out);

/** New child contexts; each returns a new reference in *out. parent NULL
 * means the current context. COTEL_EINVAL / COTEL_ENOMEM on error. */
/** A context whose active span is `span`. For a span started under `parent`
 * this costs nothing (the record embeds its context); under another parent
 * a small node is allocated. The context keeps the span's record alive, so
 * it stays valid after the span ends. COTEL_EINVAL for an empty or stale
 * handle. The caller must not let another thread end the span and drop
 * its last reference during the call (handles are not references). */
COTEL_API int cotel_context_with_span(cotel_context *parent, cotel_span span,
                                      cotel_context **out);
/** A context carrying a remote span context (as extracted by a propagator).
 * sc->is_remote is forced true; its tracestate is retained. */
COTEL_API int cotel_context_with_remote(cotel_context *parent,
                                        const cotel_span_context *sc,
                                        cotel_context **out);
/** Baggage (borrowed pointer into ctx; NULL when none). */
COTEL_API cotel_baggage *cotel_context_baggage(const cotel_context *ctx);
/** A context carrying `baggage` (retained; NULL = no baggage). */
COTEL_API int cotel_context_with_baggage(cotel_context *parent,
                                         cotel_baggage *baggage,
                                         cotel_context **out);
/** User values, keyed by address. `free_fn` (may be NULL) runs on the value
 * when the context is destroyed (not when with_value fails: the value then
 * stays the caller's). cotel_context_value returns NULL if unset; lookups
 * walk the chain, the nearest node wins. */
COTEL_API int cotel_context_with_value(cotel_context *parent, const void *key,
                                       void *value, void (*free_fn)(void *),
                                       cotel_context **out);
/** The value stored under key by cotel_context_with_value (borrowed), or
 * NULL if unset. */
COTEL_API void *cotel_context_value(const cotel_context *ctx, const void *key);

/* ---- Slots ---- */

/** A slot. Embed it in a coroutine or async-operation struct (caller-owned,
 * like a libuv handle); initialise with cotel_slot_init. A slot is used by
 * one thread at a time.
 *
 * Coroutines: give each coroutine a slot and switch it with the stack:
 *     resume: co->caller = cotel_slot_enter(&co->slot); swapcontext(...);
 *     yield:  cotel_slot_enter(co->caller);              swapcontext(...);
 * (see examples/coroutines for ucontext and PCL). */
typedef struct cotel_slot {
  cotel_context *ctx; /**< current context (owned unless attached borrowed);
                         NULL means root */
  uint32_t depth;     /**< attach nesting depth, for order checks (private
                         flag in the top bit) */
  uint32_t magic;     /**< set by cotel_slot_init, cleared by destroy; lets
                         destroy detect an uninitialised slot */
} cotel_slot;

/** Initialise a slot holding `ctx` (retained; NULL = root). */
COTEL_API void cotel_slot_init(cotel_slot *slot, cotel_context *ctx);
/** Release the slot's context. The slot must not be active anywhere (if it
 * is the calling thread's active slot, a warning is logged and the thread
 * slot becomes active). */
COTEL_API void cotel_slot_destroy(cotel_slot *slot);
/** Make `slot` the active slot of the calling thread and return the previous
 * one. NULL means the thread's own slot. One pointer swap: this is what a
 * coroutine switch calls (enter on resume, enter(prev) on yield). */
COTEL_API cotel_slot *cotel_slot_enter(cotel_slot *slot);
/** The active slot of the calling thread (never NULL). The thread slot's
 * context is released when the thread exits. */
COTEL_API cotel_slot *cotel_slot_active(void);

/** The current context of the calling thread's active slot (borrowed; never
 * NULL: the root when nothing is attached). */
COTEL_API cotel_context *cotel_context_current(void);
/** The active span of the current context (COTEL_SPAN_NONE if none). */
COTEL_API cotel_span cotel_span_current(void);

/** Token returned by attach; pass it to detach. A token owns the reference
 * to the context that was current before its attach, until it is detached
 * successfully. */
typedef struct cotel_token {
  cotel_slot *slot;    /**< the slot the attach used */
  cotel_context *prev; /**< the context current before the attach (owned) */
  uint32_t depth;      /**< the slot depth after the attach, for the order
                          check (private flag in the top bit) */
} cotel_token;

/** Make ctx (retained; NULL = root) current in the active slot. Costs the
 * thread-local read and one reference-count increment (one decrement at
 * detach). Attach and detach nest like a stack within one slot. */
COTEL_API cotel_token cotel_context_attach(cotel_context *ctx);
/** Like cotel_context_attach without taking a reference: the fastest way to
 * make a context current (no atomic operation at all). The caller
 * guarantees that ctx stays alive until the matching detach (for example,
 * it holds a reference it releases after detaching). Anything that
 * captures the current context meanwhile (futures, spans) takes its own
 * reference as usual. */
COTEL_API cotel_token cotel_context_attach_borrowed(cotel_context *ctx);
/** Make a span's context current (the span's own embedded context when it was
 * started under the current context: no allocation). The span may end
 * before the detach: the context keeps its record alive. A stale or empty
 * handle leaves the current context as it is (the token still pairs up). */
COTEL_API cotel_token cotel_span_make_current(cotel_span span);
/** Restore the context that was current before the matching attach and
 * release the detached one. Detach must happen on the thread and in the
 * slot the attach used, innermost first.
 *
 * The out-of-order rule: a token that is not the innermost attach of the
 * active slot (or belongs to another slot) is reported with a warning and
 * COTEL_EDETACH is returned; nothing changes — the slot keeps its current
 * context and depth, and the token keeps its reference. Detaching the
 * remaining tokens in the right order afterwards (the inner ones first,
 * then this one again) releases everything, so a detected mistake neither
 * corrupts the slot nor leaks. Detaching the same token twice is a bug the
 * check cannot always see (like a double free). */
COTEL_API int cotel_context_detach(cotel_token token);

/* ---- Futures ---- */

/** A future: a context captured when work is scheduled, made current when
 * its callback runs (on whatever thread runs it). Caller-embedded. */
typedef struct cotel_future {
  cotel_slot slot;   /**< holds the captured context */
  cotel_slot *saved; /**< active slot before enter */
} cotel_future;

/** Capture the current context (retained) into the future. */
COTEL_API void cotel_future_capture(cotel_future *f);
/** Capture an explicit context (retained; NULL = root). */
COTEL_API void cotel_future_capture_ctx(cotel_future *f, cotel_context *ctx);
/** Around the callback: make the future's slot active, then restore. A
 * callback must detach whatever it attached (leave warns otherwise). The
 * future is entered on one thread at a time. */
COTEL_API void cotel_future_enter(cotel_future *f);
/** Restore the slot that was active before cotel_future_enter; warns when
 * the callback left contexts attached. */
COTEL_API void cotel_future_leave(cotel_future *f);
/** Release the captured context (after the last callback). */
COTEL_API void cotel_future_release(cotel_future *f);

#ifdef __cplusplus
}
#endif
#endif
