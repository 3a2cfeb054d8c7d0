/* Composite propagator, OTEL_PROPAGATORS, the global propagator, the
 * inject/extract conveniences, and spans continuing an extracted trace. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cotel/cotel.h"
#include "cotel/propagation.h"
#include "test_util.h"
#include "support/header_fixture.h"

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define SID "00f067aa0ba902b7"
#define TP(flags) "00-" TID "-" SID "-" flags

/* Warnings captured through the log hook. */
static char logged[2048];
static void capture(void *ud, cotel_log_level level, const char *msg) {
  (void)ud;
  if (level >= COTEL_LOG_WARN) {
    strncat(logged, msg, sizeof logged - strlen(logged) - 2);
    strcat(logged, "\n");
  }
}

static int with_log(void **state) {
  (void)state;
  logged[0] = '\0';
  cotel_log_set(capture, NULL, COTEL_LOG_DEBUG);
  return 0;
}

static int without_log(void **state) {
  (void)state;
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
  unsetenv("OTEL_PROPAGATORS");
  cotel_propagator_set_global(NULL);
  return 0;
}

static const char *const *fields_of(const char *env, cotel_propagator **p) {
  if (env)
    setenv("OTEL_PROPAGATORS", env, 1);
  else
    unsetenv("OTEL_PROPAGATORS");
  assert_int_equal(cotel_propagator_from_env(p), 0);
  return (*p)->fields(*p);
}

static void test_composite_extracts_with_every_member_in_order(void **state) {
  (void)state;
  const cotel_propagator *list[] = {cotel_propagator_tracecontext(),
                                    cotel_propagator_baggage()};
  cotel_propagator *p = NULL;
  assert_int_equal(cotel_propagator_composite(list, 2, &p), 0);
  hdrs in;
  hdrs_init(&in,
            (const char *[]){"traceparent", TP("01"), "baggage", "k=v", NULL});
  cotel_context *ctx = NULL;
  assert_int_equal(p->extract(p, cotel_context_root(), &in.c, &ctx), 0);
  cotel_span_context sc;
  assert_int_equal(cotel_context_span_context(ctx, &sc), 0);
  assert_int_equal(cotel_baggage_count(cotel_context_baggage(ctx)), 1);
  hdrs out;
  hdrs_init(&out, NULL);
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_string_equal(hdr(&out, "traceparent"), TP("01"));
  assert_string_equal(hdr(&out, "baggage"), "k=v");
  cotel_context_release(ctx);
  cotel_propagator_destroy(p);
}

static void test_composite_fields_are_the_union(void **state) {
  (void)state;
  const cotel_propagator *list[] = {cotel_propagator_tracecontext(),
                                    cotel_propagator_b3(),
                                    cotel_propagator_tracecontext()};
  cotel_propagator *p = NULL;
  assert_int_equal(cotel_propagator_composite(list, 3, &p), 0);
  const char *const *f = p->fields(p);
  assert_string_equal(f[0], "traceparent");
  assert_string_equal(f[1], "tracestate");
  assert_string_equal(f[2], "b3");
  assert_null(f[3]);
  cotel_propagator_destroy(p);
}

static void test_from_env_defaults_to_tracecontext_and_baggage(void **state) {
  (void)state;
  cotel_propagator *p = NULL;
  const char *const *f = fields_of(NULL, &p);
  assert_string_equal(f[0], "traceparent");
  assert_string_equal(f[2], "baggage");
  assert_null(f[3]);
  cotel_propagator_destroy(p);
}

static void test_from_env_none_propagates_nothing(void **state) {
  (void)state;
  cotel_propagator *p = NULL;
  const char *const *f = fields_of("none", &p);
  assert_null(f[0]);
  hdrs in;
  hdrs_init(&in, (const char *[]){"traceparent", TP("01"), NULL});
  cotel_context *ctx = NULL;
  assert_int_equal(p->extract(p, cotel_context_root(), &in.c, &ctx), 0);
  assert_ptr_equal(ctx, cotel_context_root());
  cotel_context_release(ctx);
  cotel_propagator_destroy(p);
}

static void test_from_env_reads_names_in_order(void **state) {
  (void)state;
  cotel_propagator *p = NULL;
  const char *const *f = fields_of(" b3multi , jaeger,tracecontext", &p);
  assert_string_equal(f[0], "x-b3-traceid");
  assert_string_equal(f[4], "uber-trace-id");
  assert_string_equal(f[5], "traceparent");
  cotel_propagator_destroy(p);
}

static void test_from_env_warns_and_skips_unknown_names(void **state) {
  (void)state;
  cotel_propagator *p = NULL;
  const char *const *f = fields_of("bogus,b3,xray", &p);
  assert_string_equal(f[0], "b3");
  assert_null(f[1]);
  assert_non_null(strstr(logged, "bogus"));
  assert_non_null(strstr(logged, "xray"));
  assert_non_null(strstr(logged, "not supported"));
  cotel_propagator_destroy(p);
}

static void test_from_env_with_only_unknown_names_uses_default(void **state) {
  (void)state;
  cotel_propagator *p = NULL;
  const char *const *f = fields_of("ottrace", &p);
  assert_string_equal(f[0], "traceparent");
  assert_non_null(strstr(logged, "ottrace"));
  cotel_propagator_destroy(p);
}

static void test_by_name_knows_the_builtins(void **state) {
  (void)state;
  assert_ptr_equal(cotel_propagator_by_name("tracecontext"),
                   cotel_propagator_tracecontext());
  assert_ptr_equal(cotel_propagator_by_name("b3multi"),
                   cotel_propagator_b3multi());
  assert_null(cotel_propagator_by_name("xray"));
}

static void test_global_defaults_and_can_be_replaced(void **state) {
  (void)state;
  const cotel_propagator *g = cotel_propagator_global();
  const char *const *f = g->fields(g);
  assert_string_equal(f[0], "traceparent");
  assert_string_equal(f[2], "baggage");
  cotel_propagator_set_global(cotel_propagator_b3());
  assert_ptr_equal(cotel_propagator_global(), cotel_propagator_b3());
  hdrs in;
  hdrs_init(&in, (const char *[]){"traceparent", TP("01"), NULL});
  cotel_context *ctx = NULL;
  /* NULL propagator = the global one, which now ignores traceparent. */
  assert_int_equal(cotel_extract(NULL, cotel_context_root(), &in.c, &ctx), 0);
  assert_ptr_equal(ctx, cotel_context_root());
  cotel_context_release(ctx);
  cotel_propagator_set_global(NULL);
  assert_ptr_equal(cotel_propagator_global()->fields(cotel_propagator_global()),
                   f);
}

static void test_inject_with_null_context_uses_current(void **state) {
  (void)state;
  hdrs in;
  hdrs_init(&in, (const char *[]){"traceparent", TP("01"), NULL});
  cotel_context *ctx = NULL;
  assert_int_equal(cotel_extract(NULL, NULL, &in.c, &ctx), 0);
  cotel_token t = cotel_context_attach(ctx);
  hdrs out;
  hdrs_init(&out, NULL);
  assert_int_equal(cotel_inject(NULL, NULL, &out.c), 0);
  assert_string_equal(hdr(&out, "traceparent"), TP("01"));
  assert_int_equal(cotel_context_detach(t), 0);
  cotel_context_release(ctx);
}

/* A span started under an extracted context continues the trace with the
 * remote span as its parent, and its own context propagates onwards with
 * the same trace id, flags (random included) and tracestate. */
static void test_span_under_extracted_context_has_remote_parent(void **state) {
  (void)state;
  cotel_exporter *exp = NULL;
  cotel_span_processor *proc = NULL;
  assert_int_equal(cotel_memory_exporter_new(&exp), 0);
  assert_int_equal(cotel_simple_processor_new(exp, &proc), 0);
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.processors = &proc;
  cfg.n_processors = 1;
  cfg.sampler = NULL;
  cotel_provider *prov = NULL;
  assert_int_equal(cotel_provider_new(&cfg, &prov), 0);
  cotel_tracer *tr = cotel_provider_tracer(prov, "test");
  assert_non_null(tr);

  hdrs in;
  hdrs_init(&in, (const char *[]){"traceparent", TP("03"), "tracestate",
                                  "congo=t61", NULL});
  cotel_context *ctx = NULL;
  assert_int_equal(cotel_extract(cotel_propagator_tracecontext(),
                                 cotel_context_root(), &in.c, &ctx),
                   0);
  cotel_span_options o = {.parent = ctx, .kind = COTEL_SPAN_KIND_SERVER};
  cotel_span span;
  assert_int_equal(cotel_span_start(tr, "server", &o, &span), 0);
  cotel_context *sctx = NULL;
  assert_int_equal(cotel_context_with_span(ctx, span, &sctx), 0);
  hdrs out;
  hdrs_init(&out, NULL);
  assert_int_equal(cotel_inject(cotel_propagator_tracecontext(), sctx, &out.c),
                   0);
  const char *tp = hdr(&out, "traceparent");
  assert_non_null(tp);
  assert_memory_equal(tp, "00-" TID "-", 36);
  assert_memory_not_equal(tp + 36, SID, 16); /* our own span id */
  assert_string_equal(tp + 52, "-03");
  assert_string_equal(hdr(&out, "tracestate"), "congo=t61");
  cotel_span_end(span, 0);
  cotel_context_release(sctx);
  cotel_context_release(ctx);

  assert_int_equal(cotel_memory_exporter_count(exp), 1);
  const cotel_span_data *sd = cotel_memory_exporter_get(exp, 0);
  assert_true(sd->parent_is_remote);
  char hex[17];
  cotel_span_id_to_hex(&sd->parent_span_id, hex);
  assert_string_equal(hex, SID);
  cotel_provider_destroy(prov);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_composite_extracts_with_every_member_in_order, with_log,
          without_log),
      cmocka_unit_test_setup_teardown(test_composite_fields_are_the_union,
                                      with_log, without_log),
      cmocka_unit_test_setup_teardown(
          test_from_env_defaults_to_tracecontext_and_baggage, with_log,
          without_log),
      cmocka_unit_test_setup_teardown(test_from_env_none_propagates_nothing,
                                      with_log, without_log),
      cmocka_unit_test_setup_teardown(test_from_env_reads_names_in_order,
                                      with_log, without_log),
      cmocka_unit_test_setup_teardown(
          test_from_env_warns_and_skips_unknown_names, with_log, without_log),
      cmocka_unit_test_setup_teardown(
          test_from_env_with_only_unknown_names_uses_default, with_log,
          without_log),
      cmocka_unit_test_setup_teardown(test_by_name_knows_the_builtins, with_log,
                                      without_log),
      cmocka_unit_test_setup_teardown(test_global_defaults_and_can_be_replaced,
                                      with_log, without_log),
      cmocka_unit_test_setup_teardown(
          test_inject_with_null_context_uses_current, with_log, without_log),
      cmocka_unit_test_setup_teardown(
          test_span_under_extracted_context_has_remote_parent, with_log,
          without_log),
  };
  return cotel_test_run(argc, argv, "composite", tests);
}
