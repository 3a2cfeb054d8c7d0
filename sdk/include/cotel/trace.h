/** @file
 * cotel: span context, spans, tracers and the tracer provider.
 *
 * A span is a small value handle (record pointer + generation). Records come
 * from pools and are recycled; a handle whose span has ended and been
 * recycled no longer matches its record's generation, so every call on it is
 * a harmless no-op (DESIGN §4: "after end, every call on the span is a safe
 * no-op"). All span methods are safe to call from several threads at once. */
#ifndef COTEL_TRACE_H
#define COTEL_TRACE_H

#include "cotel/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A 16-byte trace id (all zero is invalid). */
typedef struct cotel_trace_id {
  uint8_t bytes[16]; /**< the id, in wire (big-endian) order */
} cotel_trace_id;
/** An 8-byte span id (all zero is invalid). */
typedef struct cotel_span_id {
  uint8_t bytes[8]; /**< the id, in wire (big-endian) order */
} cotel_span_id;

/** W3C Trace Context trace-flags. RANDOM is level 2's "random" flag: the
 * trace id's right-most 7 bytes are random. */
#define COTEL_TRACE_FLAG_SAMPLED 0x01u /**< the span is sampled */
#define COTEL_TRACE_FLAG_RANDOM 0x02u  /**< the trace id is random (level 2) */

typedef struct cotel_tracestate cotel_tracestate; /**< see cotel/tracestate.h */

/** The propagated identity of a span. `tracestate` is borrowed: it lives as
 * long as the span record or context it was read from (NULL = empty). */
typedef struct cotel_span_context {
  cotel_trace_id trace_id;      /**< the trace id */
  cotel_span_id span_id;        /**< the span id */
  uint8_t flags;                /**< COTEL_TRACE_FLAG_* bits */
  bool is_remote;               /**< propagated from another process */
  cotel_tracestate *tracestate; /**< W3C tracestate (borrowed; NULL = empty) */
} cotel_span_context;

/** True when neither id is all zero. */
COTEL_API bool cotel_span_context_is_valid(const cotel_span_context *sc);
/** True when every byte of the trace id is zero (invalid). */
COTEL_API bool cotel_trace_id_is_zero(const cotel_trace_id *id);
/** True when every byte of the span id is zero (invalid). */
COTEL_API bool cotel_span_id_is_zero(const cotel_span_id *id);
/** Lowercase hex: `out` must hold 33 (trace) / 17 (span) bytes, NUL added.
 * A NULL id formats as the invalid all-zero id; a NULL out does nothing. */
COTEL_API void cotel_trace_id_to_hex(const cotel_trace_id *id, char out[33]);
/** The span id as 16 lowercase hex digits plus NUL. */
COTEL_API void cotel_span_id_to_hex(const cotel_span_id *id, char out[17]);
/** Parse exactly 32 / 16 lowercase-or-uppercase hex digits; COTEL_EINVAL
 * otherwise (all-zero ids parse; validity is a separate question). */
COTEL_API int cotel_trace_id_from_hex(const char *hex, size_t len,
                                      cotel_trace_id *out);
/** Parse exactly 16 hex digits (see cotel_trace_id_from_hex). */
COTEL_API int cotel_span_id_from_hex(const char *hex, size_t len,
                                     cotel_span_id *out);

/** Numbering follows OTLP's Span.SpanKind and Status.StatusCode. */
typedef enum cotel_span_kind {
  COTEL_SPAN_KIND_INTERNAL = 1, /**< an internal operation (the default) */
  COTEL_SPAN_KIND_SERVER = 2,   /**< handles a remote request */
  COTEL_SPAN_KIND_CLIENT = 3,   /**< makes a remote request */
  COTEL_SPAN_KIND_PRODUCER = 4, /**< sends an asynchronous message */
  COTEL_SPAN_KIND_CONSUMER = 5, /**< receives an asynchronous message */
} cotel_span_kind;

/** Span status (see cotel_span_set_status). */
typedef enum cotel_status_code {
  COTEL_STATUS_UNSET = 0, /**< the default */
  COTEL_STATUS_OK = 1,    /**< marked successful */
  COTEL_STATUS_ERROR = 2, /**< the operation failed */
} cotel_status_code;

/** An event, as recorded (output) — see cotel_span_add_event for input. */
typedef struct cotel_event {
  cotel_str name;          /**< the event name */
  uint64_t time_ns;        /**< ns since the Unix epoch */
  const cotel_attr *attrs; /**< attributes kept within the limits */
  uint32_t n_attrs;        /**< number of attrs */
  uint32_t dropped_attrs;  /**< attributes dropped by the limits */
} cotel_event;

/** A link. As input (span options, cotel_span_add_link) pointers are borrowed
 * for the call and `dropped_attrs` is ignored; as output they point into the
 * span record. */
typedef struct cotel_link {
  cotel_span_context context; /**< the linked span */
  const cotel_attr *attrs;    /**< link attributes */
  uint32_t n_attrs;           /**< number of attrs */
  uint32_t dropped_attrs;     /**< output only: dropped by the limits */
} cotel_link;

/** Opaque SDK objects. */
typedef struct cotel_provider cotel_provider; /**< see cotel/provider.h */
typedef struct cotel_tracer cotel_tracer;   /**< creates spans for one scope */
typedef struct cotel_context cotel_context; /**< see cotel/context.h */
struct cotel__span;

/** Span handle, passed by value. The zero value is "no span". */
typedef struct cotel_span {
  struct cotel__span *rec; /**< private: the span record */
  uint32_t gen; /**< private: the record's generation, so a handle to a
                     recycled record is detected as stale */
} cotel_span;

/** The empty span handle ("no span"). */
#define COTEL_SPAN_NONE ((cotel_span){0, 0})

/** Options for cotel_span_start. Start from cotel_span_options_init (or
 * zero-initialise: an unstamped struct is read with the first ABI's
 * members); every field is optional. */
typedef struct cotel_span_options {
  /** Parent context; NULL means the current context (cotel_context_current).
   * Its span (local or remote) becomes the parent. */
  cotel_context *parent;
  bool root;               /**< ignore any parent: start a new trace */
  cotel_span_kind kind;    /**< 0 means INTERNAL */
  uint64_t start_ns;       /**< 0 means now */
  const cotel_attr *attrs; /**< attributes at start (seen by the sampler) */
  size_t n_attrs;          /**< number of attrs */
  const cotel_link *links; /**< links at start (seen by the sampler) */
  size_t n_links;          /**< number of links */
} cotel_span_options;

/** Zero *o (every option at its default). */
static inline void cotel_span_options_init(cotel_span_options *o) {
  memset(o, 0, sizeof *o);
}

/** Start a span. `*out` is always written: a recording span, a non-recording
 * span (sampled out: costs no allocation but still carries a span context
 * that propagates), or COTEL_SPAN_NONE on error. Returns 0, COTEL_EINVAL
 * (NULL tracer/name/out), COTEL_ESTATE (provider shut down: a non-recording
 * span is still returned) or COTEL_ENOMEM (counted; a non-recording span
 * with valid ids is returned so propagation keeps working). Thread-safe. */
COTEL_API int cotel_span_start_sized(cotel_tracer *tracer, const char *name,
                                     const cotel_span_options *opts,
                                     size_t size, cotel_span *out);
/** cotel_span_start_sized with this build's sizeof (docs/abi.md). */
static inline int cotel_span_start(cotel_tracer *tracer, const char *name,
                                   const cotel_span_options *opts,
                                   cotel_span *out) {
  return cotel_span_start_sized(tracer, name, opts, opts ? sizeof *opts : 0,
                                out);
}

/** True while the span is recording (sampled or RECORD_ONLY, not ended). */
COTEL_API bool cotel_span_is_recording(cotel_span span);

/** Copy the span context into *out. The tracestate pointer is borrowed from
 * the record (valid while the span, or a context holding it, is alive).
 * COTEL_EINVAL for a stale or empty handle (out is zeroed). */
COTEL_API int cotel_span_get_context(cotel_span span, cotel_span_context *out);

/** Set one attribute (last value for a key wins). Over the count limit the
 * attribute is dropped and counted; strings are cut to the value-length
 * limit. */
COTEL_API void cotel_span_set_attr(cotel_span span, const cotel_attr *attr);
/** Set n attributes, as cotel_span_set_attr on each. */
COTEL_API void cotel_span_set_attrs(cotel_span span, const cotel_attr *attrs,
                                    size_t n);
/** Set a string attribute (key and value copied). */
COTEL_API void cotel_span_set_str(cotel_span span, const char *key,
                                  const char *value);
/** Set a bool attribute. */
COTEL_API void cotel_span_set_bool(cotel_span span, const char *key,
                                   bool value);
/** Set an int64 attribute. */
COTEL_API void cotel_span_set_int(cotel_span span, const char *key,
                                  int64_t value);
/** Set a double attribute. */
COTEL_API void cotel_span_set_double(cotel_span span, const char *key,
                                     double value);

/** Add an event; time_ns 0 means now. */
COTEL_API void cotel_span_add_event(cotel_span span, const char *name,
                                    uint64_t time_ns, const cotel_attr *attrs,
                                    size_t n_attrs);
/** Add a link after start (links with an invalid span context are ignored). */
COTEL_API void cotel_span_add_link(cotel_span span, const cotel_link *link);

/** Status with the spec's precedence: OK is final; ERROR replaces UNSET or
 * ERROR; UNSET is ignored. The description is kept for ERROR only. */
COTEL_API void cotel_span_set_status(cotel_span span, cotel_status_code code,
                                     const char *description);
/** Replace the span's name (copied); ignored for a NULL name or a span
 * that is not recording. */
COTEL_API void cotel_span_update_name(cotel_span span, const char *name);

/** Add an "exception" event with exception.type / exception.message /
 * exception.stacktrace (NULL ones omitted) plus extra attributes. */
COTEL_API void cotel_span_record_exception(cotel_span span, const char *type,
                                           const char *message,
                                           const char *stacktrace,
                                           const cotel_attr *attrs,
                                           size_t n_attrs);

/** End the span; end_ns 0 means now. The record goes to the processors. */
COTEL_API void cotel_span_end(cotel_span span, uint64_t end_ns);

/** Instrumentation scope options for cotel_provider_get_tracer. */
typedef struct cotel_tracer_options {
  const char *name;        /**< required */
  const char *version;     /**< scope version; may be NULL */
  const char *schema_url;  /**< scope schema URL; may be NULL */
  const cotel_attr *attrs; /**< scope attributes (copied) */
  size_t n_attrs;          /**< number of attrs */
} cotel_tracer_options;

/** Zero *o (every option at its default). */
static inline void cotel_tracer_options_init(cotel_tracer_options *o) {
  memset(o, 0, sizeof *o);
}

/** Get (or create) the tracer for a scope. The same scope returns the same
 * tracer. The provider owns tracers. Thread-safe. */
COTEL_API int cotel_provider_get_tracer_sized(cotel_provider *p,
                                              const cotel_tracer_options *o,
                                              size_t size, cotel_tracer **out);
/** cotel_provider_get_tracer_sized with this build's sizeof (docs/abi.md). */
static inline int cotel_provider_get_tracer(cotel_provider *p,
                                            const cotel_tracer_options *o,
                                            cotel_tracer **out) {
  return cotel_provider_get_tracer_sized(p, o, o ? sizeof *o : 0, out);
}
/** Convenience: scope with just a name; NULL on error. */
COTEL_API cotel_tracer *cotel_provider_tracer(cotel_provider *p,
                                              const char *name);

/** Self-observability counters (DESIGN §5). Exact, monotonic. */
typedef struct cotel_stats {
  uint64_t spans_started; /**< every cotel_span_start that returned a span */
  uint64_t spans_ended;   /**< recording spans ended */
  uint64_t spans_sampled_out;   /**< started non-recording by the sampler */
  uint64_t spans_dropped;       /**< ended but dropped: queue full, no memory */
  uint64_t attrs_dropped;       /**< by limits, on spans, events and links */
  uint64_t events_dropped;      /**< events over the span limit */
  uint64_t links_dropped;       /**< links over the span limit */
  uint64_t spans_exported;      /**< accepted by the exporter's destination */
  uint64_t spans_export_failed; /**< given to an exporter that failed */
  uint64_t export_retries;      /**< retried requests (network exporters) */
  /* Memory (appended after the first ABI: read only what your header
   * declares). */
  uint64_t pool_records; /**< span records allocated, in use or free */
  uint64_t pool_bytes;   /**< bytes held by the span pools: records + chunks */
} cotel_stats;

/** Read the provider's counters (processors and exporters included) into
 * *out, of `size` bytes (the caller's sizeof; members are only appended, so
 * an older caller gets the ones it knows). 0 or COTEL_EINVAL. Thread-safe. */
COTEL_API int cotel_provider_stats_sized(cotel_provider *p, cotel_stats *out,
                                         size_t size);
/** cotel_provider_stats_sized with this build's sizeof. */
static inline int cotel_provider_stats(cotel_provider *p, cotel_stats *out) {
  return cotel_provider_stats_sized(p, out, sizeof *out);
}

#ifdef __cplusplus
}
#endif
#endif
