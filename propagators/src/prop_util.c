/* Helpers shared by the propagators: hex tables, carrier access,
 * percent-encoding and UTF-8 repair, the debug flag and the extract
 * epilogue. */
#include <stdlib.h>

#include "prop_internal.h"

#define ROW_NONE -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1

const int8_t cotel__hex_lc[256] = {ROW_NONE,
                                   ROW_NONE,
                                   ROW_NONE,
                                   /* 0x30 */ 0,
                                   1,
                                   2,
                                   3,
                                   4,
                                   5,
                                   6,
                                   7,
                                   8,
                                   9,
                                   -1,
                                   -1,
                                   -1,
                                   -1,
                                   -1,
                                   -1,
                                   /* 0x40 */ ROW_NONE,
                                   ROW_NONE,
                                   /* 0x60 */ -1,
                                   10,
                                   11,
                                   12,
                                   13,
                                   14,
                                   15,
                                   -1,
                                   -1,
                                   -1,
                                   -1,
                                   -1,
                                   -1,
                                   -1,
                                   -1,
                                   -1,
                                   /* 0x70-0xff */ ROW_NONE,
                                   ROW_NONE,
                                   ROW_NONE,
                                   ROW_NONE,
                                   ROW_NONE,
                                   ROW_NONE,
                                   ROW_NONE,
                                   ROW_NONE,
                                   ROW_NONE};

const int8_t cotel__hex_any[256] = {ROW_NONE,
                                    ROW_NONE,
                                    ROW_NONE,
                                    /* 0x30 */ 0,
                                    1,
                                    2,
                                    3,
                                    4,
                                    5,
                                    6,
                                    7,
                                    8,
                                    9,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    /* 0x40 */ -1,
                                    10,
                                    11,
                                    12,
                                    13,
                                    14,
                                    15,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    ROW_NONE,
                                    /* 0x60 */ -1,
                                    10,
                                    11,
                                    12,
                                    13,
                                    14,
                                    15,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    /* 0x70-0xff */ ROW_NONE,
                                    ROW_NONE,
                                    ROW_NONE,
                                    ROW_NONE,
                                    ROW_NONE,
                                    ROW_NONE,
                                    ROW_NONE,
                                    ROW_NONE,
                                    ROW_NONE};

#define P(h)                                                                   \
  {h, '0'}, {h, '1'}, {h, '2'}, {h, '3'}, {h, '4'}, {h, '5'}, {h, '6'},        \
      {h, '7'}, {h, '8'}, {h, '9'}, {h, 'a'}, {h, 'b'}, {h, 'c'}, {h, 'd'},    \
      {h, 'e'}, {                                                              \
    h, 'f'                                                                     \
  }
const char cotel__hex_pairs[256][2] = {
    P('0'), P('1'), P('2'), P('3'), P('4'), P('5'), P('6'), P('7'),
    P('8'), P('9'), P('a'), P('b'), P('c'), P('d'), P('e'), P('f')};

bool cotel__hex_decode_padded(const char *s, size_t len, uint8_t *out, size_t n,
                              const int8_t *tbl) {
  if (len == 0 || len > 2 * n) return false;
  memset(out, 0, n);
  /* Walk from the right: digit i (from the end) is nibble i. */
  for (size_t i = 0; i < len; i++) {
    int v = tbl[(unsigned char)s[len - 1 - i]];
    if (v < 0) return false;
    out[n - 1 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
  }
  return true;
}

size_t cotel__get_one(const cotel_carrier *c, const char *key, cotel_str *v) {
  cotel_str vals[2];
  if (!c || !c->get) return 0;
  size_t n = c->get(c->c, key, vals, 2);
  if (n == 1) *v = vals[0];
  return n > 2 ? 2 : n;
}

int cotel__get_joined(const cotel_carrier *c, const char *key, cotel_str *out,
                      char **heap) {
  cotel_str stackv[8], *v = stackv;
  *heap = NULL;
  *out = (cotel_str){NULL, 0};
  if (!c || !c->get) return 0;
  size_t n = c->get(c->c, key, v, 8);
  if (n == 0) return 0;
  if (n == 1) {
    *out = v[0];
    return 1;
  }
  if (n > 8) {
    v = malloc(n * sizeof *v);
    if (!v) return COTEL_ENOMEM;
    size_t again = c->get(c->c, key, v, n);
    if (again < n) n = again; /* the carrier changed under us */
    if (n == 0) {
      free(v);
      return 0;
    }
  }
  size_t total = n - 1;
  for (size_t i = 0; i < n; i++)
    total += v[i].len;
  char *buf = malloc(total + 1);
  if (!buf) {
    if (v != stackv) free(v);
    return COTEL_ENOMEM;
  }
  char *p = buf;
  for (size_t i = 0; i < n; i++) {
    if (i) *p++ = ',';
    if (v[i].len) memcpy(p, v[i].ptr, v[i].len);
    p += v[i].len;
  }
  *p = '\0';
  if (v != stackv) free(v);
  *heap = buf;
  *out = (cotel_str){buf, total};
  return (int)n;
}

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

/* Length of the valid UTF-8 sequence at s (RFC 3629 §4 table), 0 if
 * invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len) {
  unsigned char c = s[0];
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else
    return 0;
  if (len < n) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf) return 0;
  return n;
}

size_t cotel__utf8_sanitize(const char *s, size_t len, char *out) {
  const unsigned char *u = (const unsigned char *)s;
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    size_t n = utf8_seq(u + i, len - i);
    if (n) {
      memcpy(out + o, s + i, n);
      o += n;
      i += n;
    } else { /* W3C Baggage §3.3.1.3: replace with U+FFFD */
      memcpy(out + o, "\xef\xbf\xbd", 3);
      o += 3;
      i++;
    }
  }
  return o;
}

/* baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E; '%' is one
 * too but must be escaped so that decoding gives the value back. */
static inline bool keep_raw(unsigned char c) {
  return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' &&
         c != '\\' && c != '%';
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

/* The debug flag's context key: its address is the key. */
static const char debug_key;

bool cotel_propagation_debug(const cotel_context *ctx) {
  return cotel_context_value(ctx, &debug_key) != NULL;
}

int cotel_context_with_debug(cotel_context *parent, bool debug,
                             cotel_context **out) {
  return cotel_context_with_value(parent, &debug_key,
                                  debug ? (void *)&debug_key : NULL, NULL, out);
}

int cotel__extract_remote(cotel_context *parent, const cotel_span_context *sc,
                          int debug, cotel_context **out) {
  cotel_context *ctx = NULL;
  if (!parent) parent = cotel_context_current();
  int rc = cotel_context_with_remote(parent, sc, &ctx);
  if (rc == 0 && debug >= 0 &&
      (debug != 0) != cotel_propagation_debug(parent)) {
    cotel_context *d = NULL;
    rc = cotel_context_with_debug(ctx, debug != 0, &d);
    cotel_context_release(ctx);
    ctx = d;
  }
  if (rc) {
    *out = cotel_context_retain(parent);
    return rc;
  }
  *out = ctx;
  return 0;
}

void cotel__static_destroy(cotel_propagator *self) {
  (void)self;
}
