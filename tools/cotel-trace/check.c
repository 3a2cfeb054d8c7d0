/* cotel-trace --check: span continuity across services, for CI.
 *
 * Per trace and in total: orphans (a parent id that is not in the trace;
 * a trace whose only parentless span has its parent outside the data, an
 * untraced caller, is whole), traces with more than one root, children
 * that start before their parent by more than the skew tolerance,
 * duplicate span ids, and per pair of services the caller -> callee edges:
 * a SERVER span whose parent is a CLIENT span is an edge seen; a SERVER
 * span whose parent is not a CLIENT span, or is missing (other than the
 * trace's entry), is an edge broken (the caller shown as "?" when
 * unknown). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

typedef struct edge {
  size_t from, to; /* service indices; CT_NONE: unknown */
  uint64_t seen, broken;
} edge;

typedef struct edges {
  edge *e;
  size_t n, cap;
} edges;

static edge *edge_get(edges *es, size_t from, size_t to) {
  for (size_t i = 0; i < es->n; i++)
    if (es->e[i].from == from && es->e[i].to == to) return &es->e[i];
  if (es->n == es->cap) {
    size_t cap = es->cap ? es->cap * 2 : 16;
    edge *n = realloc(es->e, cap * sizeof *n);
    if (!n) return NULL;
    es->e = n;
    es->cap = cap;
  }
  es->e[es->n] = (edge){from, to, 0, 0};
  return &es->e[es->n++];
}

typedef struct counts {
  uint64_t orphans, multi_root, skewed, dups, broken_edges;
} counts;

static const char *svc(const ct_model *m, size_t i) {
  return i == CT_NONE ? "?" : m->services[i].name;
}

int ct_check(const ct_model *m, const ct_check_options *o, FILE *out) {
  counts total = {0, 0, 0, 0, 0};
  edges es = {NULL, 0, 0};
  uint64_t bad_traces = 0;
  for (size_t t = 0; t < m->n_traces; t++) {
    const ct_trace *tr = &m->traces[t];
    counts c = {0, 0, 0, 0, 0};
    size_t roots = 0;
    char first_problem[160] = "";
    for (size_t k = 0; k < tr->n; k++) {
      const ct_span *s = &m->spans[tr->spans[k]];
      const ct_span *p = s->parent != CT_NONE ? &m->spans[s->parent] : NULL;
      char id[17], pid[17];
      cotel_span_id_to_hex(&s->sd.context.span_id, id);
      cotel_span_id_to_hex(&s->sd.parent_span_id, pid);
      if (s->dup) {
        c.dups++;
        if (!*first_problem)
          snprintf(first_problem, sizeof first_problem,
                   "span %s appears more than once", id);
      }
      if (s->orphan) {
        c.orphans++;
        if (!*first_problem)
          snprintf(first_problem, sizeof first_problem,
                   "span %s (%s) has parent %s, not in the trace", id,
                   svc(m, s->service), pid);
      } else if (!p && !s->dup) {
        roots++;
      }
      if (p && s->sd.start_ns + o->skew_ns < p->sd.start_ns) {
        c.skewed++;
        if (!*first_problem) {
          char d[32];
          ct_duration(p->sd.start_ns - s->sd.start_ns, d, sizeof d);
          snprintf(first_problem, sizeof first_problem,
                   "span %s starts %s before its parent %s", id, d, pid);
        }
      }
      /* A SERVER span with no parent, or whose parent is outside the data
       * (the entry), was called by something untraced: no edge. */
      if (s->sd.kind == COTEL_SPAN_KIND_SERVER && !s->entry && !s->dup &&
          !cotel_span_id_is_zero(&s->sd.parent_span_id)) {
        bool ok = p && p->sd.kind == COTEL_SPAN_KIND_CLIENT;
        edge *e = edge_get(&es, p ? p->service : CT_NONE, s->service);
        if (!e) {
          free(es.e);
          fprintf(stderr, "cotel-trace: out of memory\n");
          return 2;
        }
        if (ok) {
          e->seen++;
        } else {
          e->broken++;
          c.broken_edges++;
          if (!*first_problem)
            snprintf(first_problem, sizeof first_problem,
                     "SERVER span %s (%s) is not the child of a CLIENT span",
                     id, svc(m, s->service));
        }
      }
    }
    if (roots > 1) c.multi_root = 1;
    bool broken =
        c.orphans || c.multi_root || c.skewed || c.dups || c.broken_edges;
    bad_traces += broken;
    total.orphans += c.orphans;
    total.multi_root += c.multi_root;
    total.skewed += c.skewed;
    total.dups += c.dups;
    total.broken_edges += c.broken_edges;
    if (broken || !o->quiet) {
      char tid[33];
      cotel_trace_id_to_hex(&m->spans[tr->spans[0]].sd.context.trace_id, tid);
      fprintf(out,
              "trace %s: %zu spans, %zu roots, %" PRIu64 " orphans, %" PRIu64
              " skewed, %" PRIu64 " duplicates, %" PRIu64 " broken edges: %s",
              tid, tr->n, roots, c.orphans, c.skewed, c.dups, c.broken_edges,
              broken ? "BROKEN" : "ok");
      if (*first_problem) fprintf(out, " (%s)", first_problem);
      fputc('\n', out);
    }
  }
  fprintf(out, "edges (caller -> callee):\n");
  for (size_t i = 0; i < es.n; i++)
    fprintf(out, "  %s -> %s: %" PRIu64 " seen, %" PRIu64 " broken\n",
            svc(m, es.e[i].from), svc(m, es.e[i].to), es.e[i].seen,
            es.e[i].broken);
  if (!es.n) fprintf(out, "  (none: no SERVER span has a parent)\n");
  bool ok = !bad_traces && !m->bad_lines;
  fprintf(out,
          "total: %zu traces (%" PRIu64 " broken), %zu spans, %zu services, "
          "%" PRIu64 " orphans, %" PRIu64 " traces with more than one root, "
          "%" PRIu64 " children starting before their parent, %" PRIu64
          " duplicate span ids, %" PRIu64 " broken edges, %zu unreadable "
          "lines: %s\n",
          m->n_traces, bad_traces, m->n_spans, m->n_services, total.orphans,
          total.multi_root, total.skewed, total.dups, total.broken_edges,
          m->bad_lines, ok ? "OK" : "BROKEN");
  free(es.e);
  return ok ? 0 : 1;
}
