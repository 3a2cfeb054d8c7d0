/* libuv helpers (cotel/uv.h): every callback runs in the context that was
 * current when its operation was scheduled, on whatever thread runs it.
 * Contexts are told apart by identity (each test context is a distinct
 * node), and counted when freed to check that captures are released. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "cotel/uv.h"
#include "test_util.h"

static char key;
static atomic_int frees;
static void count_free(void *v) {
  (void)v;
  atomic_fetch_add(&frees, 1);
}

static cotel_context *mk(void) {
  cotel_context *c = NULL;
  assert_int_equal(cotel_context_with_value(cotel_context_root(), &key, NULL,
                                            count_free, &c),
                   0);
  return c;
}

/* Attach c, run f, detach: scheduling happens "inside" c. */
#define WITHIN(c, stmt)                                                        \
  do {                                                                         \
    cotel_token t_ = cotel_context_attach(c);                                  \
    stmt;                                                                      \
    assert_int_equal(cotel_context_detach(t_), 0);                             \
  } while (0)

/* ---- uv_queue_work ---- */

struct work_obs {
  cotel_context *in_work, *in_after;
  pthread_t work_thread;
  int status;
};

static void work_cb(uv_work_t *req) {
  struct work_obs *o = req->data;
  o->in_work = cotel_context_current();
  o->work_thread = pthread_self();
}

static void after_cb(uv_work_t *req, int status) {
  struct work_obs *o = req->data;
  o->in_after = cotel_context_current();
  o->status = status;
}

static void
test_queue_work_runs_both_callbacks_in_the_captured_context(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  cotel_context *c = mk();
  struct work_obs o = {0};
  cotel_uv_work w;
  w.req.data = &o;
  WITHIN(c, assert_int_equal(cotel_uv_queue_work(&loop, &w, work_cb, after_cb),
                             0));
  cotel_context_release(c);
  assert_int_equal(atomic_load(&frees), 0); /* the request holds it */
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_ptr_equal(o.in_work, c);
  assert_ptr_equal(o.in_after, c);
  assert_int_equal(o.status, 0);
  assert_false(pthread_equal(o.work_thread, pthread_self()));
  /* released once after_cb returned; the loop thread is back to root */
  assert_int_equal(atomic_load(&frees), 1);
  assert_ptr_equal(cotel_context_current(), cotel_context_root());
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void after_cb_frees(uv_work_t *req, int status) {
  after_cb(req, status);
  free(cotel_uv_work_of(req));
}

static void test_queue_work_request_may_be_freed_in_after_cb(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  cotel_context *c = mk();
  struct work_obs o = {0};
  cotel_uv_work *w = malloc(sizeof *w);
  w->req.data = &o;
  assert_int_equal(
      cotel_uv_queue_work_ctx(&loop, w, c, work_cb, after_cb_frees), 0);
  cotel_context_release(c);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_ptr_equal(o.in_work, c);
  assert_ptr_equal(o.in_after, c);
  assert_int_equal(atomic_load(&frees), 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- timers ---- */

struct timer_obs {
  cotel_context *seen[8];
  int fired;
  int close_after;
};

static void timer_cb(uv_timer_t *h) {
  struct timer_obs *o = h->data;
  o->seen[o->fired++] = cotel_context_current();
  if (o->fired == o->close_after)
    cotel_uv_timer_close(cotel_uv_timer_of(h), NULL);
}

static void
test_one_shot_timer_runs_in_context_captured_at_start(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  cotel_context *c = mk();
  cotel_uv_timer t;
  struct timer_obs o = {.close_after = 0};
  assert_int_equal(cotel_uv_timer_init(&loop, &t), 0);
  t.timer.data = &o;
  WITHIN(c, assert_int_equal(cotel_uv_timer_start(&t, timer_cb, 1, 0), 0));
  cotel_context_release(c);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(o.fired, 1);
  assert_ptr_equal(o.seen[0], c);
  /* a one-shot timer lets go of its capture once it has fired */
  assert_int_equal(atomic_load(&frees), 1);
  cotel_uv_timer_close(&t, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_repeating_timer_keeps_its_context_until_closed(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  cotel_context *c1 = mk(), *c2 = mk();
  cotel_uv_timer t;
  struct timer_obs o = {.close_after = 3};
  assert_int_equal(cotel_uv_timer_init(&loop, &t), 0);
  t.timer.data = &o;
  WITHIN(c1, assert_int_equal(cotel_uv_timer_start(&t, timer_cb, 50, 1), 0));
  /* restarting replaces (and releases) the first capture */
  WITHIN(c2, assert_int_equal(cotel_uv_timer_start(&t, timer_cb, 0, 1), 0));
  cotel_context_release(c1);
  assert_int_equal(atomic_load(&frees), 1);
  cotel_context_release(c2);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(o.fired, 3);
  for (int i = 0; i < 3; i++)
    assert_ptr_equal(o.seen[i], c2);
  /* closed inside its own callback: still ran to the end in c2 */
  assert_int_equal(atomic_load(&frees), 2);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_timer_stop_releases_the_capture(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  cotel_context *c = mk();
  cotel_uv_timer t;
  struct timer_obs o = {0};
  assert_int_equal(cotel_uv_timer_init(&loop, &t), 0);
  t.timer.data = &o;
  WITHIN(c, assert_int_equal(cotel_uv_timer_start(&t, timer_cb, 1000, 0), 0));
  cotel_context_release(c);
  assert_int_equal(atomic_load(&frees), 0);
  assert_int_equal(cotel_uv_timer_stop(&t), 0);
  assert_int_equal(atomic_load(&frees), 1);
  cotel_uv_timer_close(&t, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(o.fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- TCP over loopback: connect, write, read ---- */

struct net {
  uv_loop_t loop;
  uv_tcp_t listener;
  cotel_uv_stream server_conn; /* reads under ctx_server */
  uv_tcp_t client;
  cotel_uv_connect_req connect_req; /* under ctx_connect */
  cotel_uv_write_req write_req;     /* under ctx_write */
  cotel_context *ctx_server, *ctx_connect, *ctx_write;
  cotel_context *seen_connect, *seen_write, *seen_alloc, *seen_read;
  int connect_status, write_status;
  char rbuf[64];
  size_t nread;
  int reads, allocs;
};

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  struct net *n = h->data;
  (void)size;
  n->allocs++;
  n->seen_alloc = cotel_context_current();
  *buf = uv_buf_init(n->rbuf + n->nread, (unsigned)(sizeof n->rbuf - n->nread));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  struct net *n = st->data;
  (void)buf;
  if (nread == 0) return;
  n->reads++;
  n->seen_read = cotel_context_current();
  if (nread > 0) n->nread += (size_t)nread;
  if (nread < 0 || n->nread >= 5) {
    cotel_uv_stream_close(cotel_uv_stream_of(st), NULL);
    uv_close((uv_handle_t *)&n->client, NULL);
    uv_close((uv_handle_t *)&n->listener, NULL);
    /* still in the captured context after closing */
    if (cotel_context_current() != n->ctx_server) n->seen_read = NULL;
  }
}

static void on_connection(uv_stream_t *server, int status) {
  struct net *n = server->data;
  assert_int_equal(status, 0);
  assert_int_equal(cotel_uv_tcp_init(&n->loop, &n->server_conn), 0);
  n->server_conn.h.handle.data = n;
  assert_int_equal(uv_accept(server, &n->server_conn.h.stream), 0);
  WITHIN(n->ctx_server,
         assert_int_equal(
             cotel_uv_read_start(&n->server_conn, on_alloc, on_read), 0));
}

static void on_write(uv_write_t *req, int status) {
  struct net *n = req->data;
  n->write_status = status;
  n->seen_write = cotel_context_current();
}

static void on_connect(uv_connect_t *req, int status) {
  struct net *n = req->data;
  static uv_buf_t buf;
  n->connect_status = status;
  n->seen_connect = cotel_context_current();
  buf = uv_buf_init("hello", 5);
  n->write_req.req.data = n;
  WITHIN(n->ctx_write,
         assert_int_equal(
             cotel_uv_write(&n->write_req, req->handle, &buf, 1, on_write), 0));
}

static void
test_tcp_connect_write_and_read_run_in_their_contexts(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  struct net *n = calloc(1, sizeof *n);
  assert_int_equal(uv_loop_init(&n->loop), 0);
  n->ctx_server = mk();
  n->ctx_connect = mk();
  n->ctx_write = mk();

  struct sockaddr_in addr;
  int len = sizeof addr;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  assert_int_equal(uv_tcp_init(&n->loop, &n->listener), 0);
  n->listener.data = n;
  assert_int_equal(uv_tcp_bind(&n->listener, (struct sockaddr *)&addr, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&n->listener, 4, on_connection), 0);
  assert_int_equal(
      uv_tcp_getsockname(&n->listener, (struct sockaddr *)&addr, &len), 0);

  assert_int_equal(uv_tcp_init(&n->loop, &n->client), 0);
  n->connect_req.req.data = n;
  WITHIN(n->ctx_connect,
         assert_int_equal(cotel_uv_tcp_connect(&n->connect_req, &n->client,
                                               (struct sockaddr *)&addr,
                                               on_connect),
                          0));
  assert_ptr_equal(cotel_context_current(), cotel_context_root());
  assert_int_equal(uv_run(&n->loop, UV_RUN_DEFAULT), 0);

  assert_int_equal(n->connect_status, 0);
  assert_int_equal(n->write_status, 0);
  assert_int_equal(n->nread, 5);
  assert_memory_equal(n->rbuf, "hello", 5);
  assert_ptr_equal(n->seen_connect, n->ctx_connect);
  assert_ptr_equal(n->seen_write, n->ctx_write);
  assert_ptr_equal(n->seen_alloc, n->ctx_server);
  assert_ptr_equal(n->seen_read, n->ctx_server);
  assert_true(n->allocs >= 1);
  cotel_context_release(n->ctx_server);
  cotel_context_release(n->ctx_connect);
  cotel_context_release(n->ctx_write);
  /* every capture was released: one-shots after their callbacks, the
   * stream on close */
  assert_int_equal(atomic_load(&frees), 3);
  assert_int_equal(uv_loop_close(&n->loop), 0);
  free(n);
}

static void
test_read_start_ctx_and_failed_calls_release_captures(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  cotel_context *c = mk();
  cotel_uv_stream s;
  assert_int_equal(cotel_uv_tcp_init(&loop, &s), 0);
  /* not connected: uv_read_start fails and nothing stays captured */
  assert_int_not_equal(cotel_uv_read_start_ctx(&s, c, on_alloc, on_read), 0);
  cotel_uv_write_req w;
  uv_buf_t buf = uv_buf_init("x", 1);
  WITHIN(c, assert_int_not_equal(
                cotel_uv_write(&w, &s.h.stream, &buf, 1, on_write), 0));
  cotel_context_release(c);
  assert_int_equal(atomic_load(&frees), 1);
  assert_int_equal(cotel_uv_queue_work(NULL, NULL, NULL, NULL), UV_EINVAL);
  cotel_uv_stream_close(&s, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_queue_work_runs_both_callbacks_in_the_captured_context),
      cmocka_unit_test(test_queue_work_request_may_be_freed_in_after_cb),
      cmocka_unit_test(test_one_shot_timer_runs_in_context_captured_at_start),
      cmocka_unit_test(test_repeating_timer_keeps_its_context_until_closed),
      cmocka_unit_test(test_timer_stop_releases_the_capture),
      cmocka_unit_test(test_tcp_connect_write_and_read_run_in_their_contexts),
      cmocka_unit_test(test_read_start_ctx_and_failed_calls_release_captures),
  };
  return cotel_test_run(argc, argv, "uv_future", tests);
}
