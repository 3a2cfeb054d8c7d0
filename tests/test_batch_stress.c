/* Batch processor under concurrency (scenario c): several threads end spans
 * as fast as they can; every ended span is either exported or counted as
 * dropped, exactly. Also run under TSan. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

#define THREADS 4
#define SPANS_PER_THREAD 100000u

/* Discards spans, calls done at once; counts what it was given. */
typedef struct sink {
  cotel_exporter base;
  atomic_uint_fast64_t spans;
  atomic_uint_fast64_t bad; /* cmocka asserts only on the test thread */
} sink;

static void sink_export(cotel_exporter *self,
                        const cotel_span_data *const *spans, size_t n,
                        cotel_export_done_fn done, void *arg) {
  sink *s = (sink *)self;
  for (size_t i = 0; i < n; i++)
    if (spans[i]->name.len != 2) atomic_fetch_add(&s->bad, 1);
  atomic_fetch_add(&s->spans, n);
  done(arg, 0);
}

static void sink_destroy(cotel_exporter *self) {
  free(self);
}

typedef struct run {
  cotel_provider *p;
  cotel_tracer *tr;
  cotel_span_processor *bp;
  sink *s;
  atomic_bool stop_flushing;
  atomic_int flush_errors;
} run;

static void *producer(void *arg) {
  run *r = arg;
  for (unsigned i = 0; i < SPANS_PER_THREAD; i++) {
    cotel_span s;
    cotel_span_start(r->tr, "op", NULL, &s);
    cotel_span_end(s, 0);
  }
  return NULL;
}

static void *flusher(void *arg) {
  run *r = arg;
  while (!atomic_load(&r->stop_flushing)) {
    if (r->bp->force_flush(r->bp, 10000) != 0)
      atomic_fetch_add(&r->flush_errors, 1);
  }
  return NULL;
}

static void run_stress(uint32_t queue, uint32_t batch, bool with_flusher,
                       cotel_stats *st, uint64_t *sunk) {
  run r;
  cotel_provider_config cfg;
  cotel_batch_options o = {.max_queue_size = queue,
                           .max_export_batch_size = batch,
                           .schedule_delay_ms = 5,
                           .export_timeout_ms = 30000};
  pthread_t th[THREADS], fl;
  memset(&r, 0, sizeof r);
  r.s = calloc(1, sizeof *r.s);
  assert_non_null(r.s);
  r.s->base.name = "sink";
  r.s->base.export_spans = sink_export;
  r.s->base.destroy = sink_destroy;
  assert_int_equal(cotel_batch_processor_new(&r.s->base, &o, &r.bp), 0);
  cotel_provider_config_init(&cfg);
  cfg.processors = &r.bp;
  cfg.n_processors = 1;
  cfg.no_default_processor = true;
  assert_int_equal(cotel_provider_new(&cfg, &r.p), 0);
  r.tr = cotel_provider_tracer(r.p, "stress");
  assert_non_null(r.tr);
  if (with_flusher) assert_int_equal(pthread_create(&fl, NULL, flusher, &r), 0);
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&th[i], NULL, producer, &r), 0);
  for (int i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  if (with_flusher) {
    atomic_store(&r.stop_flushing, true);
    pthread_join(fl, NULL);
  }
  assert_int_equal(r.bp->shutdown(r.bp, 30000), 0);
  memset(st, 0, sizeof *st);
  r.bp->stats(r.bp, st);
  *sunk = atomic_load(&r.s->spans);
  if (getenv("COTEL_TEST_VERBOSE"))
    print_message("exported %llu dropped %llu\n",
                  (unsigned long long)st->spans_exported,
                  (unsigned long long)st->spans_dropped);
  assert_int_equal(atomic_load(&r.s->bad), 0);
  assert_int_equal(atomic_load(&r.flush_errors), 0);
  cotel_provider_destroy(r.p);
}

static void
test_batch_stress_every_ended_span_is_exported_or_dropped(void **state) {
  cotel_stats st;
  uint64_t sunk;
  (void)state;
  run_stress(2048, 512, false, &st, &sunk);
  assert_int_equal(st.spans_exported + st.spans_dropped,
                   THREADS * SPANS_PER_THREAD);
  assert_int_equal(st.spans_exported, sunk);
  assert_int_equal(st.spans_export_failed, 0);
}

static void test_batch_stress_small_queue_counts_drops_exactly(void **state) {
  cotel_stats st;
  uint64_t sunk;
  (void)state;
  run_stress(64, 16, false, &st, &sunk);
  assert_int_equal(st.spans_exported + st.spans_dropped,
                   THREADS * SPANS_PER_THREAD);
  assert_int_equal(st.spans_exported, sunk);
}

static void
test_batch_stress_concurrent_force_flush_while_producing(void **state) {
  cotel_stats st;
  uint64_t sunk;
  (void)state;
  run_stress(1024, 128, true, &st, &sunk);
  assert_int_equal(st.spans_exported + st.spans_dropped,
                   THREADS * SPANS_PER_THREAD);
  assert_int_equal(st.spans_exported, sunk);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_batch_stress_every_ended_span_is_exported_or_dropped),
      cmocka_unit_test(test_batch_stress_small_queue_counts_drops_exactly),
      cmocka_unit_test(
          test_batch_stress_concurrent_force_flush_while_producing),
  };
  return cotel_test_run(argc, argv, "batch_stress", tests);
}
