/* Span record pools give memory back after a burst (issue 11, item 5) and
 * allocate nothing per span under a steady load. Trims are called directly
 * (cotel/internal/pool.h): no timing, no RSS sampling. */
#include <stdatomic.h>
#include <stdlib.h>

#include "cotel/cotel.h"
#include "support/internal.h"
#include "test_util.h"

#define BURST 20000

typedef struct counting {
  cotel_exporter base;
  atomic_size_t n;
} counting;

static void cnt_export(cotel_exporter *self,
                       const cotel_span_data *const *spans, size_t n,
                       cotel_export_done_fn done, void *arg) {
  (void)spans;
  atomic_fetch_add(&((counting *)self)->n, n);
  done(arg, 0);
}

static void cnt_destroy(cotel_exporter *self) {
  free(self);
}

static atomic_size_t n_allocs;

static void *count_malloc(void *ud, size_t n) {
  (void)ud;
  atomic_fetch_add(&n_allocs, 1);
  return malloc(n);
}

static void count_free(void *ud, void *ptr) {
  (void)ud;
  free(ptr);
}

typedef struct world {
  counting *exp;
  cotel_provider *p;
  cotel_tracer *tr;
} world;

static void world_init(world *w) {
  static const cotel_allocator al = {count_malloc, NULL, count_free, NULL};
  cotel_batch_options o = {65536, 512, 600000, 30000};
  cotel_span_processor *bp;
  cotel_provider_config cfg;
  w->exp = calloc(1, sizeof *w->exp);
  assert_non_null(w->exp);
  w->exp->base.name = "counting";
  w->exp->base.export_spans = cnt_export;
  w->exp->base.destroy = cnt_destroy;
  assert_int_equal(cotel_batch_processor_new(&w->exp->base, &o, &bp), 0);
  cotel_provider_config_defaults(&cfg);
  cfg.processors = &bp;
  cfg.n_processors = 1;
  cfg.no_default_processor = true;
  cfg.allocator = &al;
  assert_int_equal(cotel_provider_new(&cfg, &w->p), 0);
  w->tr = cotel_provider_tracer(w->p, "test_pool");
}

/* n spans alive at once (n records in use), then all ended and exported. */
static void burst(world *w, cotel_span *spans, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    assert_int_equal(cotel_span_start(w->tr, "burst", NULL, &spans[i]), 0);
    cotel_span_set_str(spans[i], "k", "a value long enough to be copied");
  }
  for (unsigned i = 0; i < n; i++)
    cotel_span_end(spans[i], 0);
  assert_int_equal(cotel_provider_force_flush(w->p, 30000), 0);
}

static cotel_stats stats(world *w) {
  cotel_stats st;
  assert_int_equal(cotel_provider_stats(w->p, &st), 0);
  return st;
}

static void test_pool_retained_bytes_fall_after_a_burst(void **state) {
  world w;
  cotel_span *spans = calloc(BURST, sizeof *spans);
  (void)state;
  assert_non_null(spans);
  world_init(&w);
  burst(&w, spans, BURST);
  cotel_stats peak = stats(&w);
  assert_true(peak.pool_records >= BURST);
  assert_true(peak.pool_bytes >= peak.pool_records * 512);
  /* The first trim learns that the records are free, the second frees the
   * ones nobody used in between. */
  cotel__pool_trim(w.p);
  cotel__pool_trim(w.p);
  cotel_stats after = stats(&w);
  assert_true(after.pool_records <= 1024);
  assert_true(after.pool_bytes * 10 < peak.pool_bytes);
  assert_int_equal(after.spans_ended, BURST);
  assert_int_equal(atomic_load(&w.exp->n), BURST);
  cotel_provider_destroy(w.p);
  free(spans);
}

static void test_pool_steady_load_allocates_nothing_per_span(void **state) {
  world w;
  cotel_span spans[200];
  (void)state;
  world_init(&w);
  /* Warm: the records the steady state needs exist (including those the
   * releasing thread keeps cached between rounds, up to a cache's size). */
  for (int round = 0; round < 10; round++)
    burst(&w, spans, 200);
  cotel__pool_trim(w.p);
  size_t records = stats(&w).pool_records;
  size_t allocs = atomic_load(&n_allocs);
  for (int round = 0; round < 20; round++) {
    burst(&w, spans, 200);
    if (round % 5 == 4) cotel__pool_trim(w.p); /* trims keep what is used */
  }
  assert_int_equal(atomic_load(&n_allocs), allocs);
  assert_int_equal(stats(&w).pool_records, records);
  assert_int_equal(atomic_load(&w.exp->n), 30 * 200);
  cotel_provider_destroy(w.p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pool_retained_bytes_fall_after_a_burst),
      cmocka_unit_test(test_pool_steady_load_allocates_nothing_per_span),
  };
  return cotel_test_run(argc, argv, "pool", tests);
}
