/* Private helpers shared by the propagators: hex, OWS, percent-encoding,
 * carrier access and the extract epilogue. */
#ifndef COTEL_PROP_INTERNAL_H
#define COTEL_PROP_INTERNAL_H

#include <string.h>

#include "cotel/internal/hex.h"
#include "cotel/internal/pct.h"
#include "cotel/internal/utf8.h"
#include "cotel/propagation.h"

static inline bool cotel__is_zero(const uint8_t *b, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++)
    acc |= b[i];
  return acc == 0;
}
/* Both ids non-zero (W3C §3.2.2.3, §3.2.2.4). */
static inline bool cotel__sc_valid(const cotel_span_context *sc) {
  return !cotel__is_zero(sc->trace_id.bytes, 16) &&
         !cotel__is_zero(sc->span_id.bytes, 8);
}

static inline bool cotel__is_ows(char c) {
  return c == ' ' || c == '\t';
}
static inline cotel_str cotel__trim(cotel_str s) {
  while (s.len && cotel__is_ows(s.ptr[0]))
    s.ptr++, s.len--;
  while (s.len && cotel__is_ows(s.ptr[s.len - 1]))
    s.len--;
  return s;
}

/* One header: 1 when exactly one line, 0 when none, 2 when several. */
size_t cotel__get_one(const cotel_carrier *c, const char *key, cotel_str *v);
/* Every line of `key` joined with "," (RFC 7230 §3.2.2). *heap is set when
 * the joined value had to be allocated (free it). Returns the line count
 * (0: absent) or COTEL_ENOMEM. */
int cotel__get_joined(const cotel_carrier *c, const char *key, cotel_str *out,
                      char **heap);

/* The common end of extract: a remote context under `parent` with `sc`
 * and, when debug >= 0 and differs from the parent's, the debug flag. On
 * failure *out is `parent` (retained) and the error is returned. */
int cotel__extract_remote(cotel_context *parent, const cotel_span_context *sc,
                          int debug, cotel_context **out);

/* Built-in propagator objects. */
extern const cotel_propagator cotel__tracecontext_propagator;
extern const cotel_propagator cotel__baggage_propagator;
extern const cotel_propagator cotel__b3_propagator;
extern const cotel_propagator cotel__b3multi_propagator;
extern const cotel_propagator cotel__jaeger_propagator;

/* Shared no-op destroy for the static built-ins. */
void cotel__static_destroy(cotel_propagator *self);

#endif
