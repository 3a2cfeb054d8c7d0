/* cotel-bench-instr: a fixed span workload to count instructions with
 * callgrind, which is repeatable on a busy machine where wall-clock time is
 * not (docs/bench.md, "Instruction counts").
 *
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out \
 *       build/bin/cotel-bench-instr MODE 100000
 *   callgrind_annotate --inclusive=yes cg.out | grep cotel_span_
 *
 * MODE 0: sampled start+end through a batch processor (queue 65536, batch
 * 512) and a discarding exporter; 1: non-recording (always_off); 2: sampled
 * with 4 attributes given at start. Divide the inclusive counts of
 * cotel_span_start / cotel_span_end by the span count. */
#include <stdio.h>
#include <stdlib.h>

#include "cotel/cotel.h"

static void discard(cotel_exporter *self, const cotel_span_data *const *spans,
                    size_t n, cotel_export_done_fn done, void *arg) {
  (void)self;
  (void)spans;
  (void)n;
  done(arg, 0);
}

static void discard_destroy(cotel_exporter *self) {
  free(self);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: cotel-bench-instr MODE(0|1|2) SPANS\n");
    return 2;
  }
  int mode = atoi(argv[1]);
  long n = atol(argv[2]);
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cotel_exporter *e = calloc(1, sizeof *e);
  if (!e) return 1;
  e->name = "discard";
  e->export_spans = discard;
  e->destroy = discard_destroy;
  cotel_batch_options bo = {.max_queue_size = 65536,
                            .max_export_batch_size = 512,
                            .schedule_delay_ms = 5000,
                            .export_timeout_ms = 30000};
  cotel_span_processor *bp;
  if (cotel_batch_processor_new(e, &bo, &bp) != 0) return 1;
  cfg.processors = &bp;
  cfg.n_processors = 1;
  if (mode == 1) cotel_sampler_always_off(&cfg.sampler);
  cotel_provider *p;
  if (cotel_provider_new(&cfg, &p) != 0) return 1;
  cotel_tracer *t = cotel_provider_tracer(p, "bench");
  cotel_attr at[4] = {cotel_attr_string("a", "x"), cotel_attr_string("b", "yy"),
                      cotel_attr_int("c", 3), cotel_attr_double("d", 1.5)};
  for (long i = 0; i < n; i++) {
    cotel_span s;
    cotel_span_options o = {0};
    if (mode == 2) {
      o.attrs = at;
      o.n_attrs = 4;
    }
    cotel_span_start(t, "op", &o, &s);
    cotel_span_end(s, 0);
    /* Keep the queue from filling: the drop path is not what we count. */
    if ((i & 4095) == 4095 && mode != 1) cotel_provider_force_flush(p, 1000);
  }
  cotel_provider_destroy(p);
  return 0;
}
