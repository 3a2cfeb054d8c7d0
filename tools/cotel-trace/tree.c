/* cotel-trace: spans grouped by trace id and ordered as trees (parents
 * found by span id within the trace, children in start order, depth first
 * without recursion, so that a 10,000-deep chain is fine). */
#include <stdlib.h>
#include <string.h>

#include "model.h"

static const ct_model *sort_model; /* qsort has no context argument */

static int by_trace_start(const void *a, const void *b) {
  const cotel_span_data *x = &sort_model->spans[*(const size_t *)a].sd,
                        *y = &sort_model->spans[*(const size_t *)b].sd;
  int c = memcmp(x->context.trace_id.bytes, y->context.trace_id.bytes, 16);
  if (c) return c;
  if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
  return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int by_start(const void *a, const void *b) {
  const ct_trace *x = a, *y = b;
  return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

typedef struct id_idx {
  uint8_t id[8];
  size_t local;
} id_idx;

static int by_id(const void *a, const void *b) {
  int c = memcmp(((const id_idx *)a)->id, ((const id_idx *)b)->id, 8);
  if (c) return c;
  return ((const id_idx *)a)->local < ((const id_idx *)b)->local ? -1 : 1;
}

static int by_id_only(const void *a, const void *b) {
  return memcmp(((const id_idx *)a)->id, ((const id_idx *)b)->id, 8);
}

/* Order one trace: `idx` (n global indices, in start order) is rewritten in
 * tree order. `scratch` holds 4n size_t, `ids` n entries. 0 or -1 (out of
 * memory). */
static int build_one(ct_model *m, size_t *idx, size_t n, size_t *scratch,
                     id_idx *ids) {
  size_t *first = scratch, *last = scratch + n, *next = scratch + 2 * n,
         *par = scratch + 3 * n, n_out = 0, n_missing = 0, n_roots = 0;
  for (size_t i = 0; i < n; i++) {
    memcpy(ids[i].id, m->spans[idx[i]].sd.context.span_id.bytes, 8);
    ids[i].local = i;
  }
  qsort(ids, n, sizeof *ids, by_id);
  for (size_t k = 1; k < n; k++)
    if (!memcmp(ids[k].id, ids[k - 1].id, 8))
      m->spans[idx[ids[k].local]].dup = true;
  for (size_t i = 0; i < n; i++) {
    ct_span *s = &m->spans[idx[i]];
    id_idx key, *hit;
    par[i] = CT_NONE;
    if (cotel_span_id_is_zero(&s->sd.parent_span_id)) {
      n_roots++;
      continue;
    }
    memcpy(key.id, s->sd.parent_span_id.bytes, 8);
    hit = bsearch(&key, ids, n, sizeof *ids, by_id_only);
    if (hit && hit->local != i) {
      par[i] = hit->local;
      s->parent = idx[hit->local];
    } else {
      s->orphan = true;
      n_missing++;
    }
  }
  /* A trace whose one parentless span came from outside the data (a caller
   * that was not traced, or whose spans are not in these files) is whole:
   * that span is its entry, not an orphan. */
  if (n_roots == 0 && n_missing == 1)
    for (size_t i = 0; i < n; i++)
      if (m->spans[idx[i]].orphan) {
        m->spans[idx[i]].orphan = false;
        m->spans[idx[i]].entry = true;
      }
  /* The console printer nests a span under its parent unless the parent is
   * remote: across services every parent is remote, so only the entry's
   * (outside the data) is marked so. */
  for (size_t i = 0; i < n; i++)
    m->spans[idx[i]].sd.parent_is_remote = m->spans[idx[i]].entry;
  /* Children lists in start order (idx is in start order). */
  for (size_t i = 0; i < n; i++)
    first[i] = last[i] = next[i] = CT_NONE;
  for (size_t i = 0; i < n; i++) {
    size_t p = par[i];
    if (p == CT_NONE) continue;
    if (last[p] == CT_NONE)
      first[p] = i;
    else
      next[last[p]] = i;
    last[p] = i;
  }
  /* Depth first with an explicit stack (last[] reused as the stack), roots
   * first, then whatever a parent cycle left unreached. */
  size_t *stack = last, sp = 0;
  unsigned char *seen = calloc(n, 1);
  size_t *res = malloc(n * sizeof *res);
  if (!seen || !res) {
    free(seen);
    free(res);
    return -1;
  }
  for (int pass = 0; pass < 2; pass++)
    for (size_t r = 0; r < n; r++) {
      if (seen[r] || (!pass && par[r] != CT_NONE)) continue;
      stack[sp++] = r;
      seen[r] = 1;
      m->spans[idx[r]].depth = 0;
      while (sp) {
        size_t i = stack[--sp];
        res[n_out++] = idx[i];
        /* Push children, then reverse them, so the first-started pops
         * first. Each span is pushed once (seen), so n slots suffice. */
        size_t base = sp;
        for (size_t c = first[i]; c != CT_NONE; c = next[c]) {
          if (seen[c]) continue;
          seen[c] = 1;
          m->spans[idx[c]].depth = m->spans[idx[i]].depth + 1;
          stack[sp++] = c;
        }
        for (size_t a = base, b = sp; a + 1 < b; a++, b--) {
          size_t t = stack[a];
          stack[a] = stack[b - 1];
          stack[b - 1] = t;
        }
      }
    }
  memcpy(idx, res, n_out * sizeof *idx);
  free(seen);
  free(res);
  return 0;
}

int ct_build_traces(ct_model *m) {
  size_t n = m->n_spans, n_tr = 0;
  size_t *order = malloc((n ? n : 1) * sizeof *order);
  size_t *scratch = malloc((n ? n : 1) * 4 * sizeof *scratch);
  id_idx *ids = malloc((n ? n : 1) * sizeof *ids);
  int rc = -1;
  if (!order || !scratch || !ids) goto done;
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  sort_model = m;
  qsort(order, n, sizeof *order, by_trace_start);
  for (size_t i = 0; i < n; i++)
    if (!i || memcmp(m->spans[order[i]].sd.context.trace_id.bytes,
                     m->spans[order[i - 1]].sd.context.trace_id.bytes, 16))
      n_tr++;
  m->traces = calloc(n_tr ? n_tr : 1, sizeof *m->traces);
  if (!m->traces) goto done;
  for (size_t i = 0, t = 0; i < n; t++) {
    size_t j = i + 1;
    while (j < n && !memcmp(m->spans[order[j]].sd.context.trace_id.bytes,
                            m->spans[order[i]].sd.context.trace_id.bytes, 16))
      j++;
    ct_trace *tr = &m->traces[t];
    tr->n = j - i;
    tr->spans = malloc(tr->n * sizeof *tr->spans);
    if (!tr->spans) goto done;
    m->n_traces = t + 1;
    memcpy(tr->spans, order + i, tr->n * sizeof *tr->spans);
    tr->start_ns = m->spans[order[i]].sd.start_ns;
    tr->end_ns = tr->start_ns;
    for (size_t k = i; k < j; k++)
      if (m->spans[order[k]].sd.end_ns > tr->end_ns)
        tr->end_ns = m->spans[order[k]].sd.end_ns;
    if (build_one(m, tr->spans, tr->n, scratch, ids)) goto done;
    i = j;
  }
  /* Traces in the order they started. */
  qsort(m->traces, m->n_traces, sizeof *m->traces, by_start);
  rc = 0;
done:
  free(order);
  free(scratch);
  free(ids);
  return rc;
}
