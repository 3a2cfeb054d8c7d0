/* The W3C Baggage propagator (OTel "W3C Baggage" TextMap propagator).
 *
 * Inject writes the context's baggage as one `baggage` header; extract
 * combines every `baggage` line (W3C Baggage §3.1: several headers are
 * allowed, combined per RFC 7230) and replaces the context's baggage with
 * what it found. A header without a single valid member is ignored. */
#include <stdlib.h>

#include "prop_internal.h"

static const char *const bg_fields[] = {"baggage", NULL};

static int bg_inject(const cotel_propagator *self, const cotel_context *ctx,
                     const cotel_carrier *carrier) {
  (void)self;
  if (!carrier || !carrier->set) return COTEL_EINVAL;
  cotel_baggage *b = cotel_context_baggage(ctx);
  if (cotel_baggage_count(b) == 0) return 0;
  char stackbuf[512], *buf = stackbuf;
  size_t n = cotel_baggage_format(b, buf, sizeof stackbuf);
  if (n == 0) return 0;
  if (n >= sizeof stackbuf) { /* rare: keep coroutine stacks small */
    buf = malloc(n + 1);
    if (!buf) return COTEL_ENOMEM;
    cotel_baggage_format(b, buf, n + 1);
  }
  int rc = carrier->set(carrier->c, "baggage", buf, n);
  if (buf != stackbuf) free(buf);
  return rc;
}

static int bg_extract(const cotel_propagator *self, cotel_context *parent,
                      const cotel_carrier *carrier, cotel_context **out) {
  (void)self;
  if (!out) return COTEL_EINVAL;
  if (!parent) parent = cotel_context_current();
  *out = NULL;
  cotel_str v;
  char *heap = NULL;
  cotel_baggage *b = NULL;
  int rc = cotel__get_joined(carrier, "baggage", &v, &heap);
  if (rc > 0) rc = cotel_baggage_parse(v.ptr, v.len, &b);
  free(heap);
  if (rc == COTEL_ENOMEM) {
    *out = cotel_context_retain(parent);
    return rc;
  }
  if (!b) {
    *out = cotel_context_retain(parent);
    return 0;
  }
  rc = cotel_context_with_baggage(parent, b, out);
  cotel_baggage_release(b);
  if (rc) *out = cotel_context_retain(parent);
  return rc;
}

static const char *const *bg_fields_fn(const cotel_propagator *self) {
  (void)self;
  return bg_fields;
}

const cotel_propagator cotel__baggage_propagator = {
    .inject = bg_inject,
    .extract = bg_extract,
    .fields = bg_fields_fn,
    .destroy = cotel__static_destroy,
};

const cotel_propagator *cotel_propagator_baggage(void) {
  return &cotel__baggage_propagator;
}
