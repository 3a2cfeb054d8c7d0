/* cotel-trace: spans read from OTLP/JSON lines, grouped into traces.
 *
 * Each span is kept as a cotel_span_data (so the console exporter's tree
 * printer can print it) whose strings point into the parsed JSON documents,
 * which live as long as the model. */
#ifndef COTEL_TRACE_MODEL_H
#define COTEL_TRACE_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cotel/span_data.h"

#define CT_NONE SIZE_MAX

typedef struct ct_span {
  cotel_span_data sd;
  size_t service; /* index into model.services */
  /* Filled by ct_build_traces, relative to the trace: */
  size_t parent;  /* index of the parent in model.spans, or CT_NONE */
  bool orphan;    /* has a parent id that is not in the trace */
  bool dup;       /* a second (or later) copy of a span id in its trace */
  bool entry;     /* the trace's one span whose parent is outside the data */
  unsigned depth; /* in the tree printed / drawn */
} ct_span;

typedef struct ct_trace {
  size_t *spans; /* indices into model.spans, in tree order (depth first,
                    children by start time) */
  size_t n;
  uint64_t start_ns, end_ns;
} ct_trace;

typedef struct ct_service {
  char *name;
  const cotel_resource *resource; /* the first seen, for display */
} ct_service;

typedef struct ct_model {
  ct_span *spans;
  size_t n_spans, cap_spans;
  ct_trace *traces;
  size_t n_traces;
  ct_service *services;
  size_t n_services;
  json_t **docs; /* parsed lines, owned */
  size_t n_docs, cap_docs;
  void *arena;        /* bump-allocated attribute arrays etc. */
  size_t bad_lines;   /* lines that are not OTLP JSON */
  size_t total_lines; /* non-empty lines read */
} ct_model;

void ct_model_init(ct_model *m);
void ct_model_free(ct_model *m);

/* Read every OTLP/JSON line of `f` ("name" for messages): each line an
 * ExportTraceServiceRequest / TracesData object with resourceSpans. A line
 * that cannot be read is counted in bad_lines and reported on stderr.
 * Returns 0, or -1 when out of memory. */
int ct_load_file(ct_model *m, FILE *f, const char *name);

/* Group the spans into traces, link parents, order each trace as a tree.
 * Returns 0 or -1 (out of memory). */
int ct_build_traces(ct_model *m);

/* The printing and checking modes; each returns the process exit code. */
int ct_print_text(const ct_model *m, FILE *out);
typedef struct ct_check_options {
  uint64_t skew_ns; /* a child may start this much before its parent */
  bool quiet;       /* per-trace lines only for traces with a problem */
} ct_check_options;
int ct_check(const ct_model *m, const ct_check_options *o, FILE *out);
int ct_write_html(const ct_model *m, FILE *out, const char *title);

/* Arena allocation (zeroed), freed with the model. NULL when out of
 * memory. */
void *ct_alloc(ct_model *m, size_t size);

/* "1.234ms"-style duration (the console exporter's format). */
void ct_duration(uint64_t ns, char *buf, size_t len);

#endif
