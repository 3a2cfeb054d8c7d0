/* libFuzzer: baggage header parser/serializer and the baggage propagator.
 * format(parse(x)) is a fixed point: parsing it back gives the same
 * members and formatting that gives the same string. */
#include <stdlib.h>
#include <string.h>

#include "cotel/propagation.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) abort();                                                         \
  } while (0)

static char *format(const cotel_baggage *b, size_t *len) {
  size_t n = cotel_baggage_format(b, NULL, 0);
  CHECK(n <= COTEL_BAGGAGE_MAX_BYTES);
  char *s = malloc(n + 1);
  CHECK(s && cotel_baggage_format(b, s, n + 1) == n && strlen(s) == n);
  *len = n;
  return s;
}

static bool str_eq(cotel_str a, cotel_str b) {
  return a.len == b.len && (!a.len || !memcmp(a.ptr, b.ptr, a.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  cotel_baggage *b = NULL, *b2 = NULL, *b3 = NULL;
  int rc = cotel_baggage_parse(in, size, &b);
  if (rc != 0) {
    CHECK(b == NULL);
  } else if (b) {
    CHECK(cotel_baggage_count(b) <= COTEL_BAGGAGE_MAX_MEMBERS);
    size_t l1, l2;
    char *s1 = format(b, &l1);
    CHECK(cotel_baggage_parse(s1, l1, &b2) == 0);
    char *s2 = format(b2, &l2);
    CHECK(l1 == l2 && !memcmp(s1, s2, l1));
    CHECK(cotel_baggage_parse(s2, l2, &b3) == 0);
    CHECK(cotel_baggage_count(b2) == cotel_baggage_count(b3));
    for (size_t i = 0; i < cotel_baggage_count(b2); i++) {
      cotel_str k2, v2, m2, k3, v3, m3;
      cotel_baggage_entry(b2, i, &k2, &v2, &m2);
      cotel_baggage_entry(b3, i, &k3, &v3, &m3);
      CHECK(str_eq(k2, k3) && str_eq(v2, v3) && str_eq(m2, m3));
    }
    /* When nothing was dropped, the members themselves survived. */
    if (cotel_baggage_count(b2) == cotel_baggage_count(b))
      for (size_t i = 0; i < cotel_baggage_count(b); i++) {
        cotel_str k1, v1, m1, k2, v2, m2;
        cotel_baggage_entry(b, i, &k1, &v1, &m1);
        cotel_baggage_entry(b2, i, &k2, &v2, &m2);
        CHECK(str_eq(k1, k2) && str_eq(v1, v2) && str_eq(m1, m2));
      }
    free(s1);
    free(s2);
  }
  cotel_baggage_release(b);
  cotel_baggage_release(b2);
  cotel_baggage_release(b3);

  /* Through the propagator: the input split into two header lines. */
  size_t half = size / 2;
  cotel_header h[2] = {{cotel_str_c("baggage"), {in, half}},
                       {cotel_str_c("Baggage"), {in + half, size - half}}};
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, h, 2, 2, NULL, 0);
  cotel_carrier c = cotel_header_carrier_as_carrier(&hc);
  const cotel_propagator *p = cotel_propagator_baggage();
  cotel_context *ctx = NULL;
  CHECK(p->extract(p, cotel_context_root(), &c, &ctx) == 0 && ctx);
  cotel_header out[1];
  char store[COTEL_BAGGAGE_MAX_BYTES + 16];
  cotel_header_carrier oc;
  cotel_header_carrier_init(&oc, out, 0, 1, store, sizeof store);
  cotel_carrier occ = cotel_header_carrier_as_carrier(&oc);
  CHECK(p->inject(p, ctx, &occ) == 0);
  cotel_context_release(ctx);
  return 0;
}
