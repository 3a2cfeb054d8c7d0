/* OTLP/JSON encoder (OTLP specification, "JSON Protobuf Encoding"): the
 * proto3 JSON mapping of ExportTraceServiceRequest with OTLP's exceptions.
 *  - keys are lowerCamelCase field names (resourceSpans, startTimeUnixNano);
 *  - trace and span ids are lowercase hex strings, not base64;
 *  - enums (kind, status code) are integers;
 *  - int64/fixed64 values are decimal strings, uint32/fixed32 numbers;
 *  - doubles are numbers, or "NaN", "Infinity", "-Infinity";
 *  - fields with their default value are omitted, like the protobuf encoder.
 * Strings are made valid UTF-8 (utf8.h) and escaped per RFC 8259 §7. Span
 * flags follow encode_pb.c. Single pass, growing the buffer as needed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cotel/tracestate.h"
#include "cotel/internal/hex.h"
#include "cotel/internal/otlp_encode.h"
#include "cotel/internal/utf8.h"

typedef struct jw {
  cotel__buf *b;
  int err;
} jw;

/* Make room for `n` more bytes; returns where to write, or NULL (error is
 * sticky, later writes are no-ops). */
static inline char *room(jw *w, size_t n) {
  if (w->err) return NULL;
  if (w->b->cap - w->b->len < n) {
    w->err = cotel__buf_reserve(w->b, n);
    if (w->err) return NULL;
  }
  return (char *)w->b->data + w->b->len;
}

static void put(jw *w, const char *s, size_t n) {
  char *p = room(w, n);
  if (!p) return;
  memcpy(p, s, n);
  w->b->len += n;
}

/* For string literals only (sizeof). */
#define PUTS(w, lit) put((w), "" lit, sizeof(lit) - 1)

static inline void put_cstr(jw *w, const char *s) {
  put(w, s, strlen(s));
}

/* Decimal digits without snprintf: integers are most of a span's numbers. */
static void put_uint(jw *w, uint64_t v) {
  char tmp[20];
  size_t i = sizeof(tmp);
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(w, tmp + i, sizeof(tmp) - i);
}

static void put_int(jw *w, int64_t v) {
  if (v < 0) {
    PUTS(w, "-");
    put_uint(w, (uint64_t)0 - (uint64_t)v);
    return;
  }
  put_uint(w, (uint64_t)v);
}

/* The shortest of %.15g / %.16g / %.17g that reads back as the same double
 * (so 0.1 is "0.1", not "0.10000000000000001"). */
static void put_double(jw *w, double d) {
  if (isnan(d)) {
    PUTS(w, "\"NaN\"");
    return;
  }
  if (isinf(d)) {
    if (d > 0)
      PUTS(w, "\"Infinity\"");
    else
      PUTS(w, "\"-Infinity\"");
    return;
  }
  char tmp[40];
  int n = 0;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
    if (strtod(tmp, NULL) == d) break;
  }
  /* A locale with a decimal comma would break JSON; normalise it. */
  for (int i = 0; i < n; i++)
    if (tmp[i] == ',') tmp[i] = '.';
  put(w, tmp, (size_t)n);
}

/* A JSON string from arbitrary bytes: invalid UTF-8 becomes U+FFFD, '"',
 * '\\' and control characters are escaped (RFC 8259 §7). */
static void put_jstr(jw *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (!s) n = 0;
  /* Worst case: every byte becomes \u00XX (6) or U+FFFD (3). */
  char *p = room(w, 6 * n + 2);
  if (!p) return;
  char *start = p;
  const uint8_t *u = (const uint8_t *)s;
  *p++ = '"';
  size_t i = 0;
  while (i < n) {
    uint8_t c = u[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      *p++ = (char)c;
      i++;
      continue;
    }
    if (c < 0x80) {
      *p++ = '\\';
      switch (c) {
      case '"':
        *p++ = '"';
        break;
      case '\\':
        *p++ = '\\';
        break;
      case '\b':
        *p++ = 'b';
        break;
      case '\f':
        *p++ = 'f';
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\r':
        *p++ = 'r';
        break;
      case '\t':
        *p++ = 't';
        break;
      default:
        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = hex[c >> 4];
        *p++ = hex[c & 15];
      }
      i++;
      continue;
    }
    uint32_t cp;
    size_t k = cotel__utf8_decode(u + i, n - i, &cp);
    if (cp == COTEL__UTF8_INVALID) {
      *p++ = (char)0xEF;
      *p++ = (char)0xBF;
      *p++ = (char)0xBD;
    } else {
      memcpy(p, u + i, k);
      p += k;
    }
    i += k;
  }
  *p++ = '"';
  w->b->len += (size_t)(p - start);
}

static inline void put_str(jw *w, cotel_str s) {
  put_jstr(w, s.ptr, s.ptr ? s.len : 0);
}

static void put_hex(jw *w, const uint8_t *b, size_t n) {
  char *p = room(w, 2 * n + 2);
  if (!p) return;
  *p++ = '"';
  p = cotel__hex_encode(b, n, p);
  *p++ = '"';
  w->b->len += 2 * n + 2;
}

/* ,"traceState":"..." when the tracestate is not empty. */
static void put_tracestate(jw *w, const cotel_tracestate *ts) {
  if (!ts) return;
  cotel_str s = cotel_tracestate_str(ts);
  if (!s.len) return;
  PUTS(w, ",\"traceState\":");
  put_str(w, s);
}

static void put_value(jw *w, const cotel_attr *a) {
  size_t n = a->v.arr.items ? a->v.arr.count : 0;
  switch (a->type) {
  case COTEL_ATTR_STRING:
    PUTS(w, "{\"stringValue\":");
    put_str(w, a->v.s);
    PUTS(w, "}");
    return;
  case COTEL_ATTR_BOOL:
    if (a->v.b)
      PUTS(w, "{\"boolValue\":true}");
    else
      PUTS(w, "{\"boolValue\":false}");
    return;
  case COTEL_ATTR_INT:
    PUTS(w, "{\"intValue\":\"");
    put_int(w, a->v.i);
    PUTS(w, "\"}");
    return;
  case COTEL_ATTR_DOUBLE:
    PUTS(w, "{\"doubleValue\":");
    put_double(w, a->v.d);
    PUTS(w, "}");
    return;
  case COTEL_ATTR_STRING_ARRAY:
  case COTEL_ATTR_BOOL_ARRAY:
  case COTEL_ATTR_INT_ARRAY:
  case COTEL_ATTR_DOUBLE_ARRAY:
    break;
  default:
    PUTS(w, "{}"); /* unknown type: an empty AnyValue, as in protobuf */
    return;
  }
  /* An empty ArrayValue omits its (empty) repeated field, as proto3 JSON
   * does for default values. */
  if (!n) {
    PUTS(w, "{\"arrayValue\":{}}");
    return;
  }
  PUTS(w, "{\"arrayValue\":{\"values\":[");
  for (size_t i = 0; i < n; i++) {
    if (i) PUTS(w, ",");
    switch (a->type) {
    case COTEL_ATTR_STRING_ARRAY:
      PUTS(w, "{\"stringValue\":");
      put_str(w, ((const cotel_str *)a->v.arr.items)[i]);
      PUTS(w, "}");
      break;
    case COTEL_ATTR_BOOL_ARRAY:
      if (((const bool *)a->v.arr.items)[i])
        PUTS(w, "{\"boolValue\":true}");
      else
        PUTS(w, "{\"boolValue\":false}");
      break;
    case COTEL_ATTR_INT_ARRAY:
      PUTS(w, "{\"intValue\":\"");
      put_int(w, ((const int64_t *)a->v.arr.items)[i]);
      PUTS(w, "\"}");
      break;
    default:
      PUTS(w, "{\"doubleValue\":");
      put_double(w, ((const double *)a->v.arr.items)[i]);
      PUTS(w, "}");
      break;
    }
  }
  PUTS(w, "]}}");
}

/* `"attributes":[...]` preceded by `sep` (",", or "" first in an object),
 * omitted when empty. Returns whether anything was written. */
static bool put_attrs(jw *w, const char *sep, const cotel_attr *attrs,
                      uint32_t n) {
  if (!attrs || !n) return false;
  put(w, sep, strlen(sep));
  PUTS(w, "\"attributes\":[");
  for (uint32_t i = 0; i < n; i++) {
    if (i) PUTS(w, ",");
    PUTS(w, "{\"key\":");
    put_str(w, attrs[i].key);
    PUTS(w, ",\"value\":");
    put_value(w, &attrs[i]);
    PUTS(w, "}");
  }
  PUTS(w, "]");
  return true;
}

static void put_u32_field(jw *w, const char *sep_key, uint32_t v) {
  if (!v) return;
  put(w, sep_key, strlen(sep_key));
  put_uint(w, v);
}

static void put_time_field(jw *w, const char *sep_key, uint64_t v) {
  if (!v) return;
  put(w, sep_key, strlen(sep_key));
  PUTS(w, "\"");
  put_uint(w, v);
  PUTS(w, "\"");
}

static void put_str_field(jw *w, const char *sep_key, cotel_str s) {
  if (!s.ptr || !s.len) return;
  put(w, sep_key, strlen(sep_key));
  put_str(w, s);
}

static void put_span(jw *w, const cotel_span_data *sd) {
  PUTS(w, "{\"traceId\":");
  put_hex(w, sd->context.trace_id.bytes, 16);
  PUTS(w, ",\"spanId\":");
  put_hex(w, sd->context.span_id.bytes, 8);
  put_tracestate(w, sd->context.tracestate);
  if (!cotel_span_id_is_zero(&sd->parent_span_id)) {
    PUTS(w, ",\"parentSpanId\":");
    put_hex(w, sd->parent_span_id.bytes, 8);
  }
  PUTS(w, ",\"flags\":");
  put_uint(w, cotel__otlp_span_flags(sd->context.flags, sd->parent_is_remote));
  put_str_field(w, ",\"name\":", sd->name);
  put_u32_field(w, ",\"kind\":", (uint32_t)sd->kind);
  put_time_field(w, ",\"startTimeUnixNano\":", sd->start_ns);
  put_time_field(w, ",\"endTimeUnixNano\":", sd->end_ns);
  put_attrs(w, ",", sd->attrs, sd->n_attrs);
  put_u32_field(w, ",\"droppedAttributesCount\":", sd->dropped_attrs);
  if (sd->events && sd->n_events) {
    PUTS(w, ",\"events\":[");
    for (uint32_t i = 0; i < sd->n_events; i++) {
      const cotel_event *e = &sd->events[i];
      put_cstr(w, i ? ",{" : "{");
      /* Every member is optional: a leading comma is added only after the
       * first one written. */
      size_t mark = w->b->len;
      put_time_field(w, "\"timeUnixNano\":", e->time_ns);
      bool any = w->b->len != mark;
      put_str_field(w, any ? ",\"name\":" : "\"name\":", e->name);
      any = w->b->len != mark;
      put_attrs(w, any ? "," : "", e->attrs, e->n_attrs);
      any = w->b->len != mark;
      put_u32_field(w,
                    any ? ",\"droppedAttributesCount\":"
                        : "\"droppedAttributesCount\":",
                    e->dropped_attrs);
      PUTS(w, "}");
    }
    PUTS(w, "]");
  }
  put_u32_field(w, ",\"droppedEventsCount\":", sd->dropped_events);
  if (sd->links && sd->n_links) {
    PUTS(w, ",\"links\":[");
    for (uint32_t i = 0; i < sd->n_links; i++) {
      const cotel_link *l = &sd->links[i];
      put_cstr(w, i ? ",{\"traceId\":" : "{\"traceId\":");
      put_hex(w, l->context.trace_id.bytes, 16);
      PUTS(w, ",\"spanId\":");
      put_hex(w, l->context.span_id.bytes, 8);
      put_tracestate(w, l->context.tracestate);
      put_attrs(w, ",", l->attrs, l->n_attrs);
      put_u32_field(w, ",\"droppedAttributesCount\":", l->dropped_attrs);
      PUTS(w, ",\"flags\":");
      put_uint(w,
               cotel__otlp_span_flags(l->context.flags, l->context.is_remote));
      PUTS(w, "}");
    }
    PUTS(w, "]");
  }
  put_u32_field(w, ",\"droppedLinksCount\":", sd->dropped_links);
  if (sd->status != COTEL_STATUS_UNSET) {
    PUTS(w, ",\"status\":{");
    if (sd->status_message.ptr && sd->status_message.len) {
      PUTS(w, "\"message\":");
      put_str(w, sd->status_message);
      PUTS(w, ",");
    }
    PUTS(w, "\"code\":");
    put_uint(w, (uint32_t)sd->status);
    PUTS(w, "}");
  }
  PUTS(w, "}");
}

static void put_scope(jw *w, const cotel_scope *sc) {
  size_t mark;
  PUTS(w, "\"scope\":{");
  mark = w->b->len;
  put_str_field(w, "\"name\":", sc->name);
  put_str_field(
      w, w->b->len != mark ? ",\"version\":" : "\"version\":", sc->version);
  put_attrs(w, w->b->len != mark ? "," : "", sc->attrs, sc->n_attrs);
  PUTS(w, "},");
}

int cotel__otlp_encode_json(const cotel_span_data *const *spans, size_t n,
                            cotel__buf *b) {
  if (!b || (n && !spans)) return COTEL_EINVAL;
  b->len = 0;
  cotel__otlp_plan pl;
  int rc = cotel__otlp_plan_build(spans, n, 0, &pl);
  if (rc) return rc;
  jw w = {b, 0};
  /* A rough first guess avoids most regrowth. */
  w.err = cotel__buf_reserve(b, 64 + pl.n * 512);
  PUTS(&w, "{\"resourceSpans\":[");
  for (size_t r = 0; r < pl.n_res; r++) {
    const cotel__otlp_res_group *rg = &pl.res[r];
    put_cstr(&w, r ? ",{" : "{");
    if (rg->resource) {
      PUTS(&w, "\"resource\":{");
      put_attrs(&w, "", rg->resource->attrs, rg->resource->n_attrs);
      PUTS(&w, "},");
    }
    PUTS(&w, "\"scopeSpans\":[");
    for (size_t s = rg->first; s < rg->first + rg->count; s++) {
      const cotel__otlp_scope_group *g = &pl.scopes[s];
      put_cstr(&w, s > rg->first ? ",{" : "{");
      if (g->scope) put_scope(&w, g->scope);
      PUTS(&w, "\"spans\":[");
      for (size_t i = g->first; i < g->first + g->count; i++) {
        if (i > g->first) PUTS(&w, ",");
        put_span(&w, pl.order[i]);
      }
      PUTS(&w, "]");
      if (g->scope) put_str_field(&w, ",\"schemaUrl\":", g->scope->schema_url);
      PUTS(&w, "}");
    }
    PUTS(&w, "]");
    if (rg->resource)
      put_str_field(&w, ",\"schemaUrl\":", rg->resource->schema_url);
    PUTS(&w, "}");
  }
  PUTS(&w, "]}");
  cotel__otlp_plan_free(&pl);
  if (w.err) b->len = 0;
  return w.err;
}
