/* libFuzzer: tracestate parser, serializer and mutations. A parsed
 * tracestate re-parses from its serialized form to the same members. */
#include <stdlib.h>
#include <string.h>

#include "cotel/tracestate.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) abort();                                                         \
  } while (0)

static void same(const cotel_tracestate *a, const cotel_tracestate *b) {
  CHECK(cotel_tracestate_count(a) == cotel_tracestate_count(b));
  for (size_t i = 0; i < cotel_tracestate_count(a); i++) {
    cotel_str ka, va, kb, vb;
    CHECK(cotel_tracestate_entry(a, i, &ka, &va) == 0);
    CHECK(cotel_tracestate_entry(b, i, &kb, &vb) == 0);
    CHECK(ka.len == kb.len && !memcmp(ka.ptr, kb.ptr, ka.len));
    CHECK(va.len == vb.len && !memcmp(va.ptr, vb.ptr, va.len));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cotel_tracestate *ts = NULL, *again = NULL;
  if (cotel_tracestate_parse((const char *)data, size, &ts) != 0) {
    CHECK(ts == NULL);
    return 0;
  }
  CHECK(cotel_tracestate_count(ts) <= COTEL_TRACESTATE_MAX_MEMBERS);
  /* Duplicates are dropped on parse: every key is unique and valid. */
  for (size_t i = 0; i < cotel_tracestate_count(ts); i++) {
    cotel_str ki, kj;
    CHECK(cotel_tracestate_entry(ts, i, &ki, NULL) == 0);
    CHECK(cotel_tracestate_key_valid(ki));
    for (size_t j = 0; j < i; j++) {
      CHECK(cotel_tracestate_entry(ts, j, &kj, NULL) == 0);
      CHECK(ki.len != kj.len || memcmp(ki.ptr, kj.ptr, ki.len) != 0);
    }
  }
  cotel_str s = cotel_tracestate_str(ts);
  CHECK(s.len == strlen(s.ptr));
  CHECK(cotel_tracestate_parse(s.ptr, s.len, &again) == 0);
  same(ts, again);
  char buf[64];
  size_t n = cotel_tracestate_format(ts, buf, sizeof buf);
  CHECK(n == s.len);
  CHECK(n < sizeof buf ? !strcmp(buf, s.ptr) : buf[0] == '\0');
  if (cotel_tracestate_count(ts) > 0) {
    /* Update the last member: it moves to the front, the rest keep order. */
    cotel_str k, v;
    size_t last = cotel_tracestate_count(ts) - 1;
    CHECK(cotel_tracestate_entry(ts, last, &k, &v) == 0);
    cotel_tracestate *u = NULL, *d = NULL;
    CHECK(cotel_tracestate_set(ts, k, v, &u) == 0);
    CHECK(cotel_tracestate_count(u) == cotel_tracestate_count(ts));
    cotel_str k0;
    CHECK(cotel_tracestate_entry(u, 0, &k0, NULL) == 0);
    CHECK(k0.len == k.len && !memcmp(k0.ptr, k.ptr, k.len));
    CHECK(cotel_tracestate_delete(u, k, &d) == 0);
    CHECK(cotel_tracestate_count(d) == cotel_tracestate_count(ts) - 1);
    CHECK(cotel_tracestate_get(d, k, NULL) == COTEL_ENOTFOUND);
    cotel_tracestate_release(u);
    cotel_tracestate_release(d);
  }
  cotel_tracestate_release(again);
  cotel_tracestate_release(ts);
  return 0;
}
