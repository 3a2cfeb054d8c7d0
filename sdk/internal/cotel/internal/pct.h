/* Internal to libcotel (one copy for every component): percent-encoding
 * (RFC 3986 §2.1) as W3C Baggage, Jaeger and OTEL_RESOURCE_ATTRIBUTES use
 * it. */
#ifndef COTEL_INTERNAL_PCT_H
#define COTEL_INTERNAL_PCT_H

#include <stdbool.h>
#include <stddef.h>

/* Decode %XX (either case) to a byte, anything else literal; false on a
 * malformed escape. out needs len bytes; it is not NUL-terminated. */
bool cotel__pct_decode(const char *s, size_t len, char *out, size_t *out_len);
/* Lenient decoding: each valid %XX becomes its byte, anything else (a
 * malformed escape included) is kept as it is. out needs len bytes; the
 * decoded length is returned. */
size_t cotel__pct_decode_lenient(const char *s, size_t len, char *out);
/* Length once encoded / write it (out needs that many bytes). Bytes that
 * are not W3C baggage-octets, and '%', become %XX. */
size_t cotel__pct_encoded_len(const char *s, size_t len);
char *cotel__pct_encode(const char *s, size_t len, char *out);

#endif
