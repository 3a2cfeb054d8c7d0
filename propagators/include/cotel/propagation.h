/* cotel: context propagation across process boundaries (DESIGN §6).
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

/* Carrier access. get returns the number of values for `key` (several
 * header lines with the same name) and writes up to `max` of them into
 * `values` (borrowed views); keys lists every key (for prefix scans such as
 * Jaeger's uberctx-*), returning the count. set adds/replaces one header. */
typedef struct cotel_carrier {
  size_t (*get)(void *c, const char *key, cotel_str *values, size_t max);
  size_t (*keys)(void *c, cotel_str *keys, size_t max);
  int (*set)(void *c, const char *key, const char *value, size_t value_len);
  void *c;
} cotel_carrier;

typedef struct cotel_propagator cotel_propagator;
struct cotel_propagator {
  /* Write the context's span context/baggage into the carrier. */
  int (*inject)(const cotel_propagator *self, const cotel_context *ctx,
                const cotel_carrier *carrier);
  /* Return a new context (reference owned by the caller) derived from
   * `parent` with what the carrier holds; `parent` itself when nothing
   * valid was found (still a new reference). */
  int (*extract)(const cotel_propagator *self, cotel_context *parent,
                 const cotel_carrier *carrier, cotel_context **out);
  /* Header names this propagator writes (NULL-terminated, static). */
  const char *const *(*fields)(const cotel_propagator *self);
  void (*destroy)(cotel_propagator *self);
  void *impl;
};

/* Built-ins (static objects; destroy is a no-op for them). */
const cotel_propagator *cotel_propagator_tracecontext(void);
const cotel_propagator *cotel_propagator_baggage(void);
const cotel_propagator *cotel_propagator_b3(void);       /* single header */
const cotel_propagator *cotel_propagator_b3multi(void);  /* X-B3-* headers */
const cotel_propagator *cotel_propagator_jaeger(void);
/* Composite over `n` propagators (borrowed: they must outlive it). */
int cotel_propagator_composite(const cotel_propagator *const *list, size_t n,
                               cotel_propagator **out);
/* From OTEL_PROPAGATORS (default "tracecontext,baggage"; "none"; unknown
 * names warned and skipped). Caller owns the result. */
int cotel_propagator_from_env(cotel_propagator **out);
void cotel_propagator_destroy(cotel_propagator *p);

/* The process-wide propagator (default: tracecontext,baggage). */
const cotel_propagator *cotel_propagator_global(void);
void cotel_propagator_set_global(const cotel_propagator *p);

/* Convenience: NULL ctx means the current context; NULL propagator means
 * the global one. */
int cotel_inject(const cotel_propagator *p, const cotel_context *ctx,
                 const cotel_carrier *carrier);
int cotel_extract(const cotel_propagator *p, cotel_context *parent,
                  const cotel_carrier *carrier, cotel_context **out);

/* ---- W3C Trace Context primitives (also used by the fuzzers) ---- */
/* Parse a traceparent value; COTEL_EPARSE when invalid (out zeroed). */
int cotel_traceparent_parse(const char *s, size_t len, cotel_span_context *out);
/* Format "00-<trace>-<span>-<flags>"; buf must hold 56 bytes (NUL added). */
int cotel_traceparent_format(const cotel_span_context *sc, char buf[56]);

/* ---- Carriers ---- */
/* A server-side carrier over an array of header name/value pairs (e.g. from
 * an HTTP parser). Lookups are case-insensitive. For inject, `set` appends
 * into the array while it has room (COTEL_EFULL otherwise) and the strings
 * are copied into `storage` of `storage_cap` bytes. */
typedef struct cotel_header {
  cotel_str name;
  cotel_str value;
} cotel_header;
typedef struct cotel_header_carrier {
  cotel_header *headers;
  size_t count;
  size_t cap;
  char *storage;
  size_t storage_used;
  size_t storage_cap;
} cotel_header_carrier;
void cotel_header_carrier_init(cotel_header_carrier *hc, cotel_header *headers,
                               size_t count, size_t cap, char *storage,
                               size_t storage_cap);
cotel_carrier cotel_header_carrier_as_carrier(cotel_header_carrier *hc);

/* libcurl: inject into a struct curl_slist (appends "name: value" lines;
 * *list may be NULL and is updated). */
struct curl_slist;
int cotel_curl_inject(const cotel_propagator *p, const cotel_context *ctx,
                      struct curl_slist **list);

#ifdef __cplusplus
}
#endif
#endif
