/* B3 single and multi header propagation (openzipkin/b3-propagation, OTel
 * "B3 Requirements"). */
#include <string.h>
#include <strings.h>

#include "cotel/propagation.h"
#include "test_util.h"
#include "support/header_fixture.h"

#define TID "80f198ee56343ba864fe8b2a57d3eff7"
#define TID64 "a3ce929d0e0e4736"
#define SID "e457b5a2e4d86bd1"
#define PID "05e3ac9a4f6e3b90"

static int single(const char *s, cotel_span_context *sc, bool *debug) {
  return cotel_b3_parse_single(s, strlen(s), sc, debug);
}

static cotel_context *extract(const cotel_propagator *p,
                              const char *const *kv) {
  hdrs x;
  hdrs_init(&x, kv);
  cotel_context *out = NULL;
  assert_int_equal(p->extract(p, cotel_context_root(), &x.c, &out), 0);
  return out;
}

static void test_b3_single_parses_all_four_fields(void **state) {
  (void)state;
  cotel_span_context sc;
  bool debug;
  assert_int_equal(single(TID "-" SID "-1-" PID, &sc, &debug), 0);
  char hex[33];
  cotel_trace_id_to_hex(&sc.trace_id, hex);
  assert_string_equal(hex, TID);
  assert_int_equal(sc.flags, COTEL_TRACE_FLAG_SAMPLED);
  assert_false(debug);
}

static void test_b3_single_pads_64_bit_trace_id(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(single(TID64 "-" SID "-0", &sc, NULL), 0);
  char hex[33];
  cotel_trace_id_to_hex(&sc.trace_id, hex);
  assert_string_equal(hex, "0000000000000000" TID64);
  assert_int_equal(sc.flags, 0);
}

static void test_b3_single_debug_implies_sampled(void **state) {
  (void)state;
  cotel_span_context sc;
  bool debug;
  assert_int_equal(single(TID "-" SID "-d", &sc, &debug), 0);
  assert_true(debug);
  assert_int_equal(sc.flags, COTEL_TRACE_FLAG_SAMPLED);
}

static void test_b3_single_without_sampling_state_is_deferred(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(single(TID "-" SID, &sc, NULL), 0);
  assert_int_equal(sc.flags, 0);
}

static void test_b3_single_zero_means_not_sampled_without_ids(void **state) {
  (void)state;
  cotel_span_context sc;
  bool debug;
  assert_int_equal(single("0", &sc, &debug), COTEL_ENOTFOUND);
  assert_int_equal(sc.flags, 0);
  assert_int_equal(single("d", &sc, &debug), COTEL_ENOTFOUND);
  assert_true(debug);
  /* Extract has no ids to continue: the parent comes back. */
  cotel_context *ctx =
      extract(cotel_propagator_b3(), (const char *[]){"b3", "0", NULL});
  assert_ptr_equal(ctx, cotel_context_root());
  cotel_context_release(ctx);
}

static void test_b3_single_rejects_malformed_values(void **state) {
  (void)state;
  cotel_span_context sc;
  const char *bad[] = {
      "",
      "x",
      TID "-" SID "-2",                             /* unknown sampling state */
      TID "-" SID "-",                              /* empty sampling state */
      TID "-" SID "-1-" PID "-extra",               /* five fields */
      TID "-" SID "-1-05e3ac9a4f6e3b9",             /* short parent id */
      "80F198EE56343BA864FE8B2A57D3EFF7-" SID "-1", /* uppercase */
      "80f198ee56343ba864fe8b2a57d3eff-" SID "-1",  /* 31 digits */
      TID "-e457b5a2e4d86bd-1",                     /* 15 digits */
      "00000000000000000000000000000000-" SID "-1", /* zero trace id */
      TID "-0000000000000000-1",                    /* zero span id */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(single(bad[i], &sc, NULL), COTEL_EPARSE);
}

static void test_b3_multi_parses_headers(void **state) {
  (void)state;
  cotel_context *ctx = extract(
      cotel_propagator_b3multi(),
      (const char *[]){"X-B3-TraceId", TID, "X-B3-SpanId", SID, "X-B3-Sampled",
                       "1", "X-B3-ParentSpanId", PID, NULL});
  cotel_span_context sc;
  assert_int_equal(cotel_context_span_context(ctx, &sc), 0);
  assert_true(sc.is_remote);
  assert_int_equal(sc.flags, COTEL_TRACE_FLAG_SAMPLED);
  assert_false(cotel_propagation_debug(ctx));
  cotel_context_release(ctx);
}

static void test_b3_multi_accepts_legacy_true_false(void **state) {
  (void)state;
  cotel_b3_headers h = {.trace_id = cotel_str_c(TID),
                        .span_id = cotel_str_c(SID),
                        .sampled = cotel_str_c("true")};
  cotel_span_context sc;
  assert_int_equal(cotel_b3_parse_multi(&h, &sc, NULL), 0);
  assert_int_equal(sc.flags, COTEL_TRACE_FLAG_SAMPLED);
  h.sampled = cotel_str_c("false");
  assert_int_equal(cotel_b3_parse_multi(&h, &sc, NULL), 0);
  assert_int_equal(sc.flags, 0);
  h.sampled = cotel_str_c("yes");
  assert_int_equal(cotel_b3_parse_multi(&h, &sc, NULL), COTEL_EPARSE);
}

static void test_b3_multi_flags_debug_implies_sampled(void **state) {
  (void)state;
  cotel_b3_headers h = {.trace_id = cotel_str_c(TID64),
                        .span_id = cotel_str_c(SID),
                        .flags = cotel_str_c("1")};
  cotel_span_context sc;
  bool debug;
  assert_int_equal(cotel_b3_parse_multi(&h, &sc, &debug), 0);
  assert_true(debug);
  assert_int_equal(sc.flags, COTEL_TRACE_FLAG_SAMPLED);
  assert_int_equal(sc.trace_id.bytes[0], 0);
}

static void test_b3_multi_rejects_missing_or_bad_ids(void **state) {
  (void)state;
  cotel_span_context sc;
  cotel_b3_headers h = {.trace_id = cotel_str_c(TID)};
  assert_int_equal(cotel_b3_parse_multi(&h, &sc, NULL), COTEL_EPARSE);
  h.span_id = cotel_str_c("xyz");
  assert_int_equal(cotel_b3_parse_multi(&h, &sc, NULL), COTEL_EPARSE);
  h.span_id = cotel_str_c(SID);
  h.parent_span_id = cotel_str_c("nothex");
  assert_int_equal(cotel_b3_parse_multi(&h, &sc, NULL), COTEL_EPARSE);
  cotel_b3_headers only = {.sampled = cotel_str_c("0")};
  assert_int_equal(cotel_b3_parse_multi(&only, &sc, NULL), COTEL_ENOTFOUND);
}

static void test_b3_single_header_takes_precedence(void **state) {
  (void)state;
  cotel_context *ctx = extract(
      cotel_propagator_b3(),
      (const char *[]){"x-b3-traceid", "11111111111111111111111111111111",
                       "x-b3-spanid", "2222222222222222", "b3",
                       TID "-" SID "-1", NULL});
  cotel_span_context sc;
  assert_int_equal(cotel_context_span_context(ctx, &sc), 0);
  char hex[33];
  cotel_trace_id_to_hex(&sc.trace_id, hex);
  assert_string_equal(hex, TID);
  cotel_context_release(ctx);
}

static void test_b3_invalid_single_falls_back_to_multi(void **state) {
  (void)state;
  cotel_context *ctx = extract(cotel_propagator_b3(),
                               (const char *[]){"b3", "garbage", "x-b3-traceid",
                                                TID, "x-b3-spanid", SID, NULL});
  cotel_span_context sc;
  assert_int_equal(cotel_context_span_context(ctx, &sc), 0);
  cotel_context_release(ctx);
}

static void test_b3_single_inject_default_format(void **state) {
  (void)state;
  cotel_context *ctx =
      extract(cotel_propagator_b3multi(),
              (const char *[]){"x-b3-traceid", TID64, "x-b3-spanid", SID,
                               "x-b3-sampled", "1", NULL});
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_b3();
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_string_equal(hdr(&out, "b3"), "0000000000000000" TID64 "-" SID "-1");
  assert_int_equal(out.hc.count, 1);
  cotel_context_release(ctx);
}

static void test_b3_multi_inject_never_sends_parent_span_id(void **state) {
  (void)state;
  cotel_context *ctx =
      extract(cotel_propagator_b3(),
              (const char *[]){"b3", TID "-" SID "-0-" PID, NULL});
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_b3multi();
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_string_equal(hdr(&out, "x-b3-traceid"), TID);
  assert_string_equal(hdr(&out, "x-b3-spanid"), SID);
  assert_string_equal(hdr(&out, "x-b3-sampled"), "0");
  assert_null(hdr(&out, "x-b3-parentspanid"));
  assert_null(hdr(&out, "x-b3-flags"));
  cotel_context_release(ctx);
}

static void test_b3_debug_survives_extract_inject(void **state) {
  (void)state;
  cotel_context *ctx = extract(cotel_propagator_b3(),
                               (const char *[]){"b3", TID "-" SID "-d", NULL});
  assert_true(cotel_propagation_debug(ctx));
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_b3();
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_string_equal(hdr(&out, "b3"), TID "-" SID "-d");
  hdrs out2;
  hdrs_init(&out2, NULL);
  p = cotel_propagator_b3multi();
  assert_int_equal(p->inject(p, ctx, &out2.c), 0);
  assert_string_equal(hdr(&out2, "x-b3-flags"), "1");
  assert_null(hdr(&out2, "x-b3-sampled"));
  cotel_context_release(ctx);
}

static void test_b3_non_debug_extract_clears_inherited_debug(void **state) {
  (void)state;
  cotel_context *dbg = NULL, *ctx = NULL;
  assert_int_equal(cotel_context_with_debug(cotel_context_root(), true, &dbg),
                   0);
  hdrs in;
  hdrs_init(&in, (const char *[]){"b3", TID "-" SID "-1", NULL});
  const cotel_propagator *p = cotel_propagator_b3();
  assert_int_equal(p->extract(p, dbg, &in.c, &ctx), 0);
  assert_false(cotel_propagation_debug(ctx));
  cotel_context_release(ctx);
  cotel_context_release(dbg);
}

static void test_b3_fields(void **state) {
  (void)state;
  const cotel_propagator *p = cotel_propagator_b3();
  assert_string_equal(p->fields(p)[0], "b3");
  p = cotel_propagator_b3multi();
  assert_string_equal(p->fields(p)[0], "x-b3-traceid");
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_b3_single_parses_all_four_fields),
      cmocka_unit_test(test_b3_single_pads_64_bit_trace_id),
      cmocka_unit_test(test_b3_single_debug_implies_sampled),
      cmocka_unit_test(test_b3_single_without_sampling_state_is_deferred),
      cmocka_unit_test(test_b3_single_zero_means_not_sampled_without_ids),
      cmocka_unit_test(test_b3_single_rejects_malformed_values),
      cmocka_unit_test(test_b3_multi_parses_headers),
      cmocka_unit_test(test_b3_multi_accepts_legacy_true_false),
      cmocka_unit_test(test_b3_multi_flags_debug_implies_sampled),
      cmocka_unit_test(test_b3_multi_rejects_missing_or_bad_ids),
      cmocka_unit_test(test_b3_single_header_takes_precedence),
      cmocka_unit_test(test_b3_invalid_single_falls_back_to_multi),
      cmocka_unit_test(test_b3_single_inject_default_format),
      cmocka_unit_test(test_b3_multi_inject_never_sends_parent_span_id),
      cmocka_unit_test(test_b3_debug_survives_extract_inject),
      cmocka_unit_test(test_b3_non_debug_extract_clears_inherited_debug),
      cmocka_unit_test(test_b3_fields),
  };
  return cotel_test_run(argc, argv, "b3", tests);
}
