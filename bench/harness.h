/* Shared by the C benchmarks: timing (wall and thread CPU), medians,
 * reporting, JSON output, and a malloc interposer that counts heap
 * allocations.
 *
 * Every result is one (case, metric, value) triple, the shape of
 * build/bench/results.json (docs/bench.md); the Go and Rust drivers
 * (bench/go, bench/rust) write the same triples. Each case also prints one
 * human-readable line. */
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
/* CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID) and of the whole
 * process (CLOCK_PROCESS_CPUTIME_ID), in ns. */
uint64_t bench_thread_cpu_ns(void);
uint64_t bench_process_cpu_ns(void);

/* A timed body: do `n` operations. `arg` is the case's state. */
typedef void (*bench_fn)(void *arg, size_t n);

/* Untimed work between runs (e.g. draining the export queue); may be NULL. */
typedef void (*bench_between_fn)(void *arg);

/* Run fn once to warm up (n/4), then `runs` times with n operations each.
 * Reports the medians of ns_per_op (wall) and thread_cpu_ns_per_op (the
 * calling thread). With `between` (the drain of a span case), also
 * export_cpu_ns_per_op: the CPU time of every other thread of the process
 * (the export thread) from the start of the run to the end of `between`,
 * per op. `n` is scaled by bench_opts.scale. */
void bench_run(const char *name, size_t n, const char *note, bench_fn fn,
               bench_between_fn between, void *arg);
/* Report already measured values of a case in `unit` ("ns/op" becomes the
 * metric ns_per_op, "allocs/op" allocs_per_op, anything else is used as
 * the metric name): the median of `vals`, except allocs_per_op, which is
 * the maximum. */
void bench_report(const char *name, const char *unit, const char *note,
                  double *vals, int n);
/* Record one (case, metric, value) without printing. */
void bench_metric(const char *name, const char *metric, double value);
/* A note printed under the previous case and kept in its JSON object. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write every result to `path` as {"impl": impl, "cases": [{"case",
 * "impl", "metric", "value", "note"}]}. 0 or -1. */
int bench_write_json(const char *path, const char *impl);

/* Heap allocations seen by the malloc interposer (malloc_count.c): made by
 * the calling thread, and by the whole process. */
uint64_t bench_allocs_thread(void);
uint64_t bench_allocs_process(void);

/* The otlp_encode_pb case (case_otlp.c): `n` spans' worth of encoding of
 * 512 distinct spans (distinct names, ids, attribute values and counts).
 * Skipped with a message when this libcotel has no OTLP encoder. */
void bench_otlp_encode(size_t n);

#endif
