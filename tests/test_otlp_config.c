/* OTLP exporter configuration (OTel spec "OTLP Exporter Configuration")
 * and the retry policy's pure parts (OTLP spec "OTLP/HTTP Throttling"). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/otlp.h"
#include "support/internal.h"

static const char *const vars[] = {
    "ENDPOINT",    "PROTOCOL",           "HEADERS",    "COMPRESSION", "TIMEOUT",
    "CERTIFICATE", "CLIENT_CERTIFICATE", "CLIENT_KEY", "INSECURE"};

static int clear_env(void **state) {
  char name[96];
  (void)state;
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    snprintf(name, sizeof name, "OTEL_EXPORTER_OTLP_%s", vars[i]);
    unsetenv(name);
    snprintf(name, sizeof name, "OTEL_EXPORTER_OTLP_TRACES_%s", vars[i]);
    unsetenv(name);
  }
  return 0;
}

static const char *url_of(const cotel_otlp_options *o) {
  static char buf[512];
  cotel_exporter *e = NULL;
  buf[0] = 0;
  if (cotel_otlp_exporter_new(o, &e) != 0) return NULL;
  snprintf(buf, sizeof buf, "%s", cotel_otlp_exporter_url(e));
  e->destroy(e);
  return buf;
}

static void test_otlp_defaults_follow_the_spec(void **state) {
  cotel_otlp_options o;
  (void)state;
  cotel_otlp_options_from_env(&o);
  assert_string_equal(o.endpoint, "http://localhost:4318");
  assert_null(o.traces_endpoint);
  assert_int_equal(o.protocol, COTEL_OTLP_HTTP_PROTOBUF);
  assert_int_equal(o.compression, COTEL_OTLP_COMPRESSION_NONE);
  assert_int_equal(o.timeout_ms, 10000);
  assert_null(o.headers_list);
  assert_null(o.certificate);
  assert_false(o.insecure);
  assert_int_equal(o.max_concurrent, 2);
  assert_string_equal(url_of(&o), "http://localhost:4318/v1/traces");
}

static void test_otlp_env_sets_every_option(void **state) {
  cotel_otlp_options o;
  (void)state;
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318/", 1);
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "a=1", 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
  setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2500", 1);
  setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca.pem", 1);
  setenv("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/cert.pem", 1);
  setenv("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/key.pem", 1);
  setenv("OTEL_EXPORTER_OTLP_INSECURE", "true", 1);
  cotel_otlp_options_from_env(&o);
  assert_string_equal(o.endpoint, "https://collector:4318/");
  assert_int_equal(o.protocol, COTEL_OTLP_HTTP_JSON);
  assert_string_equal(o.headers_list, "a=1");
  assert_int_equal(o.compression, COTEL_OTLP_COMPRESSION_GZIP);
  assert_int_equal(o.timeout_ms, 2500);
  assert_string_equal(o.certificate, "/ca.pem");
  assert_string_equal(o.client_certificate, "/cert.pem");
  assert_string_equal(o.client_key, "/key.pem");
  assert_true(o.insecure);
  /* The general endpoint is a base: /v1/traces appended, no double '/'. */
  assert_string_equal(url_of(&o), "https://collector:4318/v1/traces");
}

static void test_otlp_traces_variables_win_over_general_ones(void **state) {
  cotel_otlp_options o;
  (void)state;
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://general:4318", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom", 1);
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf", 1);
  setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1000", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "3000", 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none", 1);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "a=1", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2", 1);
  cotel_otlp_options_from_env(&o);
  assert_int_equal(o.protocol, COTEL_OTLP_HTTP_PROTOBUF);
  assert_int_equal(o.timeout_ms, 3000);
  assert_int_equal(o.compression, COTEL_OTLP_COMPRESSION_NONE);
  assert_string_equal(o.headers_list, "b=2");
  /* The signal-specific endpoint is used exactly as given. */
  assert_string_equal(url_of(&o), "http://traces:9999/custom");
}

static void test_otlp_code_overrides_env(void **state) {
  cotel_otlp_options o;
  (void)state;
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318", 1);
  setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1000", 1);
  cotel_otlp_options_from_env(&o);
  o.endpoint = "http://code:1234";
  o.timeout_ms = 42;
  assert_string_equal(url_of(&o), "http://code:1234/v1/traces");
  assert_int_equal(o.timeout_ms, 42);
}

static void test_otlp_grpc_protocol_defaults_to_port_4317(void **state) {
  cotel_otlp_options o;
  (void)state;
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
  cotel_otlp_options_from_env(&o);
  assert_int_equal(o.protocol, COTEL_OTLP_GRPC);
  assert_string_equal(url_of(&o),
                      "http://localhost:4317"
                      "/opentelemetry.proto.collector.trace.v1.TraceService/"
                      "Export");
  /* An endpoint given for gRPC names the server; the method's path is
   * appended to it, whichever variable set it. */
  setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc", 1);
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://collector:4317/", 1);
  cotel_otlp_options_from_env(&o);
  assert_int_equal(o.protocol, COTEL_OTLP_GRPC);
  assert_string_equal(url_of(&o),
                      "https://collector:4317"
                      "/opentelemetry.proto.collector.trace.v1.TraceService/"
                      "Export");
}

static void test_otlp_unknown_protocol_warns_and_uses_protobuf(void **state) {
  cotel_otlp_options o;
  (void)state;
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon", 1);
  cotel_otlp_options_from_env(&o);
  assert_int_equal(o.protocol, COTEL_OTLP_HTTP_PROTOBUF);
}

static void test_otlp_invalid_env_values_keep_defaults(void **state) {
  cotel_otlp_options o;
  (void)state;
  setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "soon", 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli", 1);
  setenv("OTEL_EXPORTER_OTLP_INSECURE", "maybe", 1);
  cotel_otlp_options_from_env(&o);
  assert_int_equal(o.timeout_ms, 10000);
  assert_int_equal(o.compression, COTEL_OTLP_COMPRESSION_NONE);
  assert_false(o.insecure);
  /* Empty counts as unset. */
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "", 1);
  cotel_otlp_options_from_env(&o);
  assert_string_equal(o.endpoint, "http://localhost:4318");
}

static void test_otlp_non_http_endpoint_is_rejected(void **state) {
  cotel_otlp_options o;
  cotel_exporter *e = (cotel_exporter *)1;
  (void)state;
  cotel_otlp_options_default(&o);
  o.endpoint = "ftp://collector";
  assert_int_equal(cotel_otlp_exporter_new(&o, &e), COTEL_EINVAL);
  assert_null(e);
  o.endpoint = "collector:4318";
  assert_int_equal(cotel_otlp_exporter_new(&o, &e), COTEL_EINVAL);
  o.endpoint = "http://ok";
  o.protocol = (cotel_otlp_protocol)7;
  assert_int_equal(cotel_otlp_exporter_new(&o, &e), COTEL_EINVAL);
  assert_int_equal(cotel_otlp_exporter_new(&o, NULL), COTEL_EINVAL);
}

static void test_otlp_exporter_from_env_uses_env_endpoint(void **state) {
  cotel_exporter *e = NULL;
  cotel_otlp_stats st;
  (void)state;
  setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://h:1/x", 1);
  assert_int_equal(cotel_otlp_exporter_new_from_env(&e), 0);
  assert_string_equal(cotel_otlp_exporter_url(e), "http://h:1/x");
  assert_string_equal(e->name, "otlp");
  assert_true(e->counts_spans);
  assert_int_equal(e->max_concurrent, 2);
  assert_int_equal(cotel_otlp_exporter_stats(e, &st), 0);
  assert_int_equal(st.requests, 0);
  e->destroy(e); /* never started: nothing to shut down */
}

static void test_otlp_stats_rejects_other_exporters(void **state) {
  cotel_exporter other = {.name = "otlp"};
  cotel_otlp_stats st;
  (void)state;
  assert_int_equal(cotel_otlp_exporter_stats(&other, &st), COTEL_EINVAL);
  assert_null(cotel_otlp_exporter_url(&other));
}

static void test_retry_status_codes_follow_the_spec(void **state) {
  (void)state;
  assert_true(cotel__otlp_status_retryable(429));
  assert_true(cotel__otlp_status_retryable(502));
  assert_true(cotel__otlp_status_retryable(503));
  assert_true(cotel__otlp_status_retryable(504));
  assert_false(cotel__otlp_status_retryable(400));
  assert_false(cotel__otlp_status_retryable(401));
  assert_false(cotel__otlp_status_retryable(404));
  assert_false(cotel__otlp_status_retryable(413));
  assert_false(cotel__otlp_status_retryable(500));
  assert_false(cotel__otlp_status_retryable(501));
  assert_false(cotel__otlp_status_retryable(200));
}

static void test_retry_after_parses_seconds_and_http_dates(void **state) {
  uint64_t ms = 99;
  (void)state;
  assert_int_equal(cotel__otlp_parse_retry_after("5", 1, 0, &ms), 0);
  assert_int_equal(ms, 5000);
  assert_int_equal(cotel__otlp_parse_retry_after(" 0 ", 3, 0, &ms), 0);
  assert_int_equal(ms, 0);
  /* 784111777 is Sun, 06 Nov 1994 08:49:37 GMT. */
  const char *d = "Sun, 06 Nov 1994 08:49:37 GMT";
  assert_int_equal(cotel__otlp_parse_retry_after(d, strlen(d), 784111770, &ms),
                   0);
  assert_int_equal(ms, 7000);
  assert_int_equal(cotel__otlp_parse_retry_after(d, strlen(d), 784111999, &ms),
                   0);
  assert_int_equal(ms, 0); /* in the past: now */
  const char *rfc850 = "Sunday, 06-Nov-94 08:49:37 GMT";
  assert_int_equal(
      cotel__otlp_parse_retry_after(rfc850, strlen(rfc850), 784111776, &ms), 0);
  assert_int_equal(ms, 1000);
  /* Huge values are clamped to a day. */
  assert_int_equal(
      cotel__otlp_parse_retry_after("99999999999999999999", 20, 0, &ms), 0);
  assert_int_equal(ms, 24ull * 3600 * 1000);
  assert_int_equal(cotel__otlp_parse_retry_after("", 0, 0, &ms), COTEL_EINVAL);
  assert_int_equal(cotel__otlp_parse_retry_after("5s", 2, 0, &ms),
                   COTEL_EINVAL);
  assert_int_equal(cotel__otlp_parse_retry_after("-1", 2, 0, &ms),
                   COTEL_EINVAL);
  assert_int_equal(cotel__otlp_parse_retry_after("soon", 4, 0, &ms),
                   COTEL_EINVAL);
}

static void test_backoff_grows_is_capped_and_jittered(void **state) {
  uint64_t rng = 12345, lo[6], hi[6];
  (void)state;
  for (unsigned r = 1; r <= 5; r++) {
    lo[r] = UINT64_MAX;
    hi[r] = 0;
    for (int i = 0; i < 2000; i++) {
      uint64_t d = cotel__otlp_backoff_ms(100, 1000, 2.0, r,
                                          cotel__otlp_rand_next(&rng));
      if (d < lo[r]) lo[r] = d;
      if (d > hi[r]) hi[r] = d;
    }
  }
  /* d = 100, 200, 400, 800, 1000 (capped): waits in [d/2, d], spread. */
  const uint64_t want[6] = {0, 100, 200, 400, 800, 1000};
  for (unsigned r = 1; r <= 5; r++) {
    assert_true(lo[r] >= want[r] / 2);
    assert_true(hi[r] <= want[r]);
    assert_true(hi[r] - lo[r] > want[r] / 4);
  }
  assert_int_equal(cotel__otlp_backoff_ms(0, 0, 2.0, 3, 77), 0);
}

static void test_transport_errors_worth_a_retry(void **state) {
  (void)state;
  assert_true(cotel__otlp_curl_retryable(7));   /* couldn't connect */
  assert_true(cotel__otlp_curl_retryable(52));  /* got nothing */
  assert_true(cotel__otlp_curl_retryable(56));  /* recv error (reset) */
  assert_true(cotel__otlp_curl_retryable(18));  /* partial file */
  assert_false(cotel__otlp_curl_retryable(60)); /* peer cert invalid */
  assert_false(cotel__otlp_curl_retryable(3));  /* malformed URL */
  assert_false(cotel__otlp_curl_retryable(1));  /* unsupported protocol */
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_otlp_defaults_follow_the_spec, clear_env),
      cmocka_unit_test_setup(test_otlp_env_sets_every_option, clear_env),
      cmocka_unit_test_setup(test_otlp_traces_variables_win_over_general_ones,
                             clear_env),
      cmocka_unit_test_setup(test_otlp_code_overrides_env, clear_env),
      cmocka_unit_test_setup(test_otlp_grpc_protocol_defaults_to_port_4317,
                             clear_env),
      cmocka_unit_test_setup(test_otlp_unknown_protocol_warns_and_uses_protobuf,
                             clear_env),
      cmocka_unit_test_setup(test_otlp_invalid_env_values_keep_defaults,
                             clear_env),
      cmocka_unit_test_setup(test_otlp_non_http_endpoint_is_rejected,
                             clear_env),
      cmocka_unit_test_setup(test_otlp_exporter_from_env_uses_env_endpoint,
                             clear_env),
      cmocka_unit_test(test_otlp_stats_rejects_other_exporters),
      cmocka_unit_test(test_retry_status_codes_follow_the_spec),
      cmocka_unit_test(test_retry_after_parses_seconds_and_http_dates),
      cmocka_unit_test(test_backoff_grows_is_capped_and_jittered),
      cmocka_unit_test(test_transport_errors_worth_a_retry),
  };
  return cotel_test_run(argc, argv, "otlp_config", tests);
}
