/* Console exporter: formatting a trace as a readable tree.
 *
 *   trace 4bf92f3577b34da6a3ce929d0e0e4736
 *     00f067aa0ba902b7 GET /users (SERVER, 12.345ms, ok) http.status=200
 *       * cache miss +1.002ms key="user:7"
 *       b7ad6b7169203331 SELECT users (CLIENT, 9.870ms, error: timeout)
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/console_format.h"
#include "cotel/common.h"

static const char *kind_name(cotel_span_kind k) {
  switch (k) {
  case COTEL_SPAN_KIND_INTERNAL:
    return "INTERNAL";
  case COTEL_SPAN_KIND_SERVER:
    return "SERVER";
  case COTEL_SPAN_KIND_CLIENT:
    return "CLIENT";
  case COTEL_SPAN_KIND_PRODUCER:
    return "PRODUCER";
  case COTEL_SPAN_KIND_CONSUMER:
    return "CONSUMER";
  default:
    return "UNSPECIFIED";
  }
}

void cotel__console_format_duration(uint64_t ns, char *buf, size_t len) {
  if (ns < 1000u)
    snprintf(buf, len, "%" PRIu64 "ns", ns);
  else if (ns < 1000000u)
    snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 "us", ns / 1000u, ns % 1000u);
  else if (ns < 1000000000u)
    snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 "ms", ns / 1000000u,
             (ns / 1000u) % 1000u);
  else
    snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 "s", ns / 1000000000u,
             (ns / 1000000u) % 1000u);
}

/* Raw text, with control characters escaped so one span stays one line. */
static void put_text(FILE *out, cotel_str s, bool quoted) {
  if (quoted) fputc('"', out);
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    if (c == '\n')
      fputs("\\n", out);
    else if (c == '\t')
      fputs("\\t", out);
    else if (c == '\r')
      fputs("\\r", out);
    else if (quoted && (c == '"' || c == '\\'))
      fprintf(out, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      fprintf(out, "\\x%02x", c);
    else
      fputc(c, out);
  }
  if (quoted) fputc('"', out);
}

static void put_value(FILE *out, const cotel_attr *a) {
  size_t n = a->v.arr.count;
  switch (a->type) {
  case COTEL_ATTR_STRING:
    put_text(out, a->v.s, true);
    return;
  case COTEL_ATTR_BOOL:
    fputs(a->v.b ? "true" : "false", out);
    return;
  case COTEL_ATTR_INT:
    fprintf(out, "%" PRId64, a->v.i);
    return;
  case COTEL_ATTR_DOUBLE:
    fprintf(out, "%g", a->v.d);
    return;
  default:
    break;
  }
  fputc('[', out);
  for (size_t i = 0; i < n; i++) {
    if (i) fputs(", ", out);
    switch (a->type) {
    case COTEL_ATTR_STRING_ARRAY:
      put_text(out, ((const cotel_str *)a->v.arr.items)[i], true);
      break;
    case COTEL_ATTR_BOOL_ARRAY:
      fputs(((const bool *)a->v.arr.items)[i] ? "true" : "false", out);
      break;
    case COTEL_ATTR_INT_ARRAY:
      fprintf(out, "%" PRId64, ((const int64_t *)a->v.arr.items)[i]);
      break;
    case COTEL_ATTR_DOUBLE_ARRAY:
      fprintf(out, "%g", ((const double *)a->v.arr.items)[i]);
      break;
    default:
      break;
    }
  }
  fputc(']', out);
}

static void put_attrs(FILE *out, const cotel_attr *attrs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    fputc(' ', out);
    put_text(out, attrs[i].key, false);
    fputc('=', out);
    put_value(out, &attrs[i]);
  }
}

static void indent(FILE *out, unsigned depth) {
  for (unsigned i = 0; i < depth; i++)
    fputs("  ", out);
}

static void put_span(FILE *out, const cotel_span_data *sd, unsigned depth,
                     bool is_root) {
  char id[17], dur[32];
  uint64_t ns = sd->end_ns > sd->start_ns ? sd->end_ns - sd->start_ns : 0;
  indent(out, depth);
  cotel_span_id_to_hex(&sd->context.span_id, id);
  fprintf(out, "%s ", id);
  put_text(out, sd->name, false);
  cotel__console_format_duration(ns, dur, sizeof dur);
  fprintf(out, " (%s, %s, ", kind_name(sd->kind), dur);
  if (sd->status == COTEL_STATUS_OK) {
    fputs("ok", out);
  } else if (sd->status == COTEL_STATUS_ERROR) {
    fputs("error", out);
    if (sd->status_message.len) {
      fputs(": ", out);
      put_text(out, sd->status_message, false);
    }
  } else {
    fputs("unset", out);
  }
  fputc(')', out);
  if (is_root && !cotel_span_id_is_zero(&sd->parent_span_id)) {
    cotel_span_id_to_hex(&sd->parent_span_id, id);
    fprintf(out, " parent=%s%s", id, sd->parent_is_remote ? "(remote)" : "");
  }
  put_attrs(out, sd->attrs, sd->n_attrs);
  if (sd->dropped_attrs || sd->dropped_events || sd->dropped_links)
    fprintf(out, " (dropped: %u attrs, %u events, %u links)", sd->dropped_attrs,
            sd->dropped_events, sd->dropped_links);
  fputc('\n', out);
  for (uint32_t i = 0; i < sd->n_events; i++) {
    const cotel_event *ev = &sd->events[i];
    uint64_t off = ev->time_ns > sd->start_ns ? ev->time_ns - sd->start_ns : 0;
    indent(out, depth + 1);
    fputs("* ", out);
    put_text(out, ev->name, false);
    cotel__console_format_duration(off, dur, sizeof dur);
    fprintf(out, " +%s", dur);
    put_attrs(out, ev->attrs, ev->n_attrs);
    fputc('\n', out);
  }
  for (uint32_t i = 0; i < sd->n_links; i++) {
    char tid[33];
    const cotel_link *l = &sd->links[i];
    cotel_trace_id_to_hex(&l->context.trace_id, tid);
    cotel_span_id_to_hex(&l->context.span_id, id);
    indent(out, depth + 1);
    fprintf(out, "~ link %s/%s", tid, id);
    put_attrs(out, l->attrs, l->n_attrs);
    fputc('\n', out);
  }
}

/* Span ids sorted with their index, to find parents by binary search. */
typedef struct id_idx {
  uint8_t id[8];
  size_t idx;
} id_idx;
static int by_id(const void *a, const void *b) {
  return memcmp(((const id_idx *)a)->id, ((const id_idx *)b)->id, 8);
}

typedef struct tree {
  const cotel_span_data *const *spans;
  size_t *first_child, *next_sibling; /* SIZE_MAX: none */
  bool *printed;
} tree;

static void put_subtree(FILE *out, const tree *t, size_t i, unsigned depth,
                        bool is_root) {
  if (t->printed[i]) return; /* a malformed parent cycle */
  t->printed[i] = true;
  put_span(out, t->spans[i], depth, is_root);
  for (size_t c = t->first_child[i]; c != SIZE_MAX; c = t->next_sibling[c])
    put_subtree(out, t, c, depth + 1, false);
}

static int start_cmp(const cotel_span_data *a, const cotel_span_data *b) {
  return a->start_ns < b->start_ns ? -1 : a->start_ns > b->start_ns;
}

int cotel__console_print_trace(FILE *out, const cotel_span_data *const *spans,
                               size_t n) {
  size_t *mem = malloc(3 * n * sizeof(size_t));
  id_idx *ids = malloc(n * sizeof *ids);
  bool *printed = calloc(n, sizeof *printed);
  size_t *parent, *first_child, *next_sibling;
  char tid[33];
  if (!mem || !ids || !printed) {
    free(mem);
    free(ids);
    free(printed);
    return COTEL_ENOMEM;
  }
  parent = mem;
  first_child = mem + n;
  next_sibling = mem + 2 * n;
  for (size_t i = 0; i < n; i++) {
    memcpy(ids[i].id, spans[i]->context.span_id.bytes, 8);
    ids[i].idx = i;
    first_child[i] = next_sibling[i] = SIZE_MAX;
  }
  qsort(ids, n, sizeof *ids, by_id);
  for (size_t i = 0; i < n; i++) {
    const cotel_span_data *sd = spans[i];
    id_idx key, *hit;
    parent[i] = SIZE_MAX;
    if (sd->parent_is_remote || cotel_span_id_is_zero(&sd->parent_span_id))
      continue;
    memcpy(key.id, sd->parent_span_id.bytes, 8);
    hit = bsearch(&key, ids, n, sizeof *ids, by_id);
    if (hit && hit->idx != i) parent[i] = hit->idx;
  }
  /* Children lists in start order: insert each child in place (a trace
   * printed for humans is small). */
  for (size_t i = 0; i < n; i++) {
    size_t p = parent[i], *link;
    if (p == SIZE_MAX) continue;
    link = &first_child[p];
    while (*link != SIZE_MAX && start_cmp(spans[*link], spans[i]) <= 0)
      link = &next_sibling[*link];
    next_sibling[i] = *link;
    *link = i;
  }
  cotel_trace_id_to_hex(&spans[0]->context.trace_id, tid);
  fprintf(out, "trace %s\n", tid);
  tree t = {spans, first_child, next_sibling, printed};
  /* Roots in start order; then anything a malformed cycle left unprinted.
   * The id array is reused as the start-order permutation. */
  for (size_t i = 0; i < n; i++) {
    uint64_t st = spans[i]->start_ns;
    for (int b = 0; b < 8; b++)
      ids[i].id[b] = (uint8_t)(st >> (56 - 8 * b));
    ids[i].idx = i;
  }
  qsort(ids, n, sizeof *ids, by_id); /* big-endian bytes sort as numbers */
  for (int pass = 0; pass < 2; pass++)
    for (size_t k = 0; k < n; k++) {
      size_t i = ids[k].idx;
      if (!printed[i] && (pass || parent[i] == SIZE_MAX))
        put_subtree(out, &t, i, 1, true);
    }
  free(mem);
  free(ids);
  free(printed);
  return 0;
}
