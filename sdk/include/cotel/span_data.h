/** @file
 * cotel: the read-only view of an ended span, for processors and exporters.
 *
 * A cotel_span_data lives inside its span record; everything it points to
 * lives as long as the record. The processor that receives it in on_end
 * borrows it for that call; to keep it (a queue, an export batch) take a
 * reference with cotel_span_data_retain and drop it with _release. */
#ifndef COTEL_SPAN_DATA_H
#define COTEL_SPAN_DATA_H

#include "cotel/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The instrumentation scope of a tracer. Spans from one tracer share one
 * scope pointer, so exporters can group by pointer identity. */
typedef struct cotel_scope {
  cotel_str name;          /**< the scope (instrumentation library) name */
  cotel_str version;       /**< its version; may be empty */
  cotel_str schema_url;    /**< its schema URL; may be empty */
  const cotel_attr *attrs; /**< scope attributes */
  uint32_t n_attrs;        /**< number of attrs */
} cotel_scope;

/** The provider's resource. Spans from one provider share one pointer. */
typedef struct cotel_resource {
  const cotel_attr *attrs; /**< resource attributes */
  uint32_t n_attrs;        /**< number of attrs */
  cotel_str schema_url;    /**< the resource's schema URL; may be empty */
} cotel_resource;

/** The read-only record of a span, as processors and exporters see it.
 * Every pointer points into the span record (or the tracer/provider) and
 * lives as long as the record (see cotel_span_data_retain). */
typedef struct cotel_span_data {
  cotel_span_context context;     /**< tracestate owned by the record */
  cotel_span_id parent_span_id;   /**< all zero for a root span */
  bool parent_is_remote;          /**< the parent span context was remote */
  cotel_str name;                 /**< the span name */
  cotel_span_kind kind;           /**< the span kind */
  uint64_t start_ns;              /**< start time, ns since the Unix epoch */
  uint64_t end_ns;                /**< end time, ns since the Unix epoch */
  cotel_status_code status;       /**< the span status */
  cotel_str status_message;       /**< status description; may be empty */
  const cotel_attr *attrs;        /**< attributes kept within the limits */
  uint32_t n_attrs;               /**< number of attrs */
  uint32_t dropped_attrs;         /**< attributes dropped by the limits */
  const cotel_event *events;      /**< events kept within the limits */
  uint32_t n_events;              /**< number of events */
  uint32_t dropped_events;        /**< events dropped by the limits */
  const cotel_link *links;        /**< links kept within the limits */
  uint32_t n_links;               /**< number of links */
  uint32_t dropped_links;         /**< links dropped by the limits */
  const cotel_scope *scope;       /**< the tracer's scope (shared) */
  const cotel_resource *resource; /**< the provider's resource (shared) */
} cotel_span_data;

/** Reference counting of the record behind a span data. Thread-safe. */
COTEL_API void cotel_span_data_retain(const cotel_span_data *sd);
/** Drop a reference taken by cotel_span_data_retain; the record is freed
 * or recycled with the last one. NULL is a no-op. */
COTEL_API void cotel_span_data_release(const cotel_span_data *sd);

/** The read-only view of a live span (for on_start and tests); NULL for a
 * stale handle or a non-recording span. Not a reference: valid while the
 * handle is. */
COTEL_API const cotel_span_data *cotel_span_data_of(cotel_span span);

#ifdef __cplusplus
}
#endif
#endif
