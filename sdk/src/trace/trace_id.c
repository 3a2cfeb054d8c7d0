/* Span context validity and hex encoding of ids (W3C Trace Context §3.2.2:
 * lowercase hex on output; we accept either case on input). */
#include <string.h>

#include "cotel/internal/hex.h"
#include "cotel/trace.h"

static bool all_zero(const uint8_t *b, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++)
    acc |= b[i];
  return acc == 0;
}

bool cotel_trace_id_is_zero(const cotel_trace_id *id) {
  return !id || all_zero(id->bytes, sizeof id->bytes);
}

bool cotel_span_id_is_zero(const cotel_span_id *id) {
  return !id || all_zero(id->bytes, sizeof id->bytes);
}

bool cotel_span_context_is_valid(const cotel_span_context *sc) {
  return sc && !cotel_trace_id_is_zero(&sc->trace_id) &&
         !cotel_span_id_is_zero(&sc->span_id);
}

void cotel_trace_id_to_hex(const cotel_trace_id *id, char out[33]) {
  static const uint8_t zero[16];
  if (out) *cotel__hex_encode(id ? id->bytes : zero, 16, out) = '\0';
}

void cotel_span_id_to_hex(const cotel_span_id *id, char out[17]) {
  static const uint8_t zero[8];
  if (out) *cotel__hex_encode(id ? id->bytes : zero, 8, out) = '\0';
}

/* Either case is accepted here (ids typed by people, log lines); the
 * propagators insist on lowercase where their specs do. */
static int from_hex(const char *hex, size_t len, uint8_t *out, size_t n) {
  uint8_t tmp[16];
  if (!hex || len != 2 * n) return COTEL_EINVAL;
  if (!cotel__hex_decode(hex, n, tmp, cotel__hex_any)) return COTEL_EINVAL;
  memcpy(out, tmp, n);
  return 0;
}

int cotel_trace_id_from_hex(const char *hex, size_t len, cotel_trace_id *out) {
  if (!out) return COTEL_EINVAL;
  return from_hex(hex, len, out->bytes, 16);
}

int cotel_span_id_from_hex(const char *hex, size_t len, cotel_span_id *out) {
  if (!out) return COTEL_EINVAL;
  return from_hex(hex, len, out->bytes, 8);
}
