/* UTF-8 validation and repair for the OTLP encoders (see utf8.h). The
 * well-formed byte sequences are those of Unicode 15 §3.9, Table 3-7. */
#include "cotel/internal/utf8.h"

/* Range of the second byte allowed after each lead byte (Table 3-7): E0,
 * ED, F0 and F4 restrict it to exclude overlongs, surrogates and code
 * points above U+10FFFF. */
static inline void second_range(uint8_t lead, uint8_t *lo, uint8_t *hi) {
  *lo = 0x80;
  *hi = 0xBF;
  if (lead == 0xE0)
    *lo = 0xA0;
  else if (lead == 0xED)
    *hi = 0x9F;
  else if (lead == 0xF0)
    *lo = 0x90;
  else if (lead == 0xF4)
    *hi = 0x8F;
}

size_t cotel__utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
  uint8_t c = s[0];
  size_t need;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    v = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    v = c & 0x07;
  } else {
    *cp = COTEL__UTF8_INVALID; /* 80..C1, F5..FF never start a sequence */
    return 1;
  }
  uint8_t lo, hi;
  second_range(c, &lo, &hi);
  size_t i = 1;
  for (; i <= need; i++) {
    if (i >= n || s[i] < lo || s[i] > hi) {
      /* The bytes so far are a maximal subpart: replace them together. */
      *cp = COTEL__UTF8_INVALID;
      return i;
    }
    v = (v << 6) | (s[i] & 0x3Fu);
    lo = 0x80;
    hi = 0xBF;
  }
  *cp = v;
  return i;
}

size_t cotel__utf8_len_slow(const char *s, size_t n, bool *clean) {
  const uint8_t *u = (const uint8_t *)s;
  size_t i = 0, out = 0;
  bool ok = true;
  while (i < n) {
    if (u[i] < 0x80) {
      i++;
      out++;
      continue;
    }
    uint32_t cp;
    size_t k = cotel__utf8_decode(u + i, n - i, &cp);
    if (cp == COTEL__UTF8_INVALID) {
      ok = false;
      out += 3;
    } else {
      out += k;
    }
    i += k;
  }
  *clean = ok;
  return out;
}

char *cotel__utf8_repair(char *dst, const char *s, size_t n) {
  const uint8_t *u = (const uint8_t *)s;
  size_t i = 0;
  while (i < n) {
    if (u[i] < 0x80) {
      *dst++ = (char)u[i++];
      continue;
    }
    uint32_t cp;
    size_t k = cotel__utf8_decode(u + i, n - i, &cp);
    if (cp == COTEL__UTF8_INVALID) {
      *dst++ = (char)0xEF;
      *dst++ = (char)0xBF;
      *dst++ = (char)0xBD;
    } else {
      memcpy(dst, s + i, k);
      dst += k;
    }
    i += k;
  }
  return dst;
}

size_t cotel__utf8_printable(char *dst, size_t cap, const char *s, size_t n) {
  const uint8_t *u = (const uint8_t *)s;
  size_t i = 0, o = 0;
  if (cap == 0) return 0;
  while (i < n) {
    uint32_t cp = u[i];
    size_t k = 1;
    if (cp >= 0x80) k = cotel__utf8_decode(u + i, n - i, &cp);
    bool bad = cp == COTEL__UTF8_INVALID || cp < 0x20 || cp == 0x7f ||
               (cp >= 0x80 && cp < 0xa0);
    size_t w = bad ? 1 : k;
    if (o + w >= cap) break;
    if (bad)
      dst[o] = '?';
    else
      memmove(dst + o, s + i, k); /* in place: o <= i */
    o += w;
    i += k;
  }
  dst[o] = 0;
  return o;
}
