/* In-memory exporter, for tests: keeps a reference to every exported span
 * so tests can inspect exactly what a processor delivered. Thread-safe. */
#include <pthread.h>
#include <stdlib.h>

#include "cotel/memory.h"

typedef struct mem_exporter {
  cotel_exporter base;
  pthread_mutex_t mu;
  const cotel_span_data **spans;
  size_t n, cap;
  unsigned fail_n;
  int fail_rc;
  bool shut_down;
  uint64_t exported, failed;
} mem_exporter;

#define ME(e) ((mem_exporter *)(e))

static int append(mem_exporter *m, const cotel_span_data *const *spans,
                  size_t n) {
  if (m->n + n > m->cap) {
    size_t nc = m->cap ? m->cap * 2 : 64;
    while (nc < m->n + n)
      nc *= 2;
    const cotel_span_data **ns = realloc(m->spans, nc * sizeof *ns);
    if (!ns) return COTEL_ENOMEM;
    m->spans = ns;
    m->cap = nc;
  }
  for (size_t i = 0; i < n; i++) {
    cotel_span_data_retain(spans[i]);
    m->spans[m->n++] = spans[i];
  }
  return 0;
}

static void me_export(cotel_exporter *self, const cotel_span_data *const *spans,
                      size_t n, cotel_export_done_fn done, void *done_arg) {
  mem_exporter *m = ME(self);
  int rc;
  pthread_mutex_lock(&m->mu);
  if (m->shut_down) {
    rc = COTEL_ESTATE;
  } else if (m->fail_n) {
    m->fail_n--;
    rc = m->fail_rc;
  } else {
    rc = append(m, spans, n);
  }
  if (rc)
    m->failed += n;
  else
    m->exported += n;
  pthread_mutex_unlock(&m->mu);
  done(done_arg, rc);
}

static void me_shutdown(cotel_exporter *self, uint64_t deadline_ns) {
  (void)deadline_ns;
  mem_exporter *m = ME(self);
  pthread_mutex_lock(&m->mu);
  m->shut_down = true;
  pthread_mutex_unlock(&m->mu);
}

static void me_stats(cotel_exporter *self, cotel_stats *acc) {
  mem_exporter *m = ME(self);
  pthread_mutex_lock(&m->mu);
  acc->spans_exported += m->exported;
  acc->spans_export_failed += m->failed;
  pthread_mutex_unlock(&m->mu);
}

void cotel_memory_exporter_clear(cotel_exporter *exp) {
  if (!exp) return;
  mem_exporter *m = ME(exp);
  pthread_mutex_lock(&m->mu);
  const cotel_span_data **spans = m->spans;
  size_t n = m->n;
  m->spans = NULL;
  m->n = m->cap = 0;
  pthread_mutex_unlock(&m->mu);
  /* Released outside the lock: a release may recycle the record. */
  for (size_t i = 0; i < n; i++)
    cotel_span_data_release(spans[i]);
  free(spans);
}

static void me_destroy(cotel_exporter *self) {
  mem_exporter *m = ME(self);
  cotel_memory_exporter_clear(self);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

int cotel_memory_exporter_new(cotel_exporter **out) {
  if (!out) return COTEL_EINVAL;
  mem_exporter *m = calloc(1, sizeof *m);
  *out = NULL;
  if (!m) return COTEL_ENOMEM;
  pthread_mutex_init(&m->mu, NULL);
  m->base.name = "memory";
  m->base.export_spans = me_export;
  m->base.shutdown = me_shutdown;
  m->base.stats = me_stats;
  m->base.destroy = me_destroy;
  m->base.max_concurrent = 1;
  m->base.counts_spans = true;
  *out = &m->base;
  return 0;
}

size_t cotel_memory_exporter_count(cotel_exporter *exp) {
  if (!exp) return 0;
  mem_exporter *m = ME(exp);
  pthread_mutex_lock(&m->mu);
  size_t n = m->n;
  pthread_mutex_unlock(&m->mu);
  return n;
}

const cotel_span_data *cotel_memory_exporter_get(cotel_exporter *exp,
                                                 size_t i) {
  if (!exp) return NULL;
  mem_exporter *m = ME(exp);
  pthread_mutex_lock(&m->mu);
  const cotel_span_data *sd = i < m->n ? m->spans[i] : NULL;
  pthread_mutex_unlock(&m->mu);
  return sd;
}

void cotel_memory_exporter_fail_next(cotel_exporter *exp, unsigned n, int rc) {
  if (!exp) return;
  mem_exporter *m = ME(exp);
  pthread_mutex_lock(&m->mu);
  m->fail_n = n;
  m->fail_rc = rc ? rc : COTEL_EEXPORT;
  pthread_mutex_unlock(&m->mu);
}
