/* libuv stream helpers: uv_write, uv_tcp_connect and read callbacks run in
 * the context captured when the operation was started (DESIGN §3). */
#include "context/context_internal.h"
#include "cotel/uv.h"

/* One-shot requests: the scope takes the captured reference over, so the
 * callback may free the request. */
static cotel_context *take(cotel_future *f) {
  cotel_context *ctx = f->slot.ctx;
  f->slot.ctx = NULL;
  f->slot.magic = 0;
  return ctx;
}

static void write_tramp(uv_write_t *req, int status) {
  cotel_uv_write_req *w = cotel_uv_write_of(req);
  uv_write_cb cb = w->cb;
  cotel_future run;
  cotel__scope_enter(&run, take(&w->future));
  if (cb) cb(req, status);
  cotel__scope_leave(&run, true);
}

int cotel_uv_write(cotel_uv_write_req *w, uv_stream_t *stream,
                   const uv_buf_t bufs[], unsigned nbufs, uv_write_cb cb) {
  if (!w || !stream) return UV_EINVAL;
  w->cb = cb;
  cotel_future_capture(&w->future);
  int rc = uv_write(&w->req, stream, bufs, nbufs, write_tramp);
  if (rc) cotel_future_release(&w->future);
  return rc;
}

static void connect_tramp(uv_connect_t *req, int status) {
  cotel_uv_connect_req *c = cotel_uv_connect_of(req);
  uv_connect_cb cb = c->cb;
  cotel_future run;
  cotel__scope_enter(&run, take(&c->future));
  if (cb) cb(req, status);
  cotel__scope_leave(&run, true);
}

int cotel_uv_tcp_connect(cotel_uv_connect_req *req, uv_tcp_t *tcp,
                         const struct sockaddr *addr, uv_connect_cb cb) {
  if (!req || !tcp || !addr) return UV_EINVAL;
  req->cb = cb;
  cotel_future_capture(&req->future);
  int rc = uv_tcp_connect(&req->req, tcp, addr, connect_tramp);
  if (rc) cotel_future_release(&req->future);
  return rc;
}

/* Reads: the stream keeps its capture across callbacks; each callback runs
 * with its own reference, since read_cb commonly stops or closes the
 * stream (which releases the capture). */
static void alloc_tramp(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  cotel_uv_stream *s = cotel_uv_stream_of(h);
  cotel_future run;
  cotel__scope_enter(&run, cotel_context_retain(s->future.slot.ctx));
  s->alloc_cb(h, size, buf);
  cotel__scope_leave(&run, true);
}

static void read_tramp(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  cotel_uv_stream *s = cotel_uv_stream_of(st);
  cotel_future run;
  cotel__scope_enter(&run, cotel_context_retain(s->future.slot.ctx));
  s->read_cb(st, nread, buf);
  cotel__scope_leave(&run, true);
}

void cotel_uv_stream_init(cotel_uv_stream *s) {
  if (!s) return;
  cotel_slot_init(&s->future.slot, NULL);
  s->future.saved = NULL;
  s->alloc_cb = NULL;
  s->read_cb = NULL;
}

int cotel_uv_tcp_init(uv_loop_t *loop, cotel_uv_stream *s) {
  if (!loop || !s) return UV_EINVAL;
  cotel_uv_stream_init(s);
  return uv_tcp_init(loop, &s->h.tcp);
}

int cotel_uv_read_start_ctx(cotel_uv_stream *s, cotel_context *ctx,
                            uv_alloc_cb alloc_cb, uv_read_cb read_cb) {
  if (!s || !alloc_cb || !read_cb) return UV_EINVAL;
  cotel_context *old = s->future.slot.ctx;
  cotel_slot_init(&s->future.slot, ctx);
  cotel_context_release(old);
  s->alloc_cb = alloc_cb;
  s->read_cb = read_cb;
  int rc = uv_read_start(&s->h.stream, alloc_tramp, read_tramp);
  if (rc) {
    cotel_context_release(s->future.slot.ctx);
    s->future.slot.ctx = NULL;
  }
  return rc;
}

int cotel_uv_read_start(cotel_uv_stream *s, uv_alloc_cb alloc_cb,
                        uv_read_cb read_cb) {
  return cotel_uv_read_start_ctx(s, cotel_context_current(), alloc_cb, read_cb);
}

int cotel_uv_read_stop(cotel_uv_stream *s) {
  if (!s) return UV_EINVAL;
  int rc = uv_read_stop(&s->h.stream);
  cotel_context *ctx = s->future.slot.ctx;
  s->future.slot.ctx = NULL;
  cotel_context_release(ctx);
  return rc;
}

void cotel_uv_stream_close(cotel_uv_stream *s, uv_close_cb close_cb) {
  if (!s) return;
  if (!uv_is_closing(&s->h.handle)) uv_read_stop(&s->h.stream);
  cotel_context *ctx = s->future.slot.ctx;
  s->future.slot.ctx = NULL;
  cotel_context_release(ctx);
  uv_close(&s->h.handle, close_cb);
}
