/* cotel-trace --html: one self-contained page (no network, no external
 * script): the spans as JSON inside the page, and the viewer's script and
 * style (page/viewer.js, page/viewer.css, embedded at build time) that draw
 * a waterfall per trace. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

extern const char cotel_trace_page_css[];
extern const char cotel_trace_page_js[];

static void put_value(FILE *f, cotel_attr_type type, const void *p) {
  switch (type) {
  case COTEL_ATTR_STRING:
  case COTEL_ATTR_STRING_ARRAY: {
    const cotel_str *s = p;
    fwrite(s->ptr, 1, s->len, f);
    break;
  }
  case COTEL_ATTR_BOOL:
  case COTEL_ATTR_BOOL_ARRAY:
    fputs(*(const bool *)p ? "true" : "false", f);
    break;
  case COTEL_ATTR_INT:
  case COTEL_ATTR_INT_ARRAY:
    fprintf(f, "%" PRId64, *(const int64_t *)p);
    break;
  default:
    fprintf(f, "%.17g", *(const double *)p);
    break;
  }
}

/* An attribute's value as display text. */
static json_t *value_text(const cotel_attr *a) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return json_string("");
  switch (a->type) {
  case COTEL_ATTR_STRING:
    put_value(f, a->type, &a->v.s);
    break;
  case COTEL_ATTR_BOOL:
    put_value(f, a->type, &a->v.b);
    break;
  case COTEL_ATTR_INT:
    put_value(f, a->type, &a->v.i);
    break;
  case COTEL_ATTR_DOUBLE:
    put_value(f, a->type, &a->v.d);
    break;
  default: {
    static const size_t size[] = {[COTEL_ATTR_STRING_ARRAY] = sizeof(cotel_str),
                                  [COTEL_ATTR_BOOL_ARRAY] = sizeof(bool),
                                  [COTEL_ATTR_INT_ARRAY] = sizeof(int64_t),
                                  [COTEL_ATTR_DOUBLE_ARRAY] = sizeof(double)};
    size_t sz =
        (size_t)a->type < sizeof size / sizeof *size ? size[a->type] : 0;
    fputc('[', f);
    for (size_t i = 0; sz && i < a->v.arr.count; i++) {
      if (i) fputs(", ", f);
      put_value(f, a->type, (const char *)a->v.arr.items + i * sz);
    }
    fputc(']', f);
  }
  }
  fclose(f);
  json_t *s = json_stringn_nocheck(buf ? buf : "", buf ? len : 0);
  free(buf);
  return s;
}

static json_t *attrs_json(const cotel_attr *a, uint32_t n) {
  json_t *arr = json_array();
  for (uint32_t i = 0; i < n; i++)
    json_array_append_new(
        arr, json_pack("[s%o]", a[i].key.ptr, a[i].key.len, value_text(&a[i])));
  return arr;
}

static json_t *str_json(cotel_str s) {
  return json_stringn_nocheck(s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
}

static json_t *span_json(const ct_model *m, const ct_span *s, uint64_t t0) {
  const cotel_span_data *sd = &s->sd;
  char id[17], pid[17], tid[33];
  cotel_span_id_to_hex(&sd->context.span_id, id);
  if (cotel_span_id_is_zero(&sd->parent_span_id))
    pid[0] = '\0';
  else
    cotel_span_id_to_hex(&sd->parent_span_id, pid);
  uint64_t start = sd->start_ns >= t0 ? sd->start_ns - t0 : 0;
  uint64_t dur = sd->end_ns > sd->start_ns ? sd->end_ns - sd->start_ns : 0;
  json_t *ev = json_array(), *ln = json_array();
  for (uint32_t i = 0; i < sd->n_events; i++) {
    const cotel_event *e = &sd->events[i];
    json_array_append_new(
        ev,
        json_pack("[Ioo]", (json_int_t)(e->time_ns >= t0 ? e->time_ns - t0 : 0),
                  str_json(e->name), attrs_json(e->attrs, e->n_attrs)));
  }
  for (uint32_t i = 0; i < sd->n_links; i++) {
    const cotel_link *l = &sd->links[i];
    cotel_trace_id_to_hex(&l->context.trace_id, tid);
    char lid[17];
    cotel_span_id_to_hex(&l->context.span_id, lid);
    json_array_append_new(
        ln, json_pack("[sso]", tid, lid, attrs_json(l->attrs, l->n_attrs)));
  }
  return json_pack(
      "{s:s,s:s,s:I,s:I,s:o,s:i,s:I,s:I,s:i,s:o,s:i,s:b,s:o,s:o,s:o,s:o}", "id",
      id, "p", pid, "d", (json_int_t)s->depth, "s", (json_int_t)s->service, "n",
      str_json(sd->name), "k", (int)sd->kind, "t", (json_int_t)start, "u",
      (json_int_t)dur, "st", (int)sd->status, "m", str_json(sd->status_message),
      "o",
      s->orphan  ? 1
      : s->entry ? 2
                 : 0,
      "dup", s->dup, "a", attrs_json(sd->attrs, sd->n_attrs), "ev", ev, "ln",
      ln, "sc", str_json(sd->scope ? sd->scope->name : (cotel_str){"", 0}));
  (void)m;
}

static void put_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<')
      fputs("&lt;", f);
    else if (*s == '>')
      fputs("&gt;", f);
    else if (*s == '&')
      fputs("&amp;", f);
    else if (*s == '"')
      fputs("&quot;", f);
    else
      fputc(*s, f);
  }
}

/* '<' only occurs inside JSON strings, where \u003c means the same: no
 * "</script>" or "<!--" can then end or confuse the script block. */
static int dump_cb(const char *buf, size_t size, void *data) {
  FILE *f = data;
  for (size_t i = 0; i < size; i++) {
    if (buf[i] == '<') {
      if (fputs("\\u003c", f) < 0) return -1;
    } else if (fputc(buf[i], f) == EOF) {
      return -1;
    }
  }
  return 0;
}

/* One value, escaped by dump_cb, then freed: the page's data is written a
 * span at a time, so a large file needs no second tree in memory. */
static int put_json(FILE *out, json_t *v) {
  int rc =
      v ? json_dump_callback(v, dump_cb, out, JSON_COMPACT | JSON_ENCODE_ANY)
        : -1;
  json_decref(v);
  return rc;
}

int ct_write_html(const ct_model *m, FILE *out, const char *title) {
  int rc = 0;
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width\">\n<title>",
        out);
  put_escaped(out, title);
  fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header><h1>",
          cotel_trace_page_css);
  put_escaped(out, title);
  fputs("</h1><div id=\"summary\"></div><div id=\"legend\"></div></header>\n"
        "<main id=\"traces\"></main>\n"
        "<aside id=\"details\" hidden></aside>\n"
        "<script type=\"application/json\" id=\"cotel-data\">",
        out);
  /* {"services":[{name,res}...],"badLines":N,"traces":[{id,t0,dur,
   * "spans":[...]}...]} */
  fputs("{\"services\":[", out);
  for (size_t i = 0; i < m->n_services && !rc; i++) {
    const cotel_resource *r = m->services[i].resource;
    if (i) fputc(',', out);
    rc = put_json(out, json_pack("{s:s,s:o}", "name", m->services[i].name,
                                 "res", attrs_json(r->attrs, r->n_attrs)));
  }
  fprintf(out, "],\"badLines\":%zu,\"traces\":[", m->bad_lines);
  for (size_t t = 0; t < m->n_traces && !rc; t++) {
    const ct_trace *tr = &m->traces[t];
    char tid[33];
    cotel_trace_id_to_hex(&m->spans[tr->spans[0]].sd.context.trace_id, tid);
    fprintf(out,
            "%s{\"id\":\"%s\",\"t0\":\"%" PRIu64 "\",\"dur\":%" PRIu64
            ",\"spans\":[",
            t ? "," : "", tid, tr->start_ns, tr->end_ns - tr->start_ns);
    for (size_t k = 0; k < tr->n && !rc; k++) {
      if (k) fputc(',', out);
      rc = put_json(out, span_json(m, &m->spans[tr->spans[k]], tr->start_ns));
    }
    fputs("]}", out);
  }
  fputs("]}", out);
  fprintf(out, "</script>\n<script>\n%s</script>\n</body></html>\n",
          cotel_trace_page_js);
  if (rc || ferror(out)) {
    fprintf(stderr, "cotel-trace: cannot write the page\n");
    return 2;
  }
  return 0;
}
