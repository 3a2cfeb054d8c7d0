/** @file
 * cotel: libuv helpers — context that follows libuv callbacks (DESIGN §3,
 * "future slots").
 *
 * Each helper is a caller-allocated struct embedding the libuv request or
 * handle, libuv style: no hidden allocation, and the libuv struct's `data`
 * field stays yours. The context current when the operation is *scheduled*
 * (queue_work, timer_start, write, connect, read_start) is captured into the
 * struct and made current around its callbacks, on whatever thread runs
 * them (uv_queue_work's work callback runs on the thread pool). Callbacks
 * have libuv's own signatures and receive the embedded libuv struct, so
 * instrumenting existing code is mostly a rename:
 *
 *     cotel_uv_work w;                  // instead of uv_work_t
 *     w.req.data = my_state;            // still yours
 *     cotel_uv_queue_work(loop, &w, work_cb, after_cb);
 *     ...
 *     static void after_cb(uv_work_t *req, int status) {
 *       // cotel_span_current() is the span that was current at queue time
 *       cotel_uv_work *w = cotel_uv_work_of(req);  // if you need it
 *     }
 *
 * Return values are libuv's (0 or a UV_E* code), since these wrap libuv
 * calls; UV_EINVAL for NULL arguments. Each callback runs with its own
 * stack slot, so a callback that stops, closes or frees its struct does not
 * pull the context out from under itself. One-shot operations (work, write,
 * connect, a timer without repeat) release the captured context when their
 * callback has run; timers and streams release it on stop/close.
 *
 * For any other callback-carrying operation use a cotel_future
 * (cotel/context.h) directly:
 *
 *     struct my_op { uv_fs_t req; cotel_future fut; };
 *     cotel_future_capture(&op->fut);          // when scheduling
 *     uv_fs_open(loop, &op->req, path, O_RDONLY, 0, on_open);
 *     static void on_open(uv_fs_t *req) {
 *       struct my_op *op = container_of(req, struct my_op, req);
 *       cotel_future_enter(&op->fut);          // context of the scheduler
 *       ...                                    // spans started here are
 *       cotel_future_leave(&op->fut);          // children of that context
 *       cotel_future_release(&op->fut);        // after the last callback
 *     }
 *
 * Thread-safety: as libuv's; each struct is used by one operation at a
 * time. */
#ifndef COTEL_UV_H
#define COTEL_UV_H

/** <uv.h> needs POSIX types (pthread_rwlock_t) that a strict -std=c11 build
 * hides. When nothing has asked for a feature set yet, ask for POSIX.1-2008,
 * the smallest one libuv compiles with; this takes effect only when this
 * header comes before any system header. */
#if !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) &&                    \
    !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE) &&                      \
    !defined(_BSD_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <uv.h>

#include "cotel/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Internal: the struct of type `type` whose member `member` is at ptr. */
#define cotel__uv_container_of(ptr, type, member)                              \
  ((type *)((char *)(ptr)-offsetof(type, member)))

/* ---- uv_queue_work ---- */

/** A uv_work_t with a captured context (see cotel_uv_queue_work). */
typedef struct cotel_uv_work {
  uv_work_t req;             /**< req.data is yours */
  cotel_future future;       /**< the captured context */
  uv_work_cb work_cb;        /**< the caller's work callback */
  uv_after_work_cb after_cb; /**< the caller's after-work callback, or NULL */
} cotel_uv_work;

/** The cotel_uv_work of a uv_work_t pointer given to a callback. */
#define cotel_uv_work_of(r) cotel__uv_container_of(r, cotel_uv_work, req)

/** uv_queue_work with the current context captured: both work_cb (on a
 * thread-pool thread) and after_cb (on the loop thread; may be NULL) run
 * with it current. Released after after_cb returns (w may be freed inside
 * after_cb). */
COTEL_API int cotel_uv_queue_work(uv_loop_t *loop, cotel_uv_work *w,
                                  uv_work_cb work_cb,
                                  uv_after_work_cb after_cb);
/** Same with an explicit context (retained; NULL = root). */
COTEL_API int cotel_uv_queue_work_ctx(uv_loop_t *loop, cotel_uv_work *w,
                                      cotel_context *ctx, uv_work_cb work_cb,
                                      uv_after_work_cb after_cb);

/* ---- timers ---- */

/** A uv_timer_t with a captured context (see cotel_uv_timer_start). */
typedef struct cotel_uv_timer {
  uv_timer_t timer;    /**< timer.data is yours */
  cotel_future future; /**< the captured context */
  uv_timer_cb cb;      /**< the caller's timer callback */
} cotel_uv_timer;

/** The cotel_uv_timer of a uv_timer_t pointer given to a callback. */
#define cotel_uv_timer_of(h) cotel__uv_container_of(h, cotel_uv_timer, timer)

/** uv_timer_init plus an empty capture. */
COTEL_API int cotel_uv_timer_init(uv_loop_t *loop, cotel_uv_timer *t);
/** uv_timer_start capturing the current context (replacing any earlier
 * capture); cb runs inside it, every time for a repeating timer. */
COTEL_API int cotel_uv_timer_start(cotel_uv_timer *t, uv_timer_cb cb,
                                   uint64_t timeout, uint64_t repeat);
/** Same with an explicit context (retained; NULL = root). */
COTEL_API int cotel_uv_timer_start_ctx(cotel_uv_timer *t, cotel_context *ctx,
                                       uv_timer_cb cb, uint64_t timeout,
                                       uint64_t repeat);
/** uv_timer_stop and release the captured context. */
COTEL_API int cotel_uv_timer_stop(cotel_uv_timer *t);
/** Stop, release and uv_close (close_cb may be NULL; free t there). */
COTEL_API void cotel_uv_timer_close(cotel_uv_timer *t, uv_close_cb close_cb);

/* ---- uv_write ---- */

/** A uv_write_t with a captured context (see cotel_uv_write). */
typedef struct cotel_uv_write_req {
  uv_write_t req;      /**< req.data is yours */
  cotel_future future; /**< the captured context */
  uv_write_cb cb;      /**< the caller's write callback, or NULL */
} cotel_uv_write_req;

/** The cotel_uv_write_req of a uv_write_t pointer given to a callback. */
#define cotel_uv_write_of(r) cotel__uv_container_of(r, cotel_uv_write_req, req)

/** uv_write capturing the current context; cb (may be NULL) runs inside it. */
COTEL_API int cotel_uv_write(cotel_uv_write_req *w, uv_stream_t *stream,
                             const uv_buf_t bufs[], unsigned nbufs,
                             uv_write_cb cb);

/* ---- uv_tcp_connect ---- */

/** A uv_connect_t with a captured context (see cotel_uv_tcp_connect). */
typedef struct cotel_uv_connect_req {
  uv_connect_t req;    /**< req.data is yours */
  cotel_future future; /**< the captured context */
  uv_connect_cb cb;    /**< the caller's connect callback */
} cotel_uv_connect_req;

/** The cotel_uv_connect_req of a uv_connect_t pointer given to a callback. */
#define cotel_uv_connect_of(r)                                                 \
  cotel__uv_container_of(r, cotel_uv_connect_req, req)

/** uv_tcp_connect capturing the current context; cb runs inside it. */
COTEL_API int cotel_uv_tcp_connect(cotel_uv_connect_req *req, uv_tcp_t *tcp,
                                   const struct sockaddr *addr,
                                   uv_connect_cb cb);

/* ---- reading streams ---- */

/** A stream handle with a captured context for its read callbacks. Any
 * stream type: initialise the member you use (cotel_uv_tcp_init does it for
 * TCP; for others call uv_pipe_init etc. then cotel_uv_stream_init). */
typedef struct cotel_uv_stream {
  union {
    uv_handle_t handle; /**< as a generic handle */
    uv_stream_t stream; /**< as a stream */
    uv_tcp_t tcp;       /**< a TCP handle */
    uv_pipe_t pipe;     /**< a pipe */
    uv_tty_t tty;       /**< a TTY */
  } h;                  /**< h.handle.data is yours */
  cotel_future future;  /**< the captured context of the read callbacks */
  uv_alloc_cb alloc_cb; /**< the caller's alloc callback */
  uv_read_cb read_cb;   /**< the caller's read callback */
} cotel_uv_stream;

/** The cotel_uv_stream of a handle or stream pointer given to a callback. */
#define cotel_uv_stream_of(handle_ptr)                                         \
  cotel__uv_container_of((void *)(handle_ptr), cotel_uv_stream, h)

/** uv_tcp_init plus cotel_uv_stream_init. */
COTEL_API int cotel_uv_tcp_init(uv_loop_t *loop, cotel_uv_stream *s);
/** Prepare the cotel part of a stream whose handle you initialised. */
COTEL_API void cotel_uv_stream_init(cotel_uv_stream *s);
/** uv_read_start capturing the current context (replacing any earlier
 * capture); alloc_cb and read_cb run inside it. */
COTEL_API int cotel_uv_read_start(cotel_uv_stream *s, uv_alloc_cb alloc_cb,
                                  uv_read_cb read_cb);
/** Same with an explicit context (retained; NULL = root). */
COTEL_API int cotel_uv_read_start_ctx(cotel_uv_stream *s, cotel_context *ctx,
                                      uv_alloc_cb alloc_cb, uv_read_cb read_cb);
/** uv_read_stop and release the captured context. */
COTEL_API int cotel_uv_read_stop(cotel_uv_stream *s);
/** Stop reading, release and uv_close (free s in close_cb). */
COTEL_API void cotel_uv_stream_close(cotel_uv_stream *s, uv_close_cb close_cb);

#ifdef __cplusplus
}
#endif
#endif
