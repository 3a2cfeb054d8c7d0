/* Span limits: environment and enforcement (OTel SDK "Span Limits"). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

static void clear_env(void) {
  const char *vars[] = {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
                        "OTEL_ATTRIBUTE_COUNT_LIMIT",
                        "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                        "OTEL_SPAN_EVENT_COUNT_LIMIT",
                        "OTEL_SPAN_LINK_COUNT_LIMIT",
                        "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
                        "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
}

static void test_limits_default_to_128_and_unlimited_length(void **state) {
  (void)state;
  clear_env();
  cotel_span_limits l;
  cotel_span_limits_from_env(&l);
  assert_int_equal(l.attr_count, 128);
  assert_int_equal(l.attr_value_length, COTEL_LIMIT_UNLIMITED);
  assert_int_equal(l.event_count, 128);
  assert_int_equal(l.link_count, 128);
  assert_int_equal(l.attrs_per_event, 128);
  assert_int_equal(l.attrs_per_link, 128);
}

static void test_limits_span_variables_win_over_general_ones(void **state) {
  (void)state;
  clear_env();
  setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "10", 1);
  setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "20", 1);
  cotel_span_limits l;
  cotel_span_limits_from_env(&l);
  assert_int_equal(l.attr_count, 10);
  assert_int_equal(l.attr_value_length, 20);
  setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "5", 1);
  setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "6", 1);
  setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "7", 1);
  setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "8", 1);
  setenv("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "9", 1);
  setenv("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "3", 1);
  cotel_span_limits_from_env(&l);
  assert_int_equal(l.attr_count, 5);
  assert_int_equal(l.attr_value_length, 6);
  assert_int_equal(l.event_count, 7);
  assert_int_equal(l.link_count, 8);
  assert_int_equal(l.attrs_per_event, 9);
  assert_int_equal(l.attrs_per_link, 3);
}

static void test_limits_invalid_values_fall_back(void **state) {
  (void)state;
  clear_env();
  cotel_log_set(NULL, NULL, COTEL_LOG_NONE);
  setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "12", 1);
  setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "-1", 1);
  setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "lots", 1);
  cotel_span_limits l;
  cotel_span_limits_from_env(&l);
  assert_int_equal(l.attr_count, 12);
  assert_int_equal(l.event_count, 128);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

typedef struct fx {
  cotel_provider *p;
  cotel_tracer *t;
  cotel_exporter *mem;
} fx;

static void fx_open(fx *f, const cotel_span_limits *l) {
  cotel_provider_config cfg;
  cotel_span_processor *sp;
  cotel_provider_config_init(&cfg);
  cfg.limits = *l;
  cotel_sampler_always_on(&cfg.sampler);
  assert_int_equal(cotel_memory_exporter_new(&f->mem), 0);
  assert_int_equal(cotel_simple_processor_new(f->mem, &sp), 0);
  cfg.processors = &sp;
  cfg.n_processors = 1;
  assert_int_equal(cotel_provider_new(&cfg, &f->p), 0);
  f->t = cotel_provider_tracer(f->p, "limits");
}

static const cotel_span_limits small = {.attr_count = 2,
                                        .attr_value_length = 3,
                                        .event_count = 2,
                                        .link_count = 1,
                                        .attrs_per_event = 1,
                                        .attrs_per_link = 1};

static void test_limits_attribute_count_drops_and_counts(void **state) {
  (void)state;
  fx f;
  fx_open(&f, &small);
  cotel_span s;
  cotel_span_start(f.t, "s", NULL, &s);
  cotel_span_set_int(s, "a", 1);
  cotel_span_set_int(s, "b", 2);
  cotel_span_set_int(s, "c", 3); /* dropped */
  cotel_span_set_int(s, "a", 4); /* existing key: replaced, not dropped */
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_attrs, 2);
  assert_int_equal(sd->dropped_attrs, 1);
  assert_int_equal(sd->attrs[0].v.i, 4);
  cotel_stats st;
  cotel_provider_stats(f.p, &st);
  assert_int_equal(st.attrs_dropped, 1);
  cotel_provider_destroy(f.p);
}

static void
test_limits_value_length_truncates_strings_and_array_items(void **state) {
  (void)state;
  fx f;
  fx_open(&f, &small);
  cotel_span s;
  cotel_str items[] = {cotel_str_c("abcdef"), cotel_str_c("xy")};
  cotel_attr arr = cotel_attr_array("arr", COTEL_ATTR_STRING_ARRAY, items, 2);
  cotel_span_start(f.t, "s", NULL, &s);
  cotel_span_set_str(s, "str", "hello");
  cotel_span_set_attr(s, &arr);
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->attrs[0].v.s.len, 3);
  assert_memory_equal(sd->attrs[0].v.s.ptr, "hel", 3);
  const cotel_str *o = sd->attrs[1].v.arr.items;
  assert_int_equal(o[0].len, 3);
  assert_memory_equal(o[0].ptr, "abc", 3);
  assert_int_equal(o[1].len, 2);
  cotel_provider_destroy(f.p);
}

static void test_limits_event_and_link_counts_drop_and_count(void **state) {
  (void)state;
  fx f;
  fx_open(&f, &small);
  cotel_span s;
  cotel_attr ea[] = {cotel_attr_int("x", 1), cotel_attr_int("y", 2),
                     cotel_attr_int("x", 3)};
  cotel_link l = {0};
  memset(l.context.trace_id.bytes, 1, 16);
  memset(l.context.span_id.bytes, 1, 8);
  l.attrs = ea;
  l.n_attrs = 2;
  cotel_span_start(f.t, "s", NULL, &s);
  cotel_span_add_event(s, "e1", 0, ea, 3);
  cotel_span_add_event(s, "e2", 0, NULL, 0);
  cotel_span_add_event(s, "e3", 0, NULL, 0);
  cotel_span_add_link(s, &l);
  cotel_span_add_link(s, &l);
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_events, 2);
  assert_int_equal(sd->dropped_events, 1);
  /* x, y, x=3: one slot; x then replaced by the last x, y dropped. */
  assert_int_equal(sd->events[0].n_attrs, 1);
  assert_int_equal(sd->events[0].dropped_attrs, 1);
  assert_int_equal(sd->events[0].attrs[0].v.i, 3);
  assert_int_equal(sd->n_links, 1);
  assert_int_equal(sd->dropped_links, 1);
  assert_int_equal(sd->links[0].n_attrs, 1);
  assert_int_equal(sd->links[0].dropped_attrs, 1);
  cotel_stats st;
  cotel_provider_stats(f.p, &st);
  assert_int_equal(st.events_dropped, 1);
  assert_int_equal(st.links_dropped, 1);
  assert_int_equal(st.attrs_dropped, 2);
  cotel_provider_destroy(f.p);
}

static void test_limits_zero_value_length_keeps_empty_strings(void **state) {
  (void)state;
  cotel_span_limits l = small;
  l.attr_value_length = 0;
  fx f;
  fx_open(&f, &l);
  cotel_span s;
  cotel_span_start(f.t, "s", NULL, &s);
  cotel_span_set_str(s, "k", "value");
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_attrs, 1);
  assert_int_equal(sd->attrs[0].v.s.len, 0);
  cotel_provider_destroy(f.p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_limits_default_to_128_and_unlimited_length),
      cmocka_unit_test(test_limits_span_variables_win_over_general_ones),
      cmocka_unit_test(test_limits_invalid_values_fall_back),
      cmocka_unit_test(test_limits_attribute_count_drops_and_counts),
      cmocka_unit_test(
          test_limits_value_length_truncates_strings_and_array_items),
      cmocka_unit_test(test_limits_event_and_link_counts_drop_and_count),
      cmocka_unit_test(test_limits_zero_value_length_keeps_empty_strings),
  };
  return cotel_test_run(argc, argv, "limits", tests);
}
