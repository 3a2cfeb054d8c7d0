/* cotel-otlp-corpus: write the recorded spans as JSON.
 *
 * The file is what the SDK recorded, read back through cotel_span_data
 * (the memory exporter keeps every ended span). A string that is valid
 * UTF-8 is written as a JSON string; one that is not (JSON cannot carry it)
 * as {"hex": "<its bytes>"}, which the checks decode the way the exporter
 * repairs it (U+FFFD per maximal subpart, Unicode §3.9). Integers
 * that may exceed 2^53 (int64 values, timestamps) are written as decimal
 * numbers; Python's json reads them exactly. Doubles are written with 17
 * significant digits (exact round trip), non-finite ones as the strings
 * "NaN", "Infinity" and "-Infinity" (as OTLP/JSON does). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "corpus.h"

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above
 * U+10FFFF. */
static bool utf8_valid(const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF)
      k = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      k = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else
      return false;
    if (i + k >= n) return false; /* truncated sequence */
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t j = 2; j <= k; j++)
      if (p[i + j] < 0x80 || p[i + j] > 0xBF) return false;
    i += k + 1;
  }
  return true;
}

/* A valid UTF-8 string as a JSON string; anything else as {"hex":"..."}. */
static void put_bytes(FILE *f, const char *p, size_t n) {
  const unsigned char *u = (const unsigned char *)p;
  if (!utf8_valid(u, n)) {
    fputs("{\"hex\":\"", f);
    for (size_t i = 0; i < n; i++)
      fprintf(f, "%02x", u[i]);
    fputs("\"}", f);
    return;
  }
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    if (u[i] == '"' || u[i] == '\\')
      fprintf(f, "\\%c", u[i]);
    else if (u[i] < 0x20)
      fprintf(f, "\\u%04x", u[i]);
    else
      fputc(u[i], f);
  }
  fputc('"', f);
}

static void put_str(FILE *f, cotel_str s) {
  put_bytes(f, s.ptr, s.len);
}

static void put_double(FILE *f, double d) {
  if (isnan(d))
    fputs("\"NaN\"", f);
  else if (isinf(d))
    fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
  else
    fprintf(f, "%.17g", d);
}

static const char *type_name(cotel_attr_type t) {
  switch (t) {
  case COTEL_ATTR_STRING:
    return "string";
  case COTEL_ATTR_BOOL:
    return "bool";
  case COTEL_ATTR_INT:
    return "int";
  case COTEL_ATTR_DOUBLE:
    return "double";
  case COTEL_ATTR_STRING_ARRAY:
    return "string_array";
  case COTEL_ATTR_BOOL_ARRAY:
    return "bool_array";
  case COTEL_ATTR_INT_ARRAY:
    return "int_array";
  case COTEL_ATTR_DOUBLE_ARRAY:
    return "double_array";
  }
  return "unknown";
}

static void put_attr(FILE *f, const cotel_attr *a) {
  fputs("{\"key\":", f);
  put_str(f, a->key);
  fprintf(f, ",\"type\":\"%s\",\"value\":", type_name(a->type));
  size_t n = a->v.arr.count;
  switch (a->type) {
  case COTEL_ATTR_STRING:
    put_str(f, a->v.s);
    break;
  case COTEL_ATTR_BOOL:
    fputs(a->v.b ? "true" : "false", f);
    break;
  case COTEL_ATTR_INT:
    fprintf(f, "%" PRId64, a->v.i);
    break;
  case COTEL_ATTR_DOUBLE:
    put_double(f, a->v.d);
    break;
  case COTEL_ATTR_STRING_ARRAY:
  case COTEL_ATTR_BOOL_ARRAY:
  case COTEL_ATTR_INT_ARRAY:
  case COTEL_ATTR_DOUBLE_ARRAY:
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
      if (i) fputc(',', f);
      if (a->type == COTEL_ATTR_STRING_ARRAY)
        put_str(f, ((const cotel_str *)a->v.arr.items)[i]);
      else if (a->type == COTEL_ATTR_BOOL_ARRAY)
        fputs(((const bool *)a->v.arr.items)[i] ? "true" : "false", f);
      else if (a->type == COTEL_ATTR_INT_ARRAY)
        fprintf(f, "%" PRId64, ((const int64_t *)a->v.arr.items)[i]);
      else
        put_double(f, ((const double *)a->v.arr.items)[i]);
    }
    fputc(']', f);
    break;
  default:
    fputs("null", f);
  }
  fputc('}', f);
}

static void put_attrs(FILE *f, const char *name, const cotel_attr *a,
                      uint32_t n) {
  fprintf(f, "\"%s\":[", name);
  for (uint32_t i = 0; i < n; i++) {
    if (i) fputc(',', f);
    put_attr(f, &a[i]);
  }
  fputc(']', f);
}

static void put_ids(FILE *f, const cotel_span_context *sc) {
  char t[33], s[17];
  cotel_trace_id_to_hex(&sc->trace_id, t);
  cotel_span_id_to_hex(&sc->span_id, s);
  cotel_str ts = cotel_tracestate_str(sc->tracestate);
  fprintf(f,
          "\"trace_id\":\"%s\",\"span_id\":\"%s\",\"flags\":%u,"
          "\"is_remote\":%s,\"tracestate\":",
          t, s, sc->flags, sc->is_remote ? "true" : "false");
  put_str(f, ts);
}

static void put_span(FILE *f, const cotel_span_data *sd) {
  char pid[17];
  fputc('{', f);
  put_ids(f, &sd->context);
  if (cotel_span_id_is_zero(&sd->parent_span_id))
    pid[0] = 0;
  else
    cotel_span_id_to_hex(&sd->parent_span_id, pid);
  fprintf(f,
          ",\"parent_span_id\":\"%s\",\"parent_is_remote\":%s,\"name\":", pid,
          sd->parent_is_remote ? "true" : "false");
  put_str(f, sd->name);
  fprintf(f,
          ",\"kind\":%d,\"start_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64
          ",\"status_code\":%d,\"status_message\":",
          (int)sd->kind, sd->start_ns, sd->end_ns, (int)sd->status);
  put_str(f, sd->status_message);
  fputc(',', f);
  put_attrs(f, "attrs", sd->attrs, sd->n_attrs);
  fprintf(f, ",\"dropped_attrs\":%u,\"events\":[", sd->dropped_attrs);
  for (uint32_t i = 0; i < sd->n_events; i++) {
    const cotel_event *e = &sd->events[i];
    fputs(i ? ",{\"name\":" : "{\"name\":", f);
    put_str(f, e->name);
    fprintf(f, ",\"time_ns\":%" PRIu64 ",", e->time_ns);
    put_attrs(f, "attrs", e->attrs, e->n_attrs);
    fprintf(f, ",\"dropped_attrs\":%u}", e->dropped_attrs);
  }
  fprintf(f, "],\"dropped_events\":%u,\"links\":[", sd->dropped_events);
  for (uint32_t i = 0; i < sd->n_links; i++) {
    const cotel_link *l = &sd->links[i];
    fputs(i ? ",{" : "{", f);
    put_ids(f, &l->context);
    fputc(',', f);
    put_attrs(f, "attrs", l->attrs, l->n_attrs);
    fprintf(f, ",\"dropped_attrs\":%u}", l->dropped_attrs);
  }
  fprintf(f, "],\"dropped_links\":%u,\"scope\":{\"name\":", sd->dropped_links);
  put_str(f, sd->scope->name);
  fputs(",\"version\":", f);
  put_str(f, sd->scope->version);
  fputs(",\"schema_url\":", f);
  put_str(f, sd->scope->schema_url);
  fputc(',', f);
  put_attrs(f, "attrs", sd->scope->attrs, sd->scope->n_attrs);
  fputs("}}", f);
}

int corpus_write_json(const char *path, const char *service,
                      cotel_provider *prov, cotel_exporter *mem) {
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    return COTEL_ESYS;
  }
  const cotel_resource *res = cotel_provider_resource(prov);
  fputs("{\"service\":", f);
  put_bytes(f, service, strlen(service));
  fputs(",\"resource\":{", f);
  put_attrs(f, "attrs", res->attrs, res->n_attrs);
  fputs(",\"schema_url\":", f);
  put_str(f, res->schema_url);
  fputs("},\"spans\":[\n", f);
  size_t n = cotel_memory_exporter_count(mem);
  for (size_t i = 0; i < n; i++) {
    if (i) fputs(",\n", f);
    put_span(f, cotel_memory_exporter_get(mem, i));
  }
  fputs("\n]}\n", f);
  int bad = ferror(f);
  if (fclose(f) || bad) {
    perror(path);
    return COTEL_ESYS;
  }
  return 0;
}
