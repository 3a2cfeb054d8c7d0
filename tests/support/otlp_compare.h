/* Test support (header only: it needs the protobuf-c code generated into
 * the build tree, which only the test executables see): decode an OTLP
 * request with the generated code (the oracle) and compare each span with
 * the cotel_span_data it came from, field by field, with cmocka asserts.
 * Include after <cmocka.h>. */
#ifndef COTEL_TEST_OTLP_COMPARE_H
#define COTEL_TEST_OTLP_COMPARE_H

#include <string.h>

#include "cotel/span_data.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    otlp_pb_request;
typedef Opentelemetry__Proto__Trace__V1__Span otlp_pb_span;
typedef Opentelemetry__Proto__Common__V1__KeyValue otlp_pb_kv;
typedef Opentelemetry__Proto__Common__V1__AnyValue otlp_pb_any;

static inline otlp_pb_request *otlp_pb_decode(const void *body, size_t len) {
  return opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
      NULL, len, (const uint8_t *)body);
}

static inline void otlp_pb_free(otlp_pb_request *r) {
  if (r)
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(
        r, NULL);
}

/* Number of spans in a request. */
static inline size_t otlp_pb_count(const otlp_pb_request *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->n_resource_spans; i++)
    for (size_t j = 0; j < r->resource_spans[i]->n_scope_spans; j++)
      n += r->resource_spans[i]->scope_spans[j]->n_spans;
  return n;
}

/* The span with this span id, or NULL; its scope into *scope (optional). */
static inline const otlp_pb_span *
otlp_pb_find(const otlp_pb_request *r, const cotel_span_id *id,
             const Opentelemetry__Proto__Trace__V1__ScopeSpans **scope,
             const Opentelemetry__Proto__Trace__V1__ResourceSpans **res) {
  for (size_t i = 0; i < r->n_resource_spans; i++)
    for (size_t j = 0; j < r->resource_spans[i]->n_scope_spans; j++) {
      const Opentelemetry__Proto__Trace__V1__ScopeSpans *ss =
          r->resource_spans[i]->scope_spans[j];
      for (size_t k = 0; k < ss->n_spans; k++)
        if (ss->spans[k]->span_id.len == 8 &&
            !memcmp(ss->spans[k]->span_id.data, id->bytes, 8)) {
          if (scope) *scope = ss;
          if (res) *res = r->resource_spans[i];
          return ss->spans[k];
        }
    }
  return NULL;
}

static inline void otlp_assert_str(cotel_str want, const char *got) {
  assert_non_null(got);
  assert_int_equal(want.len, strlen(got));
  assert_memory_equal(want.ptr, got, want.len);
}

static inline void otlp_assert_any_scalar(cotel_attr_type t, const void *item,
                                          const otlp_pb_any *v) {
  switch (t) {
  case COTEL_ATTR_STRING:
  case COTEL_ATTR_STRING_ARRAY:
    assert_int_equal(
        v->value_case,
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE);
    otlp_assert_str(*(const cotel_str *)item, v->string_value);
    break;
  case COTEL_ATTR_BOOL:
  case COTEL_ATTR_BOOL_ARRAY:
    assert_int_equal(
        v->value_case,
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE);
    assert_int_equal(!!v->bool_value, *(const bool *)item);
    break;
  case COTEL_ATTR_INT:
  case COTEL_ATTR_INT_ARRAY:
    assert_int_equal(
        v->value_case,
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE);
    assert_true(v->int_value == *(const int64_t *)item);
    break;
  case COTEL_ATTR_DOUBLE:
  case COTEL_ATTR_DOUBLE_ARRAY:
    assert_int_equal(
        v->value_case,
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE);
    assert_true(v->double_value == *(const double *)item);
    break;
  }
}

static inline void otlp_assert_attr(const cotel_attr *a, const otlp_pb_kv *kv) {
  otlp_assert_str(a->key, kv->key);
  assert_non_null(kv->value);
  if (a->type < COTEL_ATTR_STRING_ARRAY) {
    otlp_assert_any_scalar(a->type, &a->v, kv->value);
    return;
  }
  static const size_t elem[] = {0,
                                0,
                                0,
                                0,
                                0,
                                sizeof(cotel_str),
                                sizeof(bool),
                                sizeof(int64_t),
                                sizeof(double)};
  assert_int_equal(
      kv->value->value_case,
      OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE);
  assert_int_equal(kv->value->array_value->n_values, a->v.arr.count);
  for (size_t i = 0; i < a->v.arr.count; i++)
    otlp_assert_any_scalar(a->type,
                           (const char *)a->v.arr.items + i * elem[a->type],
                           kv->value->array_value->values[i]);
}

static inline void otlp_assert_attrs(const cotel_attr *a, size_t n,
                                     otlp_pb_kv *const *kv, size_t nkv) {
  assert_int_equal(n, nkv);
  for (size_t i = 0; i < n; i++)
    otlp_assert_attr(&a[i], kv[i]);
}

static inline void otlp_assert_bytes(const void *want, size_t n,
                                     ProtobufCBinaryData got) {
  assert_int_equal(got.len, n);
  if (n) assert_memory_equal(got.data, want, n);
}

/* Every field of one span (strings are compared as recorded: tests use
 * valid UTF-8). */
static inline void otlp_assert_span(const cotel_span_data *sd,
                                    const otlp_pb_span *ps) {
  assert_non_null(ps);
  otlp_assert_bytes(sd->context.trace_id.bytes, 16, ps->trace_id);
  otlp_assert_bytes(sd->context.span_id.bytes, 8, ps->span_id);
  if (cotel_span_id_is_zero(&sd->parent_span_id))
    assert_int_equal(ps->parent_span_id.len, 0);
  else
    otlp_assert_bytes(sd->parent_span_id.bytes, 8, ps->parent_span_id);
  assert_int_equal(ps->flags & 0xff, sd->context.flags);
  assert_int_equal(ps->flags & 0x300,
                   0x100 | (sd->parent_is_remote ? 0x200 : 0));
  otlp_assert_str(sd->name, ps->name);
  assert_int_equal((int)ps->kind, (int)sd->kind);
  assert_true(ps->start_time_unix_nano == sd->start_ns);
  assert_true(ps->end_time_unix_nano == sd->end_ns);
  otlp_assert_attrs(sd->attrs, sd->n_attrs, ps->attributes, ps->n_attributes);
  assert_int_equal(ps->dropped_attributes_count, sd->dropped_attrs);
  assert_int_equal(ps->n_events, sd->n_events);
  for (size_t i = 0; i < sd->n_events; i++) {
    const cotel_event *e = &sd->events[i];
    otlp_assert_str(e->name, ps->events[i]->name);
    assert_true(ps->events[i]->time_unix_nano == e->time_ns);
    otlp_assert_attrs(e->attrs, e->n_attrs, ps->events[i]->attributes,
                      ps->events[i]->n_attributes);
    assert_int_equal(ps->events[i]->dropped_attributes_count, e->dropped_attrs);
  }
  assert_int_equal(ps->dropped_events_count, sd->dropped_events);
  assert_int_equal(ps->n_links, sd->n_links);
  for (size_t i = 0; i < sd->n_links; i++) {
    const cotel_link *l = &sd->links[i];
    otlp_assert_bytes(l->context.trace_id.bytes, 16, ps->links[i]->trace_id);
    otlp_assert_bytes(l->context.span_id.bytes, 8, ps->links[i]->span_id);
    otlp_assert_attrs(l->attrs, l->n_attrs, ps->links[i]->attributes,
                      ps->links[i]->n_attributes);
    assert_int_equal(ps->links[i]->dropped_attributes_count, l->dropped_attrs);
  }
  assert_int_equal(ps->dropped_links_count, sd->dropped_links);
  if (sd->status == COTEL_STATUS_UNSET && sd->status_message.len == 0) {
    assert_true(ps->status == NULL || ps->status->code == 0);
  } else {
    assert_non_null(ps->status);
    assert_int_equal((int)ps->status->code, (int)sd->status);
    otlp_assert_str(sd->status_message, ps->status->message);
  }
}

/* Every span of `spans` is in the request exactly once, equal, under its
 * scope's name and with its resource's attributes; nothing else is. */
static inline void otlp_assert_request(const otlp_pb_request *r,
                                       const cotel_span_data *const *spans,
                                       size_t n) {
  assert_non_null(r);
  assert_int_equal(otlp_pb_count(r), n);
  for (size_t i = 0; i < n; i++) {
    const Opentelemetry__Proto__Trace__V1__ScopeSpans *ss = NULL;
    const Opentelemetry__Proto__Trace__V1__ResourceSpans *rs = NULL;
    const otlp_pb_span *ps =
        otlp_pb_find(r, &spans[i]->context.span_id, &ss, &rs);
    otlp_assert_span(spans[i], ps);
    if (spans[i]->scope) {
      assert_non_null(ss->scope);
      otlp_assert_str(spans[i]->scope->name, ss->scope->name);
      if (spans[i]->scope->version.len)
        otlp_assert_str(spans[i]->scope->version, ss->scope->version);
    }
    if (spans[i]->resource) {
      assert_non_null(rs->resource);
      otlp_assert_attrs(spans[i]->resource->attrs, spans[i]->resource->n_attrs,
                        rs->resource->attributes, rs->resource->n_attributes);
    }
  }
}

#endif
