/* Internal to libcotel: the pieces of gRPC over HTTP/2 the OTLP exporter
 * needs (gRPC "PROTOCOL-HTTP2.md"): message framing, grpc-status /
 * grpc-message / grpc-status-details-bin read from headers or trailers, the
 * retry classification of the OTLP spec ("OTLP/gRPC Response", "Failures"),
 * and RetryInfo. Pure functions, no I/O; visible to tests and fuzzers. */
#ifndef COTEL_INTERNAL_OTLP_GRPC_H
#define COTEL_INTERNAL_OTLP_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cotel/internal/buf.h"

/* The gRPC method of the OTLP trace service. */
#define COTEL__GRPC_TRACE_PATH                                                 \
  "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

/* gRPC status codes (grpc "doc/statuscodes.md"). */
enum {
  COTEL__GRPC_OK = 0,
  COTEL__GRPC_CANCELLED = 1,
  COTEL__GRPC_UNKNOWN = 2,
  COTEL__GRPC_INVALID_ARGUMENT = 3,
  COTEL__GRPC_DEADLINE_EXCEEDED = 4,
  COTEL__GRPC_NOT_FOUND = 5,
  COTEL__GRPC_ALREADY_EXISTS = 6,
  COTEL__GRPC_PERMISSION_DENIED = 7,
  COTEL__GRPC_RESOURCE_EXHAUSTED = 8,
  COTEL__GRPC_FAILED_PRECONDITION = 9,
  COTEL__GRPC_ABORTED = 10,
  COTEL__GRPC_OUT_OF_RANGE = 11,
  COTEL__GRPC_UNIMPLEMENTED = 12,
  COTEL__GRPC_INTERNAL = 13,
  COTEL__GRPC_UNAVAILABLE = 14,
  COTEL__GRPC_DATA_LOSS = 15,
  COTEL__GRPC_UNAUTHENTICATED = 16,
};

/* What a response said about its call, collected from header lines. */
typedef struct cotel__grpc_result {
  int status;         /* grpc-status, or -1 when none was seen */
  char message[256];  /* grpc-message, percent-decoded, cut to fit */
  char details[2048]; /* grpc-status-details-bin as received (base64) */
  bool details_cut;   /* it did not fit: not decoded */
} cotel__grpc_result;

void cotel__grpc_result_reset(cotel__grpc_result *g);

/* Feed one header or trailer line ("name: value\r\n", as libcurl's header
 * callback gives both); a status line ("HTTP/2 200") starts over. */
void cotel__grpc_header(cotel__grpc_result *g, const char *line, size_t n);

/* Put the 5-byte gRPC message prefix (compressed flag, big-endian length)
 * in front of body's contents. 0, COTEL_EINVAL (over 4 GiB) or
 * COTEL_ENOMEM. */
int cotel__grpc_frame(cotel__buf *body, bool compressed);

/* The first message of a response body: 0 with *msg and *len set (len may be
 * 0), COTEL_EINVAL when the body is cut or the message compressed. */
int cotel__grpc_unframe(const uint8_t *b, size_t n, const uint8_t **msg,
                        size_t *len);

/* RetryInfo.retry_delay in ms from a base64 grpc-status-details-bin
 * (google.rpc.Status). True when the status carries a RetryInfo. */
bool cotel__grpc_retry_info(const char *b64, size_t n, uint64_t *delay_ms);

/* OTLP spec "Failures" for gRPC: CANCELLED, DEADLINE_EXCEEDED, ABORTED,
 * OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retryable; RESOURCE_EXHAUSTED
 * only when the server sent RetryInfo ("OTLP/gRPC Throttling"). */
bool cotel__grpc_retryable(int code, bool has_retry_info);

/* The gRPC status of a response without grpc-status, from its HTTP status
 * (grpc "doc/http-grpc-status-mapping.md"). */
int cotel__grpc_status_from_http(long http_status);

/* "UNAVAILABLE" etc., or "code N" for an unknown code (static or in buf). */
const char *cotel__grpc_code_name(int code, char buf[16]);

/* The grpc-timeout header line for `ms` (at most 8 digits, gRPC spec):
 * "grpc-timeout: 1500m". */
void cotel__grpc_timeout_header(uint64_t ms, char out[40]);

#endif
