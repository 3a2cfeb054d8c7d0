/* Allocation-failure injection (SQLite-style): an allocator that fails the
 * Nth allocation, for N = 1, 2, ... until a run sees no injected failure.
 * Every public call must return an error or drop-and-count, never crash,
 * and nothing may leak (live allocations are zero after destroy). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

static long n_calls, fail_at, live;
static bool injected;

static void *fail_malloc(void *ud, size_t n) {
  (void)ud;
  if (++n_calls == fail_at) {
    injected = true;
    return NULL;
  }
  void *p = malloc(n);
  if (p) live++;
  return p;
}

static void fail_free(void *ud, void *p) {
  (void)ud;
  if (p) live--;
  free(p);
}

static const cotel_allocator failing = {fail_malloc, NULL, fail_free, NULL};

/* One pass over the span path; returns whether a failure was injected. */
static bool run_once(long n) {
  n_calls = 0;
  fail_at = n;
  live = 0;
  injected = false;
  cotel_exporter *mem;
  cotel_span_processor *sp;
  assert_int_equal(cotel_memory_exporter_new(&mem), 0);
  assert_int_equal(cotel_simple_processor_new(mem, &sp), 0);
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.allocator = &failing;
  cotel_sampler_always_on(&cfg.sampler);
  cfg.processors = &sp;
  cfg.n_processors = 1;
  cotel_provider *p;
  int rc = cotel_provider_new(&cfg, &p);
  if (rc) {
    assert_int_equal(rc, COTEL_ENOMEM);
    assert_true(injected);
    assert_int_equal(live, 0);
    return true;
  }
  cotel_attr scope_attr = cotel_attr_string("scope.attr", "v");
  cotel_tracer_options to = {
      .name = "alloc", .version = "1", .attrs = &scope_attr, .n_attrs = 1};
  cotel_tracer *t;
  rc = cotel_provider_get_tracer(p, &to, &t);
  if (rc == 0) {
    cotel_attr start_attrs[] = {cotel_attr_string("a", "1"),
                                cotel_attr_int("b", 2),
                                cotel_attr_bool("c", true)};
    cotel_link link = {0};
    memset(link.context.trace_id.bytes, 1, 16);
    memset(link.context.span_id.bytes, 1, 8);
    link.attrs = start_attrs;
    link.n_attrs = 3;
    cotel_span_options o = {
        .attrs = start_attrs, .n_attrs = 3, .links = &link, .n_links = 1};
    cotel_span s;
    rc = cotel_span_start(t, "alloc-span", &o, &s);
    assert_true(rc == 0 || rc == COTEL_ENOMEM);
    char val[300];
    memset(val, 'v', sizeof val - 1);
    val[sizeof val - 1] = 0;
    for (int i = 0; i < 60; i++) { /* forces arena chunks */
      char key[16];
      snprintf(key, sizeof key, "k%d", i);
      cotel_span_set_str(s, key, val);
    }
    for (int i = 0; i < 20; i++)
      cotel_span_add_event(s, "event", 0, start_attrs, 3);
    for (int i = 0; i < 20; i++)
      cotel_span_add_link(s, &link);
    bool recording = cotel_span_is_recording(s);
    cotel_span_end(s, 0);
    if (recording) {
      assert_int_equal(cotel_memory_exporter_count(mem), 1);
      const cotel_span_data *sd = cotel_memory_exporter_get(mem, 0);
      assert_int_equal(sd->n_attrs + sd->dropped_attrs, 63);
      assert_int_equal(sd->n_events + sd->dropped_events, 20);
      assert_int_equal(sd->n_links + sd->dropped_links, 21);
      cotel_stats st;
      cotel_provider_stats(p, &st);
      assert_int_equal(st.attrs_dropped >= sd->dropped_attrs, 1);
      assert_int_equal(st.events_dropped, sd->dropped_events);
      assert_int_equal(st.links_dropped, sd->dropped_links);
    } else {
      assert_true(injected);
      assert_int_equal(cotel_memory_exporter_count(mem), 0);
    }
  } else {
    assert_int_equal(rc, COTEL_ENOMEM);
    assert_null(t);
  }
  cotel_provider_destroy(p);
  assert_int_equal(live, 0);
  return injected;
}

static void test_alloc_fail_every_allocation_on_the_span_path(void **state) {
  (void)state;
  long n = 1;
  while (run_once(n)) {
    n++;
    assert_true(n < 10000); /* the span path makes a bounded number */
  }
  /* At least: provider, registry node, reserve records, resource, tracer,
   * record, chunks. */
  assert_true(n > 8);
}

static void test_alloc_fail_start_without_memory_returns_enomem(void **state) {
  (void)state;
  /* Fail every allocation after the provider and tracer exist: spans fall
   * back to the reserve (non-recording, valid ids), then to none. */
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.allocator = &failing;
  cfg.no_default_processor = true;
  cotel_sampler_always_on(&cfg.sampler);
  n_calls = 0;
  fail_at = -1;
  live = 0;
  cotel_provider *p;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_tracer *t = cotel_provider_tracer(p, "t");
  assert_non_null(t);
  fail_at = n_calls + 1;
  cotel_span spans[8];
  int enomem = 0, valid = 0;
  for (int i = 0; i < 8; i++) {
    fail_at = n_calls + 1; /* the next allocation fails, whichever it is */
    int rc = cotel_span_start(t, "s", NULL, &spans[i]);
    cotel_span_context sc;
    if (rc == COTEL_ENOMEM) enomem++;
    if (cotel_span_get_context(spans[i], &sc) == 0) valid++;
    assert_false(cotel_span_is_recording(spans[i]));
  }
  assert_int_equal(enomem, 8);
  assert_int_equal(valid, 2); /* the reserve */
  cotel_stats st;
  cotel_provider_stats(p, &st);
  assert_int_equal(st.spans_dropped, 8);
  for (int i = 0; i < 8; i++)
    cotel_span_end(spans[i], 0);
  cotel_provider_destroy(p);
  assert_int_equal(live, 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alloc_fail_every_allocation_on_the_span_path),
      cmocka_unit_test(test_alloc_fail_start_without_memory_returns_enomem),
  };
  return cotel_test_run(argc, argv, "alloc_fail", tests);
}
