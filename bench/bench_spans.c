/* cotel-bench-spans: the DESIGN §7 workload, for `make bench`.
 *
 * Same cases, configuration, span counts and metrics as the
 * opentelemetry-go and opentelemetry-rust drivers in bench/go and
 * bench/rust (docs/bench.md says how each case is made equal): sampled
 * spans go through a batch processor (queue 262144, batch 512) to an
 * exporter that discards them; no run ends more spans than the queue holds
 * and the queue is drained between runs, so nothing is dropped (drops are
 * still counted and reported as the metric `dropped`). Each case is timed
 * `runs` times; the medians of wall and thread CPU time per op are
 * reported. scripts/bench.sh runs this once per round, interleaved with
 * Go and Rust.
 *
 * Usage: cotel-bench-spans [--runs N] [--scale X] [--json PATH]
 *                          [--only SUBSTRING] [--queue N] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "cotel/internal/clock.h"
#include "cotel/propagation.h"
#include "harness.h"

/* Same as bench/go and bench/rust; --queue changes it (exploration). */
static uint32_t queue_size = 262144;
#define BATCH_SIZE 512

/* ---- an exporter that discards (and counts) ---- */

static atomic_uint_fast64_t exported;

static void discard_export(cotel_exporter *self,
                           const cotel_span_data *const *spans, size_t n,
                           cotel_export_done_fn done, void *done_arg) {
  (void)self;
  (void)spans;
  atomic_fetch_add_explicit(&exported, n, memory_order_relaxed);
  done(done_arg, 0);
}

static void discard_destroy(cotel_exporter *self) {
  free(self);
}

static cotel_exporter *discard_exporter(void) {
  cotel_exporter *e = calloc(1, sizeof *e);
  if (!e) abort();
  e->name = "discard";
  e->export_spans = discard_export;
  e->destroy = discard_destroy;
  return e;
}

/* ---- an allocator that counts, given to the provider ---- */

static atomic_uint_fast64_t sdk_allocs;

static void *count_malloc(void *ud, size_t size) {
  (void)ud;
  atomic_fetch_add_explicit(&sdk_allocs, 1, memory_order_relaxed);
  return malloc(size);
}
static void *count_realloc(void *ud, void *p, size_t size) {
  (void)ud;
  atomic_fetch_add_explicit(&sdk_allocs, 1, memory_order_relaxed);
  return realloc(p, size);
}
static void count_free(void *ud, void *p) {
  (void)ud;
  free(p);
}
static const cotel_allocator counting_allocator = {count_malloc, count_realloc,
                                                   count_free, NULL};

/* ---- provider setup ---- */

static void check(int rc, const char *what) {
  if (rc != 0) {
    fprintf(stderr, "cotel-bench-spans: %s: %s\n", what, cotel_strerror(rc));
    exit(1);
  }
}

static cotel_provider *new_provider(bool sampled) {
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.allocator = &counting_allocator;
  check(sampled ? cotel_sampler_always_on(&cfg.sampler)
                : cotel_sampler_always_off(&cfg.sampler),
        "sampler");
  cotel_batch_options o;
  cotel_batch_options_from_env(&o);
  o.max_queue_size = queue_size;
  o.max_export_batch_size = BATCH_SIZE;
  o.schedule_delay_ms = 5000;
  cotel_span_processor *bsp;
  check(cotel_batch_processor_new(discard_exporter(), &o, &bsp), "batch");
  cfg.processors = &bsp;
  cfg.n_processors = 1;
  cfg.no_default_processor = true;
  cotel_provider *p;
  check(cotel_provider_new(&cfg, &p), "provider");
  return p;
}

static cotel_attr attrs4[4];

static void init_attrs(void) {
  attrs4[0] = cotel_attr_string("http.request.method", "GET");
  attrs4[1] = cotel_attr_string("url.path", "/api/v1/users/42");
  attrs4[2] = cotel_attr_int("http.response.status_code", 200);
  attrs4[3] = cotel_attr_double("server.load", 0.75);
}

/* ---- span cases ---- */

typedef struct span_case {
  cotel_provider *p;
  cotel_tracer *t;
  const cotel_span_options *opts;
} span_case;

static void body_start_end(void *arg, size_t n) {
  span_case *c = arg;
  for (size_t i = 0; i < n; i++) {
    cotel_span s;
    cotel_span_start(c->t, "op", c->opts, &s);
    cotel_span_end(s, 0);
  }
}

/* Between runs, untimed: drain, so every run starts with an empty queue. */
static void drain(void *arg) {
  span_case *c = arg;
  cotel_provider_force_flush(c->p, 10000);
}

static void report_drops(const char *name, cotel_provider *p, uint64_t before) {
  cotel_stats st;
  if (cotel_provider_stats(p, &st) != 0) return;
  uint64_t got = atomic_load(&exported) - before;
  bench_metric(name, "dropped", (double)st.spans_dropped);
  if (st.spans_dropped)
    bench_note("%llu of %llu spans dropped (queue full)",
               (unsigned long long)st.spans_dropped,
               (unsigned long long)st.spans_ended);
  else if (got < st.spans_ended)
    bench_note("exporter saw %llu of %llu ended spans", (unsigned long long)got,
               (unsigned long long)st.spans_ended);
}

static void span_bench(const char *name, size_t n, bool sampled,
                       const cotel_span_options *opts) {
  span_case c = {new_provider(sampled), NULL, opts};
  c.t = cotel_provider_tracer(c.p, "bench");
  uint64_t before = atomic_load(&exported);
  bench_run(name, n, "", body_start_end, drain, &c);
  if (sampled) report_drops(name, c.p, before);
  cotel_provider_destroy(c.p);
}

/* span_child: the parent context passed explicitly (opts.parent), as Go
 * and Rust (start_with_context) do. span_child_current: the parent made
 * current and found through the current context (cotel and Rust only; Go
 * has no current context). */
static void child_bench(size_t n) {
  cotel_span_options opts = {0};
  span_case c = {new_provider(true), NULL, &opts};
  c.t = cotel_provider_tracer(c.p, "bench");
  cotel_span parent;
  cotel_span_start(c.t, "parent", NULL, &parent);
  check(cotel_context_with_span(NULL, parent, &opts.parent), "with_span");
  uint64_t before = atomic_load(&exported);
  bench_run("span_child", n, "parent context passed explicitly", body_start_end,
            drain, &c);
  report_drops("span_child", c.p, before);
  cotel_context_release(opts.parent);
  cotel_span_end(parent, 0);
  cotel_provider_destroy(c.p);

  /* A fresh provider, so that its counters are this case's alone. */
  c.p = new_provider(true);
  c.t = cotel_provider_tracer(c.p, "bench");
  c.opts = NULL;
  cotel_span_start(c.t, "parent", NULL, &parent);
  cotel_token tok = cotel_span_make_current(parent);
  before = atomic_load(&exported);
  /* opts NULL: the parent is the current context's span. */
  bench_run("span_child_current", n, "parent found in the current context",
            body_start_end, drain, &c);
  report_drops("span_child_current", c.p, before);
  cotel_context_detach(tok);
  cotel_span_end(parent, 0);
  cotel_provider_destroy(c.p);
}

/* ---- making a context current ---- */

typedef struct ctx_case {
  cotel_context *ctx;
  cotel_slot co;
  cotel_future fut;
} ctx_case;

static void body_attach_thread(void *arg, size_t n) {
  ctx_case *c = arg;
  for (size_t i = 0; i < n; i++) {
    cotel_token t = cotel_context_attach(c->ctx);
    cotel_context_detach(t);
  }
}

/* A coroutine resume + yield: one active-slot swap each way. The slot
 * already holds the coroutine's context. */
static void body_coroutine_swap(void *arg, size_t n) {
  ctx_case *c = arg;
  for (size_t i = 0; i < n; i++) {
    cotel_slot *prev = cotel_slot_enter(&c->co);
    cotel_slot_enter(prev);
  }
}

/* Inside a coroutine: swap in, attach a context, detach, swap out. */
static void body_coroutine_attach(void *arg, size_t n) {
  ctx_case *c = arg;
  for (size_t i = 0; i < n; i++) {
    cotel_slot *prev = cotel_slot_enter(&c->co);
    cotel_token t = cotel_context_attach(c->ctx);
    cotel_context_detach(t);
    cotel_slot_enter(prev);
  }
}

static void body_future(void *arg, size_t n) {
  ctx_case *c = arg;
  for (size_t i = 0; i < n; i++) {
    cotel_future_enter(&c->fut);
    cotel_future_leave(&c->fut);
  }
}

static void context_benches(size_t n) {
  cotel_provider *p = new_provider(true);
  cotel_tracer *t = cotel_provider_tracer(p, "bench");
  cotel_span parent;
  cotel_span_start(t, "parent", NULL, &parent);
  ctx_case c;
  check(cotel_context_with_span(NULL, parent, &c.ctx), "with_span");
  cotel_slot_init(&c.co, c.ctx);
  cotel_future_capture_ctx(&c.fut, c.ctx);
  bench_run("context_attach_thread", n, "attach+detach", body_attach_thread,
            NULL, &c);
  bench_run("context_coroutine_swap", n, "slot_enter in+out",
            body_coroutine_swap, NULL, &c);
  bench_run("context_coroutine_attach", n, "slot_enter+attach+detach+out",
            body_coroutine_attach, NULL, &c);
  bench_run("context_future", n, "future_enter+leave", body_future, NULL, &c);
  if (cotel_span_current().rec != NULL)
    bench_note("a context was left current after the context cases");
  cotel_future_release(&c.fut);
  cotel_slot_destroy(&c.co);
  cotel_context_release(c.ctx);
  cotel_span_end(parent, 0);
  cotel_provider_destroy(p);
}

/* ---- W3C Trace Context ---- */

typedef struct w3c_case {
  cotel_context *ctx;
  cotel_header headers[8];
  char storage[256];
  cotel_header_carrier hc;
  cotel_carrier carrier;
  const cotel_propagator *prop;
  int failures;
} w3c_case;

static void body_inject(void *arg, size_t n) {
  w3c_case *c = arg;
  for (size_t i = 0; i < n; i++) {
    /* A fresh outgoing header set per request. */
    c->hc.count = 0;
    c->hc.storage_used = 0;
    if (c->prop->inject(c->prop, c->ctx, &c->carrier) != 0) c->failures++;
  }
}

static void body_extract(void *arg, size_t n) {
  w3c_case *c = arg;
  for (size_t i = 0; i < n; i++) {
    cotel_context *out = NULL;
    if (c->prop->extract(c->prop, cotel_context_root(), &c->carrier, &out))
      c->failures++;
    cotel_context_release(out);
  }
}

static void w3c_benches(size_t n) {
  cotel_provider *p = new_provider(true);
  cotel_tracer *t = cotel_provider_tracer(p, "bench");
  cotel_span parent;
  cotel_span_start(t, "parent", NULL, &parent);
  w3c_case c = {0};
  c.prop = cotel_propagator_tracecontext();
  check(cotel_context_with_span(NULL, parent, &c.ctx), "with_span");
  cotel_header_carrier_init(&c.hc, c.headers, 0, 8, c.storage,
                            sizeof c.storage);
  c.carrier = cotel_header_carrier_as_carrier(&c.hc);
  /* cotel's idiomatic carrier is the fixed-slot one: both rows measure
   * the same code, run separately. */
  bench_run("w3c_inject", n, "fixed array of 8 header slots", body_inject, NULL,
            &c);
  bench_run("w3c_inject_idiomatic", n, "cotel_header_carrier (fixed slots)",
            body_inject, NULL, &c);

  /* Extract what inject wrote (traceparent only, no tracestate). */
  static char tp[64];
  if (c.hc.count != 1 || c.headers[0].value.len >= sizeof tp) {
    bench_note("inject wrote %zu headers; extract skipped", c.hc.count);
  } else {
    memcpy(tp, c.headers[0].value.ptr, c.headers[0].value.len);
    tp[c.headers[0].value.len] = 0;
    c.headers[0].name = cotel_str_c("traceparent");
    c.headers[0].value = cotel_str_c(tp);
    cotel_header_carrier_init(&c.hc, c.headers, 1, 8, NULL, 0);
    cotel_context *out = NULL;
    cotel_span_context sc;
    c.prop->extract(c.prop, cotel_context_root(), &c.carrier, &out);
    if (!out || cotel_context_span_context(out, &sc) != 0 ||
        !cotel_span_context_is_valid(&sc))
      printf("  note: extract did not find the injected traceparent\n");
    cotel_context_release(out);
    bench_run("w3c_extract", n, "fixed array of 8 header slots", body_extract,
              NULL, &c);
    bench_run("w3c_extract_idiomatic", n, "cotel_header_carrier (fixed slots)",
              body_extract, NULL, &c);
  }
  if (c.failures) bench_note("%d inject/extract calls failed", c.failures);
  cotel_context_release(c.ctx);
  cotel_span_end(parent, 0);
  cotel_provider_destroy(p);
}

/* ---- heap allocations per span, steady state ---- */

/* Steady state: after the warm-up, `runs` windows of 20000 spans, each
 * followed by the flush that exports them; the maximum window is reported
 * (as by Go and Rust, over the same spans), so a pool still growing in any
 * window shows. */
static void alloc_bench(void) {
  cotel_span_options opts = {.attrs = attrs4, .n_attrs = 4};
  uint64_t setup_sdk = atomic_load(&sdk_allocs);
  uint64_t setup_all = bench_allocs_process();
  span_case c = {new_provider(true), NULL, &opts};
  c.t = cotel_provider_tracer(c.p, "bench");
  /* Warm the pools to a window's worst case: all of its 20000 spans in
   * flight at once (an export thread that did not run during the window),
   * plus what the thread caches may hold back (HELD - 20000).
   * How many a window really holds depends on how far the export thread
   * lags, which varies with the machine's load; without this the pools
   * were still growing in some windows (0.05-0.14 allocations per span at
   * the maximum window on a busy machine: growth, not per-span cost). */
  enum { HELD = 22000 };
  cotel_span *held = malloc(HELD * sizeof *held);
  if (held) {
    for (size_t i = 0; i < HELD; i++)
      cotel_span_start(c.t, "span", &opts, &held[i]);
    for (size_t i = 0; i < HELD; i++)
      cotel_span_end(held[i], 0);
    free(held);
    drain(&c);
  }
  for (int i = 0; i < 2; i++) { /* warm the export path */
    body_start_end(&c, 20000);
    drain(&c);
  }
  /* Shows the counters are wired: setup and warm-up do allocate. */
  setup_sdk = atomic_load(&sdk_allocs) - setup_sdk;
  setup_all = bench_allocs_process() - setup_all;
  const size_t n = 20000;
  double sdk[BENCH_MAX_RUNS], th[BENCH_MAX_RUNS], pr[BENCH_MAX_RUNS];
  for (int r = 0; r < bench_opts.runs; r++) {
    uint64_t sdk0 = atomic_load(&sdk_allocs);
    uint64_t th0 = bench_allocs_thread();
    uint64_t pr0 = bench_allocs_process();
    body_start_end(&c, n);
    drain(&c); /* the export thread's work counts too */
    sdk[r] = (double)(atomic_load(&sdk_allocs) - sdk0) / (double)n;
    th[r] = (double)(bench_allocs_thread() - th0) / (double)n;
    pr[r] = (double)(bench_allocs_process() - pr0) / (double)n;
  }
  bench_report("allocs_per_span", "allocs/op",
               "malloc interposer, whole process, 4 attrs", pr,
               bench_opts.runs);
  bench_report("allocs_per_span_thread", "allocs/op",
               "malloc interposer, calling thread", th, bench_opts.runs);
  bench_report("allocs_per_span_allocator", "allocs/op",
               "cotel_allocator calls", sdk, bench_opts.runs);
  bench_note("setup + 62000-span warm-up: %llu cotel_allocator calls, "
             "%llu mallocs",
             (unsigned long long)setup_sdk, (unsigned long long)setup_all);
  cotel_provider_destroy(c.p);
}

/* ---- 2 producers vs 1: per-span thread CPU ---- */

/* On 2 cores, throughput with 2 threads measures the core count; the
 * thread CPU time per accepted span does not: contention (shared queue,
 * pools, cache lines) shows as a ratio above 1. Each producer ends `n`
 * spans; 2n <= the queue size and the queue is drained between runs, so
 * none is dropped (drops are counted: only accepted spans are divided by). */

typedef struct thr_arg {
  cotel_tracer *t;
  size_t n;
  uint64_t cpu_ns;
} thr_arg;

static void *thr_main(void *arg) {
  thr_arg *a = arg;
  uint64_t c0 = bench_thread_cpu_ns();
  for (size_t i = 0; i < a->n; i++) {
    cotel_span s;
    cotel_span_start(a->t, "op", NULL, &s);
    cotel_span_end(s, 0);
  }
  a->cpu_ns = bench_thread_cpu_ns() - c0;
  return NULL;
}

/* Thread CPU ns per accepted span with `threads` producers; adds the
 * spans dropped to *dropped. */
static double producers_cpu(cotel_provider *p, cotel_tracer *t, int threads,
                            size_t n, uint64_t *dropped) {
  pthread_t th[2];
  thr_arg a[2] = {{t, n, 0}, {t, n, 0}};
  cotel_stats s0, s1;
  cotel_provider_stats(p, &s0);
  for (int i = 0; i < threads; i++)
    if (pthread_create(&th[i], NULL, thr_main, &a[i]) != 0) abort();
  for (int i = 0; i < threads; i++)
    pthread_join(th[i], NULL);
  cotel_provider_force_flush(p, 10000);
  cotel_provider_stats(p, &s1);
  uint64_t ended = s1.spans_ended - s0.spans_ended;
  uint64_t drop = s1.spans_dropped - s0.spans_dropped;
  *dropped += drop;
  uint64_t accepted = ended > drop ? ended - drop : 1;
  return (double)(a[0].cpu_ns + a[1].cpu_ns) / (double)accepted;
}

static void threads_bench(size_t n) {
  cotel_provider *p = new_provider(true);
  cotel_tracer *t = cotel_provider_tracer(p, "bench");
  double one[BENCH_MAX_RUNS], two[BENCH_MAX_RUNS], ratio[BENCH_MAX_RUNS];
  uint64_t drop1 = 0, drop2 = 0;
  n = (size_t)((double)n * bench_opts.scale);
  producers_cpu(p, t, 2, n / 4, &drop2); /* warm-up */
  drop2 = 0;
  for (int r = 0; r < bench_opts.runs; r++) {
    one[r] = producers_cpu(p, t, 1, n, &drop1);
    two[r] = producers_cpu(p, t, 2, n, &drop2);
    ratio[r] = two[r] / one[r];
  }
  bench_report("threads_1_producer", "thread_cpu_ns_per_op",
               "span_start_end, per accepted span", one, bench_opts.runs);
  bench_metric("threads_1_producer", "dropped", (double)drop1);
  bench_report("threads_2_producers", "thread_cpu_ns_per_op",
               "span_start_end, per accepted span, both threads", two,
               bench_opts.runs);
  bench_metric("threads_2_producers", "dropped", (double)drop2);
  bench_report("threads_2_vs_1", "thread_cpu_ratio",
               "per-span thread CPU, 2 producers / 1", ratio, bench_opts.runs);
  if (drop1 || drop2)
    bench_note("dropped: %llu with 1 producer, %llu with 2",
               (unsigned long long)drop1, (unsigned long long)drop2);
  cotel_provider_destroy(p);
}

/* ---- main ---- */

static void usage(void) {
  fprintf(stderr, "usage: cotel-bench-spans [--runs N] [--scale X] "
                  "[--json PATH] [--only SUBSTRING] [--queue N]\n");
  exit(2);
}

static const char *only; /* run the case groups whose name contains it */

static bool want(const char *group) {
  return !only || strstr(group, only) != NULL;
}

int main(int argc, char **argv) {
  const char *json = NULL;
  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc) usage();
    if (!strcmp(argv[i], "--runs")) {
      bench_opts.runs = atoi(argv[++i]);
      if (bench_opts.runs < 1 || bench_opts.runs > BENCH_MAX_RUNS) usage();
    } else if (!strcmp(argv[i], "--scale")) {
      bench_opts.scale = atof(argv[++i]);
      if (!(bench_opts.scale > 0)) usage();
    } else if (!strcmp(argv[i], "--json")) {
      json = argv[++i];
    } else if (!strcmp(argv[i], "--queue")) {
      queue_size = (uint32_t)atoi(argv[++i]);
      if (queue_size < BATCH_SIZE) usage();
    } else if (!strcmp(argv[i], "--only")) {
      only = argv[++i];
    } else {
      usage();
    }
  }
  init_attrs();
  cotel_span_options with_attrs = {.attrs = attrs4, .n_attrs = 4};

  /* The span counts are the same in bench/go and bench/rust. */
  if (want("span_start_end")) span_bench("span_start_end", 200000, true, NULL);
  if (want("span_start_end_tsc")) {
    /* The TSC clock option (COTEL_CLOCK=tsc; cotel/internal/clock.h):
     * cotel only, where the kernel says the TSC is reliable. */
    if (cotel__clock_use_tsc(true) == 0) {
      span_bench("span_start_end_tsc", 200000, true, NULL);
      cotel__clock_use_tsc(false);
    } else {
      printf("%-28s %10s  (the TSC is not reliable here)\n",
             "span_start_end_tsc", "skipped");
    }
  }
  if (want("span_4_attrs"))
    span_bench("span_4_attrs", 200000, true, &with_attrs);
  if (want("span_non_recording"))
    span_bench("span_non_recording", 1000000, false, NULL);
  if (want("span_child")) child_bench(200000);
  if (want("context")) context_benches(2000000);
  if (want("w3c")) w3c_benches(1000000);
  if (want("allocs_per_span")) alloc_bench();
  if (want("threads_2_vs_1")) threads_bench(100000);
  if (want("otlp_encode_pb")) bench_otlp_encode(512 * 200);

  if (json && bench_write_json(json, "cotel") != 0) return 1;
  return 0;
}
