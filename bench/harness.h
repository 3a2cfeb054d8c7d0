/* Shared by the C benchmarks: timing, medians, reporting, JSON output, and
 * a malloc interposer that counts heap allocations.
 *
 * Every case prints one line, `case_name  median  (min..max) unit`, the
 * same format as the Go and Rust drivers (bench/go, bench/rust), and is
 * collected for the JSON file scripts/bench.sh compares side by side. */
#ifndef COTEL_BENCH_HARNESS_H
#define COTEL_BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_RUNS 31

typedef struct bench_cfg {
  int runs;     /* runs per case; the median is reported (default 7) */
  double scale; /* multiplies every iteration count (default 1) */
} bench_cfg;

extern bench_cfg bench_opts;

/* CLOCK_MONOTONIC in ns. */
uint64_t bench_now_ns(void);

/* A timed body: do `n` operations. `arg` is the case's state. */
typedef void (*bench_fn)(void *arg, size_t n);

/* Untimed work between runs (e.g. draining the export queue); may be NULL. */
typedef void (*bench_between_fn)(void *arg);

/* Run fn once to warm up (n/4), then `runs` times with n operations each,
 * and report ns/op. `between` runs after each run, outside the timing.
 * `n` is scaled by bench_opts.scale. */
void bench_run(const char *name, size_t n, const char *note, bench_fn fn,
               bench_between_fn between, void *arg);
/* Report already measured values (any unit); the median of `vals` is
 * reported. */
void bench_report(const char *name, const char *unit, const char *note,
                  double *vals, int n);
/* A note printed under the previous case and kept in its JSON object. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write every reported case to `path` as JSON. 0 or -1. */
int bench_write_json(const char *path, const char *impl);

/* Heap allocations seen by the malloc interposer (malloc_count.c): made by
 * the calling thread, and by the whole process. */
uint64_t bench_allocs_thread(void);
uint64_t bench_allocs_process(void);

/* The otlp_encode_pb case (case_otlp.c): `n` spans' worth of encoding,
 * each span with the given attributes. Skipped with a message when this
 * libcotel has no OTLP encoder. */
struct cotel_attr;
void bench_otlp_encode(size_t n, const struct cotel_attr *attrs,
                       size_t n_attrs);

#endif
