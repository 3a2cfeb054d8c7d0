/* libFuzzer: Jaeger uber-trace-id parser and the Jaeger propagator
 * (uber-trace-id and uberctx-* baggage). */
#include <stdlib.h>
#include <string.h>

#include "cotel/propagation.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) abort();                                                         \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  cotel_span_context a, b;
  bool dbg, dbg2;
  if (cotel_jaeger_parse(s, size, &a, &dbg) == 0) {
    CHECK(cotel_span_context_is_valid(&a));
    char buf[COTEL_JAEGER_BUF];
    int n = cotel_jaeger_format(&a, dbg, buf);
    CHECK(n == 53 && strlen(buf) == 53);
    CHECK(cotel_jaeger_parse(buf, (size_t)n, &b, &dbg2) == 0);
    CHECK(!memcmp(&a.trace_id, &b.trace_id, 16));
    CHECK(!memcmp(&a.span_id, &b.span_id, 8));
    CHECK(a.flags == b.flags && dbg == dbg2);
  } else {
    CHECK(!cotel_span_context_is_valid(&a));
  }
  /* Propagator: the input as uber-trace-id, and split at the first '='
   * into an uberctx-<key> header name and its value. */
  const char *eq = memchr(s, '=', size);
  size_t kl = eq ? (size_t)(eq - s) : size;
  char name[300];
  size_t nl = kl < 200 ? kl : 200;
  memcpy(name, "uberctx-", 8);
  memcpy(name + 8, s, nl);
  cotel_header h[2] = {
      {cotel_str_c("uber-trace-id"), {s, size}},
      {{name, 8 + nl},
       eq ? (cotel_str){eq + 1, size - kl - 1} : (cotel_str){"", 0}},
  };
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, h, 2, 2, NULL, 0);
  cotel_carrier c = cotel_header_carrier_as_carrier(&hc);
  const cotel_propagator *p = cotel_propagator_jaeger();
  cotel_context *ctx = NULL;
  CHECK(p->extract(p, cotel_context_root(), &c, &ctx) == 0 && ctx);
  cotel_header out[4];
  char store[4096];
  cotel_header_carrier oc;
  cotel_header_carrier_init(&oc, out, 0, 4, store, sizeof store);
  cotel_carrier occ = cotel_header_carrier_as_carrier(&oc);
  int rc = p->inject(p, ctx, &occ);
  CHECK(rc == 0 || rc == COTEL_EFULL);
  if (rc == 0) {
    cotel_context *again = NULL;
    CHECK(p->extract(p, cotel_context_root(), &occ, &again) == 0);
    CHECK(cotel_baggage_count(cotel_context_baggage(ctx)) ==
          cotel_baggage_count(cotel_context_baggage(again)));
    cotel_span_context x, y;
    CHECK(cotel_context_span_context(ctx, &x) ==
          cotel_context_span_context(again, &y));
    cotel_context_release(again);
  }
  cotel_context_release(ctx);
  return 0;
}
