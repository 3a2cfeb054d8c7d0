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
  cotel_str name;
  cotel_str version;
  cotel_str schema_url;
  const cotel_attr *attrs;
  uint32_t n_attrs;
} cotel_scope;

/** The provider's resource. Spans from one provider share one pointer. */
typedef struct cotel_resource {
  const cotel_attr *attrs;
  uint32_t n_attrs;
  cotel_str schema_url;
} cotel_resource;

typedef struct cotel_span_data {
  cotel_span_context context;   /**< tracestate owned by the record */
  cotel_span_id parent_span_id; /**< all zero for a root span */
  bool parent_is_remote;
  cotel_str name;
  cotel_span_kind kind;
  uint64_t start_ns;
  uint64_t end_ns;
  cotel_status_code status;
  cotel_str status_message;
  const cotel_attr *attrs;
  uint32_t n_attrs;
  uint32_t dropped_attrs;
  const cotel_event *events;
  uint32_t n_events;
  uint32_t dropped_events;
  const cotel_link *links;
  uint32_t n_links;
  uint32_t dropped_links;
  const cotel_scope *scope;
  const cotel_resource *resource;
} cotel_span_data;

/** Reference counting of the record behind a span data. Thread-safe. */
COTEL_API void cotel_span_data_retain(const cotel_span_data *sd);
COTEL_API void cotel_span_data_release(const cotel_span_data *sd);

/** The read-only view of a live span (for on_start and tests); NULL for a
 * stale handle or a non-recording span. Not a reference: valid while the
 * handle is. */
COTEL_API const cotel_span_data *cotel_span_data_of(cotel_span span);

#ifdef __cplusplus
}
#endif
#endif
