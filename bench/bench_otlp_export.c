/* cotel-bench-otlp-export: OTLP export to a receiver on loopback:
 * sustained throughput, and the CPU the export thread uses per 100k spans.
 *
 * Each case builds a provider with the batch processor (batch 512) and the
 * OTLP/HTTP exporter (its defaults: at most 2 requests in flight) pointed at
 * the sink of otlp_sink.h on 127.0.0.1, a minimal HTTP/1.1 server on its own
 * libuv thread that answers 200 with an empty response. `threads` producers
 * start and end root spans with 4 attributes. Protobuf and OTLP/JSON, gzip
 * off and on, and OTLP/gRPC (to grpc_sink.h: grpcio in a child process,
 * when COTEL_GRPC_SINK is set), each in two modes:
 *   saturated  `spans` spans as fast as the producers can, queue `queue`
 *              (262144): the exporter is the bottleneck and stays busy, so
 *              exported spans / wall time (first span started to the end of
 *              force_flush) is its sustained rate. Spans that find the queue
 *              full are dropped (DESIGN §5: never block) and reported. The
 *              queue holds far more records than any cache, so the exporter
 *              reads cold records here: a worst case for its CPU per span.
 *   paced      `paced_spans` spans at `rate` spans/s in total (default
 *              300000 at 100000/s), queue `paced_queue` (the spec's 2048):
 *              a service the exporter keeps up with, records exported soon
 *              after they end. The steady-state CPU cost; drops here mean
 *              the loop thread was off-CPU longer than the queue lasts.
 *
 * Metrics (one `case  value  unit` line each, and build/bench/otlp.json):
 *   throughput   exported spans / wall time (saturated only).
 *   capacity     exported spans per CPU-second of the export thread: the
 *                rate one dedicated core would sustain (derived from
 *                export_cpu; on a shared machine, wall throughput is lower).
 *   export_cpu   user+system CPU time of the batch processor's loop thread
 *                per 100k exported spans. That thread does all the export
 *                work: draining the queue, encoding, gzip, libcurl, socket
 *                I/O. It is identified exactly, not guessed: a thin wrapper
 *                around the exporter records the thread that calls start()
 *                (exporter.h: start runs on the thread that will call
 *                export), and its CPU clock (pthread_getcpuclockid, ns) is
 *                read before and after the measured window.
 *   other_cpu    process CPU minus producers, sink, main and export thread,
 *                per 100k spans: whatever else the export path might use (a
 *                curl resolver thread, libuv's pool), exited threads
 *                included. Expected near 0; shown so nothing hides there.
 *   dropped      spans dropped because the queue was full.
 *   producer     producers' CPU per span (start + 4 attributes + end +
 *                enqueue; the other threads compete for the same cores).
 *   prod_allocs  heap allocations per span made by the producer threads.
 *   exp_allocs   heap allocations by the export thread per export call
 *                (512 spans; counted from the start of the first to the
 *                start of the last export call of the window).
 *   bytes        request body bytes per span on the wire (after gzip).
 *   sink_cpu     the receiver's CPU per 100k spans (for scale).
 *
 * Usage: cotel-bench-otlp-export [--spans N] [--threads T] [--queue Q]
 *          [--rate SPANS_PER_S] [--paced-spans N] [--paced-queue Q]
 *          [--only SUBSTRING] [--json PATH]    (--rate 0: no paced cases)
 * JSON default: <dir of the executable>/../bench/otlp.json, i.e.
 * build/bench/otlp.json for build/bin/cotel-bench-otlp-export. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cotel/cotel.h"
#include "cotel/otlp.h"
#include "harness.h"
#include "grpc_sink.h"
#include "otlp_sink.h"

static size_t opt_spans = 1000000;
static size_t opt_paced_spans = 300000;
static double opt_rate = 100000;
static unsigned opt_threads = 2;
static uint32_t opt_queue = 262144;
static const char *opt_only = NULL;
static uint32_t opt_paced_queue = 2048; /* the spec's default */
#define BATCH 512

static void die(const char *what, int rc) {
  fprintf(stderr, "cotel-bench-otlp-export: %s: %s\n", what,
          rc < 0 ? cotel_strerror(rc) : strerror(rc));
  exit(1);
}

static uint64_t cpu_ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts)) return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- an exporter wrapper that finds the export thread ---- */

typedef struct probe {
  cotel_exporter base;
  cotel_exporter *inner;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool started;
  clockid_t cpu; /* the loop thread's CPU clock */
  /* Sampled on the export thread at each export call. */
  atomic_uint_fast64_t calls, allocs;
} probe;

static int probe_start(cotel_exporter *self, struct uv_loop_s *loop) {
  probe *p = (probe *)self;
  int rc = p->inner->start ? p->inner->start(p->inner, loop) : 0;
  pthread_mutex_lock(&p->mu);
  if (pthread_getcpuclockid(pthread_self(), &p->cpu))
    p->cpu = CLOCK_THREAD_CPUTIME_ID; /* unreachable on Linux */
  p->started = true;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return rc;
}

static void probe_export(cotel_exporter *self,
                         const cotel_span_data *const *spans, size_t n,
                         cotel_export_done_fn done, void *done_arg) {
  probe *p = (probe *)self;
  atomic_store_explicit(&p->allocs, bench_allocs_thread(),
                        memory_order_relaxed);
  atomic_fetch_add_explicit(&p->calls, 1, memory_order_relaxed);
  p->inner->export_spans(p->inner, spans, n, done, done_arg);
}

static void probe_shutdown(cotel_exporter *self, uint64_t deadline_ns) {
  probe *p = (probe *)self;
  if (p->inner->shutdown) p->inner->shutdown(p->inner, deadline_ns);
}

static void probe_stats(cotel_exporter *self, cotel_stats *acc) {
  probe *p = (probe *)self;
  p->inner->stats(p->inner, acc);
}

static void probe_destroy(cotel_exporter *self) {
  probe *p = (probe *)self;
  p->inner->destroy(p->inner);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  free(p);
}

static probe *probe_new(cotel_exporter *inner) {
  probe *p = calloc(1, sizeof *p);
  if (!p) die("calloc", ENOMEM);
  p->inner = inner;
  p->base.name = "probe";
  p->base.start = probe_start;
  p->base.export_spans = probe_export;
  p->base.shutdown = probe_shutdown;
  p->base.stats = inner->stats ? probe_stats : NULL;
  p->base.destroy = probe_destroy;
  p->base.max_concurrent = inner->max_concurrent;
  p->base.counts_spans = inner->counts_spans;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  return p;
}

static void probe_wait_started(probe *p) {
  pthread_mutex_lock(&p->mu);
  while (!p->started)
    pthread_cond_wait(&p->cv, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

/* ---- producers ---- */

static cotel_attr attrs4[4];

typedef struct producer {
  pthread_t thread;
  cotel_tracer *tracer;
  size_t n;
  double rate; /* this thread's spans/s; 0: as fast as possible */
  pthread_barrier_t *go;
  uint64_t cpu_ns, allocs;
} producer;

static void *produce(void *arg) {
  producer *pr = arg;
  cotel_span_options o = {.root = true, .attrs = attrs4, .n_attrs = 4};
  if (pr->go) pthread_barrier_wait(pr->go);
  uint64_t c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID), a0 = bench_allocs_thread();
  uint64_t t0 = bench_now_ns();
  for (size_t i = 0; i < pr->n; i++) {
    cotel_span s;
    cotel_span_start(pr->tracer, "GET /api/v1/users/{id}", &o, &s);
    cotel_span_end(s, 0);
    if (pr->rate > 0 && (i & 127) == 127) {
      /* Paced: sleep until span i+1 is due (absolute, so no drift). */
      uint64_t due = t0 + (uint64_t)((double)(i + 1) * 1e9 / pr->rate);
      struct timespec ts = {(time_t)(due / 1000000000u),
                            (long)(due % 1000000000u)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
             EINTR)
        ;
    }
  }
  pr->cpu_ns = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
  pr->allocs = bench_allocs_thread() - a0;
  return NULL;
}

/* ---- results ---- */

#define MAX_RESULTS 96
typedef struct result {
  char name[64];
  double value;
  const char *unit;
} result;
static result results[MAX_RESULTS];
static int n_results;

static void report(const char *cname, const char *what, double v,
                   const char *unit) {
  char name[64];
  snprintf(name, sizeof name, "%s_%s", cname, what);
  printf("%-40s %12.2f  %s\n", name, v, unit);
  fflush(stdout);
  if (n_results == MAX_RESULTS) return;
  result *r = &results[n_results++];
  snprintf(r->name, sizeof r->name, "%s", name);
  r->value = v;
  r->unit = unit;
}

/* ---- one case ---- */

typedef struct bench_case {
  const char *name;
  bool json, gzip, paced;
  bool grpc; /* OTLP/gRPC to grpc_sink.h instead of OTLP/HTTP */
  sink s;
  grpc_sink gs;
  probe *pb;
  cotel_exporter *otlp;
  cotel_provider *prov;
  cotel_tracer *tracer;
} bench_case;

static void setup(bench_case *c) {
  char url[64];
  int rc;
  if (!c->grpc) sink_start(&c->s, c->json);
  snprintf(url, sizeof url, "http://127.0.0.1:%d",
           c->grpc ? c->gs.port : c->s.port);
  cotel_otlp_options oo;
  cotel_otlp_options_default(&oo);
  oo.endpoint = url;
  oo.protocol = c->json ? COTEL_OTLP_HTTP_JSON : COTEL_OTLP_HTTP_PROTOBUF;
  if (c->grpc) oo.protocol = COTEL_OTLP_GRPC;
  oo.compression =
      c->gzip ? COTEL_OTLP_COMPRESSION_GZIP : COTEL_OTLP_COMPRESSION_NONE;
  oo.timeout_ms = 30000;
  if ((rc = cotel_otlp_exporter_new(&oo, &c->otlp)))
    die("cotel_otlp_exporter_new", rc);
  c->pb = probe_new(c->otlp);
  cotel_batch_options bo;
  cotel_batch_options_from_env(&bo);
  bo.max_queue_size = c->paced ? opt_paced_queue : opt_queue;
  bo.max_export_batch_size = BATCH;
  bo.schedule_delay_ms = 1000;
  bo.export_timeout_ms = 30000;
  cotel_span_processor *bsp;
  if ((rc = cotel_batch_processor_new(&c->pb->base, &bo, &bsp)))
    die("cotel_batch_processor_new", rc);
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.service_name = "cotel-bench-otlp";
  if ((rc = cotel_sampler_always_on(&cfg.sampler))) die("sampler", rc);
  cfg.processors = &bsp;
  cfg.n_processors = 1;
  cfg.no_default_processor = true;
  if ((rc = cotel_provider_new(&cfg, &c->prov))) die("cotel_provider_new", rc);
  c->tracer = cotel_provider_tracer(c->prov, "bench-otlp");
  probe_wait_started(c->pb);
  /* Warm-up outside the window: connections, pools, encoder buffers. */
  producer warm = {.tracer = c->tracer, .n = 4 * BATCH};
  produce(&warm);
  if ((rc = cotel_provider_force_flush(c->prov, 30000)))
    die("warm-up flush", rc);
}

static void run_case(bench_case *c) {
  if (opt_only && !strstr(c->name, opt_only)) return;
  if (c->paced && opt_rate <= 0) return;
  if (c->grpc && grpc_sink_start(&c->gs) != 0) {
    printf("# %s skipped: no gRPC sink (COTEL_GRPC_SINK unset or failed)\n",
           c->name);
    grpc_sink_stop(&c->gs);
    return;
  }
  setup(c);
  size_t total = c->paced ? opt_paced_spans : opt_spans;
  cotel_otlp_stats st0, st1;
  cotel_stats ps0, ps1;
  cotel_otlp_exporter_stats(c->otlp, &st0);
  cotel_provider_stats(c->prov, &ps0);
  uint64_t sink_req0 =
      c->grpc ? grpc_sink_requests(&c->gs) : atomic_load(&c->s.requests);

  producer *prs = calloc(opt_threads, sizeof *prs);
  pthread_barrier_t go;
  int rc;
  if (!prs) die("calloc", ENOMEM);
  pthread_barrier_init(&go, NULL, opt_threads + 1);
  for (unsigned i = 0; i < opt_threads; i++) {
    prs[i].tracer = c->tracer;
    prs[i].n = total / opt_threads + (i < total % opt_threads);
    prs[i].rate = c->paced ? opt_rate / opt_threads : 0;
    prs[i].go = &go;
    if ((rc = pthread_create(&prs[i].thread, NULL, produce, &prs[i])))
      die("pthread_create", rc);
  }
  uint64_t exp0 = cpu_ns(c->pb->cpu);
  uint64_t sink0 = c->grpc ? grpc_sink_cpu_ns(&c->gs) : cpu_ns(c->s.cpu);
  uint64_t main0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  uint64_t proc0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
  uint64_t calls0 = atomic_load(&c->pb->calls);
  uint64_t ealloc0 = atomic_load(&c->pb->allocs);
  uint64_t t0 = bench_now_ns();
  pthread_barrier_wait(&go);
  uint64_t prod_cpu = 0, prod_allocs = 0;
  for (unsigned i = 0; i < opt_threads; i++) {
    pthread_join(prs[i].thread, NULL);
    prod_cpu += prs[i].cpu_ns;
    prod_allocs += prs[i].allocs;
  }
  uint64_t t_prod = bench_now_ns();
  int frc = cotel_provider_force_flush(c->prov, 60000);
  uint64_t t1 = bench_now_ns();
  uint64_t exp_cpu = cpu_ns(c->pb->cpu) - exp0;
  uint64_t sink_cpu =
      (c->grpc ? grpc_sink_cpu_ns(&c->gs) : cpu_ns(c->s.cpu)) - sink0;
  uint64_t main_cpu = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - main0;
  uint64_t proc_cpu = cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - proc0;
  uint64_t calls = atomic_load(&c->pb->calls) - calls0;
  uint64_t ealloc = atomic_load(&c->pb->allocs) - ealloc0;
  cotel_otlp_exporter_stats(c->otlp, &st1);
  cotel_provider_stats(c->prov, &ps1);
  pthread_barrier_destroy(&go);
  free(prs);

  uint64_t exported = st1.spans_exported - st0.spans_exported;
  uint64_t failed = st1.spans_failed - st0.spans_failed;
  uint64_t dropped = ps1.spans_dropped - ps0.spans_dropped;
  uint64_t bytes = st1.bytes_sent - st0.bytes_sent;
  double wall_s = (double)(t1 - t0) / 1e9;
  double per100k = exported ? 1e5 / (double)exported : 0;
  /* The gRPC sink is another process: not in proc_cpu. */
  double other = (double)proc_cpu - (double)prod_cpu - (double)exp_cpu -
                 (c->grpc ? 0 : (double)sink_cpu) - (double)main_cpu;

  if (!c->paced)
    report(c->name, "throughput", (double)exported / wall_s, "spans/s");
  report(c->name, "export_cpu", (double)exp_cpu / 1e6 * per100k,
         "ms/100k spans");
  if (exp_cpu)
    report(c->name, "capacity", (double)exported / ((double)exp_cpu / 1e9),
           "spans/cpu-s");
  report(c->name, "other_cpu", other / 1e6 * per100k, "ms/100k spans");
  report(c->name, "dropped", (double)dropped, "spans");
  report(c->name, "producer", (double)prod_cpu / (double)total, "ns/span");
  report(c->name, "prod_allocs", (double)prod_allocs / (double)total,
         "allocs/span");
  report(c->name, "exp_allocs",
         calls > 1 ? (double)ealloc / (double)(calls - 1) : 0, "allocs/call");
  report(c->name, "bytes", exported ? (double)bytes / (double)exported : 0,
         "B/span");
  report(c->name, "sink_cpu", (double)sink_cpu / 1e6 * per100k,
         "ms/100k spans");
  printf("  note: %llu exported, %llu failed, in %llu requests (sink saw "
         "%llu); %.2f s wall, producers done at %.2f s%s\n",
         (unsigned long long)exported, (unsigned long long)failed,
         (unsigned long long)(st1.requests - st0.requests),
         (unsigned long long)((c->grpc ? grpc_sink_requests(&c->gs)
                                       : atomic_load(&c->s.requests)) -
                              sink_req0),
         wall_s, (double)(t_prod - t0) / 1e9, frc ? "; flush TIMED OUT" : "");
  if (exported + failed + dropped != total)
    printf("  note: %lld spans unaccounted for\n",
           (long long)(total - exported - failed - dropped));
  cotel_provider_destroy(c->prov);
  if (c->grpc)
    grpc_sink_stop(&c->gs);
  else
    sink_stop(&c->s);
}

/* ---- main ---- */

static int write_json(const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) {
    *slash = 0;
    mkdir(dir, 0777); /* build/bench may not exist yet */
  }
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    return -1;
  }
  fprintf(f,
          "{\n  \"impl\": \"cotel\",\n  \"bench\": \"otlp_export\",\n"
          "  \"spans\": %zu,\n  \"paced_spans\": %zu,\n  \"rate\": %.0f,\n"
          "  \"threads\": %u,\n  \"queue\": %u,\n  \"paced_queue\": %u,\n"
          "  \"batch\": %d,\n  \"cases\": [\n",
          opt_spans, opt_paced_spans, opt_rate, opt_threads, opt_queue,
          opt_paced_queue, BATCH);
  for (int i = 0; i < n_results; i++)
    fprintf(f, "    {\"name\": \"%s\", \"value\": %.3f, \"unit\": \"%s\"}%s\n",
            results[i].name, results[i].value, results[i].unit,
            i + 1 < n_results ? "," : "");
  fprintf(f, "  ]\n}\n");
  return fclose(f) ? -1 : 0;
}

static void usage(void) {
  fprintf(stderr, "usage: cotel-bench-otlp-export [--spans N] [--threads T] "
                  "[--queue Q] [--rate SPANS_PER_S] [--paced-spans N] "
                  "[--paced-queue Q] "
                  "[--only SUBSTRING] [--json PATH]\n");
  exit(2);
}

int main(int argc, char **argv) {
  char json_path[4096] = "";
  for (int i = 1; i < argc; i += 2) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (!strcmp(a, "--spans"))
      opt_spans = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--paced-spans"))
      opt_paced_spans = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--rate"))
      opt_rate = strtod(v, NULL);
    else if (!strcmp(a, "--threads"))
      opt_threads = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--queue"))
      opt_queue = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--paced-queue"))
      opt_paced_queue = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--only"))
      opt_only = v;
    else if (!strcmp(a, "--json"))
      snprintf(json_path, sizeof json_path, "%s", v);
    else
      usage();
  }
  if (!opt_spans || !opt_paced_spans || !opt_threads || opt_queue < BATCH ||
      opt_paced_queue < BATCH)
    usage();
  if (!json_path[0]) {
    char exe[4000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) usage();
    exe[n] = 0;
    *strrchr(exe, '/') = 0; /* an absolute path has one */
    snprintf(json_path, sizeof json_path, "%s/../bench/otlp.json", exe);
  }
  /* A retry or partial success would show in the numbers; keep stdout to
   * the results. */
  cotel_log_set(NULL, NULL, COTEL_LOG_ERROR);
  attrs4[0] = cotel_attr_string("http.request.method", "GET");
  attrs4[1] = cotel_attr_string("url.path", "/api/v1/users/42");
  attrs4[2] = cotel_attr_int("http.response.status_code", 200);
  attrs4[3] = cotel_attr_double("server.load", 0.75);

  printf("# 4 attributes per span, %u producer thread(s), batch %d, "
         "sink on 127.0.0.1\n# saturated: %zu spans, queue %u; paced: %zu "
         "spans at %.0f/s, queue %u\n",
         opt_threads, BATCH, opt_spans, opt_queue, opt_paced_spans, opt_rate,
         opt_paced_queue);
  static bench_case cases[] = {
      {.name = "otlp_protobuf"},
      {.name = "otlp_protobuf_gzip", .gzip = true},
      {.name = "otlp_grpc", .grpc = true},
      {.name = "otlp_grpc_gzip", .grpc = true, .gzip = true},
      {.name = "otlp_json", .json = true},
      {.name = "otlp_json_gzip", .json = true, .gzip = true},
      {.name = "otlp_protobuf_paced", .paced = true},
      {.name = "otlp_protobuf_gzip_paced", .gzip = true, .paced = true},
      {.name = "otlp_grpc_paced", .grpc = true, .paced = true},
      {.name = "otlp_json_paced", .json = true, .paced = true},
      {.name = "otlp_json_gzip_paced",
       .json = true,
       .gzip = true,
       .paced = true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    run_case(&cases[i]);
  if (write_json(json_path)) return 1;
  printf("# wrote %s\n", json_path);
  return 0;
}
