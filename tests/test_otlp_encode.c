/* The streaming OTLP/protobuf encoder, checked against the protobuf-c code
 * generated from our .proto files: every request is decoded by the oracle
 * and compared field by field with the span records, and the bytes are
 * compared with protobuf-c's own packing of the equivalent message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "support/otlp_corpus.h"
#include "support/internal.h"
#include "cotel/internal/utf8.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    Req;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans RSpans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans SSpans;
typedef Opentelemetry__Proto__Trace__V1__Span PSpan;
typedef Opentelemetry__Proto__Trace__V1__Span__Event PEvent;
typedef Opentelemetry__Proto__Trace__V1__Span__Link PLink;
typedef Opentelemetry__Proto__Trace__V1__Status PStatus;
typedef Opentelemetry__Proto__Common__V1__KeyValue PKV;
typedef Opentelemetry__Proto__Common__V1__AnyValue PAny;
typedef Opentelemetry__Proto__Common__V1__ArrayValue PArr;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope PScope;
typedef Opentelemetry__Proto__Resource__V1__Resource PRes;

#define AV(x) OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_##x

static Req *unpack(const cotel__buf *b) {
  Req *r =
      opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
          NULL, b->len, b->data);
  assert_non_null(r);
  return r;
}

static void req_free(Req *r) {
  opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(
      r, NULL);
}

/* ---- expectations, written independently of the encoder ----------------- */

/* The wire form of a corpus string: the repaired text for the known invalid
 * inputs, the input itself otherwise. */
static const char *expected_text(cotel_str in, size_t *len) {
  static const struct {
    const char *in, *out;
  } fixes[] = {{BAD_VALUE, BAD_VALUE_FIXED},
               {BAD_KEY, BAD_KEY_FIXED},
               {BAD_ELEM, BAD_ELEM_FIXED}};
  for (size_t i = 0; i < sizeof(fixes) / sizeof(fixes[0]); i++)
    if (in.ptr && in.len == strlen(fixes[i].in) &&
        !memcmp(in.ptr, fixes[i].in, in.len)) {
      *len = strlen(fixes[i].out);
      return fixes[i].out;
    }
  *len = in.ptr ? in.len : 0;
  return in.ptr ? in.ptr : "";
}

static void check_str(const char *got, cotel_str in) {
  size_t len;
  const char *want = expected_text(in, &len);
  assert_non_null(got);
  assert_int_equal(strlen(got), len);
  assert_memory_equal(got, want, len);
}

static void check_double(double got, double want) {
  assert_memory_equal(&got, &want, sizeof(double));
}

static void check_attrs(PKV **kv, size_t n, const cotel_attr *a, uint32_t na) {
  assert_int_equal(n, na);
  for (size_t i = 0; i < n; i++) {
    check_str(kv[i]->key, a[i].key);
    PAny *v = kv[i]->value;
    assert_non_null(v);
    size_t cnt = a[i].v.arr.count;
    switch (a[i].type) {
    case COTEL_ATTR_STRING:
      assert_int_equal(v->value_case, AV(STRING_VALUE));
      check_str(v->string_value, a[i].v.s);
      continue;
    case COTEL_ATTR_BOOL:
      assert_int_equal(v->value_case, AV(BOOL_VALUE));
      assert_int_equal(!!v->bool_value, a[i].v.b);
      continue;
    case COTEL_ATTR_INT:
      assert_int_equal(v->value_case, AV(INT_VALUE));
      assert_true(v->int_value == a[i].v.i);
      continue;
    case COTEL_ATTR_DOUBLE:
      assert_int_equal(v->value_case, AV(DOUBLE_VALUE));
      check_double(v->double_value, a[i].v.d);
      continue;
    default:
      break;
    }
    assert_int_equal(v->value_case, AV(ARRAY_VALUE));
    PArr *arr = v->array_value;
    assert_non_null(arr);
    assert_int_equal(arr->n_values, cnt);
    for (size_t j = 0; j < cnt; j++) {
      PAny *e = arr->values[j];
      switch (a[i].type) {
      case COTEL_ATTR_STRING_ARRAY:
        assert_int_equal(e->value_case, AV(STRING_VALUE));
        check_str(e->string_value, ((const cotel_str *)a[i].v.arr.items)[j]);
        break;
      case COTEL_ATTR_BOOL_ARRAY:
        assert_int_equal(e->value_case, AV(BOOL_VALUE));
        assert_int_equal(!!e->bool_value, ((const bool *)a[i].v.arr.items)[j]);
        break;
      case COTEL_ATTR_INT_ARRAY:
        assert_int_equal(e->value_case, AV(INT_VALUE));
        assert_true(e->int_value == ((const int64_t *)a[i].v.arr.items)[j]);
        break;
      default:
        assert_int_equal(e->value_case, AV(DOUBLE_VALUE));
        check_double(e->double_value, ((const double *)a[i].v.arr.items)[j]);
      }
    }
  }
}

/* Span.flags: trace flags | HAS_IS_REMOTE (0x100) | IS_REMOTE (0x200). */
static uint32_t want_flags(uint8_t trace_flags, bool remote) {
  return trace_flags | 0x100u | (remote ? 0x200u : 0u);
}

static void check_ts(const char *got, const cotel_tracestate *ts) {
  cotel_str s = cotel_tracestate_str(ts);
  check_str(got, s);
}

static void check_span(const PSpan *p, const cotel_span_data *sd) {
  assert_int_equal(p->trace_id.len, 16);
  assert_memory_equal(p->trace_id.data, sd->context.trace_id.bytes, 16);
  assert_int_equal(p->span_id.len, 8);
  assert_memory_equal(p->span_id.data, sd->context.span_id.bytes, 8);
  check_ts(p->trace_state, sd->context.tracestate);
  if (cotel_span_id_is_zero(&sd->parent_span_id)) {
    assert_int_equal(p->parent_span_id.len, 0);
  } else {
    assert_int_equal(p->parent_span_id.len, 8);
    assert_memory_equal(p->parent_span_id.data, sd->parent_span_id.bytes, 8);
  }
  assert_int_equal(p->flags,
                   want_flags(sd->context.flags, sd->parent_is_remote));
  check_str(p->name, sd->name);
  assert_int_equal(p->kind, sd->kind);
  assert_true(p->start_time_unix_nano == sd->start_ns);
  assert_true(p->end_time_unix_nano == sd->end_ns);
  check_attrs(p->attributes, p->n_attributes, sd->attrs, sd->n_attrs);
  assert_int_equal(p->dropped_attributes_count, sd->dropped_attrs);
  assert_int_equal(p->n_events, sd->n_events);
  for (size_t i = 0; i < p->n_events; i++) {
    const PEvent *e = p->events[i];
    const cotel_event *w = &sd->events[i];
    assert_true(e->time_unix_nano == w->time_ns);
    check_str(e->name, w->name);
    check_attrs(e->attributes, e->n_attributes, w->attrs, w->n_attrs);
    assert_int_equal(e->dropped_attributes_count, w->dropped_attrs);
  }
  assert_int_equal(p->dropped_events_count, sd->dropped_events);
  assert_int_equal(p->n_links, sd->n_links);
  for (size_t i = 0; i < p->n_links; i++) {
    const PLink *l = p->links[i];
    const cotel_link *w = &sd->links[i];
    assert_int_equal(l->trace_id.len, 16);
    assert_memory_equal(l->trace_id.data, w->context.trace_id.bytes, 16);
    assert_int_equal(l->span_id.len, 8);
    assert_memory_equal(l->span_id.data, w->context.span_id.bytes, 8);
    check_ts(l->trace_state, w->context.tracestate);
    check_attrs(l->attributes, l->n_attributes, w->attrs, w->n_attrs);
    assert_int_equal(l->dropped_attributes_count, w->dropped_attrs);
    assert_int_equal(l->flags,
                     want_flags(w->context.flags, w->context.is_remote));
  }
  assert_int_equal(p->dropped_links_count, sd->dropped_links);
  if (sd->status == COTEL_STATUS_UNSET) {
    assert_null(p->status);
  } else {
    assert_non_null(p->status);
    assert_int_equal(p->status->code, sd->status);
    check_str(p->status->message, sd->status_message);
  }
}

static void check_resource(const RSpans *rs, const cotel_resource *r) {
  if (!r) {
    assert_null(rs->resource);
    assert_string_equal(rs->schema_url, "");
    return;
  }
  assert_non_null(rs->resource);
  check_attrs(rs->resource->attributes, rs->resource->n_attributes, r->attrs,
              r->n_attrs);
  check_str(rs->schema_url, r->schema_url);
}

static void check_scope(const SSpans *ss, const cotel_scope *s) {
  if (!s) {
    assert_null(ss->scope);
    return;
  }
  assert_non_null(ss->scope);
  check_str(ss->scope->name, s->name);
  check_str(ss->scope->version, s->version);
  check_attrs(ss->scope->attributes, ss->scope->n_attributes, s->attrs,
              s->n_attrs);
  check_str(ss->schema_url, s->schema_url);
}

/* ---- protobuf-c's packing of the same batch ------------------------------ */

/* Everything allocated for one protobuf-c message tree, freed at once. */
typedef struct pool {
  void **blocks;
  size_t n, cap;
} pool;

static void *pz(pool *p, size_t size) {
  if (p->n == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 256;
    p->blocks = realloc(p->blocks, p->cap * sizeof(void *));
    assert_non_null(p->blocks);
  }
  void *m = calloc(1, size ? size : 1);
  assert_non_null(m);
  p->blocks[p->n++] = m;
  return m;
}

static void pool_free(pool *p) {
  for (size_t i = 0; i < p->n; i++)
    free(p->blocks[i]);
  free(p->blocks);
  p->blocks = NULL;
  p->n = p->cap = 0;
}

static char *pstr(pool *p, cotel_str s) {
  size_t len;
  const char *t = expected_text(s, &len);
  char *c = pz(p, len + 1);
  memcpy(c, t, len);
  return c;
}

static PAny *pany(pool *p) {
  PAny *v = pz(p, sizeof(*v));
  *v = (PAny)OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
  return v;
}

static PKV **pattrs(pool *p, const cotel_attr *a, uint32_t n) {
  PKV **kv = pz(p, n * sizeof(*kv));
  for (uint32_t i = 0; i < n; i++) {
    kv[i] = pz(p, sizeof(PKV));
    *kv[i] = (PKV)OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT;
    kv[i]->key = pstr(p, a[i].key);
    PAny *v = kv[i]->value = pany(p);
    size_t cnt = a[i].v.arr.items ? a[i].v.arr.count : 0;
    switch (a[i].type) {
    case COTEL_ATTR_STRING:
      v->value_case = AV(STRING_VALUE);
      v->string_value = pstr(p, a[i].v.s);
      continue;
    case COTEL_ATTR_BOOL:
      v->value_case = AV(BOOL_VALUE);
      v->bool_value = a[i].v.b;
      continue;
    case COTEL_ATTR_INT:
      v->value_case = AV(INT_VALUE);
      v->int_value = a[i].v.i;
      continue;
    case COTEL_ATTR_DOUBLE:
      v->value_case = AV(DOUBLE_VALUE);
      v->double_value = a[i].v.d;
      continue;
    default:
      break;
    }
    v->value_case = AV(ARRAY_VALUE);
    PArr *arr = v->array_value = pz(p, sizeof(PArr));
    *arr = (PArr)OPENTELEMETRY__PROTO__COMMON__V1__ARRAY_VALUE__INIT;
    arr->n_values = cnt;
    arr->values = pz(p, cnt * sizeof(PAny *));
    for (size_t j = 0; j < cnt; j++) {
      PAny *e = arr->values[j] = pany(p);
      switch (a[i].type) {
      case COTEL_ATTR_STRING_ARRAY:
        e->value_case = AV(STRING_VALUE);
        e->string_value = pstr(p, ((const cotel_str *)a[i].v.arr.items)[j]);
        break;
      case COTEL_ATTR_BOOL_ARRAY:
        e->value_case = AV(BOOL_VALUE);
        e->bool_value = ((const bool *)a[i].v.arr.items)[j];
        break;
      case COTEL_ATTR_INT_ARRAY:
        e->value_case = AV(INT_VALUE);
        e->int_value = ((const int64_t *)a[i].v.arr.items)[j];
        break;
      default:
        e->value_case = AV(DOUBLE_VALUE);
        e->double_value = ((const double *)a[i].v.arr.items)[j];
      }
    }
  }
  return kv;
}

static ProtobufCBinaryData pbytes(const uint8_t *b, size_t n) {
  return (ProtobufCBinaryData){n, (uint8_t *)b};
}

static PSpan *pspan(pool *p, const cotel_span_data *sd) {
  PSpan *s = pz(p, sizeof(*s));
  *s = (PSpan)OPENTELEMETRY__PROTO__TRACE__V1__SPAN__INIT;
  s->trace_id = pbytes(sd->context.trace_id.bytes, 16);
  s->span_id = pbytes(sd->context.span_id.bytes, 8);
  s->trace_state = pstr(p, cotel_tracestate_str(sd->context.tracestate));
  if (!cotel_span_id_is_zero(&sd->parent_span_id))
    s->parent_span_id = pbytes(sd->parent_span_id.bytes, 8);
  s->flags = want_flags(sd->context.flags, sd->parent_is_remote);
  s->name = pstr(p, sd->name);
  s->kind = (Opentelemetry__Proto__Trace__V1__Span__SpanKind)sd->kind;
  s->start_time_unix_nano = sd->start_ns;
  s->end_time_unix_nano = sd->end_ns;
  s->n_attributes = sd->n_attrs;
  s->attributes = pattrs(p, sd->attrs, sd->n_attrs);
  s->dropped_attributes_count = sd->dropped_attrs;
  s->n_events = sd->n_events;
  s->events = pz(p, sd->n_events * sizeof(PEvent *));
  for (uint32_t i = 0; i < sd->n_events; i++) {
    const cotel_event *w = &sd->events[i];
    PEvent *e = s->events[i] = pz(p, sizeof(PEvent));
    *e = (PEvent)OPENTELEMETRY__PROTO__TRACE__V1__SPAN__EVENT__INIT;
    e->time_unix_nano = w->time_ns;
    e->name = pstr(p, w->name);
    e->n_attributes = w->n_attrs;
    e->attributes = pattrs(p, w->attrs, w->n_attrs);
    e->dropped_attributes_count = w->dropped_attrs;
  }
  s->dropped_events_count = sd->dropped_events;
  s->n_links = sd->n_links;
  s->links = pz(p, sd->n_links * sizeof(PLink *));
  for (uint32_t i = 0; i < sd->n_links; i++) {
    const cotel_link *w = &sd->links[i];
    PLink *l = s->links[i] = pz(p, sizeof(PLink));
    *l = (PLink)OPENTELEMETRY__PROTO__TRACE__V1__SPAN__LINK__INIT;
    l->trace_id = pbytes(w->context.trace_id.bytes, 16);
    l->span_id = pbytes(w->context.span_id.bytes, 8);
    l->trace_state = pstr(p, cotel_tracestate_str(w->context.tracestate));
    l->n_attributes = w->n_attrs;
    l->attributes = pattrs(p, w->attrs, w->n_attrs);
    l->dropped_attributes_count = w->dropped_attrs;
    l->flags = want_flags(w->context.flags, w->context.is_remote);
  }
  s->dropped_links_count = sd->dropped_links;
  if (sd->status != COTEL_STATUS_UNSET) {
    s->status = pz(p, sizeof(PStatus));
    *s->status = (PStatus)OPENTELEMETRY__PROTO__TRACE__V1__STATUS__INIT;
    s->status->message = pstr(p, sd->status_message);
    s->status->code =
        (Opentelemetry__Proto__Trace__V1__Status__StatusCode)sd->status;
  }
  return s;
}

/* protobuf-c packing of a batch, grouped by a naive O(n²) reference of the
 * encoder's rule: resources in first-seen order, then scopes in first-seen
 * order within their resource, spans in input order. */
static void pbc_pack(const cotel_span_data *const *sp, size_t n,
                     cotel__buf *out) {
  pool p = {NULL, 0, 0};
  Req req =
      OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_REQUEST__INIT;
  req.resource_spans = pz(&p, n * sizeof(RSpans *));
  for (size_t i = 0; i < n; i++) {
    if (!sp[i]) continue;
    bool seen = false;
    for (size_t j = 0; j < i; j++)
      seen |= sp[j] && sp[j]->resource == sp[i]->resource;
    if (seen) continue;
    const cotel_resource *r = sp[i]->resource;
    RSpans *rs = req.resource_spans[req.n_resource_spans++] =
        pz(&p, sizeof(RSpans));
    *rs = (RSpans)OPENTELEMETRY__PROTO__TRACE__V1__RESOURCE_SPANS__INIT;
    if (r) {
      rs->resource = pz(&p, sizeof(PRes));
      *rs->resource = (PRes)OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT;
      rs->resource->n_attributes = r->n_attrs;
      rs->resource->attributes = pattrs(&p, r->attrs, r->n_attrs);
      rs->schema_url = pstr(&p, r->schema_url);
    }
    rs->scope_spans = pz(&p, n * sizeof(SSpans *));
    for (size_t k = i; k < n; k++) {
      if (!sp[k] || sp[k]->resource != r) continue;
      bool sseen = false;
      for (size_t j = i; j < k; j++)
        sseen |= sp[j] && sp[j]->resource == r && sp[j]->scope == sp[k]->scope;
      if (sseen) continue;
      const cotel_scope *sc = sp[k]->scope;
      SSpans *ss = rs->scope_spans[rs->n_scope_spans++] =
          pz(&p, sizeof(SSpans));
      *ss = (SSpans)OPENTELEMETRY__PROTO__TRACE__V1__SCOPE_SPANS__INIT;
      if (sc) {
        ss->scope = pz(&p, sizeof(PScope));
        *ss->scope = (PScope)
            OPENTELEMETRY__PROTO__COMMON__V1__INSTRUMENTATION_SCOPE__INIT;
        ss->scope->name = pstr(&p, sc->name);
        ss->scope->version = pstr(&p, sc->version);
        ss->scope->n_attributes = sc->n_attrs;
        ss->scope->attributes = pattrs(&p, sc->attrs, sc->n_attrs);
        ss->schema_url = pstr(&p, sc->schema_url);
      }
      ss->spans = pz(&p, n * sizeof(PSpan *));
      for (size_t m = k; m < n; m++)
        if (sp[m] && sp[m]->resource == r && sp[m]->scope == sc)
          ss->spans[ss->n_spans++] = pspan(&p, sp[m]);
    }
  }
  size_t len =
      opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(
          &req);
  assert_int_equal(cotel__buf_reserve(out, len + 1), 0);
  out->len =
      opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(
          &req, out->data);
  assert_int_equal(out->len, len);
  pool_free(&p);
}

static void assert_same_bytes(const cotel__buf *got, const cotel__buf *want) {
  if (got->len != want->len || memcmp(got->data, want->data, got->len)) {
    size_t i = 0;
    while (i < got->len && i < want->len && got->data[i] == want->data[i])
      i++;
    print_error("encoded %zu bytes, protobuf-c %zu; first difference at %zu\n",
                got->len, want->len, i);
    fail();
  }
}

/* ---- tests ----------------------------------------------------------------
 */

static void
test_encode_pb_bytes_equal_protobuf_c_packing_of_the_corpus(void **state) {
  (void)state;
  otlp_corpus c;
  otlp_corpus_build(&c, true);
  cotel__buf got, want;
  cotel__buf_init(&got);
  cotel__buf_init(&want);
  assert_int_equal(cotel__otlp_encode_pb(c.ptrs, c.n, &got), 0);
  pbc_pack(c.ptrs, c.n, &want);
  assert_same_bytes(&got, &want);
  cotel__buf_free(&got);
  cotel__buf_free(&want);
  otlp_corpus_free(&c);
}

static void
test_encode_pb_bytes_equal_protobuf_c_for_each_span_alone(void **state) {
  (void)state;
  otlp_corpus c;
  otlp_corpus_build(&c, true);
  cotel__buf got, want;
  cotel__buf_init(&got);
  cotel__buf_init(&want);
  for (size_t i = 0; i < 6; i++) {
    const cotel_span_data *one = &c.spans[i];
    assert_int_equal(cotel__otlp_encode_pb(&one, 1, &got), 0);
    pbc_pack(&one, 1, &want);
    assert_same_bytes(&got, &want);
  }
  cotel__buf_free(&got);
  cotel__buf_free(&want);
  otlp_corpus_free(&c);
}

static void
test_encode_pb_decodes_field_by_field_with_the_oracle(void **state) {
  (void)state;
  otlp_corpus c;
  otlp_corpus_build(&c, true);
  assert_non_null(c.ts1);
  assert_non_null(c.ts2);
  cotel__buf b;
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_pb(c.ptrs, c.n, &b), 0);
  Req *r = unpack(&b);
  /* Expected grouping: res1{scope1[0,3], scope2[1]}, res2{scope3[2,4]},
   * no resource{scope2[5]}. */
  assert_int_equal(r->n_resource_spans, 3);
  const cotel_resource *res[3] = {&c.res1, &c.res2, NULL};
  const size_t n_scopes[3] = {2, 1, 1};
  const cotel_scope *scopes[3][2] = {
      {&c.scope1, &c.scope2}, {&c.scope3, NULL}, {&c.scope2, NULL}};
  const int spans[3][2][3] = {{{0, 3, -1}, {1, -1, -1}},
                              {{2, 4, -1}, {-1, -1, -1}},
                              {{5, -1, -1}, {-1, -1, -1}}};
  size_t seen = 0;
  for (size_t i = 0; i < 3; i++) {
    RSpans *rs = r->resource_spans[i];
    check_resource(rs, res[i]);
    assert_int_equal(rs->n_scope_spans, n_scopes[i]);
    for (size_t j = 0; j < rs->n_scope_spans; j++) {
      SSpans *ss = rs->scope_spans[j];
      check_scope(ss, scopes[i][j]);
      size_t k = 0;
      for (; k < 3 && spans[i][j][k] >= 0; k++)
        check_span(ss->spans[k], &c.spans[spans[i][j][k]]);
      assert_int_equal(ss->n_spans, k);
      seen += k;
    }
  }
  assert_int_equal(seen, 6);
  req_free(r);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void test_encode_pb_without_tracestates_omits_trace_state(void **state) {
  (void)state;
  otlp_corpus c;
  otlp_corpus_build(&c, false);
  cotel__buf got, want;
  cotel__buf_init(&got);
  cotel__buf_init(&want);
  assert_int_equal(cotel__otlp_encode_pb(c.ptrs, c.n, &got), 0);
  pbc_pack(c.ptrs, c.n, &want);
  assert_same_bytes(&got, &want);
  Req *r = unpack(&got);
  PSpan *client = r->resource_spans[1]->scope_spans[0]->spans[0];
  assert_string_equal(client->name, "client");
  assert_string_equal(client->trace_state, "");
  req_free(r);
  cotel__buf_free(&got);
  cotel__buf_free(&want);
}

static void test_encode_pb_sets_trace_flags_and_is_remote_bits(void **state) {
  (void)state;
  otlp_corpus c;
  otlp_corpus_build(&c, true);
  cotel__buf b;
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_pb(c.ptrs, c.n, &b), 0);
  Req *r = unpack(&b);
  /* Root span, sampled+random: HAS_IS_REMOTE set, IS_REMOTE clear (as
   * opentelemetry-go does for roots). */
  assert_int_equal(r->resource_spans[0]->scope_spans[0]->spans[0]->flags,
                   0x103);
  /* Local parent, sampled. */
  assert_int_equal(r->resource_spans[0]->scope_spans[1]->spans[0]->flags,
                   0x101);
  /* Remote parent, sampled. */
  assert_int_equal(r->resource_spans[1]->scope_spans[0]->spans[0]->flags,
                   0x301);
  /* Local parent, not sampled; its links: remote sampled, local unsampled. */
  PSpan *prod = r->resource_spans[0]->scope_spans[0]->spans[1];
  assert_int_equal(prod->flags, 0x100);
  assert_int_equal(prod->links[0]->flags, 0x301);
  assert_int_equal(prod->links[1]->flags, 0x100);
  assert_string_equal(prod->links[0]->trace_state, "congo=t61rcWkgMzE");
  req_free(r);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void
test_encode_pb_repairs_invalid_utf8_and_keeps_valid_text(void **state) {
  (void)state;
  otlp_corpus c;
  otlp_corpus_build(&c, true);
  cotel__buf b;
  cotel__buf_init(&b);
  const cotel_span_data *one = &c.spans[3];
  assert_int_equal(cotel__otlp_encode_pb(&one, 1, &b), 0);
  Req *r = unpack(&b);
  PSpan *s = r->resource_spans[0]->scope_spans[0]->spans[0];
  assert_string_equal(s->name, UNICODE_NAME);
  assert_string_equal(s->attributes[0]->key, BAD_KEY_FIXED);
  assert_string_equal(s->attributes[1]->value->string_value, BAD_VALUE_FIXED);
  /* Every string on the wire is valid UTF-8: the request contains no byte
   * of the original invalid sequences' lead bytes FF. */
  assert_null(memchr(b.data, 0xff, b.len));
  req_free(r);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void test_encode_pb_empty_batch_is_an_empty_request(void **state) {
  (void)state;
  cotel__buf b;
  cotel__buf_init(&b);
  assert_int_equal(cotel__buf_reserve(&b, 4), 0);
  memcpy(b.data, "junk", 4);
  b.len = 4;
  assert_int_equal(cotel__otlp_encode_pb(NULL, 0, &b), 0);
  assert_int_equal(b.len, 0);
  const cotel_span_data *nulls[2] = {NULL, NULL};
  assert_int_equal(cotel__otlp_encode_pb(nulls, 2, &b), 0);
  assert_int_equal(b.len, 0);
  Req *r = unpack(&b);
  assert_int_equal(r->n_resource_spans, 0);
  req_free(r);
  cotel__buf_free(&b);
}

static void test_encode_pb_rejects_null_arguments(void **state) {
  (void)state;
  cotel__buf b;
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_pb(NULL, 1, &b), COTEL_EINVAL);
  assert_int_equal(cotel__otlp_encode_pb(NULL, 0, NULL), COTEL_EINVAL);
  cotel__buf_free(&b);
}

static void test_encode_pb_replaces_the_buffer_contents(void **state) {
  (void)state;
  otlp_corpus c;
  otlp_corpus_build(&c, true);
  cotel__buf a, b;
  cotel__buf_init(&a);
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_pb(c.ptrs, c.n, &a), 0);
  assert_int_equal(cotel__otlp_encode_pb(c.ptrs, 2, &b), 0);
  assert_int_equal(cotel__otlp_encode_pb(c.ptrs, c.n, &b), 0);
  assert_same_bytes(&b, &a);
  cotel__buf_free(&a);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

/* Length prefixes of 1, 2 and 3 bytes, and a batch big enough for a
 * 3-byte ResourceSpans length: protobuf-c writes minimal varints, so byte
 * identity proves ours are minimal too. */
static void test_encode_pb_length_prefixes_are_minimal_varints(void **state) {
  (void)state;
  enum { BIG = 20000, N = 300 };
  char *big = malloc(BIG);
  assert_non_null(big);
  for (size_t i = 0; i < BIG; i++)
    big[i] = (char)('a' + i % 26);
  cotel_attr attrs[3] = {
      {S("k127"), COTEL_ATTR_STRING, {.s = {big, 127}}},
      {S("k128"), COTEL_ATTR_STRING, {.s = {big, 128}}},
      {S("kbig"), COTEL_ATTR_STRING, {.s = {big, BIG}}},
  };
  cotel_scope scope = {S("s"), {NULL, 0}, {NULL, 0}, NULL, 0};
  cotel_resource res = {NULL, 0, {NULL, 0}};
  static cotel_span_data spans[N];
  const cotel_span_data *ptrs[N];
  for (size_t i = 0; i < N; i++) {
    memset(&spans[i], 0, sizeof(spans[i]));
    corpus_ids(&spans[i].context, (uint8_t)i, 1, false);
    spans[i].name = (cotel_str){big, i};
    spans[i].kind = COTEL_SPAN_KIND_SERVER;
    spans[i].start_ns = i;
    spans[i].end_ns = UINT64_MAX - i;
    spans[i].attrs = attrs;
    spans[i].n_attrs = i % 2 == 0 ? 3 : 2;
    spans[i].scope = &scope;
    spans[i].resource = &res;
    ptrs[i] = &spans[i];
  }
  cotel__buf got, want;
  cotel__buf_init(&got);
  cotel__buf_init(&want);
  assert_int_equal(cotel__otlp_encode_pb(ptrs, N, &got), 0);
  assert_true(got.len > (1u << 21)); /* needs a 4-byte varint */
  pbc_pack(ptrs, N, &want);
  assert_same_bytes(&got, &want);
  cotel__buf_free(&got);
  cotel__buf_free(&want);
  free(big);
}

/* Many scopes, interleaved: every span comes back, in its group, in order. */
static void test_encode_pb_groups_many_interleaved_scopes(void **state) {
  (void)state;
  enum { N = 1000, SCOPES = 37, RES = 3 };
  static cotel_scope scopes[SCOPES];
  static cotel_resource res[RES];
  static cotel_span_data spans[N];
  const cotel_span_data *ptrs[N];
  for (size_t i = 0; i < SCOPES; i++)
    scopes[i] = (cotel_scope){S("scope"), {NULL, 0}, {NULL, 0}, NULL, 0};
  for (size_t i = 0; i < N; i++) {
    memset(&spans[i], 0, sizeof(spans[i]));
    corpus_ids(&spans[i].context, (uint8_t)i, 1, false);
    spans[i].start_ns = i + 1; /* identifies the span */
    spans[i].kind = COTEL_SPAN_KIND_INTERNAL;
    spans[i].scope = &scopes[(i * 7) % SCOPES];
    spans[i].resource = &res[(i * 5) % RES];
    ptrs[i] = &spans[i];
  }
  cotel__buf got, want;
  cotel__buf_init(&got);
  cotel__buf_init(&want);
  assert_int_equal(cotel__otlp_encode_pb(ptrs, N, &got), 0);
  pbc_pack(ptrs, N, &want);
  assert_same_bytes(&got, &want);
  Req *r = unpack(&got);
  assert_int_equal(r->n_resource_spans, RES);
  size_t total = 0;
  for (size_t i = 0; i < r->n_resource_spans; i++) {
    assert_int_equal(r->resource_spans[i]->n_scope_spans, SCOPES);
    for (size_t j = 0; j < SCOPES; j++) {
      SSpans *ss = r->resource_spans[i]->scope_spans[j];
      for (size_t k = 1; k < ss->n_spans; k++)
        assert_true(ss->spans[k]->start_time_unix_nano >
                    ss->spans[k - 1]->start_time_unix_nano);
      total += ss->n_spans;
    }
  }
  assert_int_equal(total, N);
  req_free(r);
  cotel__buf_free(&got);
  cotel__buf_free(&want);
}

/* ---- UTF-8 repair (utf8.c) ------------------------------------------------
 */

static void check_repair(const char *in, size_t n, const char *want,
                         bool want_clean) {
  bool clean = false;
  size_t len = cotel__utf8_len(in, n, &clean);
  assert_int_equal(len, strlen(want));
  assert_int_equal(clean, want_clean);
  char out[256];
  char *end = cotel__utf8_put(out, in, n, clean);
  assert_int_equal((size_t)(end - out), len);
  assert_memory_equal(out, want, len);
  /* The repair path gives the same result on valid input. */
  end = cotel__utf8_repair(out, in, n);
  assert_int_equal((size_t)(end - out), len);
  assert_memory_equal(out, want, len);
}

#define REPAIR(in, want, clean) check_repair(in, sizeof(in) - 1, want, clean)
#define FFFD "\xef\xbf\xbd"

static void test_utf8_valid_text_is_copied_verbatim(void **state) {
  (void)state;
  REPAIR("", "", true);
  REPAIR("plain ascii, longer than eight bytes",
         "plain ascii, longer than "
         "eight bytes",
         true);
  REPAIR("\xc2\x80", "\xc2\x80", true);
  REPAIR("\xdf\xbf", "\xdf\xbf", true);
  REPAIR("\xe0\xa0\x80", "\xe0\xa0\x80", true);
  REPAIR("\xed\x9f\xbf", "\xed\x9f\xbf", true); /* U+D7FF */
  REPAIR("\xef\xbf\xbf", "\xef\xbf\xbf", true);
  REPAIR("\xf0\x90\x80\x80", "\xf0\x90\x80\x80", true);
  REPAIR("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", true); /* U+10FFFF */
  REPAIR(UNICODE_NAME, UNICODE_NAME, true);
}

/* Unicode 15 §3.9, Table 3-8 and the examples after it. */
static void test_utf8_replaces_each_maximal_subpart_with_fffd(void **state) {
  (void)state;
  REPAIR("\x80", FFFD, false);          /* lone continuation */
  REPAIR("\xc0\xaf", FFFD FFFD, false); /* overlong lead C0 */
  REPAIR("\xc1\xbf", FFFD FFFD, false);
  REPAIR("\xe0\x80\xaf", FFFD FFFD FFFD, false); /* overlong 3-byte */
  REPAIR("\xed\xa0\x80", FFFD FFFD FFFD, false); /* surrogate */
  REPAIR("\xf0\x80\x80\x80", FFFD FFFD FFFD FFFD, false);
  REPAIR("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, false); /* > U+10FFFF */
  REPAIR("\xf5\x80", FFFD FFFD, false);
  REPAIR("\xff", FFFD, false);
  REPAIR("\xe2\x82", FFFD, false);      /* truncated at the end */
  REPAIR("\xe2\x82x", FFFD "x", false); /* truncated in the middle */
  REPAIR("\xf0\x9f\x98", FFFD, false);  /* 3 bytes → 1 FFFD, same size */
  REPAIR("\xf0\x9f\x98z", FFFD "z", false);
  REPAIR("a\x80\x80\x80"
         "b",
         "a" FFFD FFFD FFFD "b", false);
  /* Unicode's example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 */
  REPAIR("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
         "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d", false);
}

/* The 8-byte ASCII fast path hands over to the slow path wherever the
 * first non-ASCII byte is. */
static void test_utf8_finds_bad_bytes_at_every_offset(void **state) {
  (void)state;
  for (size_t len = 1; len < 40; len++) {
    for (size_t at = 0; at < len; at++) {
      char in[64], want[128];
      memset(in, 'x', len);
      in[at] = (char)0xfe;
      memset(want, 'x', at);
      memcpy(want + at, FFFD, 3);
      memset(want + at + 3, 'x', len - at - 1);
      want[len + 2] = '\0';
      check_repair(in, len, want, false);
    }
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_encode_pb_bytes_equal_protobuf_c_packing_of_the_corpus),
      cmocka_unit_test(
          test_encode_pb_bytes_equal_protobuf_c_for_each_span_alone),
      cmocka_unit_test(test_encode_pb_decodes_field_by_field_with_the_oracle),
      cmocka_unit_test(test_encode_pb_without_tracestates_omits_trace_state),
      cmocka_unit_test(test_encode_pb_sets_trace_flags_and_is_remote_bits),
      cmocka_unit_test(
          test_encode_pb_repairs_invalid_utf8_and_keeps_valid_text),
      cmocka_unit_test(test_encode_pb_empty_batch_is_an_empty_request),
      cmocka_unit_test(test_encode_pb_rejects_null_arguments),
      cmocka_unit_test(test_encode_pb_replaces_the_buffer_contents),
      cmocka_unit_test(test_encode_pb_length_prefixes_are_minimal_varints),
      cmocka_unit_test(test_encode_pb_groups_many_interleaved_scopes),
      cmocka_unit_test(test_utf8_valid_text_is_copied_verbatim),
      cmocka_unit_test(test_utf8_replaces_each_maximal_subpart_with_fffd),
      cmocka_unit_test(test_utf8_finds_bad_bytes_at_every_offset),
  };
  return cotel_test_run(argc, argv, "otlp_encode", tests);
}
