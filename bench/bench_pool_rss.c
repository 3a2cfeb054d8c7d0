/* Resident memory before, during and after a burst (issue 11, item 5):
 * a steady load, then `burst` spans as fast as possible through a batch
 * processor with a 65,536-span queue and an exporter slower than the
 * producer (so the queue fills), then the steady load again for `settle`
 * seconds (the pools trim themselves about once a second). Prints one JSON
 * line of RSS figures in KiB (/proc/self/statm).
 *
 *   build/bin/cotel-bench-pool-rss [burst=1000000] [settle_s=3] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cotel/cotel.h"

static void slow_export(cotel_exporter *self,
                        const cotel_span_data *const *spans, size_t n,
                        cotel_export_done_fn done, void *arg) {
  (void)self;
  (void)spans;
  (void)n;
  usleep(2000); /* a slow destination: about 250,000 spans/s */
  done(arg, 0);
}

static void nop_destroy(cotel_exporter *self) {
  (void)self;
}

static long rss_kb(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void spans(cotel_tracer *tr, long n) {
  for (long i = 0; i < n; i++) {
    cotel_span s;
    if (cotel_span_start(tr, "work", NULL, &s) != 0) continue;
    cotel_span_set_int(s, "i", i);
    cotel_span_set_str(s, "http.route", "/api/v1/items/{id}");
    cotel_span_end(s, 0);
  }
}

/* `seconds` of 10,000 spans/s in 10 ms steps. */
static void steady(cotel_tracer *tr, double seconds) {
  for (int step = 0; step < (int)(seconds * 100); step++) {
    spans(tr, 100);
    nanosleep(&(struct timespec){0, 10000000}, NULL);
  }
}

int main(int argc, char **argv) {
  long burst = argc > 1 ? atol(argv[1]) : 1000000;
  double settle = argc > 2 ? atof(argv[2]) : 3;
  static cotel_exporter exp = {
      .name = "slow", .export_spans = slow_export, .destroy = nop_destroy};
  cotel_batch_options o = {65536, 512, 100, 30000};
  cotel_span_processor *bp;
  cotel_provider_config cfg;
  cotel_provider *p;
  if (cotel_batch_processor_new(&exp, &o, &bp)) return 1;
  cotel_provider_config_defaults(&cfg);
  cfg.processors = &bp;
  cfg.n_processors = 1;
  cfg.no_default_processor = true;
  if (cotel_provider_new(&cfg, &p)) return 1;
  cotel_tracer *tr = cotel_provider_tracer(p, "pool-rss");
  long start = rss_kb();
  steady(tr, settle);
  long before = rss_kb();
  cotel_stats st0, st1, st2;
  cotel_provider_stats(p, &st0);
  spans(tr, burst);
  long peak = rss_kb();
  cotel_provider_stats(p, &st1);
  steady(tr, settle);
  long after = rss_kb();
  cotel_provider_stats(p, &st2);
  /* Bytes per queued span: what the pools hold per record at the burst's
   * peak (records, their arenas and chunks), and the resident growth over
   * the records the burst added. */
  double pool_per =
      st1.pool_records ? (double)st1.pool_bytes / (double)st1.pool_records : 0;
  double rss_per = st1.pool_records > st0.pool_records
                       ? (double)(peak - before) * 1024.0 /
                             (double)(st1.pool_records - st0.pool_records)
                       : 0;
  printf(
      "{\"burst\":%ld,\"rss_start_kb\":%ld,\"rss_steady_kb\":%ld,"
      "\"rss_burst_kb\":%ld,\"rss_after_kb\":%ld,"
      "\"records_steady\":%llu,\"records_burst\":%llu,"
      "\"records_after\":%llu,\"pool_bytes_after\":%llu,"
      "\"dropped\":%llu,\"pool_bytes_per_queued_span\":%.0f,"
      "\"rss_bytes_per_queued_span\":%.0f}\n",
      burst, start, before, peak, after, (unsigned long long)st0.pool_records,
      (unsigned long long)st1.pool_records,
      (unsigned long long)st2.pool_records, (unsigned long long)st2.pool_bytes,
      (unsigned long long)st2.spans_dropped, pool_per, rss_per);
  cotel_provider_destroy(p);
  return 0;
}
