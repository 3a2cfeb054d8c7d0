/* Helpers shared by the propagators: carrier access, the debug flag and
 * the extract epilogue. Hex, percent-encoding and UTF-8 repair are the
 * library-wide ones (cotel/internal/). */
#include <stdlib.h>

#include "prop_internal.h"

size_t cotel__get_one(const cotel_carrier *c, const char *key, cotel_str *v) {
  cotel_str vals[2];
  if (!c || !c->get) return 0;
  size_t n = c->get(c->c, key, vals, 2);
  if (n == 1) *v = vals[0];
  return n > 2 ? 2 : n;
}

int cotel__get_joined(const cotel_carrier *c, const char *key, cotel_str *out,
                      char **heap) {
  cotel_str stackv[8], *v = stackv;
  *heap = NULL;
  *out = (cotel_str){NULL, 0};
  if (!c || !c->get) return 0;
  size_t n = c->get(c->c, key, v, 8);
  if (n == 0) return 0;
  if (n == 1) {
    *out = v[0];
    return 1;
  }
  if (n > 8) {
    v = malloc(n * sizeof *v);
    if (!v) return COTEL_ENOMEM;
    size_t again = c->get(c->c, key, v, n);
    if (again < n) n = again; /* the carrier changed under us */
    if (n == 0) {
      free(v);
      return 0;
    }
  }
  size_t total = n - 1;
  for (size_t i = 0; i < n; i++)
    total += v[i].len;
  char *buf = malloc(total + 1);
  if (!buf) {
    if (v != stackv) free(v);
    return COTEL_ENOMEM;
  }
  char *p = buf;
  for (size_t i = 0; i < n; i++) {
    if (i) *p++ = ',';
    if (v[i].len) memcpy(p, v[i].ptr, v[i].len);
    p += v[i].len;
  }
  *p = '\0';
  if (v != stackv) free(v);
  *heap = buf;
  *out = (cotel_str){buf, total};
  return (int)n;
}

/* The debug flag's context key: its address is the key. */
static const char debug_key;

bool cotel_propagation_debug(const cotel_context *ctx) {
  return cotel_context_value(ctx, &debug_key) != NULL;
}

int cotel_context_with_debug(cotel_context *parent, bool debug,
                             cotel_context **out) {
  return cotel_context_with_value(parent, &debug_key,
                                  debug ? (void *)&debug_key : NULL, NULL, out);
}

int cotel__extract_remote(cotel_context *parent, const cotel_span_context *sc,
                          int debug, cotel_context **out) {
  cotel_context *ctx = NULL;
  if (!parent) parent = cotel_context_current();
  int rc = cotel_context_with_remote(parent, sc, &ctx);
  if (rc == 0 && debug >= 0 &&
      (debug != 0) != cotel_propagation_debug(parent)) {
    cotel_context *d = NULL;
    rc = cotel_context_with_debug(ctx, debug != 0, &d);
    cotel_context_release(ctx);
    ctx = d;
  }
  if (rc) {
    *out = cotel_context_retain(parent);
    return rc;
  }
  *out = ctx;
  return 0;
}

void cotel__static_destroy(cotel_propagator *self) {
  (void)self;
}
