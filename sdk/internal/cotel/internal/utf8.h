/* Internal to libcotel (one copy for every component): making strings
 * valid UTF-8.
 *
 * Protobuf `string` fields must hold valid UTF-8 (collectors written in Go
 * reject the whole request otherwise), and one bad attribute must not lose a
 * batch (DESIGN §5). Invalid input is repaired the way Unicode recommends
 * (Unicode 15, §3.9 "U+FFFD Substitution of Maximal Subparts"): each maximal
 * subpart of an ill-formed sequence becomes one U+FFFD (EF BF BD). */
#ifndef COTEL_INTERNAL_UTF8_H
#define COTEL_INTERNAL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define COTEL__UTF8_INVALID 0xFFFFFFFFu

/* Decode one code point from s[0..n) (n >= 1). Returns the bytes consumed
 * (1..4); *cp is the code point, or COTEL__UTF8_INVALID for a maximal
 * subpart of an ill-formed sequence (which the caller replaces by U+FFFD). */
size_t cotel__utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Slow path of cotel__utf8_len, for input that is not all ASCII. */
size_t cotel__utf8_len_slow(const char *s, size_t n, bool *clean);

/* Copy s[0..n) to dst replacing ill-formed subparts by U+FFFD; returns the
 * end of what was written (cotel__utf8_len bytes). */
char *cotel__utf8_repair(char *dst, const char *s, size_t n);

/* Copy s[0..n) to dst[0..cap) as a line fit for a log: control characters
 * (C0, DEL, C1: newlines, terminal escapes) and ill-formed bytes become '?',
 * and the copy stops before a code point that would not fit whole. Text a
 * remote peer sent (a collector's error message) goes through this before
 * any log line. dst may be s (in place). Always NUL-terminates (cap >= 1);
 * returns the bytes written before the NUL. */
size_t cotel__utf8_printable(char *dst, size_t cap, const char *s, size_t n);

/* True when s[0..n) is all ASCII: whole words, the last one overlapping,
 * and no byte loop for short strings. */
static inline bool cotel__utf8_is_ascii(const char *s, size_t n) {
  const uint64_t hi = 0x8080808080808080ull;
  uint64_t acc = 0, w;
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      memcpy(&w, s + i, 8);
      acc |= w;
    }
    memcpy(&w, s + n - 8, 8);
    acc |= w;
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4);
    memcpy(&b, s + n - 4, 4);
    acc = a | b;
  } else if (n) {
    acc = (uint8_t)s[0] | (uint8_t)s[n / 2] | (uint8_t)s[n - 1];
  }
  return !(acc & hi);
}

/* Length of s once repaired. *clean is set when s is already valid UTF-8, so
 * that it can be copied verbatim. */
static inline size_t cotel__utf8_len(const char *s, size_t n, bool *clean) {
  if (cotel__utf8_is_ascii(s, n)) {
    *clean = true;
    return n;
  }
  return cotel__utf8_len_slow(s, n, clean);
}

/* Write s (length `fixed` = cotel__utf8_len(s, n, &clean)) at dst. */
static inline char *cotel__utf8_put(char *dst, const char *s, size_t n,
                                    bool clean) {
  if (clean) {
    /* Attribute keys and values are mostly short: copy them with two
     * overlapping moves instead of a call into libc. */
    if (n >= 8 && n <= 16) {
      uint64_t a, b;
      memcpy(&a, s, 8);
      memcpy(&b, s + n - 8, 8);
      memcpy(dst, &a, 8);
      memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
      uint32_t a, b;
      memcpy(&a, s, 4);
      memcpy(&b, s + n - 4, 4);
      memcpy(dst, &a, 4);
      memcpy(dst + n - 4, &b, 4);
    } else if (n && n < 4) {
      dst[0] = s[0];
      dst[n / 2] = s[n / 2];
      dst[n - 1] = s[n - 1];
    } else if (n) {
      memcpy(dst, s, n);
    }
    return dst + n;
  }
  return cotel__utf8_repair(dst, s, n);
}

#endif
