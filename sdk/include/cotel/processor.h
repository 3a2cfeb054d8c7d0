/** @file
 * cotel: span processors (simple and batch).
 *
 * on_end never blocks and never does I/O in the batch processor: the record
 * goes into a bounded lock-free queue; a full queue drops and counts. */
#ifndef COTEL_PROCESSOR_H
#define COTEL_PROCESSOR_H

#include "cotel/context.h"
#include "cotel/exporter.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A span processor: a table of callbacks the provider calls for every
 * recording span. Implementations embed it in their own struct. */
typedef struct cotel_span_processor cotel_span_processor;
/** See cotel_span_processor. */
struct cotel_span_processor {
  /** A span started (recording spans only). May be NULL. */
  void (*on_start)(cotel_span_processor *self, cotel_span span,
                   const cotel_context *parent);
  /** A recording span ended. `sd` is borrowed for the call; retain to keep. */
  void (*on_end)(cotel_span_processor *self, const cotel_span_data *sd);
  /** Export everything queued so far; return by the deadline. */
  int (*force_flush)(cotel_span_processor *self, uint64_t timeout_ms);
  /** Flush, stop and shut the exporter down; return by the deadline. After
   * shutdown on_end drops (and counts). */
  int (*shutdown)(cotel_span_processor *self, uint64_t timeout_ms);
  /** Add counters (dropped, exported, failed, retries) to *acc. May be NULL. */
  void (*stats)(cotel_span_processor *self, cotel_stats *acc);
  /** Free (shutting down first if needed); also destroys the exporter. */
  void (*destroy)(cotel_span_processor *self);
};

/** Simple processor: exports each span as it ends, on the ending thread,
 * waiting for the exporter (it runs a private libuv loop for asynchronous
 * exporters). Meant for tests and debugging. Takes ownership of `exp`. */
COTEL_API int cotel_simple_processor_new(cotel_exporter *exp,
                                         cotel_span_processor **out);

/** Batch processor options (OTel spec defaults; OTEL_BSP_* variables). */
typedef struct cotel_batch_options {
  uint32_t max_queue_size;        /**< OTEL_BSP_MAX_QUEUE_SIZE, 2048 */
  uint32_t max_export_batch_size; /**< OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512 */
  uint32_t schedule_delay_ms;     /**< OTEL_BSP_SCHEDULE_DELAY, 5000 */
  uint32_t export_timeout_ms;     /**< OTEL_BSP_EXPORT_TIMEOUT, 30000 */
} cotel_batch_options;

/** Defaults, overridden by valid OTEL_BSP_* values (invalid ones: a warning
 * and the default). */
COTEL_API void cotel_batch_options_from_env_sized(cotel_batch_options *o,
                                                  size_t size);
/** cotel_batch_options_from_env_sized with this build's sizeof. */
static inline void cotel_batch_options_from_env(cotel_batch_options *o) {
  cotel_batch_options_from_env_sized(o, sizeof *o);
}

/** Batch processor: a libuv loop thread that exports when the queue reaches
 * max_export_batch_size or every schedule_delay_ms. Takes ownership of
 * `exp`. `o` NULL means cotel_batch_options_from_env. When its shutdown
 * hits the timeout, spans still queued count as dropped and spans in
 * flight as failed before it returns (it may take up to 500 ms more for
 * that on a starved machine; a few ms normally), so ended = exported +
 * dropped + failed in the stats. */
COTEL_API int cotel_batch_processor_new_sized(cotel_exporter *exp,
                                              const cotel_batch_options *o,
                                              size_t size,
                                              cotel_span_processor **out);
/** cotel_batch_processor_new_sized with this build's sizeof (docs/abi.md). */
static inline int cotel_batch_processor_new(cotel_exporter *exp,
                                            const cotel_batch_options *o,
                                            cotel_span_processor **out) {
  return cotel_batch_processor_new_sized(exp, o, o ? sizeof *o : 0, out);
}

#ifdef __cplusplus
}
#endif
#endif
