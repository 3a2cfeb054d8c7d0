/** @file
 * cotel: the span exporter interface.
 *
 * Exporters are asynchronous: export() starts the work and reports the
 * result through `done`, exactly once, possibly before export() returns.
 * export() never blocks: a network exporter does its I/O on the libuv loop
 * it was given in start() (the batch processor's loop thread). */
#ifndef COTEL_EXPORTER_H
#define COTEL_EXPORTER_H

#include "cotel/span_data.h"

#ifdef __cplusplus
extern "C" {
#endif

struct uv_loop_s;

/** rc is 0 on success or a negative COTEL_E* code. */
typedef void (*cotel_export_done_fn)(void *done_arg, int rc);

/** An exporter: a table of callbacks a processor drives (see
 * cotel/processor.h). Implementations embed it in their own struct. */
typedef struct cotel_exporter cotel_exporter;
/** See cotel_exporter. */
struct cotel_exporter {
  const char *name; /**< for log messages; may be NULL */
  /** Called once on the thread that will call export(), with the libuv loop
   * that thread runs (the batch processor's loop; the simple processor's
   * private loop). May be NULL. Returns 0 or a COTEL_E* code. */
  int (*start)(cotel_exporter *self, struct uv_loop_s *loop);
  /** Export `n` spans. They stay valid until `done` is called. Must not block
   * the loop. Called on the loop thread, never concurrently with itself
   * unless the exporter declared max_concurrent > 1. */
  void (*export_spans)(cotel_exporter *self,
                       const cotel_span_data *const *spans, size_t n,
                       cotel_export_done_fn done, void *done_arg);
  /** Stop: fail in-flight work by `deadline_ns` (CLOCK_MONOTONIC ns), calling
   * its done callbacks, and close every loop handle the exporter owns, so the
   * loop can stop. Called on the loop thread. May be NULL. */
  void (*shutdown)(cotel_exporter *self, uint64_t deadline_ns);
  /** Add this exporter's counters (exported, failed, retries) to *acc. May
   * be NULL: the processor then counts by the done results. */
  void (*stats)(cotel_exporter *self, cotel_stats *acc);
  /** Free everything. Called after shutdown, when the loop has stopped. */
  void (*destroy)(cotel_exporter *self);
  /** How many export() calls may be in flight at once (0 means 1). */
  unsigned max_concurrent;
  /** Set when the exporter's stats() already counts spans_exported and
   * spans_export_failed itself. */
  bool counts_spans;
};

/** Monotonic clock in nanoseconds, for deadlines. */
COTEL_API uint64_t cotel_monotonic_ns(void);

#ifdef __cplusplus
}
#endif
#endif
