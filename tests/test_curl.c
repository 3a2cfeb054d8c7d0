/* libcurl client spans (cotel/curl.h) against a real HTTP server on
 * 127.0.0.1: easy and multi transfers, 100 concurrent transfers on a libuv
 * loop, redirects, refused connections, status mapping, redaction. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cotel/cotel.h"
#include "cotel/curl.h"
#include "support/internal.h"
#include "support/http_stub.h"
#include "test_util.h"
#include "support/provider_fixture.h"

typedef struct fx {
  cotel_provider *p;
  cotel_tracer *t;
  cotel_exporter *mem;
  http_stub stub;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  assert_int_equal(cotel_memory_exporter_new(&f->mem), 0);
  f->p = simple_provider_new(f->mem, NULL);
  cotel_provider_set_global(f->p);
  cotel_propagator_set_global(NULL);
  f->t = cotel_provider_tracer(f->p, "test");
  assert_int_equal(http_stub_start(&f->stub), 0);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  http_stub_stop(&f->stub);
  cotel_provider_set_global(NULL);
  cotel_provider_destroy(f->p);
  curl_global_cleanup();
  free(f);
  return 0;
}

static const cotel_attr *attr(const cotel_span_data *d, const char *key) {
  for (uint32_t i = 0; i < d->n_attrs; i++)
    if (d->attrs[i].key.len == strlen(key) &&
        !memcmp(d->attrs[i].key.ptr, key, d->attrs[i].key.len))
      return &d->attrs[i];
  return NULL;
}

static void assert_str_attr(const cotel_span_data *d, const char *key,
                            const char *want) {
  const cotel_attr *a = attr(d, key);
  assert_non_null(a);
  assert_int_equal(a->type, COTEL_ATTR_STRING);
  char got[512];
  snprintf(got, sizeof got, "%.*s", (int)a->v.s.len, a->v.s.ptr);
  assert_string_equal(got, want);
}

static int64_t int_attr(const cotel_span_data *d, const char *key) {
  const cotel_attr *a = attr(d, key);
  assert_non_null(a);
  assert_int_equal(a->type, COTEL_ATTR_INT);
  return a->v.i;
}

/* The only CLIENT span exported so far. */
static const cotel_span_data *client_span(fx *f) {
  const cotel_span_data *found = NULL;
  for (size_t i = 0; i < cotel_memory_exporter_count(f->mem); i++) {
    const cotel_span_data *d = cotel_memory_exporter_get(f->mem, i);
    if (d->kind == COTEL_SPAN_KIND_CLIENT) {
      assert_null(found);
      found = d;
    }
  }
  assert_non_null(found);
  return found;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud) {
  (void)p, (void)ud;
  return sz * n;
}

static CURL *easy_for(fx *f, const char *path) {
  CURL *e = curl_easy_init();
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", f->stub.port, path);
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
  assert_int_equal(cotel_curl_instrument(e, NULL), 0);
  return e;
}

static void span_hex(const cotel_span_id *id, char out[17]) {
  cotel_span_id_to_hex(id, out);
}

/* traceparent "00-<trace>-<span>-<flags>": the span id part. */
static void tp_span(const char *tp, char out[17]) {
  assert_true(strlen(tp) >= 52);
  memcpy(out, tp + 36, 16);
  out[16] = 0;
}

static void
test_easy_transfer_gets_a_client_span_under_the_current_span(void **state) {
  fx *f = *state;
  cotel_span parent;
  cotel_span_start(f->t, "parent", NULL, &parent);
  cotel_token tok = cotel_span_make_current(parent);
  CURL *e = easy_for(f, "/ok?x=1");
  struct curl_slist *mine = curl_slist_append(NULL, "X-Mine: kept");
  cotel_curl_set_headers(e, mine);
  assert_int_equal(cotel_curl_easy_perform(e), CURLE_OK);
  cotel_context_detach(tok);
  cotel_span_end(parent, 0);

  const cotel_span_data *d = client_span(f);
  cotel_span_context pc;
  cotel_span_get_context(parent, &pc);
  assert_memory_equal(&d->parent_span_id, &pc.span_id, sizeof pc.span_id);
  assert_memory_equal(&d->context.trace_id, &pc.trace_id, sizeof pc.trace_id);
  assert_true(d->name.len == 3 && !memcmp(d->name.ptr, "GET", 3));
  assert_str_attr(d, "http.request.method", "GET");
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/ok?x=1", f->stub.port);
  assert_str_attr(d, "url.full", url);
  assert_str_attr(d, "server.address", "127.0.0.1");
  assert_int_equal(int_attr(d, "server.port"), f->stub.port);
  assert_str_attr(d, "network.peer.address", "127.0.0.1");
  assert_int_equal(int_attr(d, "http.response.status_code"), 200);
  assert_str_attr(d, "network.protocol.version", "1.1");
  assert_null(attr(d, "http.request.resend_count"));
  assert_null(attr(d, "error.type"));
  assert_int_equal(d->status, COTEL_STATUS_UNSET);

  /* The request carried the CLIENT span's id and the caller's header; the
   * caller's list is untouched. */
  http_stub_record r;
  assert_true(http_stub_record_get(&f->stub, 0, &r));
  char want[17], got[17];
  span_hex(&d->context.span_id, want);
  tp_span(r.traceparent, got);
  assert_string_equal(got, want);
  assert_string_equal(r.x_mine, "kept");
  assert_null(mine->next);
  assert_string_equal(mine->data, "X-Mine: kept");

  /* A second transfer on the same handle: a new span, a new id. */
  cotel_memory_exporter_clear(f->mem);
  assert_int_equal(cotel_curl_easy_perform(e), CURLE_OK);
  d = client_span(f);
  assert_true(cotel_span_id_is_zero(&d->parent_span_id));
  assert_true(http_stub_record_get(&f->stub, 1, &r));
  span_hex(&d->context.span_id, want);
  tp_span(r.traceparent, got);
  assert_string_equal(got, want);
  cotel_curl_uninstrument(e);
  curl_easy_cleanup(e);
  curl_slist_free_all(mine);
}

static void check_status(fx *f, const char *path, long code) {
  CURL *e = easy_for(f, path);
  assert_int_equal(cotel_curl_easy_perform(e), CURLE_OK);
  const cotel_span_data *d = client_span(f);
  assert_int_equal(int_attr(d, "http.response.status_code"), code);
  char want[16];
  snprintf(want, sizeof want, "%ld", code);
  assert_str_attr(d, "error.type", want);
  assert_int_equal(d->status, COTEL_STATUS_ERROR);
  cotel_curl_uninstrument(e);
  curl_easy_cleanup(e);
  cotel_memory_exporter_clear(f->mem);
}

static void test_404_and_500_make_a_client_span_an_error(void **state) {
  fx *f = *state;
  check_status(f, "/status/404", 404);
  check_status(f, "/status/500", 500);
}

static void test_redirects_are_one_span_with_a_resend_count(void **state) {
  fx *f = *state;
  CURL *e = easy_for(f, "/redirect/2");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  assert_int_equal(cotel_curl_easy_perform(e), CURLE_OK);
  const cotel_span_data *d = client_span(f);
  assert_int_equal(int_attr(d, "http.response.status_code"), 200);
  assert_int_equal(int_attr(d, "http.request.resend_count"), 2);
  assert_int_equal(d->status, COTEL_STATUS_UNSET);
  /* Every request of the transfer carried the span's context. */
  assert_int_equal(http_stub_count(&f->stub), 3);
  char want[17], got[17];
  span_hex(&d->context.span_id, want);
  for (size_t i = 0; i < 3; i++) {
    http_stub_record r;
    assert_true(http_stub_record_get(&f->stub, i, &r));
    tp_span(r.traceparent, got);
    assert_string_equal(got, want);
  }
  cotel_curl_uninstrument(e);
  curl_easy_cleanup(e);
}

static void test_connection_refused_sets_error_type(void **state) {
  fx *f = *state;
  CURL *e = curl_easy_init();
  char url[128];
  int port = http_stub_closed_port();
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
  curl_easy_setopt(e, CURLOPT_URL, url);
  assert_int_equal(cotel_curl_instrument(e, NULL), 0);
  assert_int_equal(cotel_curl_easy_perform(e), CURLE_COULDNT_CONNECT);
  const cotel_span_data *d = client_span(f);
  assert_str_attr(d, "error.type", "CURLE_COULDNT_CONNECT");
  assert_int_equal(d->status, COTEL_STATUS_ERROR);
  assert_null(attr(d, "http.response.status_code"));
  assert_int_equal(int_attr(d, "server.port"), port);
  assert_true(d->end_ns >= d->start_ns);
  cotel_curl_uninstrument(e);
  curl_easy_cleanup(e);
}

static void test_unknown_method_is_recorded_as_other(void **state) {
  fx *f = *state;
  CURL *e = easy_for(f, "/ok");
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "FROB");
  assert_int_equal(cotel_curl_easy_perform(e), CURLE_OK);
  const cotel_span_data *d = client_span(f);
  assert_str_attr(d, "http.request.method", "_OTHER");
  assert_str_attr(d, "http.request.method_original", "FROB");
  assert_true(d->name.len == 4 && !memcmp(d->name.ptr, "HTTP", 4));
  cotel_curl_uninstrument(e);
  curl_easy_cleanup(e);
}

static void
test_credentials_and_signatures_are_redacted_in_url_full(void **state) {
  fx *f = *state;
  CURL *e = curl_easy_init();
  char url[256], want[256];
  snprintf(url, sizeof url, "http://user:pw@127.0.0.1:%d/ok?sig=abc&x=1",
           f->stub.port);
  snprintf(want, sizeof want,
           "http://REDACTED:REDACTED@127.0.0.1:%d/ok?sig=REDACTED&x=1",
           f->stub.port);
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
  assert_int_equal(cotel_curl_instrument(e, NULL), 0);
  assert_int_equal(cotel_curl_easy_perform(e), CURLE_OK);
  assert_str_attr(client_span(f), "url.full", want);
  cotel_curl_uninstrument(e);
  curl_easy_cleanup(e);
}

/* A plain multi handle driven by curl_multi_poll: each transfer's parent is
 * the span current when it was added. */
static void
test_multi_transfers_keep_the_parent_current_when_added(void **state) {
  fx *f = *state;
  enum { N = 8 };
  CURLM *m = curl_multi_init();
  CURL *e[N];
  cotel_span parents[N];
  for (int i = 0; i < N; i++) {
    char path[32];
    snprintf(path, sizeof path, "/ok?i=%d", i);
    e[i] = easy_for(f, path);
    cotel_span_start(f->t, "parent", NULL, &parents[i]);
    cotel_token tok = cotel_span_make_current(parents[i]);
    assert_int_equal(cotel_curl_multi_add_handle(m, e[i]), CURLM_OK);
    cotel_context_detach(tok);
  }
  int running = 1, done = 0;
  for (int rounds = 0; done < N && rounds < 10000; rounds++) {
    curl_multi_perform(m, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
      if (msg->msg != CURLMSG_DONE) continue;
      cotel_curl_done(msg->easy_handle, msg->data.result);
      done++;
    }
    if (done < N) curl_multi_poll(m, NULL, 0, 100, NULL);
  }
  assert_int_equal(done, N);
  size_t clients = 0;
  for (size_t k = 0; k < cotel_memory_exporter_count(f->mem); k++) {
    const cotel_span_data *d = cotel_memory_exporter_get(f->mem, k);
    if (d->kind != COTEL_SPAN_KIND_CLIENT) continue;
    clients++;
    const char *full = attr(d, "url.full")->v.s.ptr;
    int i = atoi(strstr(full, "i=") + 2);
    cotel_span_context pc;
    cotel_span_get_context(parents[i], &pc);
    assert_memory_equal(&d->parent_span_id, &pc.span_id, 8);
  }
  assert_int_equal(clients, N);
  for (int i = 0; i < N; i++) {
    curl_multi_remove_handle(m, e[i]);
    cotel_curl_uninstrument(e[i]);
    curl_easy_cleanup(e[i]);
    cotel_span_end(parents[i], 0);
  }
  curl_multi_cleanup(m);
}

/* ---- 100 concurrent transfers on a libuv loop (the one HTTP client) ---- */

#define N_UV 100

typedef struct uv_xfer {
  cotel__http_req req;
  int i;
  int *done;
  uv_timer_t *keep;
} uv_xfer;

static void on_keep(uv_timer_t *t) {
  (void)t;
}

static void on_uv_done(cotel__http_req *r) {
  uv_xfer *x = container_of(r, uv_xfer, req);
  cotel_curl_done(r->easy, r->curl_rc);
  assert_int_equal(r->curl_rc, CURLE_OK);
  assert_int_equal(r->status, 200);
  if (++*x->done == N_UV) uv_close((uv_handle_t *)x->keep, NULL);
}

static void on_http_closed(cotel__http *h) {
  (void)h;
}

static void
test_100_concurrent_transfers_on_a_libuv_loop_keep_their_parents(void **state) {
  fx *f = *state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  cotel__http h;
  assert_int_equal(cotel__http_init(&h, &loop), 0);
  static uv_xfer x[N_UV];
  cotel_span parents[N_UV];
  int done = 0;
  /* The client's handles are unref'd (an exporter must not keep a loop
   * alive): this timer keeps the loop running until the last transfer. */
  uv_timer_t keep;
  uv_timer_init(&loop, &keep);
  uv_timer_start(&keep, on_keep, 60000, 60000);
  for (int i = 0; i < N_UV; i++) {
    char path[32];
    snprintf(path, sizeof path, "/ok?i=%d", i);
    memset(&x[i], 0, sizeof x[i]);
    x[i].i = i;
    x[i].done = &done;
    x[i].keep = &keep;
    x[i].req.easy = easy_for(f, path);
    x[i].req.done = on_uv_done;
    cotel__http_req_prepare(&x[i].req);
    cotel_span_start(f->t, "parent", NULL, &parents[i]);
    cotel_token tok = cotel_span_make_current(parents[i]);
    /* The transfer is added by the client: capture the parent first. */
    assert_int_equal(cotel_curl_set_parent(x[i].req.easy, NULL), 0);
    assert_int_equal(cotel__http_start(&h, &x[i].req), 0);
    cotel_context_detach(tok);
  }
  /* Bounded by the transfers' own 10 s timeouts. */
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(done, N_UV);
  cotel__http_close(&h, on_http_closed);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);

  /* Every CLIENT span: its parent is its transfer's; every request carried
   * its own CLIENT span's id. */
  char seen[N_UV][17];
  memset(seen, 0, sizeof seen);
  size_t clients = 0;
  for (size_t k = 0; k < cotel_memory_exporter_count(f->mem); k++) {
    const cotel_span_data *d = cotel_memory_exporter_get(f->mem, k);
    if (d->kind != COTEL_SPAN_KIND_CLIENT) continue;
    clients++;
    const cotel_attr *u = attr(d, "url.full");
    int i = atoi(strstr(u->v.s.ptr, "i=") + 2);
    cotel_span_context pc;
    cotel_span_get_context(parents[i], &pc);
    assert_memory_equal(&d->parent_span_id, &pc.span_id, 8);
    assert_memory_equal(&d->context.trace_id, &pc.trace_id, 16);
    span_hex(&d->context.span_id, seen[i]);
  }
  assert_int_equal(clients, N_UV);
  assert_int_equal(http_stub_count(&f->stub), N_UV);
  for (size_t k = 0; k < N_UV; k++) {
    http_stub_record r;
    char got[17];
    assert_true(http_stub_record_get(&f->stub, k, &r));
    int i = atoi(strstr(r.target, "i=") + 2);
    tp_span(r.traceparent, got);
    assert_string_equal(got, seen[i]);
  }
  for (int i = 0; i < N_UV; i++) {
    cotel_curl_uninstrument(x[i].req.easy);
    curl_easy_cleanup(x[i].req.easy);
    cotel__buf_free(&x[i].req.resp);
    cotel_span_end(parents[i], 0);
  }
}

static void test_uninstrument_restores_the_callers_headers(void **state) {
  fx *f = *state;
  CURL *e = easy_for(f, "/ok");
  struct curl_slist *mine = curl_slist_append(NULL, "X-Mine: plain");
  cotel_curl_set_headers(e, mine);
  cotel_curl_uninstrument(e);
  assert_int_equal(curl_easy_perform(e), CURLE_OK);
  http_stub_record r;
  assert_true(http_stub_record_get(&f->stub, 0, &r));
  assert_string_equal(r.x_mine, "plain");
  assert_string_equal(r.traceparent, "");
  assert_int_equal(cotel_memory_exporter_count(f->mem), 0);
  curl_easy_cleanup(e);
  curl_slist_free_all(mine);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_easy_transfer_gets_a_client_span_under_the_current_span, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_404_and_500_make_a_client_span_an_error, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_redirects_are_one_span_with_a_resend_count, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connection_refused_sets_error_type,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_method_is_recorded_as_other,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_credentials_and_signatures_are_redacted_in_url_full, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_multi_transfers_keep_the_parent_current_when_added, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_100_concurrent_transfers_on_a_libuv_loop_keep_their_parents,
          setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_uninstrument_restores_the_callers_headers, setup, teardown),
  };
  return cotel_test_run(argc, argv, "curl", tests);
}
