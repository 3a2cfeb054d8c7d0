/* Private to the OTLP exporter: protobuf wire-format primitives (encoding
 * spec: https://protobuf.dev/programming-guides/encoding/). The caller has
 * reserved room: none of these check bounds. */
#ifndef COTEL_OTLP_PB_WIRE_H
#define COTEL_OTLP_PB_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };
#define PB_TAG(field, wt) ((uint32_t)(((field) << 3) | (wt)))

/* Bytes of the minimal varint for v (1..10): ceil(bits / 7), computed as
 * (bits * 9 + 64) / 64 to avoid a division on the hot path. */
static inline size_t pb_vlen(uint64_t v) {
  unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1);
  return (bits * 9u + 64u) / 64u;
}

static inline uint8_t *pb_varint(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

/* Fixed-width fields are little-endian on the wire. */
static inline uint8_t *pb_fixed64(uint8_t *p, uint64_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(p, &v, 8);
#else
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
#endif
  return p + 8;
}

static inline uint8_t *pb_fixed32(uint8_t *p, uint32_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(p, &v, 4);
#else
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
#endif
  return p + 4;
}

/* Size of a length-delimited field whose tag is one byte (field < 16). */
static inline size_t pb_len_field(size_t body) {
  return 1 + pb_vlen(body) + body;
}

#endif
