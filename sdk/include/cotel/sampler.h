/** @file
 * cotel: samplers (OpenTelemetry trace SDK spec, "Sampling"). */
#ifndef COTEL_SAMPLER_H
#define COTEL_SAMPLER_H

#include "cotel/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A sampler's decision (OTel spec SamplingResult). */
typedef enum cotel_sampling_decision {
  COTEL_SAMPLING_DROP = 0,        /**< non-recording span, not sampled */
  COTEL_SAMPLING_RECORD_ONLY = 1, /**< recording, not sampled (not exported) */
  COTEL_SAMPLING_RECORD_AND_SAMPLE = 2, /**< recording and sampled */
} cotel_sampling_decision;

/** What a sampler decides on: the inputs of the span being started. Every
 * pointer is borrowed for the should_sample call. */
typedef struct cotel_sampling_params {
  const cotel_context *parent;         /**< the parent context (never NULL) */
  const cotel_span_context *parent_sc; /**< its span context, NULL if none */
  const cotel_trace_id *trace_id;      /**< of the new span */
  cotel_str name;                      /**< the span name */
  cotel_span_kind kind;                /**< the span kind */
  const cotel_attr *attrs;             /**< attributes given at start */
  size_t n_attrs;                      /**< number of attrs */
  const cotel_link *links;             /**< links given at start */
  size_t n_links;                      /**< number of links */
} cotel_sampling_params;

/** A sampler's output, filled by should_sample. */
typedef struct cotel_sampling_result {
  cotel_sampling_decision decision; /**< the decision */
  /** Extra attributes to add to the span (borrowed until the span copies
   * them, i.e. they must outlive should_sample's caller: static or owned by
   * the sampler). */
  const cotel_attr *attrs;
  size_t n_attrs; /**< number of attrs */
} cotel_sampling_result;

/** A sampler: a table of callbacks the provider calls at span start.
 * Custom samplers fill it (and may use `user`). */
typedef struct cotel_sampler cotel_sampler;
/** See cotel_sampler. */
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
/** AlwaysOff: every span is dropped (non-recording). */
COTEL_API int cotel_sampler_always_off(cotel_sampler **out);
/** TraceIdRatioBased, deciding exactly as opentelemetry-go: sampled when
 * (big-endian uint64 of trace id bytes 8..15) >> 1 < ratio * 2^63.
 * COTEL_EINVAL unless 0 <= ratio <= 1. */
COTEL_API int cotel_sampler_traceidratio(double ratio, cotel_sampler **out);
/** The delegates of cotel_sampler_parentbased; init with
 * cotel_parentbased_options_init. NULL members take the spec defaults. */
typedef struct cotel_parentbased_options {
  cotel_sampler *remote_parent_sampled;     /**< NULL: AlwaysOn */
  cotel_sampler *remote_parent_not_sampled; /**< NULL: AlwaysOff */
  cotel_sampler *local_parent_sampled;      /**< NULL: AlwaysOn */
  cotel_sampler *local_parent_not_sampled;  /**< NULL: AlwaysOff */
} cotel_parentbased_options;
/** Zero *o (every delegate at its default). */
static inline void
cotel_parentbased_options_init(cotel_parentbased_options *o) {
  memset(o, 0, sizeof *o);
}
/** ParentBased with a root sampler and optional delegates (o NULL or NULL
 * members = spec defaults: remote/local sampled -> AlwaysOn, not sampled ->
 * AlwaysOff). Takes ownership of all the samplers passed. `size` is the
 * caller's sizeof *o (docs/abi.md). */
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
/** Free a sampler through its destroy callback; NULL is a no-op. */
COTEL_API void cotel_sampler_destroy(cotel_sampler *s);

#ifdef __cplusplus
}
#endif
#endif
