/* Timing, medians and reporting for the C benchmarks (see harness.h). */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bench_cfg bench_opts = {7, 1.0};

#define MAX_RESULTS 256

typedef struct result {
  char name[48];
  char metric[32];
  char note[160];
  double value;
} result;

static result results[MAX_RESULTS];
static int n_results;
static int last_case_first; /* first result of the last printed case */

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_now_ns(void) {
  return clock_ns(CLOCK_MONOTONIC);
}
uint64_t bench_thread_cpu_ns(void) {
  return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}
uint64_t bench_process_cpu_ns(void) {
  return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *vals, int n) {
  qsort(vals, (size_t)n, sizeof *vals, cmp_double);
  return vals[n / 2];
}

void bench_metric(const char *name, const char *metric, double value) {
  if (n_results == MAX_RESULTS) return;
  result *r = &results[n_results++];
  snprintf(r->name, sizeof r->name, "%s", name);
  snprintf(r->metric, sizeof r->metric, "%s", metric);
  r->note[0] = 0;
  r->value = value;
}

static void set_note(const char *note) {
  if (n_results > 0 && note)
    snprintf(results[n_results - 1].note, sizeof results[0].note, "%s", note);
}

void bench_report(const char *name, const char *unit, const char *note,
                  double *vals, int n) {
  const char *metric = !strcmp(unit, "ns/op")       ? "ns_per_op"
                       : !strcmp(unit, "allocs/op") ? "allocs_per_op"
                                                    : unit;
  double v = median(vals, n);
  if (!strcmp(metric, "allocs_per_op")) v = vals[n - 1]; /* the maximum */
  int prec = strcmp(unit, "ns/op") ? 3 : 1;
  printf("%-28s %10.*f %s%s%s%s\n", name, prec, v, unit,
         !strcmp(metric, "allocs_per_op") ? " (max window)" : "",
         note && *note ? "  " : "", note ? note : "");
  fflush(stdout);
  last_case_first = n_results;
  bench_metric(name, metric, v);
  set_note(note);
}

void bench_note(const char *fmt, ...) {
  char buf[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  printf("  note: %s\n", buf);
  if (n_results == 0) return;
  result *r = &results[last_case_first];
  size_t used = strlen(r->note);
  snprintf(r->note + used, sizeof r->note - used, "%s%s", used ? "; " : "",
           buf);
}

void bench_run(const char *name, size_t n, const char *note, bench_fn fn,
               bench_between_fn between, void *arg) {
  double wall[BENCH_MAX_RUNS], cpu[BENCH_MAX_RUNS], other[BENCH_MAX_RUNS];
  int runs = bench_opts.runs;
  n = (size_t)((double)n * bench_opts.scale);
  if (n < 4) n = 4;
  fn(arg, n / 4); /* warm-up: pools, caches, the export thread */
  if (between) between(arg);
  for (int r = 0; r < runs; r++) {
    uint64_t p0 = bench_process_cpu_ns();
    uint64_t c0 = bench_thread_cpu_ns();
    uint64_t t0 = bench_now_ns();
    fn(arg, n);
    uint64_t t1 = bench_now_ns();
    uint64_t c1 = bench_thread_cpu_ns();
    if (between) between(arg);
    uint64_t c2 = bench_thread_cpu_ns();
    uint64_t p2 = bench_process_cpu_ns();
    wall[r] = (double)(t1 - t0) / (double)n;
    cpu[r] = (double)(c1 - c0) / (double)n;
    double others = (double)(p2 - p0) - (double)(c2 - c0);
    other[r] = (others > 0 ? others : 0) / (double)n;
  }
  double w = median(wall, runs), c = median(cpu, runs);
  double o = median(other, runs);
  if (between)
    printf("%-28s %10.1f ns/op  thread cpu %.1f  export cpu %.1f%s%s\n", name,
           w, c, o, note && *note ? "  " : "", note ? note : "");
  else
    printf("%-28s %10.1f ns/op  thread cpu %.1f%s%s\n", name, w, c,
           note && *note ? "  " : "", note ? note : "");
  fflush(stdout);
  last_case_first = n_results;
  bench_metric(name, "ns_per_op", w);
  set_note(note);
  bench_metric(name, "thread_cpu_ns_per_op", c);
  if (between) bench_metric(name, "export_cpu_ns_per_op", o);
}

/* JSON strings here are our own case names and notes: escape quotes and
 * backslashes, drop control characters. */
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s >= 0x20) fputc(*s, f);
  }
  fputc('"', f);
}

int bench_write_json(const char *path, const char *impl) {
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    return -1;
  }
  fprintf(f, "{\n  \"impl\": ");
  json_str(f, impl);
  fprintf(f, ",\n  \"cases\": [\n");
  for (int i = 0; i < n_results; i++) {
    result *r = &results[i];
    fprintf(f, "    {\"case\": ");
    json_str(f, r->name);
    fprintf(f, ", \"impl\": ");
    json_str(f, impl);
    fprintf(f, ", \"metric\": ");
    json_str(f, r->metric);
    fprintf(f, ", \"value\": %.4f", r->value);
    if (r->note[0]) {
      fprintf(f, ", \"note\": ");
      json_str(f, r->note);
    }
    fprintf(f, "}%s\n", i + 1 < n_results ? "," : "");
  }
  fprintf(f, "  ]\n}\n");
  return fclose(f) == 0 ? 0 : -1;
}
