/* Internal to libcotel (one copy for every component): base64 decoding,
 * for gRPC's -bin metadata and the protobuf JSON mapping's bytes fields. */
#ifndef COTEL_INTERNAL_BASE64_H
#define COTEL_INTERNAL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Base64 (RFC 4648 §4, and the URL-safe alphabet of §5), padding optional,
 * into out (cap bytes). The decoded length, or -1 for a bad character or
 * when out is too small. */
long cotel__base64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

#endif
