/* Private to the OTLP exporter: the streaming encoders. They write an
 * ExportTraceServiceRequest straight from span records (no message tree),
 * grouping spans by resource, then by scope (pointer identity). */
#ifndef COTEL_OTLP_ENCODE_H
#define COTEL_OTLP_ENCODE_H

#include "cotel/internal/buf.h"
#include "cotel/span_data.h"

/* Encode `n` spans as an OTLP/HTTP protobuf request body, replacing b's
 * contents. 0 or COTEL_ENOMEM / COTEL_EINVAL. */
int cotel__otlp_encode_pb(const cotel_span_data *const *spans, size_t n,
                          cotel__buf *b);
/* Same, as OTLP/JSON (hex ids, integer enums, lowerCamelCase keys, 64-bit
 * integers as decimal strings). */
int cotel__otlp_encode_json(const cotel_span_data *const *spans, size_t n,
                            cotel__buf *b);

/* Grouping of a batch (shared by both encoders): spans ordered by resource
 * pointer, then scope pointer, each in first-seen order, the order of spans
 * within a group preserved. NULL entries of the input are skipped. */
typedef struct cotel__otlp_scope_group {
  const cotel_scope *scope;
  size_t first, count; /* range of plan.order */
  size_t size;         /* scratch for the protobuf size pass */
} cotel__otlp_scope_group;

typedef struct cotel__otlp_res_group {
  const cotel_resource *resource;
  size_t first, count; /* range of plan.scopes */
  size_t size;         /* scratch for the protobuf size pass */
} cotel__otlp_res_group;

typedef struct cotel__otlp_plan {
  const cotel_span_data **order;
  size_t n; /* non-NULL spans */
  cotel__otlp_scope_group *scopes;
  size_t n_scopes;
  cotel__otlp_res_group *res;
  size_t n_res;
  size_t *sizes; /* n entries of scratch for the protobuf size pass */
  void *extra;   /* `extra` bytes of scratch (8-aligned) for the caller */
} cotel__otlp_plan;

/* 0, COTEL_EINVAL or COTEL_ENOMEM. One allocation (with `extra` bytes of
 * caller scratch), released by _plan_free. */
int cotel__otlp_plan_build(const cotel_span_data *const *spans, size_t n,
                           size_t extra, cotel__otlp_plan *pl);
void cotel__otlp_plan_free(cotel__otlp_plan *pl);

/* Span.flags / Span.Link.flags (trace.proto SpanFlags): W3C trace flags in
 * bits 0-7, then whether the parent (or linked) context is remote. */
#define COTEL__SPAN_FLAGS_HAS_IS_REMOTE 0x100u
#define COTEL__SPAN_FLAGS_IS_REMOTE 0x200u
static inline uint32_t cotel__otlp_span_flags(uint8_t trace_flags,
                                              bool is_remote) {
  return (uint32_t)trace_flags | COTEL__SPAN_FLAGS_HAS_IS_REMOTE |
         (is_remote ? COTEL__SPAN_FLAGS_IS_REMOTE : 0u);
}

#endif
