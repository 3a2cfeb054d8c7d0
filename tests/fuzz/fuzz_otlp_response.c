/* libFuzzer: the OTLP exporter's reading of a collector's 2xx answer
 * (cotel__otlp_partial_success, exporter_response.c), the bytes an
 * untrusted server controls (OTLP spec "Partial Success").
 *
 * Input: byte 0 picks the mode, byte 1 the message capacity, the rest is
 * the body.
 *   mode % 4 == 0, 1: the raw body, as protobuf (0) or JSON (1); the result
 *     must be self-consistent (message NUL-terminated within the capacity,
 *     a "not found" result leaves rejected at 0).
 *   mode % 4 == 2: a valid ExportTraceServiceResponse built from the input
 *     with the protobuf-c oracle; the decoder must read back exactly the
 *     rejected count and the (truncated) message.
 *   mode % 4 == 3: the same as OTLP/JSON (rejectedSpans as a string, the
 *     message without escapes); rejected count and message must round-trip.
 * The message is for a log line: every mode checks it holds no control
 * character, and the round trips expect the sent text made printable
 * (cotel__utf8_printable: controls and ill-formed bytes become '?'). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/otlp_response.h"
#include "cotel/internal/utf8.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) abort();                                                         \
  } while (0)

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
    response;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess
    partial;

/* The message the oracle puts on the wire: the input without NUL bytes
 * (protobuf strings may hold them; the decoder's C string stops there, so
 * keep the comparison meaningful), JSON-safe when `json`. */
static char *clean_msg(const uint8_t *d, size_t n, int json) {
  char *m = malloc(n + 1);
  size_t o = 0;
  if (!m) return NULL;
  for (size_t i = 0; i < n; i++) {
    char c = (char)d[i];
    if (c == 0) continue;
    if (json && (c == '"' || c == '\\' || (unsigned char)c < 0x20)) continue;
    m[o++] = c;
  }
  m[o] = 0;
  return m;
}

/* No C0 control or DEL reaches a log line (C1 controls are two-byte
 * sequences, checked by the round trips through cotel__utf8_printable). */
static void check_printable(const char *msg) {
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
    CHECK(*p >= 0x20 && *p != 0x7f);
}

/* What the decoder should hand back for `text` with capacity `cap`. */
static char *expected_msg(const char *text, size_t raw, size_t cap) {
  char *want = malloc(cap);
  if (want) cotel__utf8_printable(want, cap, text, raw);
  return want;
}

static void check_consistent(bool found, int64_t rejected, const char *msg,
                             size_t cap, bool json) {
  CHECK(memchr(msg, 0, cap) != NULL);
  check_printable(msg);
  if (!found) {
    CHECK(rejected == 0);
    /* Protobuf: a message alone counts as found; JSON: likewise. */
    CHECK(msg[0] == 0);
  }
  if (json) CHECK(rejected >= 0);
}

static void oracle_pb(const uint8_t *d, size_t n, size_t cap, char *msg) {
  int64_t want = 0;
  size_t k = n < 8 ? n : 8;
  for (size_t i = 0; i < k; i++)
    want = (int64_t)((uint64_t)want << 8 | d[i]);
  char *text = clean_msg(d + k, n - k, 0);
  if (!text) return;
  partial ps =
      OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_PARTIAL_SUCCESS__INIT;
  response r =
      OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_RESPONSE__INIT;
  ps.rejected_spans = want;
  ps.error_message = text;
  r.partial_success = &ps;
  size_t len =
      opentelemetry__proto__collector__trace__v1__export_trace_service_response__get_packed_size(
          &r);
  uint8_t *wire = malloc(len ? len : 1);
  if (wire) {
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__pack(
        &r, wire);
    int64_t got = 0;
    bool found = cotel__otlp_partial_success(wire, len, false, &got, msg, cap);
    /* An empty message with 0 rejected is "full success"; a body that
     * begins with '{' (0x7b) is taken for JSON, which a response whose first
     * field tag is 1 (0x0a) never is. */
    CHECK(found == (want != 0 || text[0] != 0));
    if (len > 0) {
      char *exp = expected_msg(text, strlen(text), cap);
      CHECK(got == want);
      check_printable(msg);
      if (exp) CHECK(strcmp(msg, exp) == 0);
      free(exp);
    }
  }
  free(wire);
  free(text);
}

static void oracle_json(const uint8_t *d, size_t n, size_t cap, char *msg) {
  uint64_t want = 0;
  size_t k = n < 4 ? n : 4;
  for (size_t i = 0; i < k; i++)
    want = want << 8 | d[i];
  char *text = clean_msg(d + k, n - k, 1);
  if (!text) return;
  size_t blen = strlen(text) + 128;
  char *body = malloc(blen);
  if (body) {
    int bn = snprintf(body, blen,
                      "{ \"partialSuccess\" : {\"rejectedSpans\": \"%llu\", "
                      "\"errorMessage\":\"%s\"}}",
                      (unsigned long long)want, text);
    int64_t got = -1;
    bool found = cotel__otlp_partial_success((const uint8_t *)body, (size_t)bn,
                                             true, &got, msg, cap);
    CHECK(got == (int64_t)want);
    /* Collected byte-wise up to cap-1 bytes, then made printable. */
    size_t raw = strlen(text) < cap - 1 ? strlen(text) : cap - 1;
    char *exp = expected_msg(text, raw, cap);
    check_printable(msg);
    if (exp) CHECK(strcmp(msg, exp) == 0);
    free(exp);
    CHECK(found == (want != 0 || (text[0] != 0 && cap > 1)));
  }
  free(body);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  unsigned mode = data[0] % 4;
  /* Capacities 1..256: the small ones exercise truncation. */
  size_t cap = (size_t)data[1] + 1;
  const uint8_t *body = data + 2;
  size_t n = size - 2;
  char *msg = malloc(cap);
  if (!msg) return 0;
  int64_t rejected = -1;
  bool found;
  switch (mode) {
  case 0:
  case 1: {
    /* A copy of exactly n bytes, so ASan sees any read past the body. */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) break;
    memcpy(copy, body, n);
    found =
        cotel__otlp_partial_success(copy, n, mode == 1, &rejected, msg, cap);
    check_consistent(found, rejected, msg, cap,
                     mode == 1 || (n > 0 && copy[0] == '{'));
    free(copy);
    break;
  }
  case 2:
    oracle_pb(body, n, cap, msg);
    break;
  case 3:
    oracle_json(body, n, cap, msg);
    break;
  }
  free(msg);
  return 0;
}
