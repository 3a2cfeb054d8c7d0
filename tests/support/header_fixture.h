/* Test fixture shared by the propagator tests: a header carrier over a
 * fixed array, filled from a NULL-terminated list of name, value pairs. */
#ifndef COTEL_TEST_HEADER_FIXTURE_H
#define COTEL_TEST_HEADER_FIXTURE_H

#include <string.h>
#include <strings.h>

#include "cotel/propagation.h"

#define HDRS_MAX 64

typedef struct hdrs {
  cotel_header h[HDRS_MAX];
  char store[32768];
  cotel_header_carrier hc;
  cotel_carrier c;
} hdrs;

static inline void hdrs_init(hdrs *x, const char *const *kv) {
  size_t n = 0;
  for (; kv && kv[2 * n]; n++) {
    x->h[n].name = cotel_str_c(kv[2 * n]);
    x->h[n].value = cotel_str_c(kv[2 * n + 1]);
  }
  cotel_header_carrier_init(&x->hc, x->h, n, HDRS_MAX, x->store,
                            sizeof x->store);
  x->c = cotel_header_carrier_as_carrier(&x->hc);
}

/* The first value of header `name` (case-insensitive), NULL if absent. */
static inline const char *hdr(hdrs *x, const char *name) {
  for (size_t i = 0; i < x->hc.count; i++)
    if (x->h[i].name.len == strlen(name) &&
        !strncasecmp(x->h[i].name.ptr, name, x->h[i].name.len))
      return x->h[i].value.ptr;
  return NULL;
}

#endif
