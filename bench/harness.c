/* Timing, medians and reporting for the C benchmarks (see harness.h). */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bench_cfg bench_opts = {7, 1.0};

#define MAX_CASES 64

typedef struct result {
  char name[48];
  char unit[16];
  char note[160];
  double median, min, max;
} result;

static result results[MAX_CASES];
static int n_results;

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void bench_report(const char *name, const char *unit, const char *note,
                  double *vals, int n) {
  qsort(vals, (size_t)n, sizeof *vals, cmp_double);
  double med = vals[n / 2], lo = vals[0], hi = vals[n - 1];
  int prec = strcmp(unit, "ns/op") ? 2 : 1; /* allocs, ratios: 2 digits */
  printf("%-28s %10.*f  (%.*f..%.*f) %s%s%s\n", name, prec, med, prec, lo, prec,
         hi, unit, note && *note ? "  " : "", note ? note : "");
  fflush(stdout);
  if (n_results == MAX_CASES) return;
  result *r = &results[n_results++];
  snprintf(r->name, sizeof r->name, "%s", name);
  snprintf(r->unit, sizeof r->unit, "%s", unit);
  snprintf(r->note, sizeof r->note, "%s", note ? note : "");
  r->median = med;
  r->min = lo;
  r->max = hi;
}

void bench_note(const char *fmt, ...) {
  char buf[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  printf("  note: %s\n", buf);
  if (n_results == 0) return;
  result *r = &results[n_results - 1];
  size_t used = strlen(r->note);
  snprintf(r->note + used, sizeof r->note - used, "%s%s", used ? "; " : "",
           buf);
}

void bench_run(const char *name, size_t n, const char *note, bench_fn fn,
               bench_between_fn between, void *arg) {
  double vals[BENCH_MAX_RUNS];
  int runs = bench_opts.runs;
  n = (size_t)((double)n * bench_opts.scale);
  if (n < 4) n = 4;
  fn(arg, n / 4); /* warm-up: pools, caches, the export thread */
  if (between) between(arg);
  for (int r = 0; r < runs; r++) {
    uint64_t t0 = bench_now_ns();
    fn(arg, n);
    vals[r] = (double)(bench_now_ns() - t0) / (double)n;
    if (between) between(arg);
  }
  bench_report(name, "ns/op", note, vals, runs);
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
    fprintf(f, "    {\"name\": ");
    json_str(f, r->name);
    fprintf(f,
            ", \"median_ns\": %.2f, \"min_ns\": %.2f, \"max_ns\": %.2f, "
            "\"unit\": ",
            r->median, r->min, r->max);
    json_str(f, r->unit);
    fprintf(f, ", \"note\": ");
    json_str(f, r->note);
    fprintf(f, "}%s\n", i + 1 < n_results ? "," : "");
  }
  fprintf(f, "  ]\n}\n");
  return fclose(f) == 0 ? 0 : -1;
}
