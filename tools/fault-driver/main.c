/* cotel-fault-driver: a span producer for the fault matrix (`make faults`).
 *
 * Same options and JSON line as cotel-gen (so either can drive
 * scripts/faults.py): --spans N or --duration S, --rate R (spans/s, 0 = as
 * fast as possible), --threads T, --attrs K, --depth D (spans per trace,
 * nested), --shutdown-timeout-ms M; everything else from OTEL_* (and
 * COTEL_EXPORTER_OTLP_SPOOL_*). The pipeline is a batch processor with the
 * OTLP exporter. Driver-only: --drain-ms MS waits, before the shutdown, at
 * most MS for the disk spool to empty; FAULT_DRIVER_EXIT=1 makes it exit()
 * after the spans without any shutdown. At exit, one JSON line with the
 * counters, max_end_ns (the slowest span_end) and peak_rss_kb, then the
 * spool's counters. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cotel/otlp.h"
#include "cotel/processor.h"
#include "cotel/provider.h"
#include "cotel/trace.h"

typedef struct opts {
  uint64_t spans;
  double duration_s;
  double rate;
  unsigned threads, attrs, depth;
  uint32_t shutdown_ms, drain_ms;
} opts;

typedef struct worker {
  pthread_t th;
  const opts *o;
  cotel_tracer *tracer;
  uint64_t quota; /* spans, or UINT64_MAX with a duration */
  uint64_t t_end; /* monotonic deadline with a duration, else 0 */
  uint64_t made, max_end_ns;
} worker;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t) {
  struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
  }
}

static void end_timed(worker *w, cotel_span s) {
  uint64_t t0 = now_ns();
  cotel_span_end(s, 0);
  uint64_t d = now_ns() - t0;
  if (d > w->max_end_ns) w->max_end_ns = d;
}

static void *run(void *arg) {
  worker *w = arg;
  const opts *o = w->o;
  double per_thread = o->rate > 0 ? o->rate / o->threads : 0;
  uint64_t t0 = now_ns();
  cotel_span chain[64];
  char key[16];
  while (w->made < w->quota) {
    if (w->t_end && (w->made & 63) == 0 && now_ns() >= w->t_end) break;
    if (per_thread > 0)
      sleep_until(t0 + (uint64_t)((double)w->made * 1e9 / per_thread));
    unsigned d = o->depth;
    if (w->quota - w->made < d) d = (unsigned)(w->quota - w->made);
    for (unsigned i = 0; i < d; i++) {
      cotel_span_options so = {0};
      cotel_context *ctx = NULL;
      if (i == 0) {
        so.root = true;
      } else {
        if (cotel_context_with_span(NULL, chain[i - 1], &ctx) == 0)
          so.parent = ctx;
      }
      cotel_span_start(w->tracer, i ? "child" : "root", &so, &chain[i]);
      if (ctx) cotel_context_release(ctx);
      for (unsigned k = 0; k < o->attrs; k++) {
        snprintf(key, sizeof key, "attr.%u", k);
        cotel_span_set_int(chain[i], key, (int64_t)(w->made + k));
      }
    }
    for (unsigned i = d; i-- > 0;)
      end_timed(w, chain[i]);
    w->made += d;
  }
  return NULL;
}

/* Peak resident set of this process image (VmHWM; getrusage's ru_maxrss
 * would carry the parent's peak across exec). */
static long peak_rss_kb(void) {
  char line[256];
  long kb = -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6)) kb = atol(line + 6);
  fclose(f);
  return kb;
}

static void usage(void) {
  fprintf(stderr, "usage: cotel-fault-driver [--spans N | --duration S] "
                  "[--rate R] [--threads T] [--attrs K] [--depth D] "
                  "[--shutdown-timeout-ms M] [--drain-ms MS]\n");
  exit(2);
}

static opts parse(int argc, char **argv) {
  opts o = {.spans = 10000, .threads = 1, .depth = 1, .shutdown_ms = 5000};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (!strcmp(a, "--spans"))
      o.spans = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--duration"))
      o.duration_s = atof(v);
    else if (!strcmp(a, "--rate"))
      o.rate = atof(v);
    else if (!strcmp(a, "--threads"))
      o.threads = (unsigned)atoi(v);
    else if (!strcmp(a, "--attrs"))
      o.attrs = (unsigned)atoi(v);
    else if (!strcmp(a, "--depth"))
      o.depth = (unsigned)atoi(v);
    else if (!strcmp(a, "--shutdown-timeout-ms"))
      o.shutdown_ms = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--drain-ms"))
      o.drain_ms = (uint32_t)strtoul(v, NULL, 10);
    else
      usage();
    i++;
  }
  if (o.threads == 0 || o.threads > 256 || o.depth == 0 || o.depth > 64)
    usage();
  return o;
}

int main(int argc, char **argv) {
  opts o = parse(argc, argv);
  cotel_exporter *exp;
  cotel_span_processor *proc;
  cotel_provider *p;
  cotel_provider_config cfg;
  cotel_stats st;
  cotel_otlp_stats os = {0};
  worker *w;
  uint64_t t0, t_shut, wall, shut, max_end = 0;
  if (cotel_otlp_exporter_new_from_env(&exp) != 0) return 1;
  if (cotel_batch_processor_new(exp, NULL, &proc) != 0) return 1;
  cotel_provider_config_defaults(&cfg);
  cfg.service_name = "cotel-fault-driver";
  cfg.processors = &proc;
  cfg.n_processors = 1;
  if (cotel_provider_new(&cfg, &p) != 0) return 1;
  w = calloc(o.threads, sizeof *w);
  if (!w) return 1;
  t0 = now_ns();
  for (unsigned i = 0; i < o.threads; i++) {
    w[i].o = &o;
    w[i].tracer = cotel_provider_tracer(p, "cotel-fault-driver");
    if (o.duration_s > 0) {
      w[i].quota = UINT64_MAX;
      w[i].t_end = t0 + (uint64_t)(o.duration_s * 1e9);
    } else {
      w[i].quota = o.spans / o.threads + (i < o.spans % o.threads);
    }
    pthread_create(&w[i].th, NULL, run, &w[i]);
  }
  for (unsigned i = 0; i < o.threads; i++) {
    pthread_join(w[i].th, NULL);
    if (w[i].max_end_ns > max_end) max_end = w[i].max_end_ns;
  }
  /* The "exit without shutdown" fault: exit() with the pipeline running. */
  if (getenv("FAULT_DRIVER_EXIT")) exit(0);
  if (o.drain_ms) {
    uint64_t limit = now_ns() + (uint64_t)o.drain_ms * 1000000u;
    cotel_provider_force_flush(p, o.drain_ms);
    while (now_ns() < limit && cotel_otlp_exporter_stats(exp, &os) == 0 &&
           os.spool_spans_written + os.spool_spans_recovered >
               os.spool_spans_replayed + os.spool_spans_dropped)
      usleep(20000);
  }
  t_shut = now_ns();
  cotel_provider_shutdown(p, o.shutdown_ms);
  shut = now_ns() - t_shut;
  wall = now_ns() - t0;
  if (getenv("FAULT_DRIVER_SETTLE")) usleep(500000);
  cotel_provider_stats(p, &st);
  cotel_otlp_exporter_stats(exp, &os);
  printf("{\"started\":%" PRIu64 ",\"ended\":%" PRIu64 ",\"exported\":%" PRIu64
         ",\"dropped\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"retried\":%" PRIu64
         ",\"wall_ms\":%" PRIu64 ",\"shutdown_ms\":%" PRIu64
         ",\"max_end_ns\":%" PRIu64 ",\"peak_rss_kb\":%ld"
         ",\"spool_pending\":%" PRIu64 ",\"spool_written\":%" PRIu64
         ",\"spool_replayed\":%" PRIu64 ",\"spool_recovered\":%" PRIu64
         ",\"spool_dropped\":%" PRIu64 ",\"spool_duplicated\":%" PRIu64
         ",\"spool_corrupt\":%" PRIu64 "}\n",
         st.spans_started, st.spans_ended, st.spans_exported, st.spans_dropped,
         st.spans_export_failed, st.export_retries, wall / 1000000u,
         shut / 1000000u, max_end, peak_rss_kb(), os.spool_spans_pending,
         os.spool_spans_written, os.spool_spans_replayed,
         os.spool_spans_recovered, os.spool_spans_dropped,
         os.spool_spans_duplicated, os.spool_records_corrupt);
  fflush(stdout);
  cotel_provider_destroy(p);
  free(w);
  return 0;
}
