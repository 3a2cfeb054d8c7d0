/* The in-memory exporter. */
#include <stdio.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

typedef struct fx {
  cotel_provider *p;
  cotel_tracer *t;
  cotel_exporter *mem;
} fx;

static void fx_open(fx *f) {
  cotel_provider_config cfg;
  cotel_span_processor *sp;
  cotel_provider_config_init(&cfg);
  cotel_sampler_always_on(&cfg.sampler);
  assert_int_equal(cotel_memory_exporter_new(&f->mem), 0);
  assert_int_equal(cotel_simple_processor_new(f->mem, &sp), 0);
  cfg.processors = &sp;
  cfg.n_processors = 1;
  assert_int_equal(cotel_provider_new(&cfg, &f->p), 0);
  f->t = cotel_provider_tracer(f->p, "mem");
}

static void end_span(fx *f, const char *name) {
  cotel_span s;
  cotel_span_start(f->t, name, NULL, &s);
  cotel_span_end(s, 0);
}

static void test_memory_exporter_keeps_spans_in_export_order(void **state) {
  (void)state;
  fx f;
  fx_open(&f);
  end_span(&f, "one");
  end_span(&f, "two");
  end_span(&f, "three");
  assert_int_equal(cotel_memory_exporter_count(f.mem), 3);
  assert_memory_equal(cotel_memory_exporter_get(f.mem, 0)->name.ptr, "one", 3);
  assert_memory_equal(cotel_memory_exporter_get(f.mem, 2)->name.ptr, "three",
                      5);
  assert_null(cotel_memory_exporter_get(f.mem, 3));
  cotel_provider_destroy(f.p);
}

static void test_memory_exporter_clear_releases_spans(void **state) {
  (void)state;
  fx f;
  fx_open(&f);
  end_span(&f, "one");
  cotel_memory_exporter_clear(f.mem);
  assert_int_equal(cotel_memory_exporter_count(f.mem), 0);
  end_span(&f, "two");
  assert_int_equal(cotel_memory_exporter_count(f.mem), 1);
  assert_memory_equal(cotel_memory_exporter_get(f.mem, 0)->name.ptr, "two", 3);
  cotel_provider_destroy(f.p);
}

static void test_memory_exporter_fail_next_fails_and_counts(void **state) {
  (void)state;
  fx f;
  fx_open(&f);
  cotel_memory_exporter_fail_next(f.mem, 2, COTEL_ERETRY);
  end_span(&f, "a");
  end_span(&f, "b");
  end_span(&f, "c");
  assert_int_equal(cotel_memory_exporter_count(f.mem), 1);
  assert_memory_equal(cotel_memory_exporter_get(f.mem, 0)->name.ptr, "c", 1);
  cotel_stats st = {0};
  f.mem->stats(f.mem, &st);
  assert_int_equal(st.spans_exported, 1);
  assert_int_equal(st.spans_export_failed, 2);
  assert_true(f.mem->counts_spans);
  cotel_provider_destroy(f.p);
}

static int done_rc = 1;
static void on_done(void *arg, int rc) {
  (void)arg;
  done_rc = rc;
}

static void test_memory_exporter_fails_after_shutdown(void **state) {
  (void)state;
  fx f;
  fx_open(&f);
  end_span(&f, "a");
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  f.mem->shutdown(f.mem, 0);
  f.mem->export_spans(f.mem, &sd, 1, on_done, NULL);
  assert_int_equal(done_rc, COTEL_ESTATE);
  assert_int_equal(cotel_memory_exporter_count(f.mem), 1);
  cotel_provider_destroy(f.p);
}

static void test_memory_exporter_null_handles_are_harmless(void **state) {
  (void)state;
  assert_int_equal(cotel_memory_exporter_count(NULL), 0);
  assert_null(cotel_memory_exporter_get(NULL, 0));
  cotel_memory_exporter_clear(NULL);
  cotel_memory_exporter_fail_next(NULL, 1, COTEL_EEXPORT);
  assert_int_equal(cotel_memory_exporter_new(NULL), COTEL_EINVAL);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_memory_exporter_keeps_spans_in_export_order),
      cmocka_unit_test(test_memory_exporter_clear_releases_spans),
      cmocka_unit_test(test_memory_exporter_fail_next_fails_and_counts),
      cmocka_unit_test(test_memory_exporter_fails_after_shutdown),
      cmocka_unit_test(test_memory_exporter_null_handles_are_harmless),
  };
  return cotel_test_run(argc, argv, "memory_exporter", tests);
}
