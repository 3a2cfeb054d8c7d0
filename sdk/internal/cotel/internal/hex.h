/* Internal to libcotel (one copy for every component): hex encoding and
 * decoding of ids and escapes. */
#ifndef COTEL_INTERNAL_HEX_H
#define COTEL_INTERNAL_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* 8 lowercase hex digits -> 4 bytes, eight digits per 64-bit word
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

/* Value of one hex digit of either case, -1 for anything else. */
static inline int cotel__hex_val(char c) {
  return cotel__hex_any[(unsigned char)c];
}

#endif
