/* Future slots (DESIGN §3): a context captured when asynchronous work is
 * scheduled and made current around its callback, on whatever thread runs
 * it. A future is a slot plus the slot that was active before enter. */
#include "context/context_internal.h"

void cotel_future_capture(cotel_future *f) {
  cotel_future_capture_ctx(f, cotel_context_current());
}

void cotel_future_capture_ctx(cotel_future *f, cotel_context *ctx) {
  if (!f) return;
  cotel_slot_init(&f->slot, ctx);
  f->saved = NULL;
}

void cotel_future_enter(cotel_future *f) {
  if (!f) return;
  f->saved = cotel_slot_enter(&f->slot);
}

void cotel_future_leave(cotel_future *f) {
  if (!f) return;
  if (f->slot.depth & COTEL__SLOT_DEPTH_MASK)
    cotel_log(COTEL_LOG_WARN,
              "context: a callback returned with %u context(s) still "
              "attached to its future",
              (unsigned)(f->slot.depth & COTEL__SLOT_DEPTH_MASK));
  cotel_slot_enter(f->saved);
  f->saved = NULL;
}

void cotel_future_release(cotel_future *f) {
  if (!f) return;
  cotel_slot_destroy(&f->slot);
}
