/* Carriers: the header-array carrier and the libcurl inject helper. */
#include <curl/curl.h>
#include <string.h>

#include "cotel/propagation.h"
#include "test_util.h"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void
test_header_carrier_get_is_case_insensitive_and_ordered(void **state) {
  (void)state;
  cotel_header h[4] = {
      {cotel_str_c("Tracestate"), cotel_str_c("a=1")},
      {cotel_str_c("Host"), cotel_str_c("x")},
      {cotel_str_c("TRACESTATE"), cotel_str_c("b=2")},
      {cotel_str_c("tracestate"), cotel_str_c("c=3")},
  };
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, h, 4, 4, NULL, 0);
  cotel_carrier c = cotel_header_carrier_as_carrier(&hc);
  cotel_str v[2];
  assert_int_equal(c.get(c.c, "tracestate", v, 2), 3); /* count of all */
  assert_memory_equal(v[0].ptr, "a=1", 3);
  assert_memory_equal(v[1].ptr, "b=2", 3);
  assert_int_equal(c.get(c.c, "missing", v, 2), 0);
  assert_int_equal(c.keys(c.c, NULL, 0), 4);
  cotel_str k[4];
  assert_int_equal(c.keys(c.c, k, 4), 4);
  assert_memory_equal(k[1].ptr, "Host", 4);
}

static void test_header_carrier_set_appends_and_replaces(void **state) {
  (void)state;
  cotel_header h[4] = {{cotel_str_c("B3"), cotel_str_c("old")},
                       {cotel_str_c("b3"), cotel_str_c("older")}};
  char store[128];
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, h, 2, 4, store, sizeof store);
  cotel_carrier c = cotel_header_carrier_as_carrier(&hc);
  char val[] = "new";
  assert_int_equal(c.set(c.c, "b3", val, 3), 0);
  val[0] = 'X'; /* the carrier copied the value */
  assert_int_equal(hc.count, 1);
  assert_string_equal(h[0].value.ptr, "new");
  assert_int_equal(c.set(c.c, "traceparent", TP, strlen(TP)), 0);
  assert_int_equal(hc.count, 2);
  assert_string_equal(h[1].name.ptr, "traceparent");
  assert_string_equal(h[1].value.ptr, TP);
}

static void test_header_carrier_set_reports_full(void **state) {
  (void)state;
  cotel_header h[1];
  char store[8];
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, h, 0, 1, store, sizeof store);
  cotel_carrier c = cotel_header_carrier_as_carrier(&hc);
  assert_int_equal(c.set(c.c, "k", "0123456789", 10), COTEL_EFULL);
  assert_int_equal(hc.count, 0);
  assert_int_equal(hc.storage_used, 0);
  assert_int_equal(c.set(c.c, "k", "v", 1), 0);
  assert_int_equal(c.set(c.c, "j", "v", 1), COTEL_EFULL); /* no slot */
}

static void test_curl_inject_appends_header_lines(void **state) {
  (void)state;
  cotel_header h[1] = {{cotel_str_c("traceparent"), cotel_str_c(TP)}};
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, h, 1, 1, NULL, 0);
  cotel_carrier in = cotel_header_carrier_as_carrier(&hc);
  cotel_context *ctx = NULL;
  assert_int_equal(cotel_extract(cotel_propagator_tracecontext(),
                                 cotel_context_root(), &in, &ctx),
                   0);
  struct curl_slist *list = curl_slist_append(NULL, "Accept: */*");
  assert_int_equal(
      cotel_curl_inject(cotel_propagator_tracecontext(), ctx, &list), 0);
  assert_non_null(list->next);
  assert_string_equal(list->next->data, "traceparent: " TP);
  assert_null(list->next->next);
  curl_slist_free_all(list);
  cotel_context_release(ctx);
}

static void test_curl_inject_into_empty_list(void **state) {
  (void)state;
  cotel_header h[1] = {
      {cotel_str_c("b3"), cotel_str_c("4bf92f3577b34da6a3ce929d0e0e4736-"
                                      "00f067aa0ba902b7-1")}};
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, h, 1, 1, NULL, 0);
  cotel_carrier in = cotel_header_carrier_as_carrier(&hc);
  cotel_context *ctx = NULL;
  assert_int_equal(
      cotel_extract(cotel_propagator_b3(), cotel_context_root(), &in, &ctx), 0);
  struct curl_slist *list = NULL;
  assert_int_equal(cotel_curl_inject(cotel_propagator_b3multi(), ctx, &list),
                   0);
  assert_non_null(list);
  assert_string_equal(list->data,
                      "x-b3-traceid: 4bf92f3577b34da6a3ce929d0e0e4736");
  curl_slist_free_all(list);
  cotel_context_release(ctx);
}

static void test_curl_inject_rejects_null_list(void **state) {
  (void)state;
  assert_int_equal(cotel_curl_inject(NULL, NULL, NULL), COTEL_EINVAL);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_carrier_get_is_case_insensitive_and_ordered),
      cmocka_unit_test(test_header_carrier_set_appends_and_replaces),
      cmocka_unit_test(test_header_carrier_set_reports_full),
      cmocka_unit_test(test_curl_inject_appends_header_lines),
      cmocka_unit_test(test_curl_inject_into_empty_list),
      cmocka_unit_test(test_curl_inject_rejects_null_list),
  };
  return cotel_test_run(argc, argv, "carriers", tests);
}
