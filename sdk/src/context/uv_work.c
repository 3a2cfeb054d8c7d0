/* cotel_uv_queue_work: uv_queue_work whose callbacks run in the context
 * captured at queue time (DESIGN §3 future slots), including the work
 * callback on libuv's thread pool. */
#include "context/context_internal.h"
#include "cotel/uv.h"

static void work_tramp(uv_work_t *req) {
  cotel_uv_work *w = cotel_uv_work_of(req);
  cotel_future run;
  /* Borrowed: w->future keeps its reference until after_tramp, which libuv
   * runs only once this callback has returned. */
  cotel__scope_enter(&run, w->future.slot.ctx);
  w->work_cb(req);
  cotel__scope_leave(&run, false);
}

static void after_tramp(uv_work_t *req, int status) {
  cotel_uv_work *w = cotel_uv_work_of(req);
  uv_after_work_cb cb = w->after_cb;
  cotel_future run;
  /* Take the captured reference over: after_cb may free w. */
  cotel_context *ctx = w->future.slot.ctx;
  w->future.slot.ctx = NULL;
  w->future.slot.magic = 0;
  cotel__scope_enter(&run, ctx);
  if (cb) cb(req, status);
  cotel__scope_leave(&run, true);
}

int cotel_uv_queue_work_ctx(uv_loop_t *loop, cotel_uv_work *w,
                            cotel_context *ctx, uv_work_cb work_cb,
                            uv_after_work_cb after_cb) {
  if (!loop || !w || !work_cb) return UV_EINVAL;
  w->work_cb = work_cb;
  w->after_cb = after_cb;
  cotel_future_capture_ctx(&w->future, ctx);
  int rc = uv_queue_work(loop, &w->req, work_tramp, after_tramp);
  if (rc) cotel_future_release(&w->future);
  return rc;
}

int cotel_uv_queue_work(uv_loop_t *loop, cotel_uv_work *w, uv_work_cb work_cb,
                        uv_after_work_cb after_cb) {
  return cotel_uv_queue_work_ctx(loop, w, cotel_context_current(), work_cb,
                                 after_cb);
}
