/* The receiver of cotel-bench-otlp-export: a minimal HTTP/1.1 server on its
 * own libuv loop and thread. It frames requests by Content-Length only (what
 * libcurl sends for a POST body), counts them and answers each with 200 and
 * an empty ExportTraceServiceResponse (no body for protobuf, "{}" for JSON),
 * on keep-alive connections. It decodes nothing: the numbers measured are
 * the client's. Static functions, included by bench_otlp_export.c only (the
 * bench build compiles one bench_*.c per executable). */
#ifndef COTEL_BENCH_OTLP_SINK_H
#define COTEL_BENCH_OTLP_SINK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

typedef struct sink {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_async_t stop;
  pthread_t thread;
  clockid_t cpu;
  int port;
  bool json;
  atomic_uint_fast64_t requests, bytes;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool ready;
} sink;

typedef struct sink_conn {
  uv_tcp_t tcp;
  sink *s;
  char *buf;
  size_t len, cap;
  size_t scanned; /* bytes searched for the end of the headers */
  size_t need;    /* whole request's size once the headers are read */
} sink_conn;

static const char resp_pb[] = "HTTP/1.1 200 OK\r\n"
                              "Content-Type: application/x-protobuf\r\n"
                              "Content-Length: 0\r\n\r\n";
static const char resp_json[] = "HTTP/1.1 200 OK\r\n"
                                "Content-Type: application/json\r\n"
                                "Content-Length: 2\r\n\r\n{}";

static void on_conn_closed(uv_handle_t *h) {
  sink_conn *c = h->data;
  free(c->buf);
  free(c);
}

static void on_written(uv_write_t *w, int status) {
  (void)status;
  free(w);
}

static void respond(sink_conn *c) {
  const char *r = c->s->json ? resp_json : resp_pb;
  size_t n = c->s->json ? sizeof resp_json - 1 : sizeof resp_pb - 1;
  uv_buf_t b = uv_buf_init((char *)r, (unsigned)n);
  int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (w == (int)n) return;
  if (w > 0) b = uv_buf_init((char *)r + w, (unsigned)(n - (size_t)w));
  uv_write_t *req = malloc(sizeof *req);
  if (!req || uv_write(req, (uv_stream_t *)&c->tcp, &b, 1, on_written)) {
    free(req);
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
  }
}

/* Content-Length of a header block, -1 if absent or bad. */
static long content_length(const char *h, size_t n) {
  static const char key[] = "\ncontent-length:";
  size_t k = sizeof key - 1;
  for (size_t i = 0; i + k <= n; i++) {
    if (strncasecmp(h + i, key, k) != 0) continue;
    char *end;
    long v = strtol(h + i + k, &end, 10);
    return end == h + i + k || v < 0 ? -1 : v;
  }
  return -1;
}

static void process(sink_conn *c) {
  for (;;) {
    if (c->need == 0) {
      size_t from = c->scanned > 3 ? c->scanned - 3 : 0;
      char *e = memmem(c->buf + from, c->len - from, "\r\n\r\n", 4);
      if (!e) {
        c->scanned = c->len;
        return;
      }
      size_t hdr = (size_t)(e - c->buf) + 4;
      long cl = content_length(c->buf, hdr);
      if (cl < 0) {
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        return;
      }
      c->need = hdr + (size_t)cl;
    }
    if (c->len < c->need) return;
    atomic_fetch_add_explicit(&c->s->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->s->bytes, c->need, memory_order_relaxed);
    respond(c);
    memmove(c->buf, c->buf + c->need, c->len - c->need);
    c->len -= c->need;
    c->need = c->scanned = 0;
  }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out) {
  sink_conn *c = h->data;
  size_t want = hint < 65536 ? 65536 : hint;
  if (c->cap - c->len < want) {
    size_t cap = c->cap ? c->cap : 65536;
    while (cap - c->len < want)
      cap *= 2;
    char *b = realloc(c->buf, cap);
    if (!b) {
      *out = uv_buf_init(NULL, 0);
      return;
    }
    c->buf = b;
    c->cap = cap;
  }
  *out = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
  sink_conn *c = st->data;
  (void)b;
  if (n < 0) {
    if (!uv_is_closing((uv_handle_t *)st))
      uv_close((uv_handle_t *)st, on_conn_closed);
    return;
  }
  c->len += (size_t)n;
  process(c);
}

static void on_connection(uv_stream_t *l, int status) {
  sink *s = l->data;
  if (status) return;
  sink_conn *c = calloc(1, sizeof *c);
  if (!c) return;
  c->s = s;
  uv_tcp_init(&s->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(l, (uv_stream_t *)&c->tcp)) {
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void close_any(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, h->type == UV_TCP && h->data && h->data != arg ? on_conn_closed
                                                               : NULL);
}

static void on_stop(uv_async_t *a) {
  sink *s = a->data;
  /* Connections carry a sink_conn in data; the listener and the async
   * carry the sink itself. */
  uv_walk(&s->loop, close_any, s);
}

static void *sink_main(void *arg) {
  sink *s = arg;
  pthread_mutex_lock(&s->mu);
  if (pthread_getcpuclockid(pthread_self(), &s->cpu))
    s->cpu = CLOCK_THREAD_CPUTIME_ID;
  s->ready = true;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  return NULL;
}

/* Start the sink on an ephemeral port (s->port); `json` picks the response
 * body. */
static void sink_start(sink *s, bool json) {
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound, rc;
  memset(s, 0, sizeof *s);
  s->json = json; /* before the thread starts: it reads it */
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  uv_loop_init(&s->loop);
  uv_tcp_init(&s->loop, &s->listener);
  uv_async_init(&s->loop, &s->stop, on_stop);
  s->listener.data = s->stop.data = s;
  uv_ip4_addr("127.0.0.1", 0, &addr);
  if ((rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0)) ||
      (rc = uv_listen((uv_stream_t *)&s->listener, 64, on_connection))) {
    fprintf(stderr, "sink: %s\n", uv_strerror(rc));
    exit(1);
  }
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
  s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
  if ((rc = pthread_create(&s->thread, NULL, sink_main, s))) {
    fprintf(stderr, "sink: pthread_create: %s\n", strerror(rc));
    exit(1);
  }
  pthread_mutex_lock(&s->mu);
  while (!s->ready)
    pthread_cond_wait(&s->cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
}

static void sink_stop(sink *s) {
  uv_async_send(&s->stop);
  pthread_join(s->thread, NULL);
  uv_loop_close(&s->loop);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
}

#endif
