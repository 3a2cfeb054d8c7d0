/* Hex tables shared by every component (cotel/internal/hex.h). */
#include "cotel/internal/hex.h"

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
