/* Private helpers shared by the propagators: hex, OWS, percent-encoding,
 * carrier access and the extract epilogue. */
#ifndef COTEL_PROP_INTERNAL_H
#define COTEL_PROP_INTERNAL_H

#include <string.h>

#include "cotel/propagation.h"

/* Hex digit values, -1 for anything else: lowercase only (W3C HEXDIGLC,
 * B3 "lower-hex") and either case (Jaeger). */
extern const int8_t cotel__hex_lc[256];
extern const int8_t cotel__hex_any[256];
/* "00".."ff" for every byte value. */
extern const char cotel__hex_pairs[256][2];

/* Decode 2*n hex digits into n bytes; false on any non-digit. */
static inline bool cotel__hex_decode(const char *s, size_t n, uint8_t *out,
                                     const int8_t *tbl) {
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    int hi = tbl[(unsigned char)s[2 * i]],
        lo = tbl[(unsigned char)s[2 * i + 1]];
    bad |= hi | lo; /* negative when either is -1 */
    out[i] = (uint8_t)(((unsigned)hi << 4) | ((unsigned)lo & 0xf));
  }
  return bad >= 0;
}

/* 16 lowercase hex digits -> 8 bytes, eight digits per 64-bit word
 * (SWAR): about a third of the instructions of the table loop, which is
 * most of what traceparent parsing costs. Bytes are compared with the
 * high-bit trick: for x < 0x80, (x + 0x80 - k) has bit 7 set iff x >= k. */
static inline bool cotel__hex8_lc(const char *s, uint8_t out[4]) {
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  return cotel__hex_decode(s, 4, out, cotel__hex_lc);
#endif
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  uint64_t w;
  memcpy(&w, s, 8);
  if (w & high) return false;
  uint64_t ge30 = w + 0x50 * ones, ge3a = w + 0x46 * ones;
  uint64_t ge61 = w + 0x1f * ones, ge67 = w + 0x19 * ones;
  uint64_t ok = ((ge30 & ~ge3a) | (ge61 & ~ge67)) & high;
  if (ok != high) return false;
  /* '0'-'9' -> low nibble; 'a'-'f' -> low nibble + 9 (bit 6 set). */
  uint64_t nib = (w & 0x0f * ones) + 9 * ((w >> 6) & ones);
  /* Little-endian: byte i holds digit i. Pair digits, keep even bytes. */
  uint64_t t = ((nib << 4) | (nib >> 8)) & 0x00ff00ff00ff00ffull;
  t = (t | (t >> 8)) & 0x0000ffff0000ffffull;
  t = t | (t >> 16);
  uint32_t v = (uint32_t)t;
  memcpy(out, &v, 4);
  return true;
}

static inline char *cotel__hex_encode(const uint8_t *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    memcpy(out, cotel__hex_pairs[b[i]], 2);
    out += 2;
  }
  return out;
}

/* Parse up to 2*n hex digits right-aligned into n bytes (left-padded with
 * zeros): Jaeger and B3 64-bit trace ids. */
bool cotel__hex_decode_padded(const char *s, size_t len, uint8_t *out, size_t n,
                              const int8_t *tbl);

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

/* Percent-encoding. decode: %XX (either case) -> byte, anything else
 * literal; false on a malformed escape. out needs len bytes. */
bool cotel__pct_decode(const char *s, size_t len, char *out, size_t *out_len);
/* Replace invalid UTF-8 with U+FFFD; out needs 3 * len bytes. */
size_t cotel__utf8_sanitize(const char *s, size_t len, char *out);
/* Length once encoded / write it (out needs that many bytes). Bytes that
 * are not W3C baggage-octets, and '%', become %XX. */
size_t cotel__pct_encoded_len(const char *s, size_t len);
char *cotel__pct_encode(const char *s, size_t len, char *out);

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
