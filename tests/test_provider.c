/* The tracer provider: tracers, processors, flush/shutdown, disabled SDK,
 * counters and record reuse. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cotel/cotel.h"
#include "test_util.h"
#include "support/provider_fixture.h"

/* A processor that logs its calls into a shared string. */
typedef struct rec_proc {
  cotel_span_processor base;
  char tag;
  char *log;
  uint64_t last_timeout_ms;
  int destroyed;
} rec_proc;

static char call_log[256];

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_call(char tag, char what) {
  pthread_mutex_lock(&log_mu);
  size_t n = strlen(call_log);
  if (n + 2 < sizeof call_log) {
    call_log[n] = tag;
    call_log[n + 1] = what;
    call_log[n + 2] = 0;
  }
  pthread_mutex_unlock(&log_mu);
}

static void rp_on_start(cotel_span_processor *s, cotel_span span,
                        const cotel_context *parent) {
  (void)span;
  (void)parent;
  log_call(((rec_proc *)s)->tag, 's');
}
static void rp_on_end(cotel_span_processor *s, const cotel_span_data *sd) {
  (void)sd;
  log_call(((rec_proc *)s)->tag, 'e');
}
static int rp_flush(cotel_span_processor *s, uint64_t t) {
  ((rec_proc *)s)->last_timeout_ms = t;
  log_call(((rec_proc *)s)->tag, 'f');
  return 0;
}
static int rp_shutdown(cotel_span_processor *s, uint64_t t) {
  ((rec_proc *)s)->last_timeout_ms = t;
  log_call(((rec_proc *)s)->tag, 'x');
  return 0;
}
static void rp_destroy(cotel_span_processor *s) {
  log_call(((rec_proc *)s)->tag, 'd');
}

static void rp_init(rec_proc *r, char tag) {
  memset(r, 0, sizeof *r);
  r->base.on_start = rp_on_start;
  r->base.on_end = rp_on_end;
  r->base.force_flush = rp_flush;
  r->base.shutdown = rp_shutdown;
  r->base.destroy = rp_destroy;
  r->tag = tag;
}

static cotel_provider *open_with(cotel_span_processor **procs, size_t n) {
  cotel_provider_config cfg;
  cotel_provider *p;
  cotel_provider_config_init(&cfg);
  cotel_sampler_always_on(&cfg.sampler);
  cfg.processors = procs;
  cfg.n_processors = n;
  cfg.no_default_processor = true;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  return p;
}

static void
test_provider_get_tracer_dedups_by_name_version_and_schema(void **state) {
  (void)state;
  cotel_provider *p = open_with(NULL, 0);
  cotel_tracer *a, *b, *c, *d, *e;
  cotel_tracer_options o1 = {.name = "lib", .version = "1.0"};
  cotel_tracer_options o2 = {.name = "lib", .version = "1.0"};
  cotel_tracer_options o3 = {.name = "lib", .version = "2.0"};
  cotel_tracer_options o4 = {
      .name = "lib", .version = "1.0", .schema_url = "https://s"};
  assert_int_equal(cotel_provider_get_tracer(p, &o1, &a), 0);
  assert_int_equal(cotel_provider_get_tracer(p, &o2, &b), 0);
  assert_int_equal(cotel_provider_get_tracer(p, &o3, &c), 0);
  assert_int_equal(cotel_provider_get_tracer(p, &o4, &d), 0);
  assert_ptr_equal(a, b);
  assert_ptr_not_equal(a, c);
  assert_ptr_not_equal(a, d);
  e = cotel_provider_tracer(p, "lib");
  assert_ptr_not_equal(a, e); /* no version */
  assert_ptr_equal(e, cotel_provider_tracer(p, "lib"));
  cotel_tracer_options bad = {0};
  assert_int_equal(cotel_provider_get_tracer(p, &bad, &a), COTEL_EINVAL);
  assert_null(a);
  cotel_provider_destroy(p);
}

static void test_provider_scope_is_stable_per_tracer(void **state) {
  (void)state;
  cotel_provider *p = open_with(NULL, 0);
  cotel_attr sa = cotel_attr_string("scope.k", "v");
  cotel_tracer_options o = {.name = "lib",
                            .version = "3",
                            .schema_url = "https://x",
                            .attrs = &sa,
                            .n_attrs = 1};
  cotel_tracer *t;
  cotel_provider_get_tracer(p, &o, &t);
  cotel_span a, b;
  cotel_span_start(t, "a", NULL, &a);
  cotel_span_start(t, "b", NULL, &b);
  const cotel_scope *sc = cotel_span_data_of(a)->scope;
  assert_ptr_equal(sc, cotel_span_data_of(b)->scope);
  assert_int_equal(sc->name.len, 3);
  assert_memory_equal(sc->version.ptr, "3", 1);
  assert_memory_equal(sc->schema_url.ptr, "https://x", 9);
  assert_int_equal(sc->n_attrs, 1);
  cotel_span_end(a, 0);
  cotel_span_end(b, 0);
  cotel_provider_destroy(p);
}

static void test_provider_calls_processors_in_order(void **state) {
  (void)state;
  rec_proc r1, r2;
  rp_init(&r1, '1');
  rp_init(&r2, '2');
  cotel_span_processor *procs[] = {&r1.base, &r2.base};
  cotel_provider *p = open_with(procs, 2);
  call_log[0] = 0;
  cotel_span s;
  cotel_span_start(cotel_provider_tracer(p, "t"), "s", NULL, &s);
  cotel_span_end(s, 0);
  assert_string_equal(call_log, "1s2s1e2e");
  call_log[0] = 0;
  assert_int_equal(cotel_provider_force_flush(p, 1000), 0);
  assert_string_equal(call_log, "1f2f");
  call_log[0] = 0;
  cotel_provider_destroy(p);
  assert_string_equal(call_log, "1x2x1d2d");
}

static void test_provider_divides_the_timeout_across_processors(void **state) {
  (void)state;
  rec_proc r1, r2;
  rp_init(&r1, '1');
  rp_init(&r2, '2');
  cotel_span_processor *procs[] = {&r1.base, &r2.base};
  cotel_provider *p = open_with(procs, 2);
  assert_int_equal(cotel_provider_shutdown(p, 1000), 0);
  assert_true(r1.last_timeout_ms <= 500 && r1.last_timeout_ms >= 400);
  assert_true(r2.last_timeout_ms <= 1000 && r2.last_timeout_ms >= 400);
  cotel_provider_destroy(p);
}

static void test_provider_after_shutdown_spans_are_non_recording(void **state) {
  (void)state;
  rec_proc r1;
  rp_init(&r1, '1');
  cotel_span_processor *procs[] = {&r1.base};
  cotel_provider *p = open_with(procs, 1);
  cotel_tracer *t = cotel_provider_tracer(p, "t");
  assert_int_equal(cotel_provider_shutdown(p, 100), 0);
  assert_int_equal(cotel_provider_shutdown(p, 100), COTEL_ESTATE);
  assert_int_equal(cotel_provider_force_flush(p, 100), COTEL_ESTATE);
  call_log[0] = 0;
  cotel_span s;
  assert_int_equal(cotel_span_start(t, "late", NULL, &s), COTEL_ESTATE);
  assert_false(cotel_span_is_recording(s));
  cotel_span_context sc;
  assert_int_equal(cotel_span_get_context(s, &sc), 0);
  assert_true(cotel_span_context_is_valid(&sc));
  cotel_span_end(s, 0);
  assert_string_equal(call_log, "");
  cotel_provider_destroy(p);
}

static void
test_provider_disabled_sdk_propagates_without_recording(void **state) {
  (void)state;
  setenv("OTEL_SDK_DISABLED", "true", 1);
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  unsetenv("OTEL_SDK_DISABLED");
  assert_true(cfg.disabled);
  cotel_provider *p;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_tracer *t = cotel_provider_tracer(p, "t");
  /* A sampled remote parent: the child keeps its trace and sampled flag. */
  cotel_span_context rsc = {.flags = COTEL_TRACE_FLAG_SAMPLED};
  memset(rsc.trace_id.bytes, 3, 16);
  memset(rsc.span_id.bytes, 4, 8);
  cotel_context *ctx;
  cotel_context_with_remote(NULL, &rsc, &ctx);
  cotel_span_options o = {.parent = ctx};
  cotel_span s;
  assert_int_equal(cotel_span_start(t, "x", &o, &s), 0);
  assert_false(cotel_span_is_recording(s));
  cotel_span_context sc;
  cotel_span_get_context(s, &sc);
  assert_memory_equal(&sc.trace_id, &rsc.trace_id, 16);
  assert_memory_not_equal(&sc.span_id, &rsc.span_id, 8);
  assert_true(sc.flags & COTEL_TRACE_FLAG_SAMPLED);
  cotel_span_end(s, 0);
  cotel_context_release(ctx);
  cotel_stats st;
  cotel_provider_stats(p, &st);
  assert_int_equal(st.spans_started, 1);
  assert_int_equal(st.spans_ended, 0);
  cotel_provider_destroy(p);
}

static void test_provider_stats_count_spans_and_exports(void **state) {
  (void)state;
  cotel_exporter *mem;
  cotel_sampler *half;
  cotel_memory_exporter_new(&mem);
  cotel_sampler_traceidratio(0.5, &half);
  cotel_provider *p = simple_provider_new(mem, half);
  cotel_tracer *t = cotel_provider_tracer(p, "t");
  unsigned sampled = 0;
  for (int i = 0; i < 200; i++) {
    cotel_span s;
    cotel_span_start(t, "s", NULL, &s);
    sampled += cotel_span_is_recording(s);
    cotel_span_end(s, 0);
  }
  cotel_memory_exporter_fail_next(mem, 1, COTEL_EEXPORT);
  bool recording;
  do { /* one more sampled span, whose export fails */
    cotel_span s;
    cotel_span_start(t, "s", NULL, &s);
    recording = cotel_span_is_recording(s);
    cotel_span_end(s, 0);
  } while (!recording);
  cotel_stats st;
  assert_int_equal(cotel_provider_stats(p, &st), 0);
  assert_true(sampled > 50 && sampled < 150);
  assert_int_equal(st.spans_ended, sampled + 1);
  assert_int_equal(st.spans_started, st.spans_ended + st.spans_sampled_out);
  assert_int_equal(st.spans_exported, sampled);
  assert_int_equal(st.spans_export_failed, 1);
  cotel_provider_destroy(p);
}

typedef struct th_arg {
  cotel_tracer *t;
  int n;
} th_arg;

static void *span_thread(void *arg) {
  th_arg *a = arg;
  for (int i = 0; i < a->n; i++) {
    cotel_span s;
    cotel_span_start(a->t, "th", NULL, &s);
    cotel_span_set_int(s, "i", i);
    cotel_span_end(s, 0);
  }
  return NULL;
}

static void test_provider_counts_spans_from_exited_threads(void **state) {
  (void)state;
  rec_proc r1;
  rp_init(&r1, '1');
  cotel_span_processor *procs[] = {&r1.base};
  cotel_provider *p = open_with(procs, 1);
  th_arg a = {cotel_provider_tracer(p, "t"), 500};
  pthread_t th[3];
  for (int i = 0; i < 3; i++)
    pthread_create(&th[i], NULL, span_thread, &a);
  span_thread(&a);
  for (int i = 0; i < 3; i++)
    pthread_join(th[i], NULL);
  cotel_stats st;
  cotel_provider_stats(p, &st);
  assert_int_equal(st.spans_started, 2000);
  assert_int_equal(st.spans_ended, 2000);
  cotel_provider_destroy(p);
}

/* Counting allocator for the steady-state check. */
static size_t n_allocs;
static void *count_malloc(void *ud, size_t n) {
  (void)ud;
  n_allocs++;
  return malloc(n);
}
static void count_free(void *ud, void *ptr) {
  (void)ud;
  free(ptr);
}

static void test_provider_steady_state_spans_allocate_nothing(void **state) {
  (void)state;
  cotel_allocator al = {count_malloc, NULL, count_free, NULL};
  rec_proc r1;
  rp_init(&r1, '1');
  cotel_span_processor *procs[] = {&r1.base};
  cotel_provider_config cfg;
  cotel_provider *p;
  cotel_provider_config_init(&cfg);
  cotel_sampler_always_on(&cfg.sampler);
  cfg.allocator = &al;
  cfg.processors = procs;
  cfg.n_processors = 1;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_tracer *t = cotel_provider_tracer(p, "t");
  char big[600];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  for (int round = 0; round < 2; round++) {
    if (round == 1) n_allocs = 0;
    for (int i = 0; i < 100; i++) {
      cotel_span s;
      cotel_span_start(t, "steady", NULL, &s);
      cotel_span_set_str(s, "http.method", "GET");
      cotel_span_set_int(s, "http.status_code", 200);
      cotel_span_set_str(s, "big.a", big); /* forces extra chunks */
      cotel_span_set_str(s, "big.b", big);
      cotel_span_add_event(s, "e", 0, NULL, 0);
      cotel_span_end(s, 0);
    }
  }
  assert_int_equal(n_allocs, 0);
  cotel_provider_destroy(p);
}

static void test_provider_global_is_set_and_cleared_on_destroy(void **state) {
  (void)state;
  cotel_provider *p = open_with(NULL, 0);
  assert_null(cotel_provider_global());
  cotel_provider_set_global(p);
  assert_ptr_equal(cotel_provider_global(), p);
  cotel_provider_destroy(p);
  assert_null(cotel_provider_global());
}

static void
test_provider_new_rejects_bad_arguments_and_frees_owned(void **state) {
  (void)state;
  rec_proc r1;
  rp_init(&r1, '1');
  cotel_span_processor *procs[] = {&r1.base};
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.processors = procs;
  cfg.n_processors = 1;
  call_log[0] = 0;
  assert_int_equal(cotel_provider_new(&cfg, NULL), COTEL_EINVAL);
  assert_string_equal(call_log, "1d");
}

static char warn_text[512];
static void capture_log(void *ud, cotel_log_level level, const char *msg) {
  (void)ud;
  if (level >= COTEL_LOG_WARN) snprintf(warn_text, sizeof warn_text, "%s", msg);
}

static void
test_provider_default_pipeline_follows_traces_exporter(void **state) {
  (void)state;
  static const struct {
    const char *value, *warning;
  } cases[] = {
      {"none", NULL}, {"otlp", NULL}, {"nonsense", "unknown exporter"}};
  cotel_log_set(capture_log, NULL, COTEL_LOG_WARN);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    warn_text[0] = 0;
    setenv("OTEL_TRACES_EXPORTER", cases[i].value, 1);
    cotel_provider_config cfg;
    cotel_provider *p;
    cotel_provider_config_init(&cfg);
    cotel_sampler_always_off(&cfg.sampler); /* nothing printed */
    assert_int_equal(cotel_provider_new(&cfg, &p), 0);
    if (cases[i].warning)
      assert_non_null(strstr(warn_text, cases[i].warning));
    else
      assert_string_equal(warn_text, "");
    cotel_span s;
    assert_int_equal(
        cotel_span_start(cotel_provider_tracer(p, "t"), "s", NULL, &s), 0);
    cotel_span_end(s, 0);
    assert_int_equal(cotel_provider_shutdown(p, 2000), 0);
    cotel_provider_destroy(p);
  }
  unsetenv("OTEL_TRACES_EXPORTER");
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

/* The exporter is really the OTLP one: an endpoint it must refuse (not
 * http/https) makes provider_new fail, whether otlp was named, is in a
 * list, or is the default (OTel SDK configuration: OTEL_TRACES_EXPORTER
 * defaults to otlp). */
static void test_provider_default_exporter_is_otlp(void **state) {
  (void)state;
  static const struct {
    const char *exporter, *endpoint_var;
    bool fails;
  } cases[] = {
      {"otlp", "OTEL_EXPORTER_OTLP_ENDPOINT", true},
      {NULL, "OTEL_EXPORTER_OTLP_ENDPOINT", true},
      {NULL, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", true},
      {"console, otlp", "OTEL_EXPORTER_OTLP_ENDPOINT", true},
      {"console", "OTEL_EXPORTER_OTLP_ENDPOINT", false},
      {NULL, NULL, false},
  };
  cotel_log_set(capture_log, NULL, COTEL_LOG_WARN);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    if (cases[i].exporter)
      setenv("OTEL_TRACES_EXPORTER", cases[i].exporter, 1);
    else
      unsetenv("OTEL_TRACES_EXPORTER");
    if (cases[i].endpoint_var) setenv(cases[i].endpoint_var, "ftp://x", 1);
    cotel_provider_config cfg;
    cotel_provider *p = NULL;
    cotel_provider_config_init(&cfg);
    cotel_sampler_always_off(&cfg.sampler); /* nothing printed */
    int rc = cotel_provider_new(&cfg, &p);
    if (cases[i].fails) {
      assert_int_not_equal(rc, 0);
    } else {
      assert_int_equal(rc, 0);
      cotel_provider_destroy(p);
    }
    if (cases[i].endpoint_var) unsetenv(cases[i].endpoint_var);
  }
  unsetenv("OTEL_TRACES_EXPORTER");
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

/* OTel SDK configuration "Exporter Selection": a list, one processor per
 * named exporter, duplicates once; an unknown name is a warning naming
 * the accepted values; "none" wins over the rest. */
/* "none" wins over the rest of the list before anything is built: an
 * otlp/file exporter listed beside it must not even create its file. */
static void test_provider_none_in_the_list_builds_no_exporter(void **state) {
  (void)state;
  char path[] = "/tmp/cotel-none-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  unlink(path);
  setenv("OTEL_EXPORTER_OTLP_TRACES_FILE", path, 1);
  setenv("OTEL_TRACES_EXPORTER", "otlp/file,none", 1);
  cotel_span_processor *procs[COTEL_MAX_DEFAULT_PROCESSORS];
  size_t n = 99;
  assert_int_equal(
      cotel_pipeline_from_env(procs, COTEL_MAX_DEFAULT_PROCESSORS, &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(access(path, F_OK), -1);
  unsetenv("OTEL_TRACES_EXPORTER");
  unsetenv("OTEL_EXPORTER_OTLP_TRACES_FILE");
}

static void test_provider_exporter_list_gets_one_processor_each(void **state) {
  (void)state;
  static const struct {
    const char *value;
    size_t n;
    const char *warning;
  } cases[] = {
      {"otlp,console", 2, NULL},
      {" console , otlp , console ", 2, NULL},
      {"console,zipkin", 1, "console, otlp, otlp/file, none"},
      {"otlp,none", 0, "none"},
  };
  cotel_log_set(capture_log, NULL, COTEL_LOG_WARN);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    cotel_span_processor *procs[COTEL_MAX_DEFAULT_PROCESSORS];
    size_t n = 99;
    warn_text[0] = 0;
    setenv("OTEL_TRACES_EXPORTER", cases[i].value, 1);
    assert_int_equal(
        cotel_pipeline_from_env(procs, COTEL_MAX_DEFAULT_PROCESSORS, &n), 0);
    assert_int_equal(n, cases[i].n);
    if (cases[i].warning)
      assert_non_null(strstr(warn_text, cases[i].warning));
    else
      assert_string_equal(warn_text, "");
    for (size_t k = 0; k < n; k++)
      procs[k]->destroy(procs[k]);
  }
  unsetenv("OTEL_TRACES_EXPORTER");
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

/* Issue 10: when spans were lost, shutdown says so in one warning. */
static void test_provider_shutdown_summarises_lost_spans(void **state) {
  (void)state;
  cotel_exporter *mem;
  cotel_memory_exporter_new(&mem);
  cotel_provider *p = simple_provider_new(mem, NULL);
  cotel_tracer *t = cotel_provider_tracer(p, "t");
  cotel_memory_exporter_fail_next(mem, 2, COTEL_EEXPORT);
  for (int i = 0; i < 3; i++) {
    cotel_span s;
    cotel_span_start(t, "s", NULL, &s);
    cotel_span_end(s, 0);
  }
  warn_text[0] = 0;
  cotel_log_set(capture_log, NULL, COTEL_LOG_WARN);
  assert_int_equal(cotel_provider_shutdown(p, 1000), 0);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
  assert_non_null(
      strstr(warn_text, "shutdown: 1 spans exported, 0 dropped, 2 failed"));
  cotel_provider_destroy(p);
}

/* An exporter that never answers: only deadlines end its calls. */
static void hang_export(cotel_exporter *self,
                        const cotel_span_data *const *spans, size_t n,
                        cotel_export_done_fn done, void *done_arg) {
  (void)self;
  (void)spans;
  (void)n;
  (void)done;
  (void)done_arg;
}

static void hang_destroy(cotel_exporter *self) {
  free(self);
}

static void
test_provider_destroy_keeps_the_configured_shutdown_bound(void **state) {
  (void)state;
  cotel_exporter *hang = calloc(1, sizeof *hang);
  assert_non_null(hang);
  hang->name = "hang";
  hang->export_spans = hang_export;
  hang->destroy = hang_destroy;
  cotel_batch_options bo;
  cotel_batch_options_from_env(&bo);
  bo.schedule_delay_ms = 10;
  cotel_span_processor *sp;
  assert_int_equal(cotel_batch_processor_new(hang, &bo, &sp), 0);
  cotel_provider_config cfg;
  cotel_provider *p;
  cotel_provider_config_init(&cfg);
  cotel_sampler_always_on(&cfg.sampler);
  cfg.processors = &sp;
  cfg.n_processors = 1;
  cfg.shutdown_timeout_ms = 300; /* the default would be 5000 */
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_span s;
  cotel_span_start(cotel_provider_tracer(p, "t"), "s", NULL, &s);
  cotel_span_end(s, 0);
  cotel_log_set(capture_log, NULL, COTEL_LOG_WARN); /* quiet */
  uint64_t t0 = cotel_monotonic_ns();
  cotel_provider_destroy(p);
  uint64_t ms = (cotel_monotonic_ns() - t0) / 1000000u;
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
  assert_true(ms >= 250);
  assert_true(ms < 2500); /* 300 + the processor's grace, with slack */
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_provider_get_tracer_dedups_by_name_version_and_schema),
      cmocka_unit_test(test_provider_scope_is_stable_per_tracer),
      cmocka_unit_test(test_provider_calls_processors_in_order),
      cmocka_unit_test(test_provider_divides_the_timeout_across_processors),
      cmocka_unit_test(test_provider_after_shutdown_spans_are_non_recording),
      cmocka_unit_test(test_provider_disabled_sdk_propagates_without_recording),
      cmocka_unit_test(test_provider_stats_count_spans_and_exports),
      cmocka_unit_test(test_provider_counts_spans_from_exited_threads),
      cmocka_unit_test(test_provider_steady_state_spans_allocate_nothing),
      cmocka_unit_test(test_provider_global_is_set_and_cleared_on_destroy),
      cmocka_unit_test(test_provider_new_rejects_bad_arguments_and_frees_owned),
      cmocka_unit_test(test_provider_default_pipeline_follows_traces_exporter),
      cmocka_unit_test(test_provider_default_exporter_is_otlp),
      cmocka_unit_test(test_provider_exporter_list_gets_one_processor_each),
      cmocka_unit_test(test_provider_none_in_the_list_builds_no_exporter),
      cmocka_unit_test(test_provider_shutdown_summarises_lost_spans),
      cmocka_unit_test(
          test_provider_destroy_keeps_the_configured_shutdown_bound),
  };
  return cotel_test_run(argc, argv, "provider", tests);
}
