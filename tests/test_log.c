/* Log correlation (cotel/log.h): the ids of the current context as hex, and
 * the exact RFC 5424 structured-data and JSON strings. */
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

static const char TID[] = "4bf92f3577b34da6a3ce929d0e0e4736";
static const char SID[] = "00f067aa0ba902b7";

/* A remote span context made current: fixed ids, so the strings are exact. */
static cotel_context *remote_ctx(uint8_t flags) {
  cotel_span_context sc = {.flags = flags};
  assert_int_equal(cotel_trace_id_from_hex(TID, 32, &sc.trace_id), 0);
  assert_int_equal(cotel_span_id_from_hex(SID, 16, &sc.span_id), 0);
  cotel_context *ctx = NULL;
  assert_int_equal(cotel_context_with_remote(NULL, &sc, &ctx), 0);
  return ctx;
}

static void test_log_ids_are_the_current_span_context_in_hex(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x01);
  cotel_token tok = cotel_context_attach(ctx);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_current(&ids), 0);
  assert_string_equal(ids.trace_id, TID);
  assert_string_equal(ids.span_id, SID);
  assert_string_equal(ids.trace_flags, "01");
  assert_int_equal(cotel_context_detach(tok), 0);
  cotel_context_release(ctx);
}

static void test_log_ids_keep_every_trace_flag_bit(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x03);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  assert_string_equal(ids.trace_flags, "03");
  cotel_context_release(ctx);
}

static void test_log_ids_are_empty_without_a_span(void **state) {
  (void)state;
  cotel_log_ids ids;
  memset(&ids, 'x', sizeof ids);
  assert_int_equal(cotel_log_ids_current(&ids), COTEL_ENOTFOUND);
  assert_string_equal(ids.trace_id, "");
  assert_string_equal(ids.span_id, "");
  assert_string_equal(ids.trace_flags, "");
  char buf[COTEL_LOG_SD_SIZE];
  assert_string_equal(cotel_log_sd(&ids, buf, sizeof buf), "");
  assert_string_equal(cotel_log_json(&ids, buf, sizeof buf), "");
  assert_int_equal(cotel_log_ids_current(NULL), COTEL_EINVAL);
}

static void test_log_sd_is_one_rfc5424_element(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x01);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  char buf[COTEL_LOG_SD_SIZE];
  assert_string_equal(cotel_log_sd(&ids, buf, sizeof buf),
                      "[otel@32473 trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736"
                      "\" span_id=\"00f067aa0ba902b7\" trace_flags=\"01\"]");
  assert_string_equal(cotel_log_sd_id(&ids, "ids@99999", buf, sizeof buf),
                      "[ids@99999 trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736"
                      "\" span_id=\"00f067aa0ba902b7\" trace_flags=\"01\"]");
  cotel_context_release(ctx);
}

static void test_log_json_names_fields_as_the_log_data_model(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x00);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  char buf[COTEL_LOG_JSON_SIZE];
  assert_string_equal(
      cotel_log_json(&ids, buf, sizeof buf),
      "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
      "\"span_id\":\"00f067aa0ba902b7\",\"trace_flags\":\"00\"");
  cotel_context_release(ctx);
}

static void test_log_formats_fit_their_documented_sizes_exactly(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x01);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  char buf[COTEL_LOG_SD_SIZE];
  size_t sd = strlen(cotel_log_sd(&ids, buf, sizeof buf));
  size_t js = strlen(cotel_log_json(&ids, buf, sizeof buf));
  assert_true(sd + 1 <= COTEL_LOG_SD_SIZE && js + 1 <= COTEL_LOG_JSON_SIZE);
  /* One byte short: the empty string, never a truncated element. */
  assert_string_equal(cotel_log_sd(&ids, buf, sd), "");
  assert_string_equal(cotel_log_json(&ids, buf, js), "");
  cotel_context_release(ctx);
}

static void test_log_sd_refuses_an_invalid_sd_id(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x01);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  char buf[COTEL_LOG_SD_SIZE];
  assert_string_equal(cotel_log_sd_id(&ids, "a b", buf, sizeof buf), "");
  assert_string_equal(cotel_log_sd_id(&ids, "a]", buf, sizeof buf), "");
  assert_string_equal(cotel_log_sd_id(&ids, "", buf, sizeof buf), "");
  /* A damaged struct never breaks the format. */
  ids.span_id[3] = '"';
  assert_string_equal(cotel_log_sd(&ids, buf, sizeof buf), "");
  assert_string_equal(cotel_log_json(&ids, buf, sizeof buf), "");
  cotel_context_release(ctx);
}

static void test_log_ids_follow_a_local_span(void **state) {
  (void)state;
  cotel_provider_config cfg;
  cotel_provider_config_defaults(&cfg);
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_span span;
  assert_int_equal(
      cotel_span_start(cotel_provider_tracer(p, "test_log"), "s", NULL, &span),
      0);
  cotel_span_context sc;
  assert_int_equal(cotel_span_get_context(span, &sc), 0);
  char tid[33], sid[17];
  cotel_trace_id_to_hex(&sc.trace_id, tid);
  cotel_span_id_to_hex(&sc.span_id, sid);
  cotel_token tok = cotel_span_make_current(span);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_current(&ids), 0);
  assert_string_equal(ids.trace_id, tid);
  assert_string_equal(ids.span_id, sid);
  assert_int_equal(cotel_context_detach(tok), 0);
  cotel_span_end(span, 0);
  cotel_provider_destroy(p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_log_ids_are_the_current_span_context_in_hex),
      cmocka_unit_test(test_log_ids_keep_every_trace_flag_bit),
      cmocka_unit_test(test_log_ids_are_empty_without_a_span),
      cmocka_unit_test(test_log_sd_is_one_rfc5424_element),
      cmocka_unit_test(test_log_json_names_fields_as_the_log_data_model),
      cmocka_unit_test(test_log_formats_fit_their_documented_sizes_exactly),
      cmocka_unit_test(test_log_sd_refuses_an_invalid_sd_id),
      cmocka_unit_test(test_log_ids_follow_a_local_span),
  };
  return cotel_test_run(argc, argv, "log", tests);
}
