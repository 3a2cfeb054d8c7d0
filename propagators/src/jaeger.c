/* Jaeger propagation (OTel "Jaeger" propagator; Jaeger client libraries'
 * wire format):
 *
 *   uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}
 *   uberctx-{key}: {value}          one header per baggage entry
 *
 * Ids are hex with leading zeros possibly omitted (left-padded here),
 * flags are a hex byte: 0x01 sampled, 0x02 debug (which implies sampled).
 * Some clients URL-encode the whole value (":" as "%3A"). Values of
 * uberctx-* headers are URL-encoded too. */
#include <stdlib.h>
#include <strings.h>

#include "prop_internal.h"

#define TRACE_HDR "uber-trace-id"
#define BAGGAGE_PREFIX "uberctx-"
#define PREFIX_LEN (sizeof BAGGAGE_PREFIX - 1)
/* 32 + 16 + 16 + 2 digits and 3 separators, each possibly "%3A". */
#define MAX_VALUE 80

int cotel_jaeger_parse(const char *s, size_t len, cotel_span_context *out,
                       bool *debug) {
  bool dbg_local;
  if (!debug) debug = &dbg_local;
  *debug = false;
  if (!out) return COTEL_EINVAL;
  memset(out, 0, sizeof *out);
  if (!s || len == 0 || len > MAX_VALUE) return COTEL_EPARSE;
  char dec[MAX_VALUE];
  if (memchr(s, '%', len)) {
    if (!cotel__pct_decode(s, len, dec, &len)) return COTEL_EPARSE;
    s = dec;
  }
  cotel_str f[4];
  size_t nf = 0, start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && s[i] != ':') continue;
    if (nf == 4) return COTEL_EPARSE;
    f[nf++] = (cotel_str){s + start, i - start};
    start = i + 1;
  }
  if (nf != 4) return COTEL_EPARSE;
  cotel_span_context sc;
  memset(&sc, 0, sizeof sc);
  uint8_t parent[8], flags;
  if (!cotel__hex_decode_padded(f[0].ptr, f[0].len, sc.trace_id.bytes, 16,
                                cotel__hex_any) ||
      !cotel__hex_decode_padded(f[1].ptr, f[1].len, sc.span_id.bytes, 8,
                                cotel__hex_any) ||
      !cotel__hex_decode_padded(f[2].ptr, f[2].len, parent, 8,
                                cotel__hex_any) ||
      !cotel__hex_decode_padded(f[3].ptr, f[3].len, &flags, 1, cotel__hex_any))
    return COTEL_EPARSE;
  if (!cotel__sc_valid(&sc)) return COTEL_EPARSE;
  bool dbg = (flags & 0x02) != 0;
  sc.flags = (flags & 0x01) || dbg ? COTEL_TRACE_FLAG_SAMPLED : 0;
  *out = sc;
  *debug = dbg;
  return 0;
}

int cotel_jaeger_format(const cotel_span_context *sc, bool debug,
                        char buf[COTEL_JAEGER_BUF]) {
  if (!buf) return COTEL_EINVAL;
  buf[0] = '\0';
  if (!sc || !cotel__sc_valid(sc)) return COTEL_EINVAL;
  char *p = cotel__hex_encode(sc->trace_id.bytes, 16, buf);
  *p++ = ':';
  p = cotel__hex_encode(sc->span_id.bytes, 8, p);
  /* The parent span id is deprecated: always "0". */
  memcpy(p, ":0:", 3);
  p += 3;
  *p++ = debug ? '3' : (sc->flags & COTEL_TRACE_FLAG_SAMPLED) ? '1' : '0';
  *p = '\0';
  return (int)(p - buf);
}

static const char *const jaeger_fields[] = {TRACE_HDR, NULL};

static int inject_baggage(const cotel_baggage *b, const cotel_carrier *c) {
  size_t n = cotel_baggage_count(b);
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    cotel_str k, v;
    cotel_baggage_entry(b, i, &k, &v, NULL);
    size_t vl = cotel__pct_encoded_len(v.ptr, v.len);
    char *name = malloc(PREFIX_LEN + k.len + 1 + vl);
    if (!name) return COTEL_ENOMEM;
    memcpy(name, BAGGAGE_PREFIX, PREFIX_LEN);
    memcpy(name + PREFIX_LEN, k.ptr, k.len);
    name[PREFIX_LEN + k.len] = '\0';
    char *val = name + PREFIX_LEN + k.len + 1;
    cotel__pct_encode(v.ptr, v.len, val);
    rc = c->set(c->c, name, val, vl);
    free(name);
  }
  return rc;
}

static int jaeger_inject(const cotel_propagator *self, const cotel_context *ctx,
                         const cotel_carrier *carrier) {
  (void)self;
  if (!carrier || !carrier->set) return COTEL_EINVAL;
  cotel_span_context sc;
  if (cotel_context_span_context(ctx, &sc) == 0 && cotel__sc_valid(&sc)) {
    char buf[COTEL_JAEGER_BUF];
    int n = cotel_jaeger_format(&sc, cotel_propagation_debug(ctx), buf);
    int rc = carrier->set(carrier->c, TRACE_HDR, buf, (size_t)n);
    if (rc) return rc;
  }
  return inject_baggage(cotel_context_baggage(ctx), carrier);
}

/* uberctx-* headers merged into the parent's baggage; NULL when none. */
static int extract_baggage(const cotel_carrier *c, cotel_baggage *base,
                           cotel_baggage **out) {
  *out = NULL;
  if (!c->keys) return 0;
  size_t nk = c->keys(c->c, NULL, 0);
  if (nk == 0) return 0;
  cotel_str *keys = malloc(nk * sizeof *keys);
  size_t nb = cotel_baggage_count(base);
  cotel_baggage_kv *e = malloc((nb + nk) * sizeof *e);
  char **bufs = calloc(nk, sizeof *bufs);
  int rc = 0;
  if (!keys || !e || !bufs) {
    rc = COTEL_ENOMEM;
    goto done;
  }
  nk = c->keys(c->c, keys, nk);
  for (size_t i = 0; i < nb; i++)
    cotel_baggage_entry(base, i, &e[i].key, &e[i].value, &e[i].metadata);
  size_t n = nb, added = 0;
  for (size_t i = 0; i < nk; i++) {
    cotel_str k = keys[i], v;
    if (k.len <= PREFIX_LEN || strncasecmp(k.ptr, BAGGAGE_PREFIX, PREFIX_LEN))
      continue;
    k.ptr += PREFIX_LEN, k.len -= PREFIX_LEN;
    if (!cotel_baggage_key_valid(k)) continue;
    /* Look the value up by the carrier's own spelling of the name. */
    char name[256];
    if (keys[i].len >= sizeof name) continue;
    memcpy(name, keys[i].ptr, keys[i].len);
    name[keys[i].len] = '\0';
    cotel_str vals[1];
    if (c->get(c->c, name, vals, 1) == 0) continue;
    v = cotel__trim(vals[0]);
    char *tmp = malloc(v.len + 1), *dec = malloc(3 * v.len + 1);
    size_t dl;
    if (!tmp || !dec || !cotel__pct_decode(v.ptr, v.len, tmp, &dl)) {
      free(tmp), free(dec);
      continue;
    }
    dl = (size_t)(cotel__utf8_repair(dec, tmp, dl) - dec);
    free(tmp);
    bufs[i] = dec;
    e[n].key = k;
    e[n].value = (cotel_str){dec, dl};
    e[n].metadata = (cotel_str){"", 0};
    n++, added++;
  }
  if (added) rc = cotel_baggage_from_entries(e, n, out);
done:
  for (size_t i = 0; bufs && i < nk; i++)
    free(bufs[i]);
  free(bufs), free(e), free(keys);
  return rc;
}

static int jaeger_extract(const cotel_propagator *self, cotel_context *parent,
                          const cotel_carrier *carrier, cotel_context **out) {
  (void)self;
  if (!out) return COTEL_EINVAL;
  if (!parent) parent = cotel_context_current();
  cotel_context *ctx = cotel_context_retain(parent);
  cotel_str v;
  cotel_span_context sc;
  bool debug;
  int rc = 0;
  if (cotel__get_one(carrier, TRACE_HDR, &v) == 1) {
    v = cotel__trim(v);
    if (cotel_jaeger_parse(v.ptr, v.len, &sc, &debug) == 0) {
      cotel_context *next;
      rc = cotel__extract_remote(ctx, &sc, debug, &next);
      cotel_context_release(ctx);
      ctx = next;
    }
  }
  cotel_baggage *b = NULL;
  if (carrier && rc == 0)
    rc = extract_baggage(carrier, cotel_context_baggage(ctx), &b);
  if (b) {
    cotel_context *next;
    rc = cotel_context_with_baggage(ctx, b, &next);
    cotel_baggage_release(b);
    if (rc == 0) {
      cotel_context_release(ctx);
      ctx = next;
    }
  }
  *out = ctx;
  return rc;
}

static const char *const *jaeger_fields_fn(const cotel_propagator *self) {
  (void)self;
  return jaeger_fields;
}

const cotel_propagator cotel__jaeger_propagator = {
    .inject = jaeger_inject,
    .extract = jaeger_extract,
    .fields = jaeger_fields_fn,
    .destroy = cotel__static_destroy,
};

const cotel_propagator *cotel_propagator_jaeger(void) {
  return &cotel__jaeger_propagator;
}
