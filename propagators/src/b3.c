/* B3 propagation, single header and multi header
 * (https://github.com/openzipkin/b3-propagation, OTel "B3 Requirements").
 *
 * Extract tries the single `b3` header first, then the X-B3-* headers, for
 * both propagators. Inject writes the single header (cotel_propagator_b3,
 * the OTel default) or the multi headers (cotel_propagator_b3multi), never
 * a parent span id (OTel: MUST NOT propagate X-B3-ParentSpanId). The debug
 * flag is kept in the context (cotel_propagation_debug) and sent again;
 * debug implies sampled. 64-bit trace ids are left-padded to 128 bits. */
#include "prop_internal.h"

static bool parse_trace_id(cotel_str s, cotel_trace_id *out) {
  if (s.len != 16 && s.len != 32) return false;
  return cotel__hex_decode_padded(s.ptr, s.len, out->bytes, 16, cotel__hex_lc);
}

static bool parse_span_id(cotel_str s, cotel_span_id *out) {
  return s.len == 16 && cotel__hex_decode(s.ptr, 8, out->bytes, cotel__hex_lc);
}

/* Sampling state of the single header: 1, 0 or d (debug). */
static bool parse_state(cotel_str s, uint8_t *flags, bool *debug) {
  if (s.len != 1) return false;
  switch (s.ptr[0]) {
  case '1':
    *flags = COTEL_TRACE_FLAG_SAMPLED;
    return true;
  case '0':
    *flags = 0;
    return true;
  case 'd':
    *flags = COTEL_TRACE_FLAG_SAMPLED, *debug = true;
    return true;
  default:
    return false;
  }
}

int cotel_b3_parse_single(const char *s, size_t len, cotel_span_context *out,
                          bool *debug) {
  bool dbg_local;
  if (!debug) debug = &dbg_local;
  *debug = false;
  if (!out) return COTEL_EINVAL;
  memset(out, 0, sizeof *out);
  if (!s) return COTEL_EPARSE;
  cotel_str f[4];
  size_t nf = 0, start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && s[i] != '-') continue;
    if (nf == 4) return COTEL_EPARSE;
    f[nf++] = (cotel_str){s + start, i - start};
    start = i + 1;
  }
  cotel_span_context sc;
  memset(&sc, 0, sizeof sc);
  bool dbg = false;
  if (nf == 1) { /* "b3: {SamplingState}": a decision without ids */
    if (!parse_state(f[0], &sc.flags, &dbg)) return COTEL_EPARSE;
    out->flags = sc.flags;
    *debug = dbg;
    return COTEL_ENOTFOUND;
  }
  if (!parse_trace_id(f[0], &sc.trace_id) || !parse_span_id(f[1], &sc.span_id))
    return COTEL_EPARSE;
  if (nf >= 3 && !parse_state(f[2], &sc.flags, &dbg)) return COTEL_EPARSE;
  cotel_span_id parent;
  if (nf == 4 && !parse_span_id(f[3], &parent)) return COTEL_EPARSE;
  if (!cotel__sc_valid(&sc)) return COTEL_EPARSE;
  *out = sc;
  *debug = dbg;
  return 0;
}

int cotel_b3_format_single(const cotel_span_context *sc, bool debug,
                           char buf[COTEL_B3_SINGLE_BUF]) {
  if (!buf) return COTEL_EINVAL;
  buf[0] = '\0';
  if (!sc || !cotel__sc_valid(sc)) return COTEL_EINVAL;
  char *p = cotel__hex_encode(sc->trace_id.bytes, 16, buf);
  *p++ = '-';
  p = cotel__hex_encode(sc->span_id.bytes, 8, p);
  *p++ = '-';
  *p++ = debug ? 'd' : (sc->flags & COTEL_TRACE_FLAG_SAMPLED) ? '1' : '0';
  *p = '\0';
  return (int)(p - buf);
}

static bool str_is(cotel_str s, const char *lit) {
  size_t n = strlen(lit);
  return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

int cotel_b3_parse_multi(const cotel_b3_headers *h, cotel_span_context *out,
                         bool *debug) {
  bool dbg_local;
  if (!debug) debug = &dbg_local;
  *debug = false;
  if (!out) return COTEL_EINVAL;
  memset(out, 0, sizeof *out);
  if (!h) return COTEL_EINVAL;
  cotel_span_context sc;
  memset(&sc, 0, sizeof sc);
  bool dbg = false;
  if (h->flags.ptr) {
    if (str_is(h->flags, "1"))
      dbg = true;
    else if (!str_is(h->flags, "0"))
      return COTEL_EPARSE;
  }
  if (h->sampled.ptr) {
    if (str_is(h->sampled, "1") || str_is(h->sampled, "true"))
      sc.flags = COTEL_TRACE_FLAG_SAMPLED;
    else if (!str_is(h->sampled, "0") && !str_is(h->sampled, "false"))
      return COTEL_EPARSE;
  }
  if (dbg) sc.flags = COTEL_TRACE_FLAG_SAMPLED; /* debug implies sampled */
  if (!h->trace_id.ptr && !h->span_id.ptr) {
    out->flags = sc.flags;
    *debug = dbg;
    return COTEL_ENOTFOUND;
  }
  if (!h->trace_id.ptr || !h->span_id.ptr ||
      !parse_trace_id(h->trace_id, &sc.trace_id) ||
      !parse_span_id(h->span_id, &sc.span_id) || !cotel__sc_valid(&sc))
    return COTEL_EPARSE;
  cotel_span_id parent;
  if (h->parent_span_id.ptr && !parse_span_id(h->parent_span_id, &parent))
    return COTEL_EPARSE;
  *out = sc;
  *debug = dbg;
  return 0;
}

/* ---- propagators ---- */

static const char *const single_fields[] = {"b3", NULL};
static const char *const multi_fields[] = {"x-b3-traceid", "x-b3-spanid",
                                           "x-b3-sampled", "x-b3-flags", NULL};

static int inject_single(const cotel_propagator *self, const cotel_context *ctx,
                         const cotel_carrier *carrier) {
  (void)self;
  if (!carrier || !carrier->set) return COTEL_EINVAL;
  cotel_span_context sc;
  if (cotel_context_span_context(ctx, &sc) != 0 || !cotel__sc_valid(&sc))
    return 0;
  char buf[COTEL_B3_SINGLE_BUF];
  int n = cotel_b3_format_single(&sc, cotel_propagation_debug(ctx), buf);
  return carrier->set(carrier->c, "b3", buf, (size_t)n);
}

static int inject_multi(const cotel_propagator *self, const cotel_context *ctx,
                        const cotel_carrier *carrier) {
  (void)self;
  if (!carrier || !carrier->set) return COTEL_EINVAL;
  cotel_span_context sc;
  if (cotel_context_span_context(ctx, &sc) != 0 || !cotel__sc_valid(&sc))
    return 0;
  char tid[32], sid[16];
  cotel__hex_encode(sc.trace_id.bytes, 16, tid);
  cotel__hex_encode(sc.span_id.bytes, 8, sid);
  int rc = carrier->set(carrier->c, "x-b3-traceid", tid, 32);
  if (!rc) rc = carrier->set(carrier->c, "x-b3-spanid", sid, 16);
  if (rc) return rc;
  /* Debug implies sampled, so X-B3-Sampled is redundant next to it. */
  if (cotel_propagation_debug(ctx))
    return carrier->set(carrier->c, "x-b3-flags", "1", 1);
  return carrier->set(carrier->c, "x-b3-sampled",
                      sc.flags & COTEL_TRACE_FLAG_SAMPLED ? "1" : "0", 1);
}

/* One multi header: absent, or exactly one line (trimmed). */
static bool get_multi(const cotel_carrier *c, const char *key, cotel_str *v) {
  size_t n = cotel__get_one(c, key, v);
  if (n == 0)
    *v = (cotel_str){NULL, 0};
  else
    *v = cotel__trim(*v);
  return n <= 1;
}

static int b3_extract(const cotel_propagator *self, cotel_context *parent,
                      const cotel_carrier *carrier, cotel_context **out) {
  (void)self;
  if (!out) return COTEL_EINVAL;
  if (!parent) parent = cotel_context_current();
  cotel_span_context sc;
  bool debug = false;
  cotel_str v;
  if (cotel__get_one(carrier, "b3", &v) == 1) {
    v = cotel__trim(v);
    if (cotel_b3_parse_single(v.ptr, v.len, &sc, &debug) == 0)
      return cotel__extract_remote(parent, &sc, debug, out);
  }
  cotel_b3_headers h;
  if (get_multi(carrier, "x-b3-traceid", &h.trace_id) &&
      get_multi(carrier, "x-b3-spanid", &h.span_id) &&
      get_multi(carrier, "x-b3-sampled", &h.sampled) &&
      get_multi(carrier, "x-b3-flags", &h.flags) &&
      get_multi(carrier, "x-b3-parentspanid", &h.parent_span_id) &&
      cotel_b3_parse_multi(&h, &sc, &debug) == 0)
    return cotel__extract_remote(parent, &sc, debug, out);
  *out = cotel_context_retain(parent);
  return 0;
}

static const char *const *single_fields_fn(const cotel_propagator *self) {
  (void)self;
  return single_fields;
}
static const char *const *multi_fields_fn(const cotel_propagator *self) {
  (void)self;
  return multi_fields;
}

const cotel_propagator cotel__b3_propagator = {
    .inject = inject_single,
    .extract = b3_extract,
    .fields = single_fields_fn,
    .destroy = cotel__static_destroy,
};

const cotel_propagator cotel__b3multi_propagator = {
    .inject = inject_multi,
    .extract = b3_extract,
    .fields = multi_fields_fn,
    .destroy = cotel__static_destroy,
};

const cotel_propagator *cotel_propagator_b3(void) {
  return &cotel__b3_propagator;
}
const cotel_propagator *cotel_propagator_b3multi(void) {
  return &cotel__b3multi_propagator;
}
