/* Jaeger propagation: uber-trace-id and uberctx-* baggage. */
#include <string.h>
#include <strings.h>

#include "cotel/propagation.h"
#include "test_util.h"
#include "support/header_fixture.h"

#define TID "80f198ee56343ba864fe8b2a57d3eff7"
#define SID "e457b5a2e4d86bd1"

static int parse(const char *s, cotel_span_context *sc, bool *debug) {
  return cotel_jaeger_parse(s, strlen(s), sc, debug);
}

static cotel_context *extract(const char *const *kv) {
  hdrs x;
  hdrs_init(&x, kv);
  cotel_context *out = NULL;
  const cotel_propagator *p = cotel_propagator_jaeger();
  assert_int_equal(p->extract(p, cotel_context_root(), &x.c, &out), 0);
  return out;
}

static void test_jaeger_parses_uber_trace_id(void **state) {
  (void)state;
  cotel_span_context sc;
  bool debug;
  assert_int_equal(parse(TID ":" SID ":0:1", &sc, &debug), 0);
  char hex[33];
  cotel_trace_id_to_hex(&sc.trace_id, hex);
  assert_string_equal(hex, TID);
  assert_int_equal(sc.flags, COTEL_TRACE_FLAG_SAMPLED);
  assert_false(debug);
  assert_int_equal(parse(TID ":" SID ":0:0", &sc, &debug), 0);
  assert_int_equal(sc.flags, 0);
}

static void test_jaeger_left_pads_short_ids(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("abc:def:0:1", &sc, NULL), 0);
  char hex[33], shex[17];
  cotel_trace_id_to_hex(&sc.trace_id, hex);
  cotel_span_id_to_hex(&sc.span_id, shex);
  assert_string_equal(hex, "00000000000000000000000000000abc");
  assert_string_equal(shex, "0000000000000def");
}

static void test_jaeger_decodes_url_encoded_value(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse(TID "%3A" SID "%3a0%3A1", &sc, NULL), 0);
  assert_int_equal(sc.flags, COTEL_TRACE_FLAG_SAMPLED);
  assert_int_equal(parse(TID "%3" SID ":0:1", &sc, NULL), COTEL_EPARSE);
}

static void test_jaeger_debug_flag_implies_sampled(void **state) {
  (void)state;
  cotel_span_context sc;
  bool debug;
  assert_int_equal(parse(TID ":" SID ":0:2", &sc, &debug), 0);
  assert_true(debug);
  assert_int_equal(sc.flags, COTEL_TRACE_FLAG_SAMPLED);
}

static void test_jaeger_rejects_malformed_values(void **state) {
  (void)state;
  cotel_span_context sc;
  const char *bad[] = {
      "",
      TID ":" SID ":0",     /* three fields */
      TID ":" SID ":0:1:5", /* five fields */
      TID "0:" SID ":0:1",  /* 33 digit trace id */
      TID ":" SID "0:0:1",  /* 17 digit span id */
      TID ":" SID ":0:100", /* flags wider than a byte */
      TID ":" SID "::1",    /* empty parent */
      "0:" SID ":0:1",      /* zero trace id */
      TID ":0000:0:1",      /* zero span id */
      TID ":" SID ":0:x",   /* non-hex flags */
      "xyz:" SID ":0:1",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(parse(bad[i], &sc, NULL), COTEL_EPARSE);
}

static void test_jaeger_round_trip_keeps_ids_and_flags(void **state) {
  (void)state;
  cotel_context *ctx =
      extract((const char *[]){"Uber-Trace-Id", TID ":" SID ":0:1", NULL});
  cotel_span_context sc;
  assert_int_equal(cotel_context_span_context(ctx, &sc), 0);
  assert_true(sc.is_remote);
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_jaeger();
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_string_equal(hdr(&out, "uber-trace-id"), TID ":" SID ":0:1");
  cotel_context_release(ctx);
}

static void test_jaeger_debug_survives_extract_inject(void **state) {
  (void)state;
  cotel_context *ctx =
      extract((const char *[]){"uber-trace-id", TID ":" SID ":0:3", NULL});
  assert_true(cotel_propagation_debug(ctx));
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_jaeger();
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_string_equal(hdr(&out, "uber-trace-id"), TID ":" SID ":0:3");
  cotel_context_release(ctx);
}

static void test_jaeger_extracts_uberctx_baggage(void **state) {
  (void)state;
  cotel_context *ctx = extract(
      (const char *[]){"uberctx-user", "alice%20smith", "UberCtx-Tier", "gold",
                       "uberctx-", "nokey", "other", "x", NULL});
  cotel_baggage *b = cotel_context_baggage(ctx);
  assert_int_equal(cotel_baggage_count(b), 2);
  cotel_str v;
  assert_int_equal(cotel_baggage_get(b, cotel_str_c("user"), &v), 0);
  assert_string_equal(v.ptr, "alice smith");
  assert_int_equal(cotel_baggage_get(b, cotel_str_c("Tier"), &v), 0);
  assert_string_equal(v.ptr, "gold");
  /* No uber-trace-id: no span context, baggage only. */
  cotel_span_context sc;
  assert_int_equal(cotel_context_span_context(ctx, &sc), COTEL_ENOTFOUND);
  cotel_context_release(ctx);
}

static void test_jaeger_injects_uberctx_baggage(void **state) {
  (void)state;
  cotel_context *ctx = NULL;
  assert_int_equal(
      cotel_context_set_baggage(cotel_context_root(), "user", "a b,c", &ctx),
      0);
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_jaeger();
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_string_equal(hdr(&out, "uberctx-user"), "a%20b%2Cc");
  assert_null(hdr(&out, "uber-trace-id")); /* no span context */
  cotel_context_release(ctx);
}

static void test_jaeger_baggage_merges_with_parent_baggage(void **state) {
  (void)state;
  cotel_context *parent = NULL, *ctx = NULL;
  assert_int_equal(
      cotel_context_set_baggage(cotel_context_root(), "keep", "1", &parent), 0);
  hdrs in;
  hdrs_init(&in, (const char *[]){"uberctx-new", "2", NULL});
  const cotel_propagator *p = cotel_propagator_jaeger();
  assert_int_equal(p->extract(p, parent, &in.c, &ctx), 0);
  assert_int_equal(cotel_baggage_count(cotel_context_baggage(ctx)), 2);
  cotel_context_release(ctx);
  cotel_context_release(parent);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jaeger_parses_uber_trace_id),
      cmocka_unit_test(test_jaeger_left_pads_short_ids),
      cmocka_unit_test(test_jaeger_decodes_url_encoded_value),
      cmocka_unit_test(test_jaeger_debug_flag_implies_sampled),
      cmocka_unit_test(test_jaeger_rejects_malformed_values),
      cmocka_unit_test(test_jaeger_round_trip_keeps_ids_and_flags),
      cmocka_unit_test(test_jaeger_debug_survives_extract_inject),
      cmocka_unit_test(test_jaeger_extracts_uberctx_baggage),
      cmocka_unit_test(test_jaeger_injects_uberctx_baggage),
      cmocka_unit_test(test_jaeger_baggage_merges_with_parent_baggage),
  };
  return cotel_test_run(argc, argv, "jaeger", tests);
}
