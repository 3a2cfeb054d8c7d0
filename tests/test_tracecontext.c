/* W3C Trace Context: traceparent parsing/formatting and the tracecontext
 * propagator (W3C Trace Context Level 2 §3.2, §3.3, §3.5). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cotel/propagation.h"
#include "test_util.h"
#include "support/header_fixture.h"

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define SID "00f067aa0ba902b7"
#define TP(flags) "00-" TID "-" SID "-" flags

/* A header carrier over literal name/value pairs (NULL-terminated). */
static int parse(const char *s, cotel_span_context *sc) {
  return cotel_traceparent_parse(s, strlen(s), sc);
}

/* Extract with the tracecontext propagator from the given headers. */
static cotel_context *extract(const char *const *kv) {
  hdrs x;
  hdrs_init(&x, kv);
  cotel_context *out = NULL;
  const cotel_propagator *p = cotel_propagator_tracecontext();
  assert_int_equal(p->extract(p, cotel_context_root(), &x.c, &out), 0);
  assert_non_null(out);
  return out;
}

static bool has_remote(cotel_context *ctx, cotel_span_context *sc) {
  return cotel_context_span_context(ctx, sc) == 0;
}

static void test_traceparent_parses_valid_version_00(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse(TP("01"), &sc), 0);
  char hex[33];
  cotel_trace_id_to_hex(&sc.trace_id, hex);
  assert_string_equal(hex, TID);
  assert_int_equal(sc.span_id.bytes[7], 0xb7);
  assert_int_equal(sc.flags, 1);
}

static void test_traceparent_rejects_version_ff(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("ff-" TID "-" SID "-01", &sc), COTEL_EPARSE);
}

static void test_traceparent_rejects_version_00_longer_than_55(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse(TP("01") "-extra", &sc), COTEL_EPARSE);
  assert_int_equal(parse(TP("01") "0", &sc), COTEL_EPARSE);
}

static void test_traceparent_rejects_shorter_than_55(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("00-" TID "-" SID "-1", &sc), COTEL_EPARSE);
  assert_int_equal(parse("", &sc), COTEL_EPARSE);
  assert_int_equal(parse("00-" TID "-00f067aa0ba902b-01", &sc), COTEL_EPARSE);
}

static void
test_traceparent_parses_higher_version_with_more_fields(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("cc-" TID "-" SID "-01-what-the-future-holds", &sc),
                   0);
  assert_int_equal(sc.flags, 1);
  assert_int_equal(parse("01-" TID "-" SID "-03", &sc), 0);
  assert_int_equal(sc.flags, 3);
}

static void
test_traceparent_rejects_higher_version_without_dash_after_flags(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("cc-" TID "-" SID "-01.what", &sc), COTEL_EPARSE);
  assert_int_equal(parse("cc-" TID "-" SID "-011", &sc), COTEL_EPARSE);
}

static void test_traceparent_rejects_uppercase_hex(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-" SID "-01", &sc),
                   COTEL_EPARSE);
  assert_int_equal(parse("00-" TID "-00F067AA0BA902B7-01", &sc), COTEL_EPARSE);
  assert_int_equal(parse("0A-" TID "-" SID "-01", &sc), COTEL_EPARSE);
  assert_int_equal(parse(TP("0A"), &sc), COTEL_EPARSE);
}

static void test_traceparent_rejects_non_hex_characters(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("00-4bf92f3577b34da6a3ce929d0e0e473g-" SID "-01", &sc),
                   COTEL_EPARSE);
  assert_int_equal(parse("0x-" TID "-" SID "-01", &sc), COTEL_EPARSE);
  assert_int_equal(parse(TP("0."), &sc), COTEL_EPARSE);
}

static void test_traceparent_rejects_all_zero_trace_id(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("00-00000000000000000000000000000000-" SID "-01", &sc),
                   COTEL_EPARSE);
}

static void test_traceparent_rejects_all_zero_parent_id(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("00-" TID "-0000000000000000-01", &sc), COTEL_EPARSE);
}

static void test_traceparent_rejects_wrong_delimiters(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse("00_" TID "-" SID "-01", &sc), COTEL_EPARSE);
  assert_int_equal(parse("00-" TID "_" SID "-01", &sc), COTEL_EPARSE);
  assert_int_equal(parse("00-" TID "-" SID "_01", &sc), COTEL_EPARSE);
}

static void test_traceparent_failed_parse_leaves_output_zeroed(void **state) {
  (void)state;
  cotel_span_context sc;
  memset(&sc, 0xab, sizeof sc);
  assert_int_equal(parse("00-" TID "-0000000000000000-01", &sc), COTEL_EPARSE);
  assert_true(cotel_trace_id_is_zero(&sc.trace_id));
  assert_int_equal(sc.flags, 0);
  assert_null(sc.tracestate);
}

static void test_traceparent_format_round_trips(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse(TP("03"), &sc), 0);
  char buf[56];
  assert_int_equal(cotel_traceparent_format(&sc, buf), 55);
  assert_string_equal(buf, TP("03"));
}

static void test_traceparent_format_clears_undefined_flags(void **state) {
  (void)state;
  cotel_span_context sc;
  assert_int_equal(parse(TP("ff"), &sc), 0);
  assert_int_equal(sc.flags, 0xff); /* the parser reports what it read */
  char buf[56];
  cotel_traceparent_format(&sc, buf);
  assert_string_equal(buf, TP("03"));
}

static void test_traceparent_format_rejects_invalid_context(void **state) {
  (void)state;
  cotel_span_context sc;
  memset(&sc, 0, sizeof sc);
  char buf[56];
  assert_int_equal(cotel_traceparent_format(&sc, buf), COTEL_EINVAL);
  assert_string_equal(buf, "");
}

/* ---- propagator ---- */

static void test_tracecontext_extract_yields_remote_context(void **state) {
  (void)state;
  cotel_context *ctx = extract((const char *[]){"traceparent", TP("01"), NULL});
  cotel_span_context sc;
  assert_true(has_remote(ctx, &sc));
  assert_true(sc.is_remote);
  assert_int_equal(sc.flags, 1);
  assert_null(sc.tracestate);
  /* The remote span context is not a local span. */
  assert_null(cotel_context_span(ctx).rec);
  cotel_context_release(ctx);
}

static void
test_tracecontext_extract_accepts_any_header_name_case(void **state) {
  (void)state;
  cotel_context *ctx = extract((const char *[]){"TraceParent", TP("01"), NULL});
  cotel_span_context sc;
  assert_true(has_remote(ctx, &sc));
  cotel_context_release(ctx);
}

static void test_tracecontext_extract_trims_ows_around_value(void **state) {
  (void)state;
  cotel_context *ctx =
      extract((const char *[]){"traceparent", " \t" TP("01") " ", NULL});
  cotel_span_context sc;
  assert_true(has_remote(ctx, &sc));
  cotel_context_release(ctx);
}

static void test_tracecontext_ignores_duplicate_traceparent(void **state) {
  (void)state;
  cotel_context *ctx = extract(
      (const char *[]){"traceparent", TP("01"), "traceparent", TP("00"), NULL});
  cotel_span_context sc;
  assert_false(has_remote(ctx, &sc));
  assert_ptr_equal(ctx, cotel_context_root());
  cotel_context_release(ctx);
}

static void test_tracecontext_invalid_traceparent_returns_parent(void **state) {
  (void)state;
  cotel_context *ctx = extract((const char *[]){
      "traceparent", "ff-" TID "-" SID "-01", "tracestate", "a=1", NULL});
  assert_ptr_equal(ctx, cotel_context_root());
  cotel_context_release(ctx);
}

static void test_tracecontext_extract_masks_undefined_flags(void **state) {
  (void)state;
  cotel_context *ctx = extract((const char *[]){"traceparent", TP("ff"), NULL});
  cotel_span_context sc;
  assert_true(has_remote(ctx, &sc));
  assert_int_equal(sc.flags,
                   COTEL_TRACE_FLAG_SAMPLED | COTEL_TRACE_FLAG_RANDOM);
  cotel_context_release(ctx);
}

static void test_tracecontext_keeps_tracestate(void **state) {
  (void)state;
  cotel_context *ctx =
      extract((const char *[]){"traceparent", TP("01"), "tracestate",
                               "rojo=00f067aa0ba902b7, congo=t61", NULL});
  cotel_span_context sc;
  assert_true(has_remote(ctx, &sc));
  assert_int_equal(cotel_tracestate_count(sc.tracestate), 2);
  assert_string_equal(cotel_tracestate_str(sc.tracestate).ptr,
                      "rojo=00f067aa0ba902b7,congo=t61");
  cotel_context_release(ctx);
}

static void test_tracecontext_combines_tracestate_lines_in_order(void **state) {
  (void)state;
  cotel_context *ctx =
      extract((const char *[]){"tracestate", "a=1,b=2", "traceparent", TP("01"),
                               "TRACESTATE", "c=3", "tracestate", "", NULL});
  cotel_span_context sc;
  assert_true(has_remote(ctx, &sc));
  assert_string_equal(cotel_tracestate_str(sc.tracestate).ptr, "a=1,b=2,c=3");
  cotel_context_release(ctx);
}

static void
test_tracecontext_invalid_tracestate_keeps_traceparent(void **state) {
  (void)state;
  cotel_context *ctx = extract(
      (const char *[]){"traceparent", TP("01"), "tracestate", "a=1,A=2", NULL});
  cotel_span_context sc;
  assert_true(has_remote(ctx, &sc));
  assert_null(sc.tracestate);
  cotel_context_release(ctx);
}

/* Current draft: a receiver keeps duplicate keys or one of them; we keep
 * the left-most across header lines as within one. */
static void
test_tracecontext_duplicate_keys_across_lines_keep_the_first(void **state) {
  (void)state;
  cotel_context *ctx =
      extract((const char *[]){"traceparent", TP("01"), "tracestate", "a=1",
                               "tracestate", "b=3,a=2", NULL});
  cotel_span_context sc;
  assert_true(has_remote(ctx, &sc));
  assert_non_null(sc.tracestate);
  assert_string_equal(cotel_tracestate_str(sc.tracestate).ptr, "a=1,b=3");
  cotel_context_release(ctx);
}

static void
test_tracecontext_inject_writes_traceparent_and_tracestate(void **state) {
  (void)state;
  cotel_context *ctx = extract((const char *[]){
      "traceparent", TP("03"), "tracestate", "congo=t61,rojo=1", NULL});
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_tracecontext();
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  /* Extract -> inject keeps trace id, span id, sampled and random flags,
   * and the tracestate. */
  assert_string_equal(hdr(&out, "traceparent"), TP("03"));
  assert_string_equal(hdr(&out, "tracestate"), "congo=t61,rojo=1");
  cotel_context_release(ctx);
}

static void test_tracecontext_round_trip_keeps_unsampled_random(void **state) {
  (void)state;
  cotel_context *ctx = extract((const char *[]){"traceparent", TP("02"), NULL});
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_tracecontext();
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_string_equal(hdr(&out, "traceparent"), TP("02"));
  assert_null(hdr(&out, "tracestate")); /* no empty header sent */
  cotel_context_release(ctx);
}

static void test_tracecontext_inject_without_span_writes_nothing(void **state) {
  (void)state;
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_tracecontext();
  assert_int_equal(p->inject(p, cotel_context_root(), &out.c), 0);
  assert_int_equal(out.hc.count, 0);
}

static void test_tracecontext_inject_replaces_existing_header(void **state) {
  (void)state;
  cotel_context *ctx = extract((const char *[]){"traceparent", TP("01"), NULL});
  hdrs out;
  hdrs_init(&out, (const char *[]){"Traceparent", "stale", NULL});
  const cotel_propagator *p = cotel_propagator_tracecontext();
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_int_equal(out.hc.count, 1);
  assert_string_equal(hdr(&out, "traceparent"), TP("01"));
  cotel_context_release(ctx);
}

static void test_tracecontext_fields_lists_both_headers(void **state) {
  (void)state;
  const cotel_propagator *p = cotel_propagator_tracecontext();
  const char *const *f = p->fields(p);
  assert_string_equal(f[0], "traceparent");
  assert_string_equal(f[1], "tracestate");
  assert_null(f[2]);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_traceparent_parses_valid_version_00),
      cmocka_unit_test(test_traceparent_rejects_version_ff),
      cmocka_unit_test(test_traceparent_rejects_version_00_longer_than_55),
      cmocka_unit_test(test_traceparent_rejects_shorter_than_55),
      cmocka_unit_test(test_traceparent_parses_higher_version_with_more_fields),
      cmocka_unit_test(
          test_traceparent_rejects_higher_version_without_dash_after_flags),
      cmocka_unit_test(test_traceparent_rejects_uppercase_hex),
      cmocka_unit_test(test_traceparent_rejects_non_hex_characters),
      cmocka_unit_test(test_traceparent_rejects_all_zero_trace_id),
      cmocka_unit_test(test_traceparent_rejects_all_zero_parent_id),
      cmocka_unit_test(test_traceparent_rejects_wrong_delimiters),
      cmocka_unit_test(test_traceparent_failed_parse_leaves_output_zeroed),
      cmocka_unit_test(test_traceparent_format_round_trips),
      cmocka_unit_test(test_traceparent_format_clears_undefined_flags),
      cmocka_unit_test(test_traceparent_format_rejects_invalid_context),
      cmocka_unit_test(test_tracecontext_extract_yields_remote_context),
      cmocka_unit_test(test_tracecontext_extract_accepts_any_header_name_case),
      cmocka_unit_test(test_tracecontext_extract_trims_ows_around_value),
      cmocka_unit_test(test_tracecontext_ignores_duplicate_traceparent),
      cmocka_unit_test(test_tracecontext_invalid_traceparent_returns_parent),
      cmocka_unit_test(test_tracecontext_extract_masks_undefined_flags),
      cmocka_unit_test(test_tracecontext_keeps_tracestate),
      cmocka_unit_test(test_tracecontext_combines_tracestate_lines_in_order),
      cmocka_unit_test(test_tracecontext_invalid_tracestate_keeps_traceparent),
      cmocka_unit_test(
          test_tracecontext_duplicate_keys_across_lines_keep_the_first),
      cmocka_unit_test(
          test_tracecontext_inject_writes_traceparent_and_tracestate),
      cmocka_unit_test(test_tracecontext_round_trip_keeps_unsampled_random),
      cmocka_unit_test(test_tracecontext_inject_without_span_writes_nothing),
      cmocka_unit_test(test_tracecontext_inject_replaces_existing_header),
      cmocka_unit_test(test_tracecontext_fields_lists_both_headers),
  };
  return cotel_test_run(argc, argv, "tracecontext", tests);
}
