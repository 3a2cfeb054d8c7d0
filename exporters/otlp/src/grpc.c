/* gRPC over HTTP/2 for the OTLP exporter, without a gRPC library (grpc
 * "PROTOCOL-HTTP2.md"): a request is one length-prefixed message; the
 * outcome is grpc-status (+ grpc-message, grpc-status-details-bin) in the
 * trailers, or in the headers of a trailers-only response. The status
 * details are a google.rpc.Status decoded with the protobuf-c code of our
 * proto/cotel/grpc/status.proto. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cotel/common.h"
#include "cotel/internal/pct.h"
#include "cotel/internal/utf8.h"
#include "cotel/internal/base64.h"
#include "cotel/internal/http.h"
#include "cotel/internal/otlp_grpc.h"
#include "cotel/grpc/status.pb-c.h"

#define MAX_DELAY_MS (24ull * 3600 * 1000)

void cotel__grpc_result_reset(cotel__grpc_result *g) {
  g->status = -1;
  g->message[0] = 0;
  g->details[0] = 0;
  g->details_cut = false;
}

void cotel__grpc_header(cotel__grpc_result *g, const char *line, size_t n) {
  const char *v;
  size_t vn, o = 0;
  if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
    cotel__grpc_result_reset(g);
    return;
  }
  if ((v = cotel__http_header_value(line, n, "grpc-status", &vn))) {
    int code = 0;
    for (size_t i = 0; i < vn; i++) {
      if (v[i] < '0' || v[i] > '9' || code > 1000) {
        code = COTEL__GRPC_UNKNOWN; /* garbage is not "OK" */
        break;
      }
      code = code * 10 + (v[i] - '0');
    }
    g->status = vn ? code : COTEL__GRPC_UNKNOWN;
  } else if ((v = cotel__http_header_value(line, n, "grpc-message", &vn))) {
    /* Percent-encoded (gRPC spec "Responses": what does not decode is kept
     * as received rather than lose the message). */
    if (vn > sizeof g->message - 1) vn = sizeof g->message - 1;
    o = cotel__pct_decode_lenient(v, vn, g->message);
    cotel__utf8_printable(g->message, sizeof g->message, g->message, o);
  } else if ((v = cotel__http_header_value(line, n, "grpc-status-details-bin",
                                           &vn))) {
    g->details_cut = vn >= sizeof g->details;
    if (g->details_cut) vn = 0;
    memcpy(g->details, v, vn);
    g->details[vn] = 0;
  }
}

int cotel__grpc_frame(cotel__buf *body, bool compressed) {
  size_t n = body->len;
  if (n > UINT32_MAX) return COTEL_EINVAL;
  if (cotel__buf_reserve(body, 5) != 0) return COTEL_ENOMEM;
  memmove(body->data + 5, body->data, n);
  body->data[0] = compressed ? 1 : 0;
  body->data[1] = (uint8_t)(n >> 24);
  body->data[2] = (uint8_t)(n >> 16);
  body->data[3] = (uint8_t)(n >> 8);
  body->data[4] = (uint8_t)n;
  body->len = n + 5;
  return 0;
}

int cotel__grpc_unframe(const uint8_t *b, size_t n, const uint8_t **msg,
                        size_t *len) {
  size_t m;
  *msg = NULL;
  *len = 0;
  if (n < 5 || b[0] != 0) return COTEL_EINVAL;
  m = (size_t)b[1] << 24 | (size_t)b[2] << 16 | (size_t)b[3] << 8 | b[4];
  if (m > n - 5) return COTEL_EINVAL;
  *msg = b + 5;
  *len = m;
  return 0;
}

static const char retry_info_type[] = "google.rpc.RetryInfo";

bool cotel__grpc_retry_info(const char *b64, size_t n, uint64_t *delay_ms) {
  uint8_t raw[sizeof(((cotel__grpc_result *)0)->details)];
  long len = cotel__base64_decode(b64, n, raw, sizeof raw);
  bool found = false;
  Cotel__Grpc__Status *st;
  if (len <= 0) return false;
  st = cotel__grpc__status__unpack(NULL, (size_t)len, raw);
  if (!st) return false;
  for (size_t i = 0; i < st->n_details && !found; i++) {
    const Cotel__Grpc__Any *a = st->details[i];
    const char *t = a->type_url ? a->type_url : "";
    const char *slash = strrchr(t, '/');
    Cotel__Grpc__RetryInfo *ri;
    if (strcmp(slash ? slash + 1 : t, retry_info_type) != 0) continue;
    ri = cotel__grpc__retry_info__unpack(NULL, a->value.len, a->value.data);
    if (!ri) continue;
    found = true;
    *delay_ms = 0;
    if (ri->retry_delay) {
      int64_t s = ri->retry_delay->seconds;
      int32_t ns = ri->retry_delay->nanos;
      if (s < 0 || (s == 0 && ns < 0)) {
        *delay_ms = 0;
      } else if ((uint64_t)s >= MAX_DELAY_MS / 1000) {
        *delay_ms = MAX_DELAY_MS;
      } else {
        int64_t ms = s * 1000 + (ns > 0 ? (ns + 999999) / 1000000 : 0);
        *delay_ms = ms < 0 ? 0 : (uint64_t)ms;
      }
    }
    cotel__grpc__retry_info__free_unpacked(ri, NULL);
  }
  cotel__grpc__status__free_unpacked(st, NULL);
  return found;
}

bool cotel__grpc_retryable(int code, bool has_retry_info) {
  switch (code) {
  case COTEL__GRPC_CANCELLED:
  case COTEL__GRPC_DEADLINE_EXCEEDED:
  case COTEL__GRPC_ABORTED:
  case COTEL__GRPC_OUT_OF_RANGE:
  case COTEL__GRPC_UNAVAILABLE:
  case COTEL__GRPC_DATA_LOSS:
    return true;
  case COTEL__GRPC_RESOURCE_EXHAUSTED:
    return has_retry_info;
  default:
    return false;
  }
}

int cotel__grpc_status_from_http(long http_status) {
  switch (http_status) {
  case 400:
    return COTEL__GRPC_INTERNAL;
  case 401:
    return COTEL__GRPC_UNAUTHENTICATED;
  case 403:
    return COTEL__GRPC_PERMISSION_DENIED;
  case 404:
    return COTEL__GRPC_UNIMPLEMENTED;
  case 429:
  case 502:
  case 503:
  case 504:
    return COTEL__GRPC_UNAVAILABLE;
  default:
    return COTEL__GRPC_UNKNOWN;
  }
}

const char *cotel__grpc_code_name(int code, char buf[16]) {
  static const char *const names[] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  if (code >= 0 && code < (int)(sizeof names / sizeof names[0]))
    return names[code];
  snprintf(buf, 16, "code %d", code);
  return buf;
}

void cotel__grpc_timeout_header(uint64_t ms, char out[40]) {
  /* "TimeoutValue → {positive integer as ASCII string of at most 8
   * digits}": switch to seconds when ms would not fit. */
  if (ms <= 99999999u)
    snprintf(out, 40, "grpc-timeout: %llum", (unsigned long long)ms);
  else
    snprintf(
        out, 40, "grpc-timeout: %lluS",
        (unsigned long long)(ms / 1000 > 99999999u ? 99999999u : ms / 1000));
}
