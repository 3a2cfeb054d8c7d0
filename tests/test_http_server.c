/* The server-span helper (cotel/http_server.h): extraction, attributes,
 * current context, status mapping. The example services exercise it over
 * real sockets (test_w3c_service, test_hop). */
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "cotel/http_server.h"
#include "support/header_fixture.h"
#include "test_util.h"
#include "support/provider_fixture.h"

typedef struct fx {
  cotel_provider *p;
  cotel_exporter *mem;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  assert_int_equal(cotel_memory_exporter_new(&f->mem), 0);
  f->p = simple_provider_new(f->mem, NULL);
  cotel_provider_set_global(f->p);
  cotel_propagator_set_global(NULL);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  cotel_provider_set_global(NULL);
  cotel_provider_destroy(f->p);
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

static void assert_attr(const cotel_span_data *d, const char *key,
                        const char *want) {
  const cotel_attr *a = attr(d, key);
  assert_non_null(a);
  char got[512];
  if (a->type == COTEL_ATTR_INT)
    snprintf(got, sizeof got, "%lld", (long long)a->v.i);
  else
    snprintf(got, sizeof got, "%.*s", (int)a->v.s.len, a->v.s.ptr);
  assert_string_equal(got, want);
}

static cotel_str S(const char *s) {
  return cotel_str_c(s);
}

static const cotel_span_data *only_span(fx *f) {
  assert_int_equal(cotel_memory_exporter_count(f->mem), 1);
  return cotel_memory_exporter_get(f->mem, 0);
}

static void test_server_span_continues_the_callers_trace_with_http_attributes(
    void **state) {
  fx *f = *state;
  static const char *const kv[] = {
      "traceparent",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "Host",
      "svc.example:8443",
      "User-Agent",
      "curl/7.88.1",
      "X-Forwarded-For",
      "203.0.113.9, 10.0.0.1",
      NULL};
  hdrs h;
  hdrs_init(&h, kv);
  cotel_http_server_request r;
  cotel_http_server_request_init(&r);
  r.method = S("POST");
  r.target = S("/orders/7?expand=1");
  r.scheme = S("https");
  r.peer_address = S("127.0.0.1");
  r.peer_port = 40000;
  r.route = S("/orders/{id}");
  r.headers = &h.c;
  cotel_http_server_span s;
  assert_int_equal(cotel_http_server_start(NULL, NULL, &r, &s), 0);
  /* Current for the handler. */
  cotel_span cur = cotel_span_current();
  assert_ptr_equal(cur.rec, s.span.rec);
  cotel_http_server_end(&s, 201);
  assert_null(cotel_span_current().rec);

  const cotel_span_data *d = only_span(f);
  assert_int_equal(d->kind, COTEL_SPAN_KIND_SERVER);
  char tid[33], pid[17];
  cotel_trace_id_to_hex(&d->context.trace_id, tid);
  cotel_span_id_to_hex(&d->parent_span_id, pid);
  assert_string_equal(tid, "0af7651916cd43dd8448eb211c80319c");
  assert_string_equal(pid, "b7ad6b7169203331");
  assert_true(d->parent_is_remote);
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)d->name.len, d->name.ptr);
  assert_string_equal(name, "POST /orders/{id}");
  assert_attr(d, "http.request.method", "POST");
  assert_attr(d, "url.path", "/orders/7");
  assert_attr(d, "url.query", "expand=1");
  assert_attr(d, "url.scheme", "https");
  assert_attr(d, "http.route", "/orders/{id}");
  assert_attr(d, "client.address", "203.0.113.9");
  assert_attr(d, "network.peer.address", "127.0.0.1");
  assert_attr(d, "network.peer.port", "40000");
  assert_attr(d, "server.address", "svc.example");
  assert_attr(d, "server.port", "8443");
  assert_attr(d, "user_agent.original", "curl/7.88.1");
  assert_attr(d, "network.protocol.version", "1.1");
  assert_attr(d, "http.response.status_code", "201");
  assert_null(attr(d, "error.type"));
  assert_int_equal(d->status, COTEL_STATUS_UNSET);
}

static void run_status(int status) {
  static const char *const kv[] = {"Host", "localhost", NULL};
  hdrs h;
  hdrs_init(&h, kv);
  cotel_http_server_request r;
  cotel_http_server_request_init(&r);
  r.method = S("GET");
  r.target = S("/x");
  r.headers = &h.c;
  cotel_http_server_span s;
  assert_int_equal(cotel_http_server_start(NULL, NULL, &r, &s), 0);
  cotel_http_server_leave(&s); /* asynchronous handler: end later */
  cotel_http_server_end(&s, status);
}

static void test_5xx_is_an_error_on_a_server_span_and_4xx_is_not(void **state) {
  fx *f = *state;
  run_status(404);
  const cotel_span_data *d = only_span(f);
  assert_int_equal(d->status, COTEL_STATUS_UNSET);
  assert_null(attr(d, "error.type"));
  assert_attr(d, "server.address", "localhost");
  assert_attr(d, "server.port", "80");
  assert_true(cotel_span_id_is_zero(&d->parent_span_id));
  cotel_memory_exporter_clear(f->mem);
  run_status(500);
  d = only_span(f);
  assert_int_equal(d->status, COTEL_STATUS_ERROR);
  assert_attr(d, "error.type", "500");
  assert_attr(d, "http.response.status_code", "500");
}

static void
test_unknown_method_and_absolute_target_are_normalised(void **state) {
  fx *f = *state;
  cotel_http_server_request r;
  cotel_http_server_request_init(&r);
  r.method = S("PURGE");
  r.target = S("http://h.example/a/b?c=d");
  cotel_http_server_span s;
  assert_int_equal(cotel_http_server_start(NULL, NULL, &r, &s), 0);
  cotel_http_server_set_route(&s, "/a/{x}");
  cotel_http_server_end(&s, 200);
  const cotel_span_data *d = only_span(f);
  assert_attr(d, "http.request.method", "_OTHER");
  assert_attr(d, "http.request.method_original", "PURGE");
  assert_attr(d, "url.path", "/a/b");
  assert_attr(d, "url.query", "c=d");
  assert_attr(d, "http.route", "/a/{x}");
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)d->name.len, d->name.ptr);
  assert_string_equal(name, "HTTP /a/{x}");
}

static void test_server_start_rejects_a_missing_method(void **state) {
  (void)state;
  cotel_http_server_request r;
  cotel_http_server_request_init(&r);
  cotel_http_server_span s;
  assert_int_equal(cotel_http_server_start(NULL, NULL, &r, &s), COTEL_EINVAL);
  assert_int_equal(cotel_http_server_start(NULL, NULL, NULL, &s), COTEL_EINVAL);
  cotel_http_server_end(&s, 200); /* harmless */
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_server_span_continues_the_callers_trace_with_http_attributes,
          setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_5xx_is_an_error_on_a_server_span_and_4xx_is_not, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_unknown_method_and_absolute_target_are_normalised, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_server_start_rejects_a_missing_method, setup, teardown),
  };
  return cotel_test_run(argc, argv, "http_server", tests);
}
