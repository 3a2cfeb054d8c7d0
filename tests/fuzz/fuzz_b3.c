/* libFuzzer: B3 single and multi header parsers and the B3 propagators.
 * The first byte picks the mode; a successful parse must survive
 * format -> parse with the same ids, sampled flag and debug flag. */
#include <stdlib.h>
#include <string.h>

#include "cotel/propagation.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) abort();                                                         \
  } while (0)

static void check_round_trip(const cotel_span_context *a, bool debug) {
  CHECK(cotel_span_context_is_valid(a));
  if (debug) CHECK(a->flags & COTEL_TRACE_FLAG_SAMPLED);
  char buf[COTEL_B3_SINGLE_BUF];
  int n = cotel_b3_format_single(a, debug, buf);
  CHECK(n == 51 && strlen(buf) == 51);
  cotel_span_context b;
  bool dbg2;
  CHECK(cotel_b3_parse_single(buf, (size_t)n, &b, &dbg2) == 0);
  CHECK(!memcmp(&a->trace_id, &b.trace_id, 16));
  CHECK(!memcmp(&a->span_id, &b.span_id, 8));
  CHECK(a->flags == b.flags && debug == dbg2);
}

/* Split the input at '\n' into up to 5 multi-header values. */
static void multi(const char *s, size_t len, cotel_b3_headers *h) {
  cotel_str *f[5] = {&h->trace_id, &h->span_id, &h->sampled, &h->flags,
                     &h->parent_span_id};
  memset(h, 0, sizeof *h);
  size_t start = 0, k = 0;
  for (size_t i = 0; i <= len && k < 5; i++)
    if (i == len || s[i] == '\n') {
      /* An empty field means "absent", a lone '-' means "present, empty". */
      if (i > start && !(i - start == 1 && s[start] == '-'))
        *f[k] = (cotel_str){s + start, i - start};
      else if (i > start)
        *f[k] = (cotel_str){s + start, 0};
      k++;
      start = i + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const char *s = (const char *)data + 1;
  size_t len = size - 1;
  cotel_span_context sc;
  bool debug;
  cotel_b3_headers h;
  multi(s, len, &h);
  if (data[0] & 1) {
    int rc = cotel_b3_parse_single(s, len, &sc, &debug);
    if (rc == 0)
      check_round_trip(&sc, debug);
    else
      CHECK(!cotel_span_context_is_valid(&sc));
  } else {
    int rc = cotel_b3_parse_multi(&h, &sc, &debug);
    if (rc == 0)
      check_round_trip(&sc, debug);
    else
      CHECK(!cotel_span_context_is_valid(&sc));
  }
  /* Through the propagators: single header plus the multi headers. */
  cotel_header hs[6] = {
      {cotel_str_c("b3"), {s, len}},
      {cotel_str_c("X-B3-TraceId"), h.trace_id},
      {cotel_str_c("X-B3-SpanId"), h.span_id},
      {cotel_str_c("X-B3-Sampled"), h.sampled},
      {cotel_str_c("X-B3-Flags"), h.flags},
      {cotel_str_c("X-B3-ParentSpanId"), h.parent_span_id},
  };
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, hs, (data[0] & 2) ? 6 : 1, 6, NULL, 0);
  cotel_carrier c = cotel_header_carrier_as_carrier(&hc);
  const cotel_propagator *p =
      (data[0] & 4) ? cotel_propagator_b3() : cotel_propagator_b3multi();
  cotel_context *ctx = NULL;
  CHECK(p->extract(p, cotel_context_root(), &c, &ctx) == 0 && ctx);
  cotel_span_context got;
  if (cotel_context_span_context(ctx, &got) == 0) {
    cotel_header out[6];
    char store[512];
    cotel_header_carrier oc;
    cotel_header_carrier_init(&oc, out, 0, 6, store, sizeof store);
    cotel_carrier occ = cotel_header_carrier_as_carrier(&oc);
    CHECK(p->inject(p, ctx, &occ) == 0);
    cotel_context *again = NULL;
    CHECK(p->extract(p, cotel_context_root(), &occ, &again) == 0);
    cotel_span_context sc2;
    CHECK(cotel_context_span_context(again, &sc2) == 0);
    CHECK(!memcmp(&got.trace_id, &sc2.trace_id, 16));
    CHECK(!memcmp(&got.span_id, &sc2.span_id, 8));
    CHECK(got.flags == sc2.flags);
    CHECK(cotel_propagation_debug(ctx) == cotel_propagation_debug(again));
    cotel_context_release(again);
  }
  cotel_context_release(ctx);
  return 0;
}
