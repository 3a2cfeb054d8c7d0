/* Console exporter (DESIGN §5): buffers ended spans per trace and prints a
 * trace as one tree when its local root ends (a span with no parent or a
 * remote one), so that a human reads whole requests, not interleaved lines.
 * Whatever is left is printed at shutdown. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/console_format.h"
#include "cotel/console.h"

/* A trace whose root never ends must not hold memory forever: past this
 * many buffered spans the oldest trace is printed as it stands. */
#define MAX_BUFFERED 4096u

typedef struct console {
  cotel_exporter base;
  FILE *out;
  pthread_mutex_t mu;
  const cotel_span_data **buf; /* retained, in arrival order */
  size_t n, cap;
  uint64_t printed;
} console;

static bool same_trace(const cotel_span_data *a, const cotel_trace_id *t) {
  return memcmp(a->context.trace_id.bytes, t->bytes, 16) == 0;
}

/* Print and drop every buffered span of one trace. Called with mu held. */
static void flush_trace(console *c, cotel_trace_id tid) {
  size_t k = 0, keep = 0;
  const cotel_span_data **tr = malloc(c->n * sizeof *tr);
  if (!tr) return; /* try again at the next root or at shutdown */
  for (size_t i = 0; i < c->n; i++) {
    if (same_trace(c->buf[i], &tid))
      tr[k++] = c->buf[i];
    else
      c->buf[keep++] = c->buf[i];
  }
  if (k && cotel__console_print_trace(c->out, tr, k) != 0) {
    /* Out of memory while formatting: keep them for a later try. */
    for (size_t i = 0; i < k; i++)
      c->buf[keep++] = tr[i];
    free(tr);
    return;
  }
  c->n = keep;
  fflush(c->out);
  for (size_t i = 0; i < k; i++)
    cotel_span_data_release(tr[i]);
  c->printed += k;
  free(tr);
}

static void flush_all(console *c) {
  while (c->n) {
    size_t before = c->n;
    flush_trace(c, c->buf[0]->context.trace_id);
    if (c->n == before) break; /* out of memory: give up for now */
  }
}

static bool buffer(console *c, const cotel_span_data *sd) {
  if (c->n == MAX_BUFFERED) flush_trace(c, c->buf[0]->context.trace_id);
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    const cotel_span_data **nb = realloc(c->buf, cap * sizeof *nb);
    if (!nb) return false;
    c->buf = nb;
    c->cap = cap;
  }
  cotel_span_data_retain(sd);
  c->buf[c->n++] = sd;
  return true;
}

static bool is_local_root(const cotel_span_data *sd) {
  return sd->parent_is_remote || cotel_span_id_is_zero(&sd->parent_span_id);
}

static void console_export(cotel_exporter *self,
                           const cotel_span_data *const *spans, size_t n,
                           cotel_export_done_fn done, void *done_arg) {
  console *c = (console *)self;
  int rc = 0;
  pthread_mutex_lock(&c->mu);
  for (size_t i = 0; i < n; i++)
    if (!buffer(c, spans[i])) rc = COTEL_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (is_local_root(spans[i])) flush_trace(c, spans[i]->context.trace_id);
  pthread_mutex_unlock(&c->mu);
  done(done_arg, rc);
}

static void console_shutdown(cotel_exporter *self, uint64_t deadline_ns) {
  console *c = (console *)self;
  (void)deadline_ns;
  pthread_mutex_lock(&c->mu);
  flush_all(c);
  pthread_mutex_unlock(&c->mu);
}

static void console_stats(cotel_exporter *self, cotel_stats *acc) {
  console *c = (console *)self;
  pthread_mutex_lock(&c->mu);
  acc->spans_exported += c->printed;
  pthread_mutex_unlock(&c->mu);
}

static void console_destroy(cotel_exporter *self) {
  console *c = (console *)self;
  flush_all(c);
  for (size_t i = 0; i < c->n; i++)
    cotel_span_data_release(c->buf[i]);
  free(c->buf);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

int cotel_console_exporter_new(void *out_file, cotel_exporter **out) {
  console *c;
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  c = calloc(1, sizeof *c);
  if (!c) return COTEL_ENOMEM;
  c->out = out_file ? (FILE *)out_file : stdout;
  pthread_mutex_init(&c->mu, NULL);
  c->base.name = "console";
  c->base.export_spans = console_export;
  c->base.shutdown = console_shutdown;
  c->base.stats = console_stats;
  c->base.destroy = console_destroy;
  c->base.max_concurrent = 1;
  /* It counts spans when it prints them: a buffered span is not exported
   * yet. */
  c->base.counts_spans = true;
  *out = &c->base;
  return 0;
}
