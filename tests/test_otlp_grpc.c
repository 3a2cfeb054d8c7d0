/* OTLP/gRPC exporter: the framing and status pieces on their own, then
 * requests to an independent gRPC server (tests/grpc_receiver.py, grpcio)
 * that answers each retryable and non-retryable code, trailers-only errors,
 * RetryInfo, partial success, slow answers and connection resets. Request
 * bodies are decoded with the protobuf-c oracle. Times come from the
 * receiver's clock and the done callbacks; nothing here sleeps. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cotel/otlp.h"
#include "support/internal.h"
#include "support/otlp_compare.h"
#include "support/otlp_fixture.h"

/* Slack for scheduling on a loaded 2-core machine. */

/* ---- pure pieces --------------------------------------------------------- */

static void test_grpc_frame_prefixes_flag_and_big_endian_length(void **state) {
  cotel__buf b;
  const uint8_t *msg;
  size_t len;
  (void)state;
  cotel__buf_init(&b);
  assert_int_equal(cotel__buf_reserve(&b, 300), 0);
  for (int i = 0; i < 300; i++)
    b.data[i] = (uint8_t)i;
  b.len = 300;
  assert_int_equal(cotel__grpc_frame(&b, true), 0);
  assert_int_equal(b.len, 305);
  const uint8_t want[5] = {1, 0, 0, 1, 44};
  assert_memory_equal(b.data, want, 5);
  assert_int_equal(b.data[5], 0);
  assert_int_equal(b.data[304], (uint8_t)299);
  /* A compressed response message is not something we can read. */
  assert_int_equal(cotel__grpc_unframe(b.data, b.len, &msg, &len),
                   COTEL_EINVAL);
  b.data[0] = 0;
  assert_int_equal(cotel__grpc_unframe(b.data, b.len, &msg, &len), 0);
  assert_int_equal(len, 300);
  assert_ptr_equal(msg, b.data + 5);
  /* Cut short. */
  assert_int_equal(cotel__grpc_unframe(b.data, 100, &msg, &len), COTEL_EINVAL);
  assert_int_equal(cotel__grpc_unframe(b.data, 4, &msg, &len), COTEL_EINVAL);
  cotel__buf_free(&b);
}

static void feed(cotel__grpc_result *g, const char *line) {
  cotel__grpc_header(g, line, strlen(line));
}

static void test_grpc_status_and_message_are_read_from_lines(void **state) {
  cotel__grpc_result g;
  (void)state;
  cotel__grpc_result_reset(&g);
  assert_int_equal(g.status, -1);
  feed(&g, "HTTP/2 200\r\n");
  feed(&g, "content-type: application/grpc\r\n");
  assert_int_equal(g.status, -1);
  feed(&g, "grpc-status: 14\r\n");
  feed(&g, "Grpc-Message: no%20collector%3A here %zz\r\n");
  assert_int_equal(g.status, 14);
  assert_string_equal(g.message, "no collector: here %zz");
  /* Garbage is never OK. */
  feed(&g, "grpc-status: 0x\r\n");
  assert_int_equal(g.status, COTEL__GRPC_UNKNOWN);
  /* A new response starts over. */
  feed(&g, "HTTP/2 200\r\n");
  assert_int_equal(g.status, -1);
  assert_string_equal(g.message, "");
}

static void test_grpc_retryable_codes_are_the_specs(void **state) {
  (void)state;
  const int yes[] = {1, 4, 10, 11, 14, 15};
  const int no[] = {0, 2, 3, 5, 6, 7, 8, 9, 12, 13, 16, 17};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    assert_true(cotel__grpc_retryable(yes[i], false));
    assert_true(cotel__grpc_retryable(yes[i], true));
  }
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
    assert_false(cotel__grpc_retryable(no[i], false));
  assert_true(cotel__grpc_retryable(COTEL__GRPC_RESOURCE_EXHAUSTED, true));
  assert_int_equal(cotel__grpc_status_from_http(503), COTEL__GRPC_UNAVAILABLE);
  assert_int_equal(cotel__grpc_status_from_http(404),
                   COTEL__GRPC_UNIMPLEMENTED);
  assert_int_equal(cotel__grpc_status_from_http(500), COTEL__GRPC_UNKNOWN);
}

static void test_grpc_retry_info_delay_is_decoded(void **state) {
  uint64_t ms = 0;
  (void)state;
  /* Status{code 8, message "x", details [Any{type_url ".../google.rpc.
   * RetryInfo", value RetryInfo{retry_delay{seconds 2, nanos 500000000}}}]},
   * base64 without padding (as gRPC sends it). Built by hand: */
  const uint8_t dur[] = {0x08, 0x02, 0x10, 0x80, 0xca, 0xb5, 0xee, 0x01};
  uint8_t ri[2 + sizeof dur], any[128], st[160];
  const char *type = "type.googleapis.com/google.rpc.RetryInfo";
  size_t tl = strlen(type), an = 0, sn = 0;
  ri[0] = 0x0a;
  ri[1] = sizeof dur;
  memcpy(ri + 2, dur, sizeof dur);
  any[an++] = 0x0a;
  any[an++] = (uint8_t)tl;
  memcpy(any + an, type, tl);
  an += tl;
  any[an++] = 0x12;
  any[an++] = sizeof ri;
  memcpy(any + an, ri, sizeof ri);
  an += sizeof ri;
  st[sn++] = 0x08;
  st[sn++] = 8;
  st[sn++] = 0x12;
  st[sn++] = 1;
  st[sn++] = 'x';
  st[sn++] = 0x1a;
  st[sn++] = (uint8_t)an;
  memcpy(st + sn, any, an);
  sn += an;
  static const char alpha[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char b64[256];
  size_t o = 0;
  for (size_t i = 0; i < sn; i += 3) {
    uint32_t v = (uint32_t)st[i] << 16;
    if (i + 1 < sn) v |= (uint32_t)st[i + 1] << 8;
    if (i + 2 < sn) v |= st[i + 2];
    b64[o++] = alpha[v >> 18 & 63];
    b64[o++] = alpha[v >> 12 & 63];
    if (i + 1 < sn) b64[o++] = alpha[v >> 6 & 63];
    if (i + 2 < sn) b64[o++] = alpha[v & 63];
  }
  b64[o] = 0;
  assert_true(cotel__grpc_retry_info(b64, o, &ms));
  assert_int_equal(ms, 2500);
  /* Not base64, or a status without RetryInfo: none. */
  assert_false(cotel__grpc_retry_info("!!!", 3, &ms));
  assert_false(cotel__grpc_retry_info("CAgSAXg", 7, &ms)); /* code, msg */
}

static void test_grpc_timeout_header_fits_eight_digits(void **state) {
  char line[40];
  (void)state;
  cotel__grpc_timeout_header(1500, line);
  assert_string_equal(line, "grpc-timeout: 1500m");
  cotel__grpc_timeout_header(123456789012ull, line);
  assert_string_equal(line, "grpc-timeout: 99999999S");
  cotel__grpc_timeout_header(100000000ull, line);
  assert_string_equal(line, "grpc-timeout: 100000S");
}

/* ---- against the grpcio receiver ----------------------------------------- */

static otlp_pb_request *decode_request(otlp_fx *fx, long i) {
  size_t len = 0;
  char *body = cotel_test_receiver_body(&fx->rx, i, &len);
  assert_non_null(body);
  otlp_pb_request *r = otlp_pb_decode(body, len);
  free(body);
  assert_non_null(r);
  return r;
}

static void test_grpc_request_carries_every_field(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(6);
  char want[160];
  otlp_fx_start(fx);
  snprintf(want, sizeof want, "%s%s", fx->rx.grpc, COTEL__GRPC_TRACE_PATH);
  assert_string_equal(cotel_otlp_exporter_url(fx->exp), want);
  assert_int_equal(otlp_fx_export(fx, s, 0, 6, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  otlp_pb_request *r = decode_request(fx, 0);
  otlp_assert_request(r, s->ptrs, 6);
  otlp_pb_free(r);
  char *ua = cotel_test_receiver_header(&fx->rx, 0, "user-agent");
  assert_non_null(ua);
  assert_non_null(strstr(ua, "OTel-OTLP-Exporter-C"));
  free(ua);
  /* grpc-timeout carried the export budget (5 s in the fixture). */
  long left = otlp_fx_meta_long(fx, 0, "timeout_ms");
  assert_true(left > 0);
  assert_true(left <= 5000);
  otlp_fx_assert_stats(fx, 6, 0, 1, 0);
  otlp_spans_free(s);
}

static void
test_grpc_gzip_message_is_compressed_and_decodes_the_same(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(40);
  fx->opts.compression = COTEL_OTLP_COMPRESSION_GZIP;
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 40, NULL), 0);
  otlp_pb_request *r = decode_request(fx, 0);
  otlp_assert_request(r, s->ptrs, 40);
  otlp_pb_free(r);
  /* grpcio decompressed it: what went on the wire is much smaller. */
  long raw = otlp_fx_meta_long(fx, 0, "len");
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_true(st.bytes_sent * 3 < (uint64_t)raw);
  otlp_fx_assert_stats(fx, 40, 0, 1, 0);
  otlp_spans_free(s);
}

static void test_grpc_each_retryable_code_is_retried(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  const int codes[] = {1, 4, 10, 11, 14, 15};
  otlp_fx_start(fx);
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    char act[64];
    snprintf(act, sizeof act, "status %d try again", codes[i]);
    assert_int_equal(cotel_test_receiver_script(&fx->rx, act), 0);
    assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), 0);
    assert_int_equal(cotel_test_receiver_count(&fx->rx), (long)(2 * i + 2));
  }
  otlp_fx_assert_stats(fx, 12, 0, 12, 6);
  otlp_spans_free(s);
}

static void test_grpc_each_non_retryable_code_fails_at_once(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  /* RESOURCE_EXHAUSTED (8) without RetryInfo is final too. */
  const int codes[] = {2, 3, 5, 6, 7, 8, 9, 12, 13, 16};
  size_t n = sizeof codes / sizeof codes[0];
  otlp_fx_start(fx);
  otlp_log_capture("answered gRPC INVALID_ARGUMENT: bad spans");
  for (size_t i = 0; i < n; i++) {
    char act[64];
    snprintf(act, sizeof act, "status %d bad spans", codes[i]);
    assert_int_equal(cotel_test_receiver_script(&fx->rx, act), 0);
    assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), COTEL_EEXPORT);
  }
  assert_int_equal(otlp_log_hits(), 1);
  otlp_fx_assert_stats(fx, 0, n, n, 0);
  assert_int_equal(otlp_fx_stats(fx).requests_failed, n);
  /* The next export is unaffected. */
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  otlp_spans_free(s);
}

static void test_grpc_status_in_trailers_after_headers_is_read(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  otlp_fx_start(fx);
  assert_int_equal(
      cotel_test_receiver_script(&fx->rx, "trailers 14 later\ntrailers 3 no"),
      0);
  /* UNAVAILABLE in trailers: retried; then INVALID_ARGUMENT: final. */
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), COTEL_EEXPORT);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 2);
  otlp_fx_assert_stats(fx, 0, 1, 2, 1);
  otlp_spans_free(s);
}

static void
test_grpc_resource_exhausted_with_retry_info_waits_its_delay(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  otlp_fx_start(fx);
  assert_int_equal(cotel_test_receiver_script(&fx->rx, "retry_info 8 700"), 0);
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 2);
  /* Backoff alone would have waited at most 50 ms. */
  long gap =
      otlp_fx_meta_long(fx, 1, "time_ms") - otlp_fx_meta_long(fx, 0, "time_ms");
  assert_true(gap >= 690);
  assert_true(gap < 700 + OTLP_FX_SLACK_MS);
  otlp_fx_assert_stats(fx, 2, 0, 2, 1);
  otlp_spans_free(s);
}

static void test_grpc_retry_info_past_the_timeout_fails_at_once(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  uint64_t ms = 0;
  otlp_fx_start(fx);
  assert_int_equal(cotel_test_receiver_script(&fx->rx, "retry_info 14 60000"),
                   0);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, &ms), COTEL_ETIMEDOUT);
  assert_true(ms < OTLP_FX_SLACK_MS);
  otlp_fx_assert_stats(fx, 0, 1, 1, 0);
  otlp_spans_free(s);
}

static void test_grpc_partial_success_is_counted_not_retried(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(5);
  otlp_fx_start(fx);
  otlp_log_capture("2 of 5 spans rejected: too old");
  assert_int_equal(cotel_test_receiver_script(&fx->rx, "partial 2 too old"), 0);
  assert_int_equal(otlp_fx_export(fx, s, 0, 5, NULL), 0);
  assert_int_equal(otlp_log_hits(), 1);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spans_exported, 3);
  assert_int_equal(st.spans_failed, 2);
  assert_int_equal(st.spans_rejected, 2);
  assert_int_equal(st.partial_successes, 1);
  assert_int_equal(st.requests, 1);
  otlp_spans_free(s);
}

static void
test_grpc_slow_answer_past_the_timeout_fails_at_the_deadline(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  uint64_t ms = 0;
  fx->opts.timeout_ms = 800;
  otlp_fx_start(fx);
  assert_int_equal(cotel_test_receiver_script(&fx->rx, "delay 4000"), 0);
  int rc = otlp_fx_export(fx, s, 0, 1, &ms);
  assert_true(rc == COTEL_ETIMEDOUT || rc == COTEL_ERETRY);
  assert_true(ms >= 790);
  assert_true(ms < 800 + OTLP_FX_SLACK_MS);
  assert_true(otlp_fx_meta_long(fx, 0, "timeout_ms") <= 800);
  assert_int_equal(otlp_fx_stats(fx).spans_failed, 1);
  /* The connection that carried the abandoned call still works, or is
   * replaced: the next export goes through. */
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  otlp_spans_free(s);
}

static void test_grpc_reset_connection_is_reestablished(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(3);
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 3, NULL), 0);
  assert_int_equal(cotel_test_receiver_connections(&fx->rx), 1);
  assert_int_equal(cotel_test_receiver_script(&fx->rx, "reset"), 0);
  assert_int_equal(otlp_fx_export(fx, s, 0, 3, NULL), 0);
  /* The cut call was retried on a new connection. */
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 3);
  assert_int_equal(cotel_test_receiver_connections(&fx->rx), 2);
  otlp_pb_request *r = decode_request(fx, 2);
  otlp_assert_request(r, s->ptrs, 3);
  otlp_pb_free(r);
  otlp_fx_assert_stats(fx, 6, 0, 3, 1);
  /* And the new connection carries on. */
  assert_int_equal(otlp_fx_export(fx, s, 0, 3, NULL), 0);
  assert_int_equal(cotel_test_receiver_connections(&fx->rx), 2);
  otlp_spans_free(s);
}

static void test_grpc_concurrent_calls_share_one_connection(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(4);
  otlp_pending p[4];
  otlp_fx_start(fx);
  assert_int_equal(cotel_test_receiver_script(
                       &fx->rx, "delay 300\ndelay 300\ndelay 300\ndelay 300"),
                   0);
  for (int i = 0; i < 4; i++)
    otlp_fx_export_async(fx, s, (size_t)i, 1, &p[i]);
  /* All four are on the server at once (each answers 300 ms late). */
  otlp_fx_wait_received(fx, 4);
  for (int i = 0; i < 4; i++) {
    otlp_fx_wait(fx, &p[i]);
    assert_int_equal(p[i].rc, 0);
  }
  assert_int_equal(cotel_test_receiver_connections(&fx->rx), 1);
  otlp_fx_assert_stats(fx, 4, 0, 4, 0);
  otlp_spans_free(s);
}

static void
test_grpc_refused_connection_is_retried_until_the_deadline(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  char ep[64];
  uint64_t ms = 0;
  snprintf(ep, sizeof ep, "http://127.0.0.1:%d", cotel_test_unused_port());
  fx->opts.endpoint = ep;
  fx->opts.timeout_ms = 600;
  otlp_fx_start(fx);
  int rc = otlp_fx_export(fx, s, 0, 1, &ms);
  assert_true(rc == COTEL_ETIMEDOUT || rc == COTEL_ERETRY);
  assert_true(ms < 600 + OTLP_FX_SLACK_MS);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_true(st.requests >= 2);
  assert_int_equal(st.spans_failed, 1);
  otlp_spans_free(s);
}

static void
test_grpc_shutdown_keeps_its_deadline_with_a_call_hanging(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  otlp_pending p;
  otlp_fx_start(fx);
  assert_int_equal(cotel_test_receiver_script(&fx->rx, "delay 4000"), 0);
  otlp_fx_export_async(fx, s, 0, 2, &p);
  otlp_fx_wait_received(fx, 1);
  uint64_t ms = otlp_fx_shutdown(fx, 300);
  assert_true(ms < 300 + OTLP_FX_SLACK_MS);
  assert_true(p.done);
  assert_int_equal(p.rc, COTEL_ETIMEDOUT);
  otlp_fx_assert_stats(fx, 0, 2, 1, 0);
  otlp_spans_free(s);
}

/* Protocol and port mismatches are named when the failure shows them. */
static void test_grpc_to_an_otlp_http_port_is_named(void **state) {
  otlp_fx *fx = *state; /* an OTLP/HTTP (HTTP/1.1) receiver */
  otlp_spans *s = otlp_spans_new(1);
  fx->opts.protocol = COTEL_OTLP_GRPC;
  fx->opts.retry_max_attempts = 1;
  otlp_fx_start(fx);
  otlp_log_capture("OTLP/HTTP port (usually 4318)? OTLP/gRPC is usually on");
  assert_int_not_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(otlp_log_warn_hits(), 1);
  otlp_spans_free(s);
}

static void test_http_to_an_otlp_grpc_port_is_named(void **state) {
  otlp_fx *fx = *state; /* the grpcio receiver */
  otlp_spans *s = otlp_spans_new(1);
  fx->opts.protocol = COTEL_OTLP_HTTP_PROTOBUF;
  fx->opts.retry_max_attempts = 1;
  otlp_fx_start(fx);
  otlp_log_capture("is it an OTLP/gRPC port (usually 4317)?");
  assert_int_not_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(otlp_log_warn_hits(), 1);
  otlp_spans_free(s);
}

/* A fork child starts over: its own h2c connection, not the parent's. */
static void test_grpc_exporter_restarts_in_a_forked_child(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(3);
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(otlp_fx_export_in_forked_child(fx, s, 1, 1), 0);
  /* The parent carries on, on its connection. */
  assert_int_equal(otlp_fx_export(fx, s, 2, 1, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 3);
  assert_int_equal(cotel_test_receiver_connections(&fx->rx), 2);
  otlp_spans_free(s);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grpc_frame_prefixes_flag_and_big_endian_length),
      cmocka_unit_test(test_grpc_status_and_message_are_read_from_lines),
      cmocka_unit_test(test_grpc_retryable_codes_are_the_specs),
      cmocka_unit_test(test_grpc_retry_info_delay_is_decoded),
      cmocka_unit_test(test_grpc_timeout_header_fits_eight_digits),
      cmocka_unit_test_setup_teardown(test_grpc_request_carries_every_field,
                                      otlp_fx_setup_grpc, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_gzip_message_is_compressed_and_decodes_the_same,
          otlp_fx_setup_grpc, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_grpc_each_retryable_code_is_retried,
                                      otlp_fx_setup_grpc, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_each_non_retryable_code_fails_at_once, otlp_fx_setup_grpc,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_status_in_trailers_after_headers_is_read,
          otlp_fx_setup_grpc, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_resource_exhausted_with_retry_info_waits_its_delay,
          otlp_fx_setup_grpc, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_retry_info_past_the_timeout_fails_at_once,
          otlp_fx_setup_grpc, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_partial_success_is_counted_not_retried, otlp_fx_setup_grpc,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_slow_answer_past_the_timeout_fails_at_the_deadline,
          otlp_fx_setup_grpc, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_reset_connection_is_reestablished, otlp_fx_setup_grpc,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_concurrent_calls_share_one_connection, otlp_fx_setup_grpc,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_refused_connection_is_retried_until_the_deadline,
          otlp_fx_setup_grpc, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_shutdown_keeps_its_deadline_with_a_call_hanging,
          otlp_fx_setup_grpc, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_grpc_exporter_restarts_in_a_forked_child, otlp_fx_setup_grpc,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_grpc_to_an_otlp_http_port_is_named,
                                      otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_http_to_an_otlp_grpc_port_is_named,
                                      otlp_fx_setup_grpc, otlp_fx_teardown),
  };
  return cotel_test_run(argc, argv, "otlp_grpc", tests);
}
