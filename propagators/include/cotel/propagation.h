/** @file
 * cotel: context propagation across process boundaries (DESIGN §6).
 *
 * A propagator injects the current span context (and baggage) into a
 * carrier and extracts it back. Carriers are reached through getter/setter
 * callbacks; header names are case-insensitive. Invalid input is ignored
 * (the header is treated as absent: a new root), never a crash, never a
 * partial parse. */
#ifndef COTEL_PROPAGATION_H
#define COTEL_PROPAGATION_H

#include "cotel/baggage.h"
#include "cotel/context.h"
#include "cotel/tracestate.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Carrier access. get returns the number of values for `key` (several
 * header lines with the same name, in order; names compare
 * case-insensitively) and writes up to `max` of them into `values`
 * (borrowed views, not necessarily NUL-terminated); keys lists every key
 * (for prefix scans such as Jaeger's uberctx-*), returning the count
 * (keys(c, NULL, 0) just counts). set adds/replaces one header: key is a
 * NUL-terminated lowercase name, value is value_len bytes that the setter
 * must copy (they live on the propagator's stack). get or keys may be NULL
 * in an inject-only carrier, set in an extract-only one. */
typedef struct cotel_carrier {
  /** The values of one key (see above). */
  size_t (*get)(void *c, const char *key, cotel_str *values, size_t max);
  /** Every key (see above). */
  size_t (*keys)(void *c, cotel_str *keys, size_t max);
  /** Add or replace one header (see above); 0 or a COTEL_E* code. */
  int (*set)(void *c, const char *key, const char *value, size_t value_len);
  void *c; /**< the carrier object, passed to every function */
} cotel_carrier;

/** A propagator: injects a context into a carrier and extracts one from it.
 * Implementations fill the table (and may use `impl`). */
typedef struct cotel_propagator cotel_propagator;
/** See cotel_propagator. */
struct cotel_propagator {
  /** Write the context's span context/baggage into the carrier. */
  int (*inject)(const cotel_propagator *self, const cotel_context *ctx,
                const cotel_carrier *carrier);
  /** Return a new context (reference owned by the caller) derived from
   * `parent` with what the carrier holds; `parent` itself when nothing
   * valid was found (still a new reference). *out is always set, even
   * when an error (COTEL_ENOMEM) is returned. */
  int (*extract)(const cotel_propagator *self, cotel_context *parent,
                 const cotel_carrier *carrier, cotel_context **out);
  /** Header names this propagator writes (NULL-terminated, static). */
  const char *const *(*fields)(const cotel_propagator *self);
  /** Free the propagator; may be NULL (static propagators). */
  void (*destroy)(cotel_propagator *self);
  void *impl; /**< for the implementation */
};

/** Built-ins (static objects; destroy is a no-op for them). */
COTEL_API const cotel_propagator *cotel_propagator_tracecontext(void);
/** W3C Baggage (the "baggage" header). */
COTEL_API const cotel_propagator *cotel_propagator_baggage(void);
COTEL_API const cotel_propagator *
cotel_propagator_b3(void); /**< single header */
COTEL_API const cotel_propagator *
cotel_propagator_b3multi(void); /**< X-B3-* headers */
/** Jaeger (uber-trace-id and uberctx-* baggage headers). */
COTEL_API const cotel_propagator *cotel_propagator_jaeger(void);
/** Composite over `n` propagators (borrowed: they must outlive it). */
COTEL_API int cotel_propagator_composite(const cotel_propagator *const *list,
                                         size_t n, cotel_propagator **out);
/** From OTEL_PROPAGATORS (default "tracecontext,baggage"; "none"; unknown
 * names warned and skipped). Caller owns the result. */
COTEL_API int cotel_propagator_from_env(cotel_propagator **out);
/** Free a propagator through its destroy callback; NULL is a no-op. */
COTEL_API void cotel_propagator_destroy(cotel_propagator *p);

/** The process-wide propagator (default: tracecontext,baggage). */
COTEL_API const cotel_propagator *cotel_propagator_global(void);
/** Replace the process-wide propagator (borrowed: it must outlive its use
 * as the global one). Thread-safe. */
COTEL_API void cotel_propagator_set_global(const cotel_propagator *p);

/** Convenience: NULL ctx means the current context; NULL propagator means
 * the global one. */
COTEL_API int cotel_inject(const cotel_propagator *p, const cotel_context *ctx,
                           const cotel_carrier *carrier);
/** Extract with p (NULL: the global one) into a child of parent (NULL: the
 * current context); see cotel_propagator.extract. */
COTEL_API int cotel_extract(const cotel_propagator *p, cotel_context *parent,
                            const cotel_carrier *carrier, cotel_context **out);

/** The built-in propagator called `name` (the OTEL_PROPAGATORS names:
 * tracecontext, baggage, b3, b3multi, jaeger); NULL when unknown. */
COTEL_API const cotel_propagator *cotel_propagator_by_name(const char *name);

/** B3 and Jaeger carry a "debug" flag (force sampling) that W3C trace-flags
 * cannot express. Extract keeps it in the context as a value, inherited by
 * every context and span derived from it, and inject sends it again (OTel
 * B3 spec: MUST preserve a debug flag and propagate it). */
COTEL_API bool cotel_propagation_debug(const cotel_context *ctx);
/** A child of parent with the debug flag set or cleared (caller owns the
 * reference). */
COTEL_API int cotel_context_with_debug(cotel_context *parent, bool debug,
                                       cotel_context **out);

/* ---- W3C Trace Context primitives (also used by the fuzzers) ---- */

/** Parse a traceparent value (W3C Trace Context §3.2.2); COTEL_EPARSE when
 * invalid (out zeroed). Strict: lowercase hex, no surrounding whitespace
 * (the propagator trims OWS first). Version ff is invalid; version 00 is
 * exactly 55 characters; a higher version is read for its first four
 * fields and may continue only with "-". flags is the byte as received
 * (for a higher version: masked to the bits this level defines, 0x03);
 * the tracecontext propagator masks it to 0x03 on extract, see below. */
COTEL_API int cotel_traceparent_parse(const char *s, size_t len,
                                      cotel_span_context *out);
/** Format "00-<trace>-<span>-<flags>"; buf must hold 56 bytes (NUL added).
 * Flags are masked to sampled|random (0x03): W3C §3.2.2.5 "the behavior of
 * other flags is not defined ... Vendors MUST set those to zero". Returns
 * 55, or COTEL_EINVAL for an invalid span context (buf set to ""). */
COTEL_API int cotel_traceparent_format(const cotel_span_context *sc,
                                       char buf[56]);
/** The trace-flags bits this level of W3C Trace Context defines. */
#define COTEL_TRACE_FLAGS_KNOWN 0x03u

/* ---- W3C Baggage header (W3C Baggage §3.3) ---- */

/** Parse one combined header value (several header lines joined by ",").
 * Members that do not follow the grammar (or whose value is not valid
 * percent-encoding) are skipped; values are percent-decoded, invalid UTF-8
 * replaced by U+FFFD; keys and metadata kept as sent (trimmed). Members
 * beyond COTEL_BAGGAGE_MAX_MEMBERS or COTEL_BAGGAGE_MAX_BYTES are dropped
 * whole. Returns 0 with *out NULL for an empty header, COTEL_EPARSE (and
 * NULL) when it held something but no valid member. */
COTEL_API int cotel_baggage_parse(const char *s, size_t len,
                                  cotel_baggage **out);
/** Serialize as a header value: key=percent-encoded value[;metadata], in
 * order, dropping whole members that would exceed the limits. Returns the
 * length (excluding NUL); when it does not fit in cap, buf gets "". */
COTEL_API size_t cotel_baggage_format(const cotel_baggage *b, char *buf,
                                      size_t cap);

/* ---- B3 (https://github.com/openzipkin/b3-propagation) ---- */

/** Single header "{trace}-{span}[-{sampling}[-{parent}]]" or "{sampling}"
 * alone (1, 0, d). Trace ids of 16 hex digits are left-padded to 128 bits.
 * Returns 0 with ids; COTEL_ENOTFOUND for a sampling state without ids
 * (out zeroed except flags, *debug set); COTEL_EPARSE when invalid. */
COTEL_API int cotel_b3_parse_single(const char *s, size_t len,
                                    cotel_span_context *out, bool *debug);
/** Size of the buffer of cotel_b3_format_single. */
#define COTEL_B3_SINGLE_BUF 52
/** "{32 hex}-{16 hex}-{1|0|d}" (no parent id: OTel B3 spec MUST NOT send
 * X-B3-ParentSpanId). buf must hold 52 bytes; returns the length. */
COTEL_API int cotel_b3_format_single(const cotel_span_context *sc, bool debug,
                                     char buf[COTEL_B3_SINGLE_BUF]);
/** The multi-header values ({NULL, 0} when absent). */
typedef struct cotel_b3_headers {
  cotel_str trace_id, span_id, sampled, flags, parent_span_id;
} cotel_b3_headers;
/** \var cotel_b3_headers::trace_id
 * X-B3-TraceId. */
/** \var cotel_b3_headers::span_id
 * X-B3-SpanId. */
/** \var cotel_b3_headers::sampled
 * X-B3-Sampled. */
/** \var cotel_b3_headers::flags
 * X-B3-Flags. */
/** \var cotel_b3_headers::parent_span_id
 * X-B3-ParentSpanId. */
/** X-B3-Sampled accepts 1/0 and the legacy true/false; X-B3-Flags: 1 means
 * debug, which implies sampled. Returns as cotel_b3_parse_single. */
COTEL_API int cotel_b3_parse_multi(const cotel_b3_headers *h,
                                   cotel_span_context *out, bool *debug);

/* ---- Jaeger (uber-trace-id: {trace}:{span}:{parent}:{flags}) ---- */

/** Ids of up to 32 / 16 hex digits (left-padded with zeros), flags in hex
 * (0x01 sampled, 0x02 debug). A percent-encoded value ("%3A") is decoded
 * first. 0 or COTEL_EPARSE. */
COTEL_API int cotel_jaeger_parse(const char *s, size_t len,
                                 cotel_span_context *out, bool *debug);
/** Size of the buffer of cotel_jaeger_format. */
#define COTEL_JAEGER_BUF 54
/** "{32 hex}:{16 hex}:0:{flags}"; buf must hold 54 bytes; returns length. */
COTEL_API int cotel_jaeger_format(const cotel_span_context *sc, bool debug,
                                  char buf[COTEL_JAEGER_BUF]);

/* ---- Carriers ---- */

/** One header line (a view). */
typedef struct cotel_header {
  cotel_str name;  /**< the header name */
  cotel_str value; /**< the header value */
} cotel_header;
/** A carrier over an array of header name/value pairs (e.g. from an HTTP
 * parser), `count` of them in use out of `cap`. get is case-insensitive and
 * returns every line of a name in order. For inject, `set` replaces the
 * first line with that name (dropping later ones) or appends one; names and
 * values are copied into `storage` (NUL-terminated), and COTEL_EFULL is
 * returned when the array or the storage is full (nothing changed). With
 * storage NULL the carrier is read-only. Not thread-safe. */
typedef struct cotel_header_carrier {
  cotel_header *headers; /**< the array (caller-owned) */
  size_t count;          /**< headers in use */
  size_t cap;            /**< size of the array */
  char *storage;         /**< bytes for copied names and values, or NULL */
  size_t storage_used;   /**< bytes of storage in use */
  size_t storage_cap;    /**< size of storage */
} cotel_header_carrier;
/** Set up hc over headers (count in use, cap in all) and storage (may be
 * NULL: read-only). */
COTEL_API void cotel_header_carrier_init(cotel_header_carrier *hc,
                                         cotel_header *headers, size_t count,
                                         size_t cap, char *storage,
                                         size_t storage_cap);
/** The cotel_carrier view of hc (c = hc), for inject and extract. */
COTEL_API cotel_carrier
cotel_header_carrier_as_carrier(cotel_header_carrier *hc);

struct curl_slist;
/** libcurl: inject into a struct curl_slist (appends "name: value" lines
 * with curl_slist_append; *list may be NULL and is updated; on
 * COTEL_ENOMEM the lines appended so far stay). p NULL: the global
 * propagator; ctx NULL: the current context. */
COTEL_API int cotel_curl_inject(const cotel_propagator *p,
                                const cotel_context *ctx,
                                struct curl_slist **list);

#ifdef __cplusplus
}
#endif
#endif
