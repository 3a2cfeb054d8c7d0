/* The W3C Trace Context propagator: traceparent + tracestate (§3).
 *
 * Inject formats into a stack buffer and sends the tracestate's cached
 * serialized form: no allocation. Extract allocates the remote context
 * node, plus the tracestate when one is present and valid.
 *
 * Flags: extract keeps sampled (0x01) and random (0x02, level 2 §3.2.2.5.2)
 * and clears the bits no level defines, since we MUST send those as zero
 * and a child span must not inherit meaning we cannot give them. */
#include <stdlib.h>

#include "prop_internal.h"

static const char *const tc_fields[] = {"traceparent", "tracestate", NULL};

static int tc_inject(const cotel_propagator *self, const cotel_context *ctx,
                     const cotel_carrier *carrier) {
  (void)self;
  if (!carrier || !carrier->set) return COTEL_EINVAL;
  cotel_span_context sc;
  if (cotel_context_span_context(ctx, &sc) != 0 || !cotel__sc_valid(&sc))
    return 0;
  char buf[56];
  int n = cotel_traceparent_format(&sc, buf);
  if (n < 0) return 0;
  int rc = carrier->set(carrier->c, "traceparent", buf, (size_t)n);
  if (rc) return rc;
  cotel_str ts = cotel_tracestate_str(sc.tracestate);
  if (ts.len) rc = carrier->set(carrier->c, "tracestate", ts.ptr, ts.len);
  return rc;
}

static int tc_extract(const cotel_propagator *self, cotel_context *parent,
                      const cotel_carrier *carrier, cotel_context **out) {
  (void)self;
  if (!out) return COTEL_EINVAL;
  if (!parent) parent = cotel_context_current();
  cotel_str v;
  cotel_span_context sc;
  /* Several traceparent lines cannot be combined: ignore them all. OWS
   * around the value is not part of it (RFC 7230 §3.2.4). */
  if (cotel__get_one(carrier, "traceparent", &v) != 1 ||
      (v = cotel__trim(v), cotel_traceparent_parse(v.ptr, v.len, &sc)) != 0) {
    *out = cotel_context_retain(parent);
    return 0;
  }
  sc.flags &= COTEL_TRACE_FLAGS_KNOWN;
  /* §3.3: tracestate is only read with a valid traceparent; an invalid
   * tracestate is dropped without affecting the traceparent. Several lines
   * are combined in order (§3.3.1.1, RFC 7230 §3.2.2); a key repeated
   * within or across them keeps its left-most entry (current draft: a
   * receiver keeps duplicates or one of them). */
  cotel_str tsv;
  char *heap = NULL;
  cotel_tracestate *ts = NULL;
  if (cotel__get_joined(carrier, "tracestate", &tsv, &heap) > 0)
    (void)cotel_tracestate_parse(tsv.ptr, tsv.len, &ts);
  free(heap);
  sc.tracestate = ts;
  int rc = cotel__extract_remote(parent, &sc, -1, out);
  cotel_tracestate_release(ts);
  return rc;
}

static const char *const *tc_fields_fn(const cotel_propagator *self) {
  (void)self;
  return tc_fields;
}

const cotel_propagator cotel__tracecontext_propagator = {
    .inject = tc_inject,
    .extract = tc_extract,
    .fields = tc_fields_fn,
    .destroy = cotel__static_destroy,
};

const cotel_propagator *cotel_propagator_tracecontext(void) {
  return &cotel__tracecontext_propagator;
}
