/* libFuzzer: traceparent parser and the tracecontext propagator.
 * A successful parse must survive format -> parse unchanged (no half-parsed
 * context); the propagator must inject exactly what it extracted. */
#include <stdlib.h>
#include <string.h>

#include "cotel/propagation.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) abort();                                                         \
  } while (0)

static void check_parser(const char *s, size_t len) {
  cotel_span_context a, b;
  if (cotel_traceparent_parse(s, len, &a) != 0) {
    CHECK(!cotel_span_context_is_valid(&a) && a.flags == 0);
    return;
  }
  CHECK(cotel_span_context_is_valid(&a));
  char buf[56];
  CHECK(cotel_traceparent_format(&a, buf) == 55);
  CHECK(cotel_traceparent_parse(buf, 55, &b) == 0);
  CHECK(!memcmp(&a.trace_id, &b.trace_id, sizeof a.trace_id));
  CHECK(!memcmp(&a.span_id, &b.span_id, sizeof a.span_id));
  CHECK(b.flags == (a.flags & COTEL_TRACE_FLAGS_KNOWN));
}

static void check_propagator(const char *s, size_t len) {
  /* The input as traceparent, and again as tracestate next to a valid one. */
  cotel_header h[3] = {
      {{s, len}, {s, len}},
      {cotel_str_c("traceparent"), {s, len}},
      {cotel_str_c("tracestate"), {s, len}},
  };
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, h, 3, 3, NULL, 0);
  cotel_carrier c = cotel_header_carrier_as_carrier(&hc);
  const cotel_propagator *p = cotel_propagator_tracecontext();
  cotel_context *ctx = NULL;
  CHECK(p->extract(p, cotel_context_root(), &c, &ctx) == 0 && ctx);
  cotel_span_context sc;
  if (cotel_context_span_context(ctx, &sc) == 0) {
    CHECK(sc.is_remote && cotel_span_context_is_valid(&sc));
    cotel_header out[4];
    char store[4096];
    cotel_header_carrier oc;
    cotel_header_carrier_init(&oc, out, 0, 4, store, sizeof store);
    cotel_carrier occ = cotel_header_carrier_as_carrier(&oc);
    CHECK(p->inject(p, ctx, &occ) == 0);
    cotel_context *again = NULL;
    CHECK(p->extract(p, cotel_context_root(), &occ, &again) == 0);
    cotel_span_context sc2;
    CHECK(cotel_context_span_context(again, &sc2) == 0);
    CHECK(!memcmp(&sc.trace_id, &sc2.trace_id, 16));
    CHECK(!memcmp(&sc.span_id, &sc2.span_id, 8));
    CHECK(sc.flags == sc2.flags);
    CHECK(cotel_tracestate_count(sc.tracestate) ==
          cotel_tracestate_count(sc2.tracestate));
    cotel_context_release(again);
  }
  cotel_context_release(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  check_parser(s, size);
  check_propagator(s, size);
  return 0;
}
