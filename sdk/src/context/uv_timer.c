/* cotel_uv_timer: libuv timers whose callback runs in the context captured
 * by cotel_uv_timer_start (DESIGN §3 future slots). */
#include "context/context_internal.h"
#include "cotel/uv.h"

static void timer_tramp(uv_timer_t *handle) {
  cotel_uv_timer *t = cotel_uv_timer_of(handle);
  cotel_future run;
  cotel_context *ctx = t->future.slot.ctx;
  /* A one-shot timer has fired for good: hand its reference to the scope
   * so that the context (and the spans it holds) does not outlive the
   * callback. A repeating one keeps its capture; the scope takes its own
   * reference in case the callback stops or closes the timer. */
  bool one_shot = uv_timer_get_repeat(handle) == 0;
  if (one_shot)
    t->future.slot.ctx = NULL;
  else
    cotel_context_retain(ctx);
  cotel__scope_enter(&run, ctx);
  t->cb(handle);
  cotel__scope_leave(&run, true);
}

int cotel_uv_timer_init(uv_loop_t *loop, cotel_uv_timer *t) {
  if (!loop || !t) return UV_EINVAL;
  cotel_slot_init(&t->future.slot, NULL);
  t->future.saved = NULL;
  t->cb = NULL;
  return uv_timer_init(loop, &t->timer);
}

int cotel_uv_timer_start_ctx(cotel_uv_timer *t, cotel_context *ctx,
                             uv_timer_cb cb, uint64_t timeout,
                             uint64_t repeat) {
  if (!t || !cb) return UV_EINVAL;
  /* Retain the new capture before dropping the old: they may be the same
   * context (a timer restarted from its own callback). */
  cotel_context *old = t->future.slot.ctx;
  cotel_slot_init(&t->future.slot, ctx);
  cotel_context_release(old);
  t->cb = cb;
  int rc = uv_timer_start(&t->timer, timer_tramp, timeout, repeat);
  if (rc) {
    cotel_context_release(t->future.slot.ctx);
    t->future.slot.ctx = NULL;
  }
  return rc;
}

int cotel_uv_timer_start(cotel_uv_timer *t, uv_timer_cb cb, uint64_t timeout,
                         uint64_t repeat) {
  return cotel_uv_timer_start_ctx(t, cotel_context_current(), cb, timeout,
                                  repeat);
}

int cotel_uv_timer_stop(cotel_uv_timer *t) {
  if (!t) return UV_EINVAL;
  int rc = uv_timer_stop(&t->timer);
  cotel_context *ctx = t->future.slot.ctx;
  t->future.slot.ctx = NULL;
  cotel_context_release(ctx);
  return rc;
}

void cotel_uv_timer_close(cotel_uv_timer *t, uv_close_cb close_cb) {
  if (!t) return;
  cotel_uv_timer_stop(t);
  uv_close((uv_handle_t *)&t->timer, close_cb);
}
