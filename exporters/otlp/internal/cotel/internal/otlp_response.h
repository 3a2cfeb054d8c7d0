/* Private to the OTLP exporter: reading an ExportTraceServiceResponse. */
#ifndef COTEL_OTLP_EXPORTER_RESPONSE_H
#define COTEL_OTLP_EXPORTER_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Look for a partial_success in a 2xx response body (protobuf, or OTLP/JSON
 * when `json`). Returns true when the body carries one with rejected spans
 * or an error message; *rejected and msg (NUL-terminated, cut to `cap`) are
 * then set. An empty or undecodable body means full success (OTLP spec
 * "Full Success"). */
bool cotel__otlp_partial_success(const uint8_t *body, size_t n, bool json,
                                 int64_t *rejected, char *msg, size_t cap);

#endif
