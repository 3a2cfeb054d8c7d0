/* Streaming OTLP/protobuf encoder: writes an ExportTraceServiceRequest
 * (collector/trace/v1/trace_service.proto) straight from span records.
 *
 * Two passes over the batch, no message tree: a size pass computes the body
 * length of every span (cached in plan.sizes), of every span attribute
 * (cached in a kv_cache array with the repaired string lengths) and of every
 * ScopeSpans and ResourceSpans, so the output is reserved once and every
 * length prefix is a minimal varint written before its body; the write pass
 * recomputes only the sizes of the rarer nested messages (events, links,
 * status, resource and scope attributes). Fields are written
 * in field-number order and proto3 defaults are omitted, which is what
 * protobuf-c and the Go and C++ runtimes emit, so the bytes equal theirs.
 *
 * Span.flags (trace.proto, SpanFlags): the W3C trace flags in bits 0-7, plus
 * SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE (0x100) on every span and
 * SPAN_FLAGS_CONTEXT_IS_REMOTE (0x200) when the parent is remote. Like
 * opentelemetry-go (otlptrace tracetransform: buildSpanFlags(sd.Parent())),
 * root spans get HAS_IS_REMOTE with IS_REMOTE clear; unlike it, we also fill
 * bits 0-7 as the proto specifies (Go leaves them zero). Links carry the
 * same bits for the linked context. */
#include <assert.h>

#include "cotel/tracestate.h"
#include "cotel/internal/otlp_encode.h"
#include "pb_wire.h"
#include "cotel/internal/utf8.h"

/* Field tags (field number << 3 | wire type), all one byte except flags. */
enum {
  /* ExportTraceServiceRequest, ResourceSpans, ScopeSpans */
  T_REQ_RESOURCE_SPANS = PB_TAG(1, PB_LEN),
  T_RS_RESOURCE = PB_TAG(1, PB_LEN),
  T_RS_SCOPE_SPANS = PB_TAG(2, PB_LEN),
  T_RS_SCHEMA_URL = PB_TAG(3, PB_LEN),
  T_SS_SCOPE = PB_TAG(1, PB_LEN),
  T_SS_SPANS = PB_TAG(2, PB_LEN),
  T_SS_SCHEMA_URL = PB_TAG(3, PB_LEN),
  /* Resource, InstrumentationScope */
  T_RES_ATTRS = PB_TAG(1, PB_LEN),
  T_SCOPE_NAME = PB_TAG(1, PB_LEN),
  T_SCOPE_VERSION = PB_TAG(2, PB_LEN),
  T_SCOPE_ATTRS = PB_TAG(3, PB_LEN),
  /* KeyValue, AnyValue, ArrayValue */
  T_KV_KEY = PB_TAG(1, PB_LEN),
  T_KV_VALUE = PB_TAG(2, PB_LEN),
  T_AV_STRING = PB_TAG(1, PB_LEN),
  T_AV_BOOL = PB_TAG(2, PB_VARINT),
  T_AV_INT = PB_TAG(3, PB_VARINT),
  T_AV_DOUBLE = PB_TAG(4, PB_I64),
  T_AV_ARRAY = PB_TAG(5, PB_LEN),
  T_ARR_VALUES = PB_TAG(1, PB_LEN),
  /* Span */
  T_SPAN_TRACE_ID = PB_TAG(1, PB_LEN),
  T_SPAN_SPAN_ID = PB_TAG(2, PB_LEN),
  T_SPAN_TRACE_STATE = PB_TAG(3, PB_LEN),
  T_SPAN_PARENT = PB_TAG(4, PB_LEN),
  T_SPAN_NAME = PB_TAG(5, PB_LEN),
  T_SPAN_KIND = PB_TAG(6, PB_VARINT),
  T_SPAN_START = PB_TAG(7, PB_I64),
  T_SPAN_END = PB_TAG(8, PB_I64),
  T_SPAN_ATTRS = PB_TAG(9, PB_LEN),
  T_SPAN_DROPPED_ATTRS = PB_TAG(10, PB_VARINT),
  T_SPAN_EVENTS = PB_TAG(11, PB_LEN),
  T_SPAN_DROPPED_EVENTS = PB_TAG(12, PB_VARINT),
  T_SPAN_LINKS = PB_TAG(13, PB_LEN),
  T_SPAN_DROPPED_LINKS = PB_TAG(14, PB_VARINT),
  T_SPAN_STATUS = PB_TAG(15, PB_LEN),
  /* Span.flags = 16, fixed32: two-byte tag 0x85 0x01 */
  /* Event, Link, Status */
  T_EV_TIME = PB_TAG(1, PB_I64),
  T_EV_NAME = PB_TAG(2, PB_LEN),
  T_EV_ATTRS = PB_TAG(3, PB_LEN),
  T_EV_DROPPED = PB_TAG(4, PB_VARINT),
  T_LINK_TRACE_ID = PB_TAG(1, PB_LEN),
  T_LINK_SPAN_ID = PB_TAG(2, PB_LEN),
  T_LINK_TRACE_STATE = PB_TAG(3, PB_LEN),
  T_LINK_ATTRS = PB_TAG(4, PB_LEN),
  T_LINK_DROPPED = PB_TAG(5, PB_VARINT),
  T_LINK_FLAGS = PB_TAG(6, PB_I32),
  T_ST_MESSAGE = PB_TAG(2, PB_LEN),
  T_ST_CODE = PB_TAG(3, PB_VARINT),
};

/* ---- strings ---------------------------------------------------------- */

static inline size_t str_len(cotel_str s, bool *clean) {
  if (!s.ptr || !s.len) {
    *clean = true;
    return 0;
  }
  return cotel__utf8_len(s.ptr, s.len, clean);
}

/* A proto3 string field: omitted when empty. */
static inline size_t str_field_size(cotel_str s) {
  bool clean;
  size_t l = str_len(s, &clean);
  return l ? pb_len_field(l) : 0;
}

static inline uint8_t *put_str_body(uint8_t *p, uint8_t tag, cotel_str s) {
  bool clean;
  size_t l = str_len(s, &clean);
  *p++ = tag;
  p = pb_varint(p, l);
  return (uint8_t *)cotel__utf8_put((char *)p, s.ptr, s.ptr ? s.len : 0, clean);
}

static inline uint8_t *put_str_field(uint8_t *p, uint8_t tag, cotel_str s) {
  if (!s.ptr || !s.len) return p;
  return put_str_body(p, tag, s);
}

/* W3C tracestate, in its serialized form (a borrowed view, no copy). */
static inline size_t ts_field_size(const cotel_tracestate *ts) {
  return ts ? str_field_size(cotel_tracestate_str(ts)) : 0;
}

static inline uint8_t *put_ts_field(uint8_t *p, uint8_t tag,
                                    const cotel_tracestate *ts) {
  return ts ? put_str_field(p, tag, cotel_tracestate_str(ts)) : p;
}

/* ---- attributes --------------------------------------------------------- */

static inline bool is_array(cotel_attr_type t) {
  return t >= COTEL_ATTR_STRING_ARRAY && t <= COTEL_ATTR_DOUBLE_ARRAY;
}

static inline size_t arr_count(const cotel_attr *a) {
  return a->v.arr.items ? a->v.arr.count : 0;
}

/* Body size of the ArrayValue of an array attribute. */
static size_t array_size(const cotel_attr *a) {
  size_t n = arr_count(a), sum = 0;
  switch (a->type) {
  case COTEL_ATTR_STRING_ARRAY: {
    const cotel_str *it = a->v.arr.items;
    for (size_t i = 0; i < n; i++) {
      bool clean;
      sum += pb_len_field(pb_len_field(str_len(it[i], &clean)));
    }
    return sum;
  }
  case COTEL_ATTR_BOOL_ARRAY:
    return 4 * n; /* 0A 02 10 0x */
  case COTEL_ATTR_INT_ARRAY: {
    const int64_t *it = a->v.arr.items;
    for (size_t i = 0; i < n; i++)
      sum += 3 + pb_vlen((uint64_t)it[i]);
    return sum;
  }
  case COTEL_ATTR_DOUBLE_ARRAY:
    return 11 * n; /* 0A 09 21 <8 bytes> */
  default:
    return 0;
  }
}

/* Body size of an attribute's AnyValue; *arr gets the ArrayValue body size
 * for arrays (so the writer need not compute it twice). */
static inline size_t anyvalue_size(const cotel_attr *a, size_t *arr) {
  switch (a->type) {
  case COTEL_ATTR_STRING: {
    bool clean;
    return pb_len_field(str_len(a->v.s, &clean));
  }
  case COTEL_ATTR_BOOL:
    return 2;
  case COTEL_ATTR_INT:
    return 1 + pb_vlen((uint64_t)a->v.i);
  case COTEL_ATTR_DOUBLE:
    return 9;
  default:
    if (!is_array(a->type)) return 0; /* unknown type: an empty AnyValue */
    *arr = array_size(a);
    return pb_len_field(*arr);
  }
}

static uint8_t *put_array(uint8_t *p, const cotel_attr *a, size_t arr) {
  size_t n = arr_count(a);
  *p++ = T_AV_ARRAY;
  p = pb_varint(p, arr);
  switch (a->type) {
  case COTEL_ATTR_STRING_ARRAY: {
    const cotel_str *it = a->v.arr.items;
    for (size_t i = 0; i < n; i++) {
      bool clean;
      size_t l = str_len(it[i], &clean);
      *p++ = T_ARR_VALUES;
      p = pb_varint(p, pb_len_field(l));
      *p++ = T_AV_STRING;
      p = pb_varint(p, l);
      p = (uint8_t *)cotel__utf8_put((char *)p, it[i].ptr,
                                     it[i].ptr ? it[i].len : 0, clean);
    }
    return p;
  }
  case COTEL_ATTR_BOOL_ARRAY: {
    const bool *it = a->v.arr.items;
    for (size_t i = 0; i < n; i++) {
      p[0] = T_ARR_VALUES;
      p[1] = 2;
      p[2] = T_AV_BOOL;
      p[3] = it[i] ? 1 : 0;
      p += 4;
    }
    return p;
  }
  case COTEL_ATTR_INT_ARRAY: {
    const int64_t *it = a->v.arr.items;
    for (size_t i = 0; i < n; i++) {
      uint64_t v = (uint64_t)it[i];
      p[0] = T_ARR_VALUES;
      p[1] = (uint8_t)(1 + pb_vlen(v));
      p[2] = T_AV_INT;
      p = pb_varint(p + 3, v);
    }
    return p;
  }
  default: { /* COTEL_ATTR_DOUBLE_ARRAY */
    const double *it = a->v.arr.items;
    for (size_t i = 0; i < n; i++) {
      uint64_t bits;
      memcpy(&bits, &it[i], 8);
      p[0] = T_ARR_VALUES;
      p[1] = 9;
      p[2] = T_AV_DOUBLE;
      p = pb_fixed64(p + 3, bits);
    }
    return p;
  }
  }
}

static inline uint8_t *put_anyvalue(uint8_t *p, const cotel_attr *a,
                                    size_t arr) {
  switch (a->type) {
  case COTEL_ATTR_STRING:
    return put_str_body(p, T_AV_STRING, a->v.s);
  case COTEL_ATTR_BOOL:
    p[0] = T_AV_BOOL;
    p[1] = a->v.b ? 1 : 0;
    return p + 2;
  case COTEL_ATTR_INT:
    *p++ = T_AV_INT;
    return pb_varint(p, (uint64_t)a->v.i);
  case COTEL_ATTR_DOUBLE: {
    uint64_t bits;
    memcpy(&bits, &a->v.d, 8);
    *p++ = T_AV_DOUBLE;
    return pb_fixed64(p, bits);
  }
  default:
    return is_array(a->type) ? put_array(p, a, arr) : p;
  }
}

/* Body size of a KeyValue. */
static inline size_t kv_size(const cotel_attr *a) {
  size_t arr = 0;
  return str_field_size(a->key) + pb_len_field(anyvalue_size(a, &arr));
}

/* Total size of a repeated KeyValue field. */
static size_t attrs_size(const cotel_attr *attrs, uint32_t n) {
  size_t sum = 0;
  if (!attrs) return 0;
  for (uint32_t i = 0; i < n; i++)
    sum += pb_len_field(kv_size(&attrs[i]));
  return sum;
}

static uint8_t *put_attrs(uint8_t *p, uint8_t tag, const cotel_attr *attrs,
                          uint32_t n) {
  if (!attrs) return p;
  for (uint32_t i = 0; i < n; i++) {
    const cotel_attr *a = &attrs[i];
    size_t arr = 0;
    size_t av = anyvalue_size(a, &arr);
    size_t kv = str_field_size(a->key) + pb_len_field(av);
    *p++ = tag;
    p = pb_varint(p, kv);
    p = put_str_field(p, T_KV_KEY, a->key);
    *p++ = T_KV_VALUE;
    p = pb_varint(p, av);
    p = put_anyvalue(p, a, arr);
  }
  return p;
}

/* Span attributes are sized once: the size pass records, per attribute,
 * the KeyValue and AnyValue body sizes and the repaired lengths of key and
 * (string) value with a "copy verbatim" bit, so the write pass neither
 * rescans nor resizes them. An entry with kv == 0 (a string too long for
 * the 31-bit fields) means "not cached": the writer recomputes it. */
typedef struct kv_cache {
  uint32_t kv, av, key, val; /* key/val: length | CLEAN */
} kv_cache;
#define CLEAN 0x80000000u
#define LEN_MAX 0x3fffffffu

static inline uint32_t pack_len(size_t len, bool clean) {
  return (uint32_t)len | (clean ? CLEAN : 0u);
}

static size_t attrs_size_cached(const cotel_attr *attrs, uint32_t n,
                                kv_cache *c) {
  size_t sum = 0;
  for (uint32_t i = 0; i < n; i++) {
    const cotel_attr *a = &attrs[i];
    bool kc = true, vc = true;
    size_t kl = str_len(a->key, &kc), vl = 0, av, arr = 0;
    if (a->type == COTEL_ATTR_STRING) {
      vl = str_len(a->v.s, &vc);
      av = pb_len_field(vl);
    } else {
      av = anyvalue_size(a, &arr);
      vl = arr;
    }
    size_t kv = (kl ? pb_len_field(kl) : 0) + pb_len_field(av);
    sum += pb_len_field(kv);
    if (kv > LEN_MAX || vl > LEN_MAX) {
      c[i].kv = 0;
      continue;
    }
    c[i].kv = (uint32_t)kv;
    c[i].av = (uint32_t)av;
    c[i].key = pack_len(kl, kc);
    c[i].val = pack_len(vl, vc);
  }
  return sum;
}

static inline uint8_t *put_cached_str(uint8_t *p, cotel_str s, uint32_t lc) {
  p = pb_varint(p, lc & ~CLEAN);
  return (uint8_t *)cotel__utf8_put((char *)p, s.ptr, s.ptr ? s.len : 0,
                                    lc & CLEAN);
}

static uint8_t *put_attrs_cached(uint8_t *p, const cotel_attr *attrs,
                                 uint32_t n, const kv_cache *c) {
  for (uint32_t i = 0; i < n; i++) {
    const cotel_attr *a = &attrs[i];
    if (!c[i].kv) {
      p = put_attrs(p, T_SPAN_ATTRS, a, 1);
      continue;
    }
    *p++ = T_SPAN_ATTRS;
    p = pb_varint(p, c[i].kv);
    if (c[i].key & ~CLEAN) {
      *p++ = T_KV_KEY;
      p = put_cached_str(p, a->key, c[i].key);
    }
    *p++ = T_KV_VALUE;
    p = pb_varint(p, c[i].av);
    if (a->type == COTEL_ATTR_STRING) {
      *p++ = T_AV_STRING;
      p = put_cached_str(p, a->v.s, c[i].val);
    } else {
      p = put_anyvalue(p, a, c[i].val & ~CLEAN);
    }
  }
  return p;
}

/* ---- small fields ------------------------------------------------------- */

static inline size_t u32_field_size(uint32_t v) {
  return v ? 1 + pb_vlen(v) : 0;
}

static inline uint8_t *put_u32_field(uint8_t *p, uint8_t tag, uint32_t v) {
  if (!v) return p;
  *p++ = tag;
  return pb_varint(p, v);
}

static inline uint8_t *put_fixed64_field(uint8_t *p, uint8_t tag, uint64_t v) {
  if (!v) return p;
  *p++ = tag;
  return pb_fixed64(p, v);
}

static inline uint8_t *put_bytes(uint8_t *p, uint8_t tag, const uint8_t *b,
                                 uint8_t n) {
  p[0] = tag;
  p[1] = n;
  memcpy(p + 2, b, n);
  return p + 2 + n;
}

/* ---- events, links, status --------------------------------------------- */

static inline size_t event_size(const cotel_event *e) {
  return (e->time_ns ? 9 : 0) + str_field_size(e->name) +
         attrs_size(e->attrs, e->n_attrs) + u32_field_size(e->dropped_attrs);
}

static inline size_t link_size(const cotel_link *l) {
  return 18 + 10 + ts_field_size(l->context.tracestate) +
         attrs_size(l->attrs, l->n_attrs) + u32_field_size(l->dropped_attrs) +
         5;
}

static inline size_t status_size(const cotel_span_data *sd) {
  return str_field_size(sd->status_message) + 1 + pb_vlen(sd->status);
}

static uint8_t *put_events(uint8_t *p, const cotel_span_data *sd) {
  if (!sd->events) return p;
  for (uint32_t i = 0; i < sd->n_events; i++) {
    const cotel_event *e = &sd->events[i];
    *p++ = T_SPAN_EVENTS;
    p = pb_varint(p, event_size(e));
    p = put_fixed64_field(p, T_EV_TIME, e->time_ns);
    p = put_str_field(p, T_EV_NAME, e->name);
    p = put_attrs(p, T_EV_ATTRS, e->attrs, e->n_attrs);
    p = put_u32_field(p, T_EV_DROPPED, e->dropped_attrs);
  }
  return p;
}

static uint8_t *put_links(uint8_t *p, const cotel_span_data *sd) {
  if (!sd->links) return p;
  for (uint32_t i = 0; i < sd->n_links; i++) {
    const cotel_link *l = &sd->links[i];
    *p++ = T_SPAN_LINKS;
    p = pb_varint(p, link_size(l));
    p = put_bytes(p, T_LINK_TRACE_ID, l->context.trace_id.bytes, 16);
    p = put_bytes(p, T_LINK_SPAN_ID, l->context.span_id.bytes, 8);
    p = put_ts_field(p, T_LINK_TRACE_STATE, l->context.tracestate);
    p = put_attrs(p, T_LINK_ATTRS, l->attrs, l->n_attrs);
    p = put_u32_field(p, T_LINK_DROPPED, l->dropped_attrs);
    *p++ = T_LINK_FLAGS;
    p = pb_fixed32(
        p, cotel__otlp_span_flags(l->context.flags, l->context.is_remote));
  }
  return p;
}

static inline bool id8_is_zero(const cotel_span_id *id) {
  uint64_t v;
  memcpy(&v, id->bytes, 8);
  return v == 0;
}

/* ---- span --------------------------------------------------------------- */

static size_t span_size(const cotel_span_data *sd, kv_cache *c) {
  size_t sz = 18 + 10 + 6; /* trace_id, span_id, flags */
  sz += ts_field_size(sd->context.tracestate);
  if (!id8_is_zero(&sd->parent_span_id)) sz += 10;
  sz += str_field_size(sd->name);
  sz += u32_field_size((uint32_t)sd->kind);
  sz += (sd->start_ns ? 9 : 0) + (sd->end_ns ? 9 : 0);
  if (sd->attrs) sz += attrs_size_cached(sd->attrs, sd->n_attrs, c);
  sz += u32_field_size(sd->dropped_attrs);
  if (sd->events)
    for (uint32_t i = 0; i < sd->n_events; i++)
      sz += pb_len_field(event_size(&sd->events[i]));
  sz += u32_field_size(sd->dropped_events);
  if (sd->links)
    for (uint32_t i = 0; i < sd->n_links; i++)
      sz += pb_len_field(link_size(&sd->links[i]));
  sz += u32_field_size(sd->dropped_links);
  /* Status absent means UNSET (trace.proto, Span.status). */
  if (sd->status != COTEL_STATUS_UNSET) sz += pb_len_field(status_size(sd));
  return sz;
}

static uint8_t *put_span(uint8_t *p, const cotel_span_data *sd, size_t body,
                         const kv_cache *c) {
  *p++ = T_SS_SPANS;
  p = pb_varint(p, body);
  p = put_bytes(p, T_SPAN_TRACE_ID, sd->context.trace_id.bytes, 16);
  p = put_bytes(p, T_SPAN_SPAN_ID, sd->context.span_id.bytes, 8);
  p = put_ts_field(p, T_SPAN_TRACE_STATE, sd->context.tracestate);
  if (!id8_is_zero(&sd->parent_span_id))
    p = put_bytes(p, T_SPAN_PARENT, sd->parent_span_id.bytes, 8);
  p = put_str_field(p, T_SPAN_NAME, sd->name);
  p = put_u32_field(p, T_SPAN_KIND, (uint32_t)sd->kind);
  p = put_fixed64_field(p, T_SPAN_START, sd->start_ns);
  p = put_fixed64_field(p, T_SPAN_END, sd->end_ns);
  if (sd->attrs) p = put_attrs_cached(p, sd->attrs, sd->n_attrs, c);
  p = put_u32_field(p, T_SPAN_DROPPED_ATTRS, sd->dropped_attrs);
  p = put_events(p, sd);
  p = put_u32_field(p, T_SPAN_DROPPED_EVENTS, sd->dropped_events);
  p = put_links(p, sd);
  p = put_u32_field(p, T_SPAN_DROPPED_LINKS, sd->dropped_links);
  if (sd->status != COTEL_STATUS_UNSET) {
    *p++ = T_SPAN_STATUS;
    p = pb_varint(p, status_size(sd));
    p = put_str_field(p, T_ST_MESSAGE, sd->status_message);
    *p++ = T_ST_CODE;
    p = pb_varint(p, (uint32_t)sd->status);
  }
  p[0] = 0x85; /* field 16, wire type 5 */
  p[1] = 0x01;
  return pb_fixed32(
      p + 2, cotel__otlp_span_flags(sd->context.flags, sd->parent_is_remote));
}

/* ---- resource and scope -------------------------------------------------- */

static inline size_t scope_size(const cotel_scope *sc) {
  return str_field_size(sc->name) + str_field_size(sc->version) +
         attrs_size(sc->attrs, sc->n_attrs);
}

static inline size_t resource_size(const cotel_resource *r) {
  return attrs_size(r->attrs, r->n_attrs);
}

/* Body of one ScopeSpans, from the cached span sizes. */
static size_t scope_spans_size(const cotel__otlp_plan *pl,
                               const cotel__otlp_scope_group *g) {
  size_t sz = 0;
  if (g->scope)
    sz += pb_len_field(scope_size(g->scope)) +
          str_field_size(g->scope->schema_url);
  for (size_t i = g->first; i < g->first + g->count; i++)
    sz += pb_len_field(pl->sizes[i]);
  return sz;
}

/* Body of one ResourceSpans; caches every ScopeSpans body size. */
static size_t resource_spans_size(cotel__otlp_plan *pl,
                                  const cotel__otlp_res_group *r) {
  size_t sz = 0;
  if (r->resource)
    sz += pb_len_field(resource_size(r->resource)) +
          str_field_size(r->resource->schema_url);
  for (size_t s = r->first; s < r->first + r->count; s++) {
    cotel__otlp_scope_group *g = &pl->scopes[s];
    g->size = scope_spans_size(pl, g);
    sz += pb_len_field(g->size);
  }
  return sz;
}

int cotel__otlp_encode_pb(const cotel_span_data *const *spans, size_t n,
                          cotel__buf *b) {
  if (!b || (n && !spans)) return COTEL_EINVAL;
  b->len = 0;
  size_t n_attrs = 0;
  for (size_t i = 0; i < n; i++)
    if (spans[i] && spans[i]->attrs) n_attrs += spans[i]->n_attrs;
  if (n_attrs > SIZE_MAX / sizeof(kv_cache)) return COTEL_ENOMEM;
  cotel__otlp_plan pl;
  int rc = cotel__otlp_plan_build(spans, n, n_attrs * sizeof(kv_cache), &pl);
  if (rc) return rc;
  kv_cache *cache = pl.extra;

  /* Size pass. Per-group sizes are recomputed in the write pass from the
   * cached span sizes (a sum over the group), never from the spans. */
  kv_cache *c = cache;
  for (size_t i = 0; i < pl.n; i++) {
    const cotel_span_data *sd = pl.order[i];
    pl.sizes[i] = span_size(sd, c);
    if (sd->attrs) c += sd->n_attrs;
  }
  size_t total = 0;
  for (size_t r = 0; r < pl.n_res; r++) {
    pl.res[r].size = resource_spans_size(&pl, &pl.res[r]);
    total += pb_len_field(pl.res[r].size);
  }

  /* At least one byte, so that an empty request still has data != NULL. */
  rc = cotel__buf_reserve(b, total ? total : 1);
  if (rc) {
    cotel__otlp_plan_free(&pl);
    return rc;
  }

  uint8_t *p = b->data;
  c = cache;
  for (size_t r = 0; r < pl.n_res; r++) {
    const cotel__otlp_res_group *rg = &pl.res[r];
    *p++ = T_REQ_RESOURCE_SPANS;
    p = pb_varint(p, rg->size);
    if (rg->resource) {
      *p++ = T_RS_RESOURCE;
      p = pb_varint(p, resource_size(rg->resource));
      p = put_attrs(p, T_RES_ATTRS, rg->resource->attrs, rg->resource->n_attrs);
    }
    for (size_t s = rg->first; s < rg->first + rg->count; s++) {
      const cotel__otlp_scope_group *g = &pl.scopes[s];
      *p++ = T_RS_SCOPE_SPANS;
      p = pb_varint(p, g->size);
      if (g->scope) {
        *p++ = T_SS_SCOPE;
        p = pb_varint(p, scope_size(g->scope));
        p = put_str_field(p, T_SCOPE_NAME, g->scope->name);
        p = put_str_field(p, T_SCOPE_VERSION, g->scope->version);
        p = put_attrs(p, T_SCOPE_ATTRS, g->scope->attrs, g->scope->n_attrs);
      }
      for (size_t i = g->first; i < g->first + g->count; i++) {
        const cotel_span_data *sd = pl.order[i];
        p = put_span(p, sd, pl.sizes[i], c);
        if (sd->attrs) c += sd->n_attrs;
      }
      if (g->scope) p = put_str_field(p, T_SS_SCHEMA_URL, g->scope->schema_url);
    }
    if (rg->resource)
      p = put_str_field(p, T_RS_SCHEMA_URL, rg->resource->schema_url);
  }
  assert((size_t)(p - b->data) == total);
  b->len = total;
  cotel__otlp_plan_free(&pl);
  return 0;
}
