/* OTLP/HTTP over TLS (OTel spec "OTLP Exporter Configuration":
 * CERTIFICATE, CLIENT_CERTIFICATE, CLIENT_KEY): https verifies the server
 * by default, against the given CA; mTLS presents the client certificate;
 * `insecure` skips verification. Certificates: tests/support/tls. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/otlp.h"
#include "support/otlp_compare.h"
#include "support/otlp_fixture.h"

static char ca[1024], cert[1024], key[1024];

static void
test_otlp_https_verifies_the_server_with_the_given_ca(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  fx->opts.certificate = cotel_test_tls_file("ca.pem", ca, sizeof ca);
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  size_t len;
  char *body = cotel_test_receiver_body(&fx->rx, 0, &len);
  otlp_pb_request *r = otlp_pb_decode(body, len);
  otlp_assert_request(r, s->ptrs, 2);
  otlp_pb_free(r);
  free(body);
  otlp_spans_free(s);
}

static void
test_otlp_https_with_an_unknown_ca_fails_without_retry(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  /* A file that is not the signing CA: the system store lacks it too. */
  fx->opts.certificate = cotel_test_tls_file("client.pem", ca, sizeof ca);
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), COTEL_EEXPORT);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 0);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.requests, 1);
  assert_int_equal(st.retries, 0);
  assert_int_equal(st.spans_failed, 1);
  otlp_spans_free(s);
}

static void test_otlp_https_insecure_skips_verification(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  fx->opts.insecure = true;
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  otlp_spans_free(s);
}

static void test_otlp_mtls_presents_the_client_certificate(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  fx->opts.certificate = cotel_test_tls_file("ca.pem", ca, sizeof ca);
  fx->opts.client_certificate =
      cotel_test_tls_file("client.pem", cert, sizeof cert);
  fx->opts.client_key = cotel_test_tls_file("client.key", key, sizeof key);
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  otlp_spans_free(s);
}

static void test_otlp_mtls_without_a_client_certificate_fails(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  fx->opts.certificate = cotel_test_tls_file("ca.pem", ca, sizeof ca);
  fx->opts.retry_max_attempts = 2;
  otlp_fx_start(fx);
  assert_true(otlp_fx_export(fx, s, 0, 1, NULL) < 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 0);
  assert_int_equal(otlp_fx_stats(fx).spans_failed, 1);
  otlp_spans_free(s);
}

static void test_otlp_tls_files_come_from_env(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
         cotel_test_tls_file("ca.pem", ca, sizeof ca), 1);
  setenv("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
         cotel_test_tls_file("client.pem", cert, sizeof cert), 1);
  setenv("OTEL_EXPORTER_OTLP_CLIENT_KEY",
         cotel_test_tls_file("client.key", key, sizeof key), 1);
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", fx->rx.base, 1);
  assert_int_equal(cotel_otlp_exporter_new_from_env(&fx->exp), 0);
  assert_int_equal(fx->exp->start(fx->exp, &fx->loop), 0);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  otlp_spans_free(s);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_otlp_https_verifies_the_server_with_the_given_ca,
          otlp_fx_setup_tls, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_https_with_an_unknown_ca_fails_without_retry,
          otlp_fx_setup_tls, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_https_insecure_skips_verification, otlp_fx_setup_tls,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_mtls_presents_the_client_certificate, otlp_fx_setup_mtls,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_mtls_without_a_client_certificate_fails, otlp_fx_setup_mtls,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_otlp_tls_files_come_from_env,
                                      otlp_fx_setup_mtls, otlp_fx_teardown),
  };
  return cotel_test_run(argc, argv, "otlp_tls", tests);
}
