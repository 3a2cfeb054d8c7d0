/* Percent-encoding shared by every component (cotel/internal/pct.h). */
#include "cotel/internal/pct.h"

#include "cotel/internal/baggage_grammar.h"
#include "cotel/internal/hex.h"

bool cotel__pct_decode(const char *s, size_t len, char *out, size_t *out_len) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] != '%') {
      out[o++] = s[i];
      continue;
    }
    if (i + 2 >= len) return false;
    int hi = cotel__hex_any[(unsigned char)s[i + 1]];
    int lo = cotel__hex_any[(unsigned char)s[i + 2]];
    if (hi < 0 || lo < 0) return false;
    out[o++] = (char)((hi << 4) | lo);
    i += 2;
  }
  *out_len = o;
  return true;
}

/* baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E; '%' is one
 * too but must be escaped so that decoding gives the value back. */
static inline bool keep_raw(unsigned char c) {
  return cotel__is_baggage_octet(c) && c != '%';
}

size_t cotel__pct_encoded_len(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += keep_raw((unsigned char)s[i]) ? 1 : 3;
  return n;
}

char *cotel__pct_encode(const char *s, size_t len, char *out) {
  static const char hexu[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (keep_raw(c)) {
      *out++ = (char)c;
    } else {
      *out++ = '%';
      *out++ = hexu[c >> 4];
      *out++ = hexu[c & 15];
    }
  }
  return out;
}

size_t cotel__pct_decode_lenient(const char *s, size_t len, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < len && (hi = cotel__hex_val(s[i + 1])) >= 0 &&
        (lo = cotel__hex_val(s[i + 2])) >= 0) {
      out[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      out[o++] = s[i];
    }
  }
  return o;
}
