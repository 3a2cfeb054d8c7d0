/* OTLP/HTTP exporter: what arrives at a real HTTP receiver (round trips
 * decoded with the protobuf-c oracle, JSON, gzip, headers, splitting,
 * connection reuse). Faults and shutdown are in test_otlp_faults.c. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cotel/otlp.h"
#include "support/otlp_compare.h"
#include "support/otlp_fixture.h"

static otlp_pb_request *decode_request(otlp_fx *fx, long i) {
  size_t len = 0;
  char *body = cotel_test_receiver_body(&fx->rx, i, &len);
  assert_non_null(body);
  otlp_pb_request *r = otlp_pb_decode(body, len);
  free(body);
  assert_non_null(r);
  return r;
}

static void assert_header(otlp_fx *fx, long i, const char *name,
                          const char *want) {
  char *v = cotel_test_receiver_header(&fx->rx, i, name);
  if (!want) {
    assert_null(v);
    return;
  }
  assert_non_null(v);
  assert_string_equal(v, want);
  free(v);
}

static void test_otlp_protobuf_request_carries_every_field(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(6);
  otlp_fx_start(fx);
  assert_string_equal(cotel_otlp_exporter_url(fx->exp),
                      strcat(strcpy((char[96]){0}, fx->rx.base), "/v1/traces"));
  assert_int_equal(otlp_fx_export(fx, s, 0, 6, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  assert_header(fx, 0, "content-type", "application/x-protobuf");
  assert_header(fx, 0, "content-encoding", NULL);
  char *ua = cotel_test_receiver_header(&fx->rx, 0, "user-agent");
  assert_non_null(ua);
  assert_non_null(strstr(ua, "OTel-OTLP-Exporter-C"));
  free(ua);
  otlp_pb_request *r = decode_request(fx, 0);
  otlp_assert_request(r, s->ptrs, 6);
  otlp_pb_free(r);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spans_exported, 6);
  assert_int_equal(st.spans_failed, 0);
  assert_int_equal(st.requests, 1);
  assert_int_equal(st.retries, 0);
  otlp_spans_free(s);
}

static void
test_otlp_gzip_body_is_compressed_and_decodes_the_same(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(20);
  fx->opts.compression = COTEL_OTLP_COMPRESSION_GZIP;
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 20, NULL), 0);
  assert_header(fx, 0, "content-encoding", "gzip");
  char *enc = cotel_test_receiver_meta(&fx->rx, 0, "encoding");
  assert_string_equal(enc, "gzip");
  free(enc);
  /* Twenty similar spans compress well. */
  assert_true(otlp_fx_meta_long(fx, 0, "raw_len") * 2 <
              otlp_fx_meta_long(fx, 0, "len"));
  assert_int_equal(otlp_fx_stats(fx).bytes_sent,
                   otlp_fx_meta_long(fx, 0, "raw_len"));
  otlp_pb_request *r = decode_request(fx, 0);
  otlp_assert_request(r, s->ptrs, 20);
  otlp_pb_free(r);
  otlp_spans_free(s);
}

static void assert_json_has(const char *flat, const char *line) {
  char want[512];
  snprintf(want, sizeof want, "\n%s\n", line);
  if (!strstr(flat, want) && strncmp(flat, want + 1, strlen(want + 1)) != 0)
    fail_msg("JSON lacks '%s'", line);
}

static void json_round_trip(otlp_fx *fx, bool gzip) {
  otlp_spans *s = otlp_spans_new(2);
  char line[256], hex[33];
  fx->opts.protocol = COTEL_OTLP_HTTP_JSON;
  if (gzip) fx->opts.compression = COTEL_OTLP_COMPRESSION_GZIP;
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), 0);
  assert_header(fx, 0, "content-type", "application/json");
  assert_header(fx, 0, "content-encoding", gzip ? "gzip" : NULL);
  char *flat = cotel_test_receiver_json(&fx->rx, 0);
  assert_non_null(flat);
  const char *sp = "resourceSpans.0.scopeSpans.0.spans.";
  for (int i = 0; i < 2; i++) {
    const cotel_span_data *sd = s->ptrs[i];
    cotel_trace_id_to_hex(&sd->context.trace_id, hex);
    snprintf(line, sizeof line, "%s%d.traceId=%s", sp, i, hex);
    assert_json_has(flat, line);
    cotel_span_id_to_hex(&sd->context.span_id, hex);
    snprintf(line, sizeof line, "%s%d.spanId=%s", sp, i, hex);
    assert_json_has(flat, line);
    snprintf(line, sizeof line, "%s%d.name=span-%d", sp, i, i);
    assert_json_has(flat, line);
    snprintf(line, sizeof line, "%s%d.kind=%d", sp, i, (int)sd->kind);
    assert_json_has(flat, line);
    snprintf(line, sizeof line, "%s%d.startTimeUnixNano=%llu", sp, i,
             (unsigned long long)sd->start_ns);
    assert_json_has(flat, line);
    snprintf(line, sizeof line, "%s%d.attributes.0.key=http.method", sp, i);
    assert_json_has(flat, line);
    snprintf(line, sizeof line, "%s%d.attributes.0.value.stringValue=GET", sp,
             i);
    assert_json_has(flat, line);
    snprintf(line, sizeof line,
             "%s%d.attributes.2.value.intValue=-123456789012345", sp, i);
    assert_json_has(flat, line);
    snprintf(line, sizeof line, "%s%d.events.0.name=something happened", sp, i);
    assert_json_has(flat, line);
  }
  assert_json_has(flat, "resourceSpans.0.scopeSpans.0.scope.name=cotel.test");
  assert_json_has(flat,
                  "resourceSpans.0.resource.attributes.0.value.stringValue="
                  "otlp-test");
  free(flat);
  assert_int_equal(otlp_fx_stats(fx).spans_exported, 2);
  otlp_spans_free(s);
}

static void test_otlp_json_request_is_valid_otlp_json(void **state) {
  json_round_trip(*state, false);
}

static void test_otlp_json_request_with_gzip_is_valid_otlp_json(void **state) {
  json_round_trip(*state, true);
}

static void test_otlp_headers_from_list_and_code_are_sent(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  cotel_otlp_header code[] = {{"x-b", "from code"},
                              {"Content-Type", "text/evil"},
                              {"x-bad", "a\r\nInjected: yes"}};
  fx->opts.headers_list = "api-key=secret%20value,x-b=2,x-c=%3D%2C";
  fx->opts.headers = code;
  fx->opts.n_headers = 3;
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_header(fx, 0, "api-key", "secret value");
  assert_header(fx, 0, "x-b", "from code");
  assert_header(fx, 0, "x-c", "=,");
  /* Framing headers stay ours; a value with CR LF is refused. */
  assert_header(fx, 0, "content-type", "application/x-protobuf");
  assert_header(fx, 0, "x-bad", NULL);
  assert_header(fx, 0, "injected", NULL);
  otlp_spans_free(s);
}

static void test_otlp_headers_from_env_are_sent(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "general=1,both=general", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "both=traces%21", 1);
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", fx->rx.base, 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
  assert_int_equal(cotel_otlp_exporter_new_from_env(&fx->exp), 0);
  assert_int_equal(fx->exp->start(fx->exp, &fx->loop), 0);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  /* The signal-specific variable wins over the general one. */
  assert_header(fx, 0, "both", "traces!");
  assert_header(fx, 0, "general", NULL);
  assert_header(fx, 0, "content-encoding", "gzip");
  otlp_pb_request *r = decode_request(fx, 0);
  otlp_assert_request(r, s->ptrs, 1);
  otlp_pb_free(r);
  otlp_spans_free(s);
}

static void test_otlp_oversize_batch_is_split_into_requests(void **state) {
  otlp_fx *fx = *state;
  enum { N = 40 };
  otlp_spans *s = otlp_spans_new(N);
  fx->opts.max_request_bytes = 2000; /* a span encodes to ~400 bytes */
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, N, NULL), 0);
  long count = cotel_test_receiver_count(&fx->rx);
  assert_true(count >= 8);
  /* Every span arrives exactly once, and no request is over the limit. */
  size_t seen = 0;
  for (long i = 0; i < count; i++) {
    assert_true(otlp_fx_meta_long(fx, i, "len") <= 2000);
    otlp_pb_request *r = decode_request(fx, i);
    seen += otlp_pb_count(r);
    otlp_pb_free(r);
  }
  assert_int_equal(seen, N);
  for (size_t k = 0; k < N; k++) {
    size_t found = 0;
    for (long i = 0; i < count; i++) {
      otlp_pb_request *r = decode_request(fx, i);
      const otlp_pb_span *ps =
          otlp_pb_find(r, &s->ptrs[k]->context.span_id, NULL, NULL);
      if (ps) {
        otlp_assert_span(s->ptrs[k], ps);
        found++;
      }
      otlp_pb_free(r);
    }
    assert_int_equal(found, 1);
  }
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.splits, 1);
  assert_int_equal(st.requests, count);
  assert_int_equal(st.spans_exported, N);
  otlp_spans_free(s);
}

static void test_otlp_single_oversize_span_is_still_sent(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  fx->opts.max_request_bytes = 10;
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  assert_int_equal(otlp_fx_stats(fx).spans_exported, 1);
  otlp_spans_free(s);
}

static void test_otlp_consecutive_requests_reuse_the_connection(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(3);
  otlp_fx_start(fx);
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(otlp_fx_export(fx, s, i, 1, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 3);
  long port = otlp_fx_meta_long(fx, 0, "peer_port");
  assert_int_equal(otlp_fx_meta_long(fx, 1, "peer_port"), port);
  assert_int_equal(otlp_fx_meta_long(fx, 2, "peer_port"), port);
  otlp_spans_free(s);
}

static void test_otlp_concurrent_exports_all_complete(void **state) {
  otlp_fx *fx = *state;
  enum { CALLS = 4 };
  otlp_spans *s = otlp_spans_new(CALLS * 2);
  otlp_pending p[CALLS];
  otlp_fx_start(fx);
  assert_int_equal(fx->exp->max_concurrent, 4);
  assert_true(fx->exp->counts_spans);
  cotel_test_receiver_script(&fx->rx, "delay 50\ndelay 50\ndelay 50\n");
  for (int i = 0; i < CALLS; i++)
    otlp_fx_export_async(fx, s, (size_t)i * 2, 2, &p[i]);
  for (int i = 0; i < CALLS; i++) {
    otlp_fx_wait(fx, &p[i]);
    assert_int_equal(p[i].rc, 0);
  }
  assert_int_equal(cotel_test_receiver_count(&fx->rx), CALLS);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spans_exported, CALLS * 2);
  cotel_stats acc = {0};
  fx->exp->stats(fx->exp, &acc);
  assert_int_equal(acc.spans_exported, CALLS * 2);
  assert_int_equal(acc.spans_export_failed, 0);
  otlp_spans_free(s);
}

static void test_otlp_export_without_a_loop_is_synchronous(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  otlp_pending p;
  assert_int_equal(cotel_otlp_exporter_new(&fx->opts, &fx->exp), 0);
  assert_int_equal(fx->exp->start(fx->exp, NULL), 0);
  otlp_fx_export_async(fx, s, 0, 2, &p);
  assert_true(p.done); /* before export_spans returned */
  assert_int_equal(p.rc, 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  fx->exp->shutdown(fx->exp, cotel_monotonic_ns() + 1000000000u);
  fx->shut = true;
  otlp_spans_free(s);
}

static void test_otlp_empty_export_succeeds_without_a_request(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 0, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 0);
  otlp_spans_free(s);
}

/* After fork() the batch processor restarts in the child on a new loop and
 * calls start() again; the parent's connection must stay usable. */
static void test_otlp_exporter_restarts_in_a_forked_child(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(3);
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(otlp_fx_export_in_forked_child(fx, s, 1, 1), 0);
  /* The parent carries on, on its connection. */
  assert_int_equal(otlp_fx_export(fx, s, 2, 1, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 3);
  long first = otlp_fx_meta_long(fx, 0, "peer_port");
  assert_int_equal(otlp_fx_meta_long(fx, 2, "peer_port"), first);
  assert_true(otlp_fx_meta_long(fx, 1, "peer_port") != first);
  otlp_spans_free(s);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_otlp_protobuf_request_carries_every_field, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_gzip_body_is_compressed_and_decodes_the_same, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_otlp_json_request_is_valid_otlp_json,
                                      otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_json_request_with_gzip_is_valid_otlp_json, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_headers_from_list_and_code_are_sent, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_otlp_headers_from_env_are_sent,
                                      otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_oversize_batch_is_split_into_requests, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_single_oversize_span_is_still_sent, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_consecutive_requests_reuse_the_connection, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_otlp_concurrent_exports_all_complete,
                                      otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_export_without_a_loop_is_synchronous, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_exporter_restarts_in_a_forked_child, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_empty_export_succeeds_without_a_request, otlp_fx_setup,
          otlp_fx_teardown),
  };
  return cotel_test_run(argc, argv, "otlp_export", tests);
}
