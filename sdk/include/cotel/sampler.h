/** @file
 * cotel: samplers (OpenTelemetry trace SDK spec, "Sampling"). */
#ifndef COTEL_SAMPLER_H
#define COTEL_SAMPLER_H

#include "cotel/context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cotel_sampling_decision {
  COTEL_SAMPLING_DROP = 0,
  COTEL_SAMPLING_RECORD_ONLY = 1,
  COTEL_SAMPLING_RECORD_AND_SAMPLE = 2,
} cotel_sampling_decision;

typedef struct cotel_sampling_params {
  const cotel_context *parent;         /**< the parent context (never NULL) */
  const cotel_span_context *parent_sc; /**< its span context, NULL if none */
  const cotel_trace_id *trace_id;      /**< of the new span */
  cotel_str name;
  cotel_span_kind kind;
  const cotel_attr *attrs;
  size_t n_attrs;
  const cotel_link *links;
  size_t n_links;
} cotel_sampling_params;

typedef struct cotel_sampling_result {
  cotel_sampling_decision decision;
  /** Extra attributes to add to the span (borrowed until the span copies
   * them, i.e. they must outlive should_sample's caller: static or owned by
   * the sampler). */
  const cotel_attr *attrs;
  size_t n_attrs;
} cotel_sampling_result;

typedef struct cotel_sampler cotel_sampler;
struct cotel_sampler {
  /** Decide; must be thread-safe and must not block. */
  void (*should_sample)(cotel_sampler *self, const cotel_sampling_params *p,
                        cotel_sampling_result *out);
  /** e.g. "ParentBased{root:AlwaysOnSampler,...}"; static or self-owned. */
  const char *(*description)(cotel_sampler *self);
  /** Free (may be NULL for static samplers). */
  void (*destroy)(cotel_sampler *self);
  void *user; /**< for custom samplers */
};

/** Built-in samplers; each returns a new sampler owned by the caller (the
 * provider takes ownership when passed in its config). */
COTEL_API int cotel_sampler_always_on(cotel_sampler **out);
COTEL_API int cotel_sampler_always_off(cotel_sampler **out);
/** TraceIdRatioBased, deciding exactly as opentelemetry-go: sampled when
 * (big-endian uint64 of trace id bytes 8..15) >> 1 < ratio * 2^63.
 * COTEL_EINVAL unless 0 <= ratio <= 1. */
COTEL_API int cotel_sampler_traceidratio(double ratio, cotel_sampler **out);
/** ParentBased with a root sampler and optional delegates (NULL = spec
 * defaults: remote/local sampled -> AlwaysOn, not sampled -> AlwaysOff).
 * Takes ownership of all the samplers passed. */
typedef struct cotel_parentbased_options {
  cotel_sampler *remote_parent_sampled;
  cotel_sampler *remote_parent_not_sampled;
  cotel_sampler *local_parent_sampled;
  cotel_sampler *local_parent_not_sampled;
} cotel_parentbased_options;
/** Zero *o (every delegate at its default). */
static inline void
cotel_parentbased_options_init(cotel_parentbased_options *o) {
  memset(o, 0, sizeof *o);
}
COTEL_API int
cotel_sampler_parentbased_sized(cotel_sampler *root,
                                const cotel_parentbased_options *o, size_t size,
                                cotel_sampler **out);
/** cotel_sampler_parentbased_sized with this build's sizeof (docs/abi.md). */
static inline int cotel_sampler_parentbased(cotel_sampler *root,
                                            const cotel_parentbased_options *o,
                                            cotel_sampler **out) {
  return cotel_sampler_parentbased_sized(root, o, o ? sizeof *o : 0, out);
}
/** From OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default
 * parentbased_always_on; unknown values: a warning and the default). */
COTEL_API int cotel_sampler_from_env(cotel_sampler **out);
COTEL_API void cotel_sampler_destroy(cotel_sampler *s);

#ifdef __cplusplus
}
#endif
#endif
