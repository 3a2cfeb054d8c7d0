/* The collector's answer to a successful export (OTLP spec "Partial
 * Success"): the response MAY hold a partial_success with the number of
 * rejected spans and a message; the client MUST NOT retry it. Protobuf
 * bodies are decoded with the protobuf-c code generated from our .proto
 * files; JSON bodies are scanned for the two fields only. */
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/otlp_response.h"
#include "cotel/internal/utf8.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

/* The message goes to a log line: no control characters from the peer. */
static void copy_msg(const char *s, size_t n, char *msg, size_t cap) {
  cotel__utf8_printable(msg, cap, s, n);
}

static bool partial_pb(const uint8_t *body, size_t n, int64_t *rejected,
                       char *msg, size_t cap) {
  Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse *r =
      opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
          NULL, n, body);
  bool found = false;
  if (!r) return false;
  if (r->partial_success) {
    const char *m = r->partial_success->error_message;
    *rejected = r->partial_success->rejected_spans;
    copy_msg(m ? m : "", m ? strlen(m) : 0, msg, cap);
    found = *rejected != 0 || (m && *m);
  }
  opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(
      r, NULL);
  return found;
}

/* Position just after `"key"` and the following ':' in [p, end), or NULL. */
static const char *json_key(const char *p, const char *end, const char *key) {
  size_t k = strlen(key);
  for (; p + k + 2 <= end; p++) {
    if (*p != '"' || memcmp(p + 1, key, k) != 0 || p[k + 1] != '"') continue;
    p += k + 2;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
      p++;
    if (p < end && *p == ':') {
      p++;
      while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
      return p;
    }
  }
  return NULL;
}

static bool partial_json(const char *b, size_t n, int64_t *rejected, char *msg,
                         size_t cap) {
  const char *end = b + n, *ps = json_key(b, end, "partialSuccess"), *v;
  bool found = false;
  if (!ps) return false;
  /* rejectedSpans is an int64: ProtoJSON writes it as a string, but
   * accept a bare number too. */
  if ((v = json_key(ps, end, "rejectedSpans"))) {
    int64_t x = 0;
    if (v < end && *v == '"') v++;
    while (v < end && *v >= '0' && *v <= '9' && x < INT64_MAX / 10)
      x = x * 10 + (*v++ - '0');
    *rejected = x;
    found = x != 0;
  }
  if ((v = json_key(ps, end, "errorMessage")) && v < end && *v == '"') {
    size_t o = 0;
    for (v++; v < end && *v != '"' && o + 1 < cap; v++) {
      if (*v == '\\' && v + 1 < end) v++; /* keep the escaped char as is */
      msg[o++] = *v;
    }
    msg[o] = 0;
    cotel__utf8_printable(msg, cap, msg, o);
    found = found || o > 0;
  }
  return found;
}

bool cotel__otlp_partial_success(const uint8_t *body, size_t n, bool json,
                                 int64_t *rejected, char *msg, size_t cap) {
  *rejected = 0;
  if (cap) msg[0] = 0;
  if (!body || n == 0 || cap == 0) return false;
  /* The server answers in the request's format (OTLP spec "OTLP/HTTP
   * Response"); a JSON body starts with '{'. */
  if (json || body[0] == '{')
    return partial_json((const char *)body, n, rejected, msg, cap);
  return partial_pb(body, n, rejected, msg, cap);
}
