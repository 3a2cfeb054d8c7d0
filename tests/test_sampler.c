/* Samplers: built-ins, ParentBased, custom callbacks, environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

static cotel_sampling_decision decide(cotel_sampler *s,
                                      const cotel_trace_id *tid,
                                      const cotel_span_context *parent) {
  cotel_sampling_params p = {.parent = cotel_context_root(),
                             .parent_sc = parent,
                             .trace_id = tid,
                             .name = cotel_str_c("x"),
                             .kind = COTEL_SPAN_KIND_INTERNAL};
  cotel_sampling_result r = {0};
  s->should_sample(s, &p, &r);
  return r.decision;
}

static cotel_trace_id tid_low(uint64_t low) {
  cotel_trace_id t;
  memset(t.bytes, 0xff, 8); /* the high half must not matter */
  for (int i = 0; i < 8; i++)
    t.bytes[15 - i] = (uint8_t)(low >> (8 * i));
  return t;
}

static void test_sampler_always_on_and_off_decide_and_describe(void **state) {
  (void)state;
  cotel_sampler *on, *off;
  cotel_trace_id t = tid_low(5);
  assert_int_equal(cotel_sampler_always_on(&on), 0);
  assert_int_equal(cotel_sampler_always_off(&off), 0);
  assert_int_equal(decide(on, &t, NULL), COTEL_SAMPLING_RECORD_AND_SAMPLE);
  assert_int_equal(decide(off, &t, NULL), COTEL_SAMPLING_DROP);
  assert_string_equal(on->description(on), "AlwaysOnSampler");
  assert_string_equal(off->description(off), "AlwaysOffSampler");
  cotel_sampler_destroy(on);
  cotel_sampler_destroy(off);
}

/* Expected decisions computed by opentelemetry-go's rule:
 * sampled iff (big-endian uint64 of bytes 8..15) >> 1 < uint64(r * 2^63). */
static const struct {
  uint64_t low;
  bool at25, at50, at75;
} ratio_table[] = {
    {0x0000000000000000ull, true, true, true},
    {0x0000000000000001ull, true, true, true},
    {0x3fffffffffffffffull, true, true, true},
    {0x4000000000000000ull, false, true, true},
    {0x7fffffffffffffffull, false, true, true},
    {0x8000000000000000ull, false, false, true},
    {0xa3ce929d0e0e4736ull, false, false, true},
    {0xbfffffffffffffffull, false, false, true},
    {0xc000000000000000ull, false, false, false},
    {0xffffffffffffffffull, false, false, false},
};

static void test_sampler_traceidratio_matches_go_decisions(void **state) {
  (void)state;
  cotel_sampler *s25, *s50, *s75;
  assert_int_equal(cotel_sampler_traceidratio(0.25, &s25), 0);
  assert_int_equal(cotel_sampler_traceidratio(0.5, &s50), 0);
  assert_int_equal(cotel_sampler_traceidratio(0.75, &s75), 0);
  for (size_t i = 0; i < sizeof ratio_table / sizeof *ratio_table; i++) {
    cotel_trace_id t = tid_low(ratio_table[i].low);
    /* the rule itself, computed independently of the sampler */
    uint64_t x = ratio_table[i].low >> 1;
    assert_int_equal(x < (uint64_t)(0.25 * 9223372036854775808.0),
                     ratio_table[i].at25);
    assert_int_equal(decide(s25, &t, NULL) == COTEL_SAMPLING_RECORD_AND_SAMPLE,
                     ratio_table[i].at25);
    assert_int_equal(decide(s50, &t, NULL) == COTEL_SAMPLING_RECORD_AND_SAMPLE,
                     ratio_table[i].at50);
    assert_int_equal(decide(s75, &t, NULL) == COTEL_SAMPLING_RECORD_AND_SAMPLE,
                     ratio_table[i].at75);
  }
  assert_string_equal(s50->description(s50), "TraceIDRatioBased{0.5}");
  assert_string_equal(s25->description(s25), "TraceIDRatioBased{0.25}");
  cotel_sampler_destroy(s25);
  cotel_sampler_destroy(s50);
  cotel_sampler_destroy(s75);
}

static void test_sampler_traceidratio_edges_and_invalid_ratios(void **state) {
  (void)state;
  cotel_sampler *s0, *s1, *bad = (void *)1;
  cotel_trace_id zero = tid_low(0), max = tid_low(UINT64_MAX);
  assert_int_equal(cotel_sampler_traceidratio(0, &s0), 0);
  assert_int_equal(cotel_sampler_traceidratio(1, &s1), 0);
  assert_int_equal(decide(s0, &zero, NULL), COTEL_SAMPLING_DROP);
  assert_int_equal(decide(s1, &max, NULL), COTEL_SAMPLING_RECORD_AND_SAMPLE);
  assert_int_equal(cotel_sampler_traceidratio(1.5, &bad), COTEL_EINVAL);
  assert_null(bad);
  assert_int_equal(cotel_sampler_traceidratio(-0.1, &bad), COTEL_EINVAL);
  cotel_sampler *s01;
  assert_int_equal(cotel_sampler_traceidratio(0.1, &s01), 0);
  assert_string_equal(s01->description(s01), "TraceIDRatioBased{0.1}");
  cotel_sampler_destroy(s01);
  cotel_sampler_destroy(s0);
  cotel_sampler_destroy(s1);
}

static cotel_span_context parent_sc(bool remote, bool sampled) {
  cotel_span_context sc = {0};
  memset(sc.trace_id.bytes, 7, 16);
  memset(sc.span_id.bytes, 8, 8);
  sc.is_remote = remote;
  sc.flags = sampled ? COTEL_TRACE_FLAG_SAMPLED : 0;
  return sc;
}

static void
test_sampler_parentbased_follows_the_parent_by_default(void **state) {
  (void)state;
  cotel_sampler *root, *pb;
  cotel_sampler_always_off(&root);
  assert_int_equal(cotel_sampler_parentbased(root, NULL, &pb), 0);
  cotel_trace_id t = tid_low(1);
  cotel_span_context rs = parent_sc(true, true), rn = parent_sc(true, false),
                     ls = parent_sc(false, true), ln = parent_sc(false, false);
  assert_int_equal(decide(pb, &t, NULL), COTEL_SAMPLING_DROP); /* root */
  assert_int_equal(decide(pb, &t, &rs), COTEL_SAMPLING_RECORD_AND_SAMPLE);
  assert_int_equal(decide(pb, &t, &rn), COTEL_SAMPLING_DROP);
  assert_int_equal(decide(pb, &t, &ls), COTEL_SAMPLING_RECORD_AND_SAMPLE);
  assert_int_equal(decide(pb, &t, &ln), COTEL_SAMPLING_DROP);
  assert_string_equal(
      pb->description(pb),
      "ParentBased{root:AlwaysOffSampler,remoteParentSampled:AlwaysOnSampler,"
      "remoteParentNotSampled:AlwaysOffSampler,localParentSampled:"
      "AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}");
  cotel_sampler_destroy(pb);
}

static void test_sampler_parentbased_uses_each_delegate(void **state) {
  (void)state;
  cotel_sampler *root, *pb;
  cotel_parentbased_options o;
  cotel_parentbased_options_init(&o);
  cotel_sampler_always_on(&root);
  /* Every delegate inverted relative to the defaults. */
  cotel_sampler_always_off(&o.remote_parent_sampled);
  cotel_sampler_always_on(&o.remote_parent_not_sampled);
  cotel_sampler_always_off(&o.local_parent_sampled);
  cotel_sampler_traceidratio(1.0, &o.local_parent_not_sampled);
  assert_int_equal(cotel_sampler_parentbased(root, &o, &pb), 0);
  cotel_trace_id t = tid_low(1);
  cotel_span_context rs = parent_sc(true, true), rn = parent_sc(true, false),
                     ls = parent_sc(false, true), ln = parent_sc(false, false);
  assert_int_equal(decide(pb, &t, NULL), COTEL_SAMPLING_RECORD_AND_SAMPLE);
  assert_int_equal(decide(pb, &t, &rs), COTEL_SAMPLING_DROP);
  assert_int_equal(decide(pb, &t, &rn), COTEL_SAMPLING_RECORD_AND_SAMPLE);
  assert_int_equal(decide(pb, &t, &ls), COTEL_SAMPLING_DROP);
  assert_int_equal(decide(pb, &t, &ln), COTEL_SAMPLING_RECORD_AND_SAMPLE);
  assert_non_null(strstr(pb->description(pb),
                         "localParentNotSampled:TraceIDRatioBased{1}"));
  cotel_sampler_destroy(pb);
}

/* A custom sampler: records only, adds an attribute, and checks what it is
 * given. */
typedef struct custom {
  cotel_sampler base;
  int calls;
  char last_name[32];
  cotel_span_kind last_kind;
} custom;

static const cotel_attr custom_attrs[] = {
    {.key = {"sampler.rule", 12}, .type = COTEL_ATTR_STRING, .v.s = {"r1", 2}}};

static void custom_sample(cotel_sampler *s, const cotel_sampling_params *p,
                          cotel_sampling_result *out) {
  custom *c = (custom *)s;
  c->calls++;
  snprintf(c->last_name, sizeof c->last_name, "%.*s", (int)p->name.len,
           p->name.ptr);
  c->last_kind = p->kind;
  out->decision = COTEL_SAMPLING_RECORD_ONLY;
  out->attrs = custom_attrs;
  out->n_attrs = 1;
}

static void
test_sampler_custom_record_only_records_but_does_not_export(void **state) {
  (void)state;
  static custom c = {.base = {custom_sample, NULL, NULL, NULL}};
  cotel_provider_config cfg;
  cotel_exporter *mem;
  cotel_span_processor *sp;
  cotel_provider *p;
  cotel_provider_config_init(&cfg);
  cotel_memory_exporter_new(&mem);
  cotel_simple_processor_new(mem, &sp);
  cfg.sampler = &c.base;
  cfg.processors = &sp;
  cfg.n_processors = 1;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_span s;
  cotel_span_options o = {.kind = COTEL_SPAN_KIND_CLIENT};
  cotel_span_start(cotel_provider_tracer(p, "t"), "custom", &o, &s);
  assert_int_equal(c.calls, 1);
  assert_string_equal(c.last_name, "custom");
  assert_int_equal(c.last_kind, COTEL_SPAN_KIND_CLIENT);
  assert_true(cotel_span_is_recording(s));
  const cotel_span_data *sd = cotel_span_data_of(s);
  assert_int_equal(sd->context.flags & COTEL_TRACE_FLAG_SAMPLED, 0);
  assert_int_equal(sd->n_attrs, 1);
  assert_int_equal(sd->attrs[0].v.s.len, 2);
  cotel_span_end(s, 0);
  /* Spec: exporters only receive sampled spans. */
  assert_int_equal(cotel_memory_exporter_count(mem), 0);
  cotel_provider_destroy(p);
}

static void
test_sampler_from_env_defaults_to_parentbased_always_on(void **state) {
  (void)state;
  cotel_sampler *s;
  unsetenv("OTEL_TRACES_SAMPLER");
  assert_int_equal(cotel_sampler_from_env(&s), 0);
  assert_non_null(
      strstr(s->description(s), "ParentBased{root:AlwaysOnSampler"));
  cotel_sampler_destroy(s);
  cotel_log_set(NULL, NULL, COTEL_LOG_NONE);
  setenv("OTEL_TRACES_SAMPLER", "jaeger_remote_unknown", 1);
  assert_int_equal(cotel_sampler_from_env(&s), 0);
  assert_non_null(
      strstr(s->description(s), "ParentBased{root:AlwaysOnSampler"));
  cotel_sampler_destroy(s);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

static void test_sampler_from_env_builds_each_named_sampler(void **state) {
  (void)state;
  static const struct {
    const char *name, *arg, *desc;
  } cases[] = {
      {"always_on", NULL, "AlwaysOnSampler"},
      {"always_off", NULL, "AlwaysOffSampler"},
      {"traceidratio", "0.5", "TraceIDRatioBased{0.5}"},
      {"traceidratio", NULL, "TraceIDRatioBased{1}"},
      {"traceidratio", "2", "TraceIDRatioBased{1}"},
      {"traceidratio", "abc", "TraceIDRatioBased{1}"},
      {"parentbased_always_off", NULL, "ParentBased{root:AlwaysOffSampler,"},
      {"parentbased_traceidratio", "0.25",
       "ParentBased{root:TraceIDRatioBased{0.25},"},
  };
  cotel_log_set(NULL, NULL, COTEL_LOG_NONE);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    cotel_sampler *s;
    setenv("OTEL_TRACES_SAMPLER", cases[i].name, 1);
    if (cases[i].arg)
      setenv("OTEL_TRACES_SAMPLER_ARG", cases[i].arg, 1);
    else
      unsetenv("OTEL_TRACES_SAMPLER_ARG");
    assert_int_equal(cotel_sampler_from_env(&s), 0);
    const char *d = s->description(s);
    assert_memory_equal(d, cases[i].desc, strlen(cases[i].desc));
    cotel_sampler_destroy(s);
  }
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sampler_always_on_and_off_decide_and_describe),
      cmocka_unit_test(test_sampler_traceidratio_matches_go_decisions),
      cmocka_unit_test(test_sampler_traceidratio_edges_and_invalid_ratios),
      cmocka_unit_test(test_sampler_parentbased_follows_the_parent_by_default),
      cmocka_unit_test(test_sampler_parentbased_uses_each_delegate),
      cmocka_unit_test(
          test_sampler_custom_record_only_records_but_does_not_export),
      cmocka_unit_test(test_sampler_from_env_defaults_to_parentbased_always_on),
      cmocka_unit_test(test_sampler_from_env_builds_each_named_sampler),
  };
  return cotel_test_run(argc, argv, "sampler", tests);
}
