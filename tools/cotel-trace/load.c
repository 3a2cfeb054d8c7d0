/* cotel-trace: reading OTLP/JSON lines (OTLP File Exporter spec, "JSON
 * lines file"; OTLP JSON encoding: hex ids, lowerCamelCase keys, 64-bit
 * integers as strings or numbers, enums as integers or names). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/base64.h"
#include "cotel/internal/hex.h"
#include "model.h"

typedef struct chunk {
  struct chunk *next;
  size_t used, cap;
  max_align_t data[];
} chunk;

void *ct_alloc(ct_model *m, size_t size) {
  chunk *c = m->arena;
  size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  if (!c || c->cap - c->used < size) {
    size_t cap = size > 65536 ? size : 65536;
    chunk *n = malloc(sizeof *n + cap);
    if (!n) return NULL;
    n->next = c;
    n->used = 0;
    n->cap = cap;
    m->arena = c = n;
  }
  void *p = (char *)c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

void ct_model_init(ct_model *m) {
  memset(m, 0, sizeof *m);
}

void ct_model_free(ct_model *m) {
  for (chunk *c = m->arena, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  for (size_t i = 0; i < m->n_docs; i++)
    json_decref(m->docs[i]);
  for (size_t i = 0; i < m->n_services; i++)
    free(m->services[i].name);
  for (size_t i = 0; i < m->n_traces; i++)
    free(m->traces[i].spans);
  free(m->docs);
  free(m->spans);
  free(m->traces);
  free(m->services);
  memset(m, 0, sizeof *m);
}

/* Standard or URL-safe base64 of exactly n bytes (padding optional): what
 * the protobuf JSON mapping gives bytes fields, and what some producers
 * write for ids although OTLP/JSON says hex. */
static bool b64_id(const char *s, size_t len, uint8_t *out, size_t n) {
  while (len && s[len - 1] == '=')
    len--;
  if (len != (4 * n + 2) / 3) return false;
  return cotel__base64_decode(s, len, out, n) == (long)n;
}

/* Exactly 2*n hex digits (or n bytes of base64); "" (or absent) gives all
 * zero when allowed. */
static bool hex_id(json_t *v, uint8_t *out, size_t n, bool empty_ok) {
  const char *s = json_string_value(v);
  size_t len = s ? json_string_length(v) : 0;
  memset(out, 0, n);
  if (len == 0) return empty_ok;
  if (len != 2 * n) return b64_id(s, len, out, n);
  return cotel__hex_decode(s, n, out, cotel__hex_any);
}

static cotel_str jstr(json_t *v) {
  cotel_str s = {"", 0};
  if (json_is_string(v)) {
    s.ptr = json_string_value(v);
    s.len = json_string_length(v);
  }
  return s;
}

/* uint64 from "123" or 123. */
static uint64_t ju64(json_t *v) {
  if (json_is_string(v)) return strtoull(json_string_value(v), NULL, 10);
  if (json_is_integer(v)) return (uint64_t)json_integer_value(v);
  if (json_is_real(v)) return (uint64_t)json_real_value(v);
  return 0;
}

static int64_t ji64(json_t *v) {
  if (json_is_string(v)) return strtoll(json_string_value(v), NULL, 10);
  if (json_is_integer(v)) return (int64_t)json_integer_value(v);
  if (json_is_real(v)) return (int64_t)json_real_value(v);
  return 0;
}

static double jdouble(json_t *v) {
  if (json_is_string(v)) return strtod(json_string_value(v), NULL);
  return json_number_value(v);
}

/* An enum as an integer or as its proto name ending in one of `names`. */
static int jenum(json_t *v, const char *const *names, int n) {
  if (json_is_integer(v)) return (int)json_integer_value(v);
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    for (int i = 0; i < n; i++) {
      size_t ls = strlen(s), ln = strlen(names[i]);
      if (ls >= ln && !strcmp(s + ls - ln, names[i])) return i;
    }
  }
  return 0;
}

/* Any value we cannot represent as a typed attribute: its JSON text. */
static cotel_str as_json_text(ct_model *m, json_t *v) {
  cotel_str s = {"", 0};
  char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!t) return s;
  size_t n = strlen(t);
  char *c = ct_alloc(m, n + 1);
  if (c) {
    memcpy(c, t, n + 1);
    s.ptr = c;
    s.len = n;
  }
  free(t);
  return s;
}

static const char *scalar_key(json_t *any) {
  if (json_object_get(any, "stringValue")) return "stringValue";
  if (json_object_get(any, "boolValue")) return "boolValue";
  if (json_object_get(any, "intValue")) return "intValue";
  if (json_object_get(any, "doubleValue")) return "doubleValue";
  return NULL;
}

static int set_array(ct_model *m, cotel_attr *a, json_t *values) {
  size_t n = json_array_size(values);
  const char *key = n ? scalar_key(json_array_get(values, 0)) : "stringValue";
  for (size_t i = 0; key && i < n; i++) {
    const char *k = scalar_key(json_array_get(values, i));
    if (!k || strcmp(k, key)) key = NULL;
  }
  if (!key) {
    a->type = COTEL_ATTR_STRING;
    a->v.s = as_json_text(m, values);
    return 0;
  }
  a->v.arr.count = n;
  if (!strcmp(key, "stringValue")) {
    cotel_str *it = ct_alloc(m, (n ? n : 1) * sizeof *it);
    if (!it) return -1;
    for (size_t i = 0; i < n; i++)
      it[i] = jstr(json_object_get(json_array_get(values, i), key));
    a->type = COTEL_ATTR_STRING_ARRAY;
    a->v.arr.items = it;
  } else if (!strcmp(key, "boolValue")) {
    bool *it = ct_alloc(m, (n ? n : 1) * sizeof *it);
    if (!it) return -1;
    for (size_t i = 0; i < n; i++)
      it[i] = json_is_true(json_object_get(json_array_get(values, i), key));
    a->type = COTEL_ATTR_BOOL_ARRAY;
    a->v.arr.items = it;
  } else if (!strcmp(key, "intValue")) {
    int64_t *it = ct_alloc(m, (n ? n : 1) * sizeof *it);
    if (!it) return -1;
    for (size_t i = 0; i < n; i++)
      it[i] = ji64(json_object_get(json_array_get(values, i), key));
    a->type = COTEL_ATTR_INT_ARRAY;
    a->v.arr.items = it;
  } else {
    double *it = ct_alloc(m, (n ? n : 1) * sizeof *it);
    if (!it) return -1;
    for (size_t i = 0; i < n; i++)
      it[i] = jdouble(json_object_get(json_array_get(values, i), key));
    a->type = COTEL_ATTR_DOUBLE_ARRAY;
    a->v.arr.items = it;
  }
  return 0;
}

/* KeyValue[] -> cotel_attr[] (arena). */
static int attrs_of(ct_model *m, json_t *arr, const cotel_attr **out,
                    uint32_t *n_out) {
  size_t n = json_array_size(arr);
  *out = NULL;
  *n_out = 0;
  if (!n) return 0;
  cotel_attr *a = ct_alloc(m, n * sizeof *a);
  if (!a) return -1;
  for (size_t i = 0; i < n; i++) {
    json_t *kv = json_array_get(arr, i), *v = json_object_get(kv, "value"), *x;
    a[i].key = jstr(json_object_get(kv, "key"));
    if ((x = json_object_get(v, "stringValue"))) {
      a[i].type = COTEL_ATTR_STRING;
      a[i].v.s = jstr(x);
    } else if ((x = json_object_get(v, "boolValue"))) {
      a[i].type = COTEL_ATTR_BOOL;
      a[i].v.b = json_is_true(x);
    } else if ((x = json_object_get(v, "intValue"))) {
      a[i].type = COTEL_ATTR_INT;
      a[i].v.i = ji64(x);
    } else if ((x = json_object_get(v, "doubleValue"))) {
      a[i].type = COTEL_ATTR_DOUBLE;
      a[i].v.d = jdouble(x);
    } else if ((x = json_object_get(v, "arrayValue"))) {
      if (set_array(m, &a[i], json_object_get(x, "values"))) return -1;
    } else {
      a[i].type = COTEL_ATTR_STRING; /* kvlist, bytes, empty */
      a[i].v.s = v ? as_json_text(m, v) : (cotel_str){"", 0};
    }
  }
  *out = a;
  *n_out = (uint32_t)n;
  return 0;
}

static size_t service_of(ct_model *m, const cotel_resource *r) {
  const char *name = "unknown_service";
  size_t len = strlen(name);
  for (uint32_t i = 0; i < r->n_attrs; i++)
    if (r->attrs[i].type == COTEL_ATTR_STRING && r->attrs[i].key.len == 12 &&
        !memcmp(r->attrs[i].key.ptr, "service.name", 12)) {
      name = r->attrs[i].v.s.ptr;
      len = r->attrs[i].v.s.len;
    }
  for (size_t i = 0; i < m->n_services; i++)
    if (strlen(m->services[i].name) == len &&
        !memcmp(m->services[i].name, name, len))
      return i;
  ct_service *s = realloc(m->services, (m->n_services + 1) * sizeof *s);
  if (!s) return CT_NONE;
  m->services = s;
  s[m->n_services].name = strndup(name, len);
  s[m->n_services].resource = r;
  if (!s[m->n_services].name) return CT_NONE;
  return m->n_services++;
}

static const char *const kinds[] = {"UNSPECIFIED", "INTERNAL", "SERVER",
                                    "CLIENT",      "PRODUCER", "CONSUMER"};
static const char *const codes[] = {"UNSET", "OK", "ERROR"};

static int add_span(ct_model *m, json_t *sp, const cotel_resource *res,
                    const cotel_scope *scope, size_t service) {
  cotel_span_data *sd;
  json_t *evs = json_object_get(sp, "events"),
         *lks = json_object_get(sp, "links"),
         *st = json_object_get(sp, "status");
  if (m->n_spans == m->cap_spans) {
    size_t cap = m->cap_spans ? m->cap_spans * 2 : 1024;
    ct_span *n = realloc(m->spans, cap * sizeof *n);
    if (!n) return -1;
    m->spans = n;
    m->cap_spans = cap;
  }
  ct_span *s = &m->spans[m->n_spans];
  memset(s, 0, sizeof *s);
  sd = &s->sd;
  if (!hex_id(json_object_get(sp, "traceId"), sd->context.trace_id.bytes, 16,
              false) ||
      !hex_id(json_object_get(sp, "spanId"), sd->context.span_id.bytes, 8,
              false) ||
      !hex_id(json_object_get(sp, "parentSpanId"), sd->parent_span_id.bytes, 8,
              true))
    return 1; /* not a usable span */
  sd->context.flags = (uint8_t)(ju64(json_object_get(sp, "flags")) & 0xff);
  sd->name = jstr(json_object_get(sp, "name"));
  sd->kind = (cotel_span_kind)jenum(json_object_get(sp, "kind"), kinds, 6);
  sd->start_ns = ju64(json_object_get(sp, "startTimeUnixNano"));
  sd->end_ns = ju64(json_object_get(sp, "endTimeUnixNano"));
  sd->status = (cotel_status_code)jenum(json_object_get(st, "code"), codes, 3);
  sd->status_message = jstr(json_object_get(st, "message"));
  sd->dropped_attrs =
      (uint32_t)ju64(json_object_get(sp, "droppedAttributesCount"));
  sd->dropped_events =
      (uint32_t)ju64(json_object_get(sp, "droppedEventsCount"));
  sd->dropped_links = (uint32_t)ju64(json_object_get(sp, "droppedLinksCount"));
  if (attrs_of(m, json_object_get(sp, "attributes"), &sd->attrs, &sd->n_attrs))
    return -1;
  size_t ne = json_array_size(evs), nl = json_array_size(lks);
  if (ne) {
    cotel_event *e = ct_alloc(m, ne * sizeof *e);
    if (!e) return -1;
    for (size_t i = 0; i < ne; i++) {
      json_t *ev = json_array_get(evs, i);
      e[i].name = jstr(json_object_get(ev, "name"));
      e[i].time_ns = ju64(json_object_get(ev, "timeUnixNano"));
      e[i].dropped_attrs =
          (uint32_t)ju64(json_object_get(ev, "droppedAttributesCount"));
      if (attrs_of(m, json_object_get(ev, "attributes"), &e[i].attrs,
                   &e[i].n_attrs))
        return -1;
    }
    sd->events = e;
    sd->n_events = (uint32_t)ne;
  }
  if (nl) {
    cotel_link *l = ct_alloc(m, nl * sizeof *l);
    if (!l) return -1;
    for (size_t i = 0; i < nl; i++) {
      json_t *lk = json_array_get(lks, i);
      hex_id(json_object_get(lk, "traceId"), l[i].context.trace_id.bytes, 16,
             true);
      hex_id(json_object_get(lk, "spanId"), l[i].context.span_id.bytes, 8,
             true);
      if (attrs_of(m, json_object_get(lk, "attributes"), &l[i].attrs,
                   &l[i].n_attrs))
        return -1;
    }
    sd->links = l;
    sd->n_links = (uint32_t)nl;
  }
  sd->resource = res;
  sd->scope = scope;
  s->service = service;
  s->parent = CT_NONE;
  m->n_spans++;
  return 0;
}

/* One TracesData object. Returns spans skipped (bad ids), or -1. */
static long add_doc(ct_model *m, json_t *doc) {
  size_t i, j, k;
  json_t *rs, *ss, *sp;
  long skipped = 0;
  json_array_foreach(json_object_get(doc, "resourceSpans"), i, rs) {
    json_t *rj = json_object_get(rs, "resource");
    cotel_resource *res = ct_alloc(m, sizeof *res);
    if (!res) return -1;
    if (attrs_of(m, json_object_get(rj, "attributes"), &res->attrs,
                 &res->n_attrs))
      return -1;
    res->schema_url = jstr(json_object_get(rs, "schemaUrl"));
    size_t service = service_of(m, res);
    if (service == CT_NONE) return -1;
    json_array_foreach(json_object_get(rs, "scopeSpans"), j, ss) {
      json_t *sj = json_object_get(ss, "scope");
      cotel_scope *scope = ct_alloc(m, sizeof *scope);
      if (!scope) return -1;
      scope->name = jstr(json_object_get(sj, "name"));
      scope->version = jstr(json_object_get(sj, "version"));
      scope->schema_url = jstr(json_object_get(ss, "schemaUrl"));
      if (attrs_of(m, json_object_get(sj, "attributes"), &scope->attrs,
                   &scope->n_attrs))
        return -1;
      json_array_foreach(json_object_get(ss, "spans"), k, sp) {
        int rc = add_span(m, sp, res, scope, service);
        if (rc < 0) return -1;
        skipped += rc;
      }
    }
  }
  return skipped;
}

int ct_load_file(ct_model *m, FILE *f, const char *name) {
  char *line = NULL;
  size_t cap = 0, lineno = 0;
  ssize_t len;
  int rc = 0;
  while (!rc && (len = getline(&line, &cap, f)) >= 0) {
    json_error_t err;
    json_t *doc;
    size_t p = 0;
    lineno++;
    while (p < (size_t)len && isspace((unsigned char)line[p]))
      p++;
    if (p == (size_t)len) continue;
    m->total_lines++;
    doc = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &err);
    if (!doc || !json_is_array(json_object_get(doc, "resourceSpans"))) {
      fprintf(stderr, "cotel-trace: %s:%zu: not an OTLP JSON line%s%s\n", name,
              lineno, doc ? "" : ": ", doc ? "" : err.text);
      json_decref(doc);
      m->bad_lines++;
      continue;
    }
    if (m->n_docs == m->cap_docs) {
      size_t c2 = m->cap_docs ? m->cap_docs * 2 : 64;
      json_t **d = realloc(m->docs, c2 * sizeof *d);
      if (!d) {
        json_decref(doc);
        rc = -1;
        break;
      }
      m->docs = d;
      m->cap_docs = c2;
    }
    m->docs[m->n_docs++] = doc;
    long skipped = add_doc(m, doc);
    if (skipped < 0) {
      rc = -1;
    } else if (skipped) {
      fprintf(stderr,
              "cotel-trace: %s:%zu: %ld span(s) without valid ids skipped\n",
              name, lineno, skipped);
      m->bad_lines++;
    }
  }
  free(line);
  return rc;
}
