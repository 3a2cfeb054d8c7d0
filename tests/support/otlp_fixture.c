/* Test support for the OTLP exporter tests (see otlp_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/otlp_fixture.h"

otlp_spans *otlp_spans_new(size_t n) {
  otlp_spans *s = calloc(1, sizeof *s);
  assert_non_null(s);
  s->n = n;
  s->sd = calloc(n ? n : 1, sizeof *s->sd);
  s->ptrs = calloc(n ? n : 1, sizeof *s->ptrs);
  s->names = calloc(n ? n : 1, sizeof *s->names);
  assert_non_null(s->sd);
  assert_non_null(s->ptrs);
  assert_non_null(s->names);

  s->res_attrs[0] = cotel_attr_string("service.name", "otlp-test");
  s->res_attrs[1] = cotel_attr_int("process.pid", 4242);
  s->res.attrs = s->res_attrs;
  s->res.n_attrs = 2;
  s->scope.name = cotel_str_c("cotel.test");
  s->scope.version = cotel_str_c("1.2.3");

  s->str_arr[0] = cotel_str_c("a");
  s->str_arr[1] = cotel_str_c("b c");
  s->int_arr[0] = -1;
  s->int_arr[1] = 0;
  s->int_arr[2] = INT64_MAX;
  s->attrs[0] = cotel_attr_string("http.method", "GET");
  s->attrs[1] = cotel_attr_bool("ok", true);
  s->attrs[2] = cotel_attr_int("count", -123456789012345LL);
  s->attrs[3] = cotel_attr_double("ratio", 0.125);
  s->attrs[4] =
      cotel_attr_array("strs", COTEL_ATTR_STRING_ARRAY, s->str_arr, 2);
  s->attrs[5] = cotel_attr_array("ints", COTEL_ATTR_INT_ARRAY, s->int_arr, 3);
  s->attrs[6] = cotel_attr_string("utf8", "h\xc3\xa9llo \xe2\x9c\x93");

  s->ev_attrs[0] = cotel_attr_int("retry", 2);
  s->events[0].name = cotel_str_c("something happened");
  s->events[0].time_ns = 1700000000000000500ull;
  s->events[0].attrs = s->ev_attrs;
  s->events[0].n_attrs = 1;
  s->events[0].dropped_attrs = 1;

  s->link_attrs[0] = cotel_attr_string("link.kind", "follows");
  for (int i = 0; i < 16; i++)
    s->links[0].context.trace_id.bytes[i] = (uint8_t)(0xc0 + i);
  for (int i = 0; i < 8; i++)
    s->links[0].context.span_id.bytes[i] = (uint8_t)(0xd0 + i);
  s->links[0].context.flags = 1;
  s->links[0].attrs = s->link_attrs;
  s->links[0].n_attrs = 1;

  for (size_t i = 0; i < n; i++) {
    cotel_span_data *sd = &s->sd[i];
    for (int b = 0; b < 16; b++)
      sd->context.trace_id.bytes[b] = (uint8_t)(b + 1 + (i / 3));
    for (int b = 0; b < 8; b++)
      sd->context.span_id.bytes[b] =
          (uint8_t)((i >> (8 * (b % 4))) + b * 17 + 1);
    sd->context.span_id.bytes[0] = (uint8_t)i;
    sd->context.span_id.bytes[1] = (uint8_t)(i >> 8);
    sd->context.flags = COTEL_TRACE_FLAG_SAMPLED | COTEL_TRACE_FLAG_RANDOM;
    if (i % 2) {
      for (int b = 0; b < 8; b++)
        sd->parent_span_id.bytes[b] = (uint8_t)(0xe0 + b);
      sd->parent_is_remote = (i % 4) == 3;
    }
    snprintf(s->names[i], sizeof s->names[i], "span-%zu", i);
    sd->name = cotel_str_c(s->names[i]);
    sd->kind = (cotel_span_kind)(1 + i % 5);
    sd->start_ns = 1700000000000000000ull + i * 1000;
    sd->end_ns = sd->start_ns + 777;
    sd->status = (cotel_status_code)(i % 3);
    if (sd->status == COTEL_STATUS_ERROR)
      sd->status_message = cotel_str_c("boom");
    sd->attrs = s->attrs;
    sd->n_attrs = 7;
    sd->dropped_attrs = (uint32_t)(i % 2);
    sd->events = s->events;
    sd->n_events = 1;
    sd->dropped_events = 2;
    sd->links = s->links;
    sd->n_links = 1;
    sd->dropped_links = 3;
    sd->scope = &s->scope;
    sd->resource = &s->res;
    s->ptrs[i] = sd;
  }
  return s;
}

void otlp_spans_free(otlp_spans *s) {
  if (!s) return;
  free(s->sd);
  free(s->ptrs);
  free(s->names);
  free(s);
}

static int setup_with(void **state, const char *const *args, bool grpc) {
  otlp_fx *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  if (grpc)
    assert_int_equal(cotel_test_grpc_receiver_start(&fx->rx), 0);
  else
    assert_int_equal(cotel_test_receiver_start(&fx->rx, args), 0);
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  cotel_otlp_options_default(&fx->opts);
  fx->opts.endpoint = fx->rx.base;
  fx->opts.timeout_ms = 5000;
  fx->opts.retry_initial_backoff_ms = 10;
  fx->opts.retry_max_backoff_ms = 50;
  fx->opts.retry_backoff_multiplier = 2.0;
  fx->opts.max_concurrent = 4;
  if (grpc) {
    fx->opts.endpoint = fx->rx.grpc;
    fx->opts.protocol = COTEL_OTLP_GRPC;
  }
  *state = fx;
  return 0;
}

int otlp_fx_setup(void **state) {
  return setup_with(state, NULL, false);
}

int otlp_fx_setup_grpc(void **state) {
  return setup_with(state, NULL, true);
}

static char tls_cert[1024], tls_key[1024], tls_ca[1024];

int otlp_fx_setup_tls(void **state) {
  const char *args[] = {
      "--tls-cert",
      cotel_test_tls_file("server.pem", tls_cert, sizeof tls_cert), "--tls-key",
      cotel_test_tls_file("server.key", tls_key, sizeof tls_key), NULL};
  return setup_with(state, args, false);
}

int otlp_fx_setup_mtls(void **state) {
  const char *args[] = {
      "--tls-cert",
      cotel_test_tls_file("server.pem", tls_cert, sizeof tls_cert),
      "--tls-key",
      cotel_test_tls_file("server.key", tls_key, sizeof tls_key),
      "--tls-client-ca",
      cotel_test_tls_file("ca.pem", tls_ca, sizeof tls_ca),
      NULL};
  return setup_with(state, args, false);
}

int otlp_fx_teardown(void **state) {
  otlp_fx *fx = (otlp_fx *)*state;
  if (fx->exp) {
    if (!fx->shut) otlp_fx_shutdown(fx, 1000);
    fx->exp->destroy(fx->exp);
  }
  otlp_log_capture(NULL);
  cotel_test_receiver_stop(&fx->rx);
  /* Every handle the exporter opened is closed: the loop closes cleanly. */
  int rc = uv_loop_close(&fx->loop);
  free(fx);
  assert_int_equal(rc, 0);
  return 0;
}

void otlp_fx_start(otlp_fx *fx) {
  assert_int_equal(cotel_otlp_exporter_new(&fx->opts, &fx->exp), 0);
  assert_int_equal(fx->exp->start(fx->exp, &fx->loop), 0);
}

static void on_done(void *arg, int rc) {
  otlp_pending *p = (otlp_pending *)arg;
  assert_false(p->done); /* exactly once */
  p->done = true;
  p->rc = rc;
  p->t_done_ns = cotel_monotonic_ns();
}

void otlp_fx_export_async(otlp_fx *fx, const otlp_spans *s, size_t first,
                          size_t n, otlp_pending *p) {
  memset(p, 0, sizeof *p);
  fx->exp->export_spans(fx->exp, s->ptrs + first, n, on_done, p);
}

void otlp_fx_wait(otlp_fx *fx, otlp_pending *p) {
  while (!p->done) {
    int more = uv_run(&fx->loop, UV_RUN_ONCE);
    if (!more && !p->done) fail_msg("loop ran dry before the export ended");
  }
}

int otlp_fx_export(otlp_fx *fx, const otlp_spans *s, size_t first, size_t n,
                   uint64_t *elapsed_ms) {
  otlp_pending p;
  uint64_t t0 = cotel_monotonic_ns();
  otlp_fx_export_async(fx, s, first, n, &p);
  otlp_fx_wait(fx, &p);
  if (elapsed_ms) *elapsed_ms = (p.t_done_ns - t0) / 1000000u;
  return p.rc;
}

void otlp_fx_wait_received(otlp_fx *fx, long count) {
  /* The receiver records a request before answering it; poll its count
   * between loop iterations (the loop must keep running to send). */
  uint64_t limit = cotel_monotonic_ns() + 20000000000ull;
  while (cotel_test_receiver_count(&fx->rx) < count) {
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    if (cotel_monotonic_ns() > limit) fail_msg("receiver never got it");
  }
}

uint64_t otlp_fx_shutdown(otlp_fx *fx, uint64_t timeout_ms) {
  uint64_t t0 = cotel_monotonic_ns();
  fx->exp->shutdown(fx->exp, t0 + timeout_ms * 1000000u);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  fx->shut = true;
  return (cotel_monotonic_ns() - t0) / 1000000u;
}

cotel_otlp_stats otlp_fx_stats(otlp_fx *fx) {
  cotel_otlp_stats st;
  assert_int_equal(cotel_otlp_exporter_stats(fx->exp, &st), 0);
  return st;
}

static void child_done(void *arg, int rc) {
  *(int *)arg = rc;
}

int otlp_fx_export_in_forked_child(otlp_fx *fx, const otlp_spans *s,
                                   size_t first, size_t n) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* The child: a new loop, start again, export, report by exit code. */
    uv_loop_t child_loop;
    int rc = -1;
    if (uv_loop_init(&child_loop) != 0) _exit(10);
    if (fx->exp->start(fx->exp, &child_loop) != 0) _exit(11);
    fx->exp->export_spans(fx->exp, s->ptrs + first, n, child_done, &rc);
    while (rc == -1 && uv_run(&child_loop, UV_RUN_ONCE)) {
    }
    fx->exp->shutdown(fx->exp, cotel_monotonic_ns() + 1000000000u);
    uv_run(&child_loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&child_loop) != 0) _exit(12);
    _exit(rc == 0 ? 0 : 13);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

void otlp_fx_assert_stats(otlp_fx *fx, uint64_t exported, uint64_t failed,
                          uint64_t requests, uint64_t retries) {
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spans_exported, exported);
  assert_int_equal(st.spans_failed, failed);
  assert_int_equal(st.requests, requests);
  assert_int_equal(st.retries, retries);
  cotel_stats acc = {0};
  fx->exp->stats(fx->exp, &acc);
  assert_int_equal(acc.spans_exported, exported);
  assert_int_equal(acc.spans_export_failed, failed);
  assert_int_equal(acc.export_retries, retries);
}

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *log_needle;
static unsigned log_hits, log_warn_hits, log_warns;

static void log_hook(void *ud, cotel_log_level level, const char *msg) {
  (void)ud;
  pthread_mutex_lock(&log_mu);
  if (log_needle && strstr(msg, log_needle)) {
    log_hits++;
    if (level >= COTEL_LOG_WARN) log_warn_hits++;
  }
  if (level >= COTEL_LOG_WARN) log_warns++;
  pthread_mutex_unlock(&log_mu);
}

unsigned otlp_log_warn_hits(void) {
  pthread_mutex_lock(&log_mu);
  unsigned n = log_warn_hits;
  pthread_mutex_unlock(&log_mu);
  return n;
}

unsigned otlp_log_warns(void) {
  pthread_mutex_lock(&log_mu);
  unsigned n = log_warns;
  pthread_mutex_unlock(&log_mu);
  return n;
}

void otlp_log_capture(const char *needle) {
  pthread_mutex_lock(&log_mu);
  log_needle = needle;
  log_hits = log_warn_hits = log_warns = 0;
  pthread_mutex_unlock(&log_mu);
  if (needle)
    cotel_log_set(log_hook, NULL, COTEL_LOG_DEBUG);
  else
    cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

unsigned otlp_log_hits(void) {
  pthread_mutex_lock(&log_mu);
  unsigned n = log_hits;
  pthread_mutex_unlock(&log_mu);
  return n;
}

long otlp_fx_meta_long(otlp_fx *fx, long i, const char *key) {
  char *v = cotel_test_receiver_meta(&fx->rx, i, key);
  assert_non_null(v);
  long x = atol(v);
  free(v);
  return x;
}
