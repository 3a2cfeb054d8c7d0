/* Span lifecycle: start (sampling, ids, record set-up), end, reference
 * counting and recycling of records (DESIGN §4; OTel trace API "Span" and
 * SDK "Sampling"). Attribute/event/link recording is in span_attrs.c. */
#include <string.h>

#include "ids.h"
#include "provider_internal.h"

#define REC(sd) ((struct cotel__span *)(sd)) /* data is the first member */

static void count_dropped(_Atomic uint64_t *c) {
  cotel__count_shared(c, 1);
}

/* ---- references and recycling ---- */

struct cotel_context *cotel__span_embedded_ctx(struct cotel__span *rec) {
  return &rec->ctx;
}

struct cotel__span *cotel__span_of_embedded(struct cotel_context *node) {
  return (struct cotel__span *)((char *)node -
                                offsetof(struct cotel__span, ctx));
}

uint32_t cotel__span_gen(struct cotel__span *rec) {
  return atomic_load_explicit(&rec->gen, memory_order_acquire);
}

struct cotel_context *cotel__span_start_parent(struct cotel__span *rec) {
  return rec->ctx.parent;
}

bool cotel__span_handle_ok(cotel_span s) {
  return s.rec &&
         atomic_load_explicit(&s.rec->gen, memory_order_acquire) == s.gen &&
         atomic_load_explicit(&s.rec->state, memory_order_relaxed) !=
             COTEL__SPAN_FREE;
}

void cotel__span_retain(struct cotel__span *rec) {
  atomic_fetch_add_explicit(&rec->refs, 1, memory_order_relaxed);
}

/* Give a record's owned references back and return it to its pool. The
 * parent context was taken off by the caller. */
static void recycle_one(struct cotel__span *r) {
  cotel_tracestate_release(r->data.context.tracestate);
  r->data.context.tracestate = NULL;
  for (uint32_t i = 0; i < r->data.n_links; i++)
    cotel_tracestate_release(r->links[i].context.tracestate);
  r->data.n_links = 0;
  cotel__arena_reset(&r->arena, &r->prov->chunks);
  atomic_store_explicit(&r->state, COTEL__SPAN_FREE, memory_order_relaxed);
  /* Stale handles compare this generation (under the lock or with an
   * acquire load) before touching anything else. */
  atomic_store_explicit(&r->gen, atomic_load(&r->gen) + 1,
                        memory_order_release);
  cotel__pool_put(r);
}

void cotel__span_release(struct cotel__span *rec) {
  /* Iterative: a chain of ended spans each holding its parent's embedded
   * context unwinds without recursion (this does what
   * cotel__context_fini_embedded does, one ancestor at a time). */
  while (rec) {
    /* Sole owner (the common case for spans nobody retained): no other
     * reference exists that could be taken or dropped concurrently, so skip
     * the locked read-modify-write. */
    if (atomic_load_explicit(&rec->refs, memory_order_acquire) != 1 &&
        atomic_fetch_sub_explicit(&rec->refs, 1, memory_order_acq_rel) != 1)
      return;
    struct cotel_context *parent = rec->ctx.parent;
    rec->ctx.parent = NULL;
    recycle_one(rec);
    rec = NULL;
    if (parent && parent->kind == COTEL__CTX_SPAN)
      rec = cotel__span_of_embedded(parent);
    else
      cotel_context_release(parent);
  }
}

void cotel_span_data_retain(const cotel_span_data *sd) {
  if (sd) cotel__span_retain(REC(sd));
}

void cotel_span_data_release(const cotel_span_data *sd) {
  if (sd) cotel__span_release(REC(sd));
}

const cotel_span_data *cotel_span_data_of(cotel_span span) {
  if (!cotel__span_handle_ok(span)) return NULL;
  uint8_t st = atomic_load_explicit(&span.rec->state, memory_order_relaxed);
  return st == COTEL__SPAN_RECORDING || st == COTEL__SPAN_ENDED
             ? &span.rec->data
             : NULL;
}

struct cotel__span *cotel__span_lock_recording(cotel_span s) {
  struct cotel__span *r = s.rec;
  if (!r) return NULL;
  cotel__span_lock(r);
  if (atomic_load_explicit(&r->gen, memory_order_relaxed) == s.gen &&
      atomic_load_explicit(&r->state, memory_order_relaxed) ==
          COTEL__SPAN_RECORDING)
    return r;
  cotel__span_unlock(r);
  return NULL;
}

bool cotel_span_is_recording(cotel_span s) {
  return s.rec &&
         atomic_load_explicit(&s.rec->gen, memory_order_acquire) == s.gen &&
         atomic_load_explicit(&s.rec->state, memory_order_relaxed) ==
             COTEL__SPAN_RECORDING;
}

int cotel_span_get_context(cotel_span s, cotel_span_context *out) {
  if (!out) return COTEL_EINVAL;
  struct cotel__span *r = s.rec;
  if (r) {
    cotel__span_lock(r);
    if (atomic_load_explicit(&r->gen, memory_order_relaxed) == s.gen &&
        atomic_load_explicit(&r->state, memory_order_relaxed) !=
            COTEL__SPAN_FREE) {
      *out = r->data.context;
      cotel__span_unlock(r);
      return 0;
    }
    cotel__span_unlock(r);
  }
  memset(out, 0, sizeof *out);
  return COTEL_EINVAL;
}

/* ---- start ---- */

/* Identity and record for a span that only propagates. */
static void start_nonrecording(struct cotel__span *r, cotel_context *parent,
                               cotel_tracer *t) {
  r->tracer = t;
  atomic_store_explicit(&r->refs, 1, memory_order_relaxed);
  atomic_store_explicit(&r->state, COTEL__SPAN_NONRECORDING,
                        memory_order_relaxed);
  cotel__context_init_embedded(&r->ctx, parent, r, &r->data.context);
}

static void start_recording(struct cotel__span *r, cotel_context *parent,
                            cotel_tracer *t, const char *name, size_t nlen,
                            const cotel_span_options *o,
                            const cotel_sampling_result *sr) {
  struct cotel_provider *p = t->p;
  cotel_span_data *d = &r->data;
  char *n = cotel__arena_strdup(&r->arena, &p->chunks, name, nlen);
  d->name.ptr = n ? n : "";
  d->name.len = n ? nlen : 0;
  d->kind = o->kind ? o->kind : COTEL_SPAN_KIND_INTERNAL;
  d->start_ns = o->start_ns ? o->start_ns : cotel_time_now_ns();
  d->end_ns = 0;
  d->status = COTEL_STATUS_UNSET;
  d->status_message.ptr = "";
  d->status_message.len = 0;
  d->attrs = NULL;
  d->n_attrs = d->dropped_attrs = 0;
  d->events = NULL;
  d->n_events = d->dropped_events = 0;
  d->links = NULL;
  d->n_links = d->dropped_links = 0;
  d->scope = &t->scope;
  d->resource = &p->resource;
  r->attrs = NULL;
  r->events = NULL;
  r->links = NULL;
  r->attr_cap = r->event_cap = r->link_cap = 0;
  r->attr_hint = (uint32_t)(o->n_attrs + sr->n_attrs);
  r->tracer = t;
  atomic_store_explicit(&r->refs, 1, memory_order_relaxed);
  /* The record is still private: no lock needed while filling it. */
  for (size_t i = 0; i < o->n_attrs; i++)
    cotel__span_set_attr_locked(r, &o->attrs[i]);
  for (size_t i = 0; i < sr->n_attrs; i++)
    cotel__span_set_attr_locked(r, &sr->attrs[i]);
  for (size_t i = 0; i < o->n_links; i++)
    cotel__span_add_link_locked(r, &o->links[i]);
  atomic_store_explicit(&r->state, COTEL__SPAN_RECORDING, memory_order_relaxed);
  cotel__context_init_embedded(&r->ctx, parent, r, &r->data.context);
}

int cotel_span_start(cotel_tracer *t, const char *name,
                     const cotel_span_options *opts, cotel_span *out) {
  static const cotel_span_options no_opts;
  if (!out) return COTEL_EINVAL;
  *out = COTEL_SPAN_NONE;
  if (!t || !name) return COTEL_EINVAL;
  if (!opts) opts = &no_opts;
  struct cotel_provider *p = t->p;
  cotel_context *parent = opts->parent ? opts->parent : cotel_context_current();
  size_t nlen = strlen(name);

  cotel_span_context psc, sc;
  bool has_parent = !opts->root &&
                    cotel_context_span_context(parent, &psc) == 0 &&
                    cotel_span_context_is_valid(&psc);
  if (has_parent) {
    sc.trace_id = psc.trace_id;
    sc.tracestate = psc.tracestate;
    sc.flags = psc.flags & COTEL_TRACE_FLAG_RANDOM;
  } else {
    /* W3C Trace Context level 2: the ids we generate are random. */
    cotel__new_trace_id(&sc.trace_id);
    sc.tracestate = NULL;
    sc.flags = COTEL_TRACE_FLAG_RANDOM;
  }
  cotel__new_span_id(&sc.span_id);
  sc.is_remote = false;

  int rc = 0;
  cotel_sampling_result sr = {COTEL_SAMPLING_DROP, NULL, 0};
  bool by_sampler = false;
  if (p->disabled ||
      atomic_load_explicit(&p->shut_down, memory_order_relaxed)) {
    /* No SDK behaviour, but context still propagates: keep the parent's
     * sampled flag so downstream services continue its decision. */
    if (has_parent) sc.flags = psc.flags;
    if (!p->disabled) rc = COTEL_ESTATE;
  } else {
    cotel_sampling_params sp = {
        .parent = parent,
        .parent_sc = has_parent ? &psc : NULL,
        .trace_id = &sc.trace_id,
        .name = {name, nlen},
        .kind = opts->kind ? opts->kind : COTEL_SPAN_KIND_INTERNAL,
        .attrs = opts->attrs,
        .n_attrs = opts->n_attrs,
        .links = opts->links,
        .n_links = opts->n_links,
    };
    p->sampler->should_sample(p->sampler, &sp, &sr);
    if (sr.decision == COTEL_SAMPLING_RECORD_AND_SAMPLE)
      sc.flags |= COTEL_TRACE_FLAG_SAMPLED;
    by_sampler = sr.decision == COTEL_SAMPLING_DROP;
  }

  struct cotel__span *r = cotel__pool_get(p);
  if (__builtin_expect(!r, 0)) {
    count_dropped(&p->spans_dropped);
    r = cotel__pool_get_reserve(p);
    if (!r) return COTEL_ENOMEM;
    sr.decision = COTEL_SAMPLING_DROP;
    rc = COTEL_ENOMEM;
    by_sampler = false;
  }
  r->data.context = sc;
  cotel_tracestate_retain(sc.tracestate);
  if (has_parent)
    r->data.parent_span_id = psc.span_id;
  else
    memset(&r->data.parent_span_id, 0, sizeof r->data.parent_span_id);
  r->data.parent_is_remote = has_parent && psc.is_remote;

  cotel__counters *c = cotel__counters_for(p);
  cotel__count(&c->started, c, p);
  out->rec = r;
  out->gen = atomic_load_explicit(&r->gen, memory_order_relaxed);
  if (sr.decision == COTEL_SAMPLING_DROP) {
    start_nonrecording(r, parent, t);
    if (by_sampler) cotel__count(&c->sampled_out, c, p);
    return rc;
  }
  start_recording(r, parent, t, name, nlen, opts, &sr);
  for (size_t i = 0; i < p->n_procs; i++)
    if (p->procs[i]->on_start) p->procs[i]->on_start(p->procs[i], *out, parent);
  return rc;
}

/* ---- end ---- */

void cotel_span_end(cotel_span s, uint64_t end_ns) {
  struct cotel__span *r = s.rec;
  if (!r) return;
  uint8_t seen = atomic_load_explicit(&r->state, memory_order_relaxed);
  if (seen == COTEL__SPAN_RECORDING && !end_ns) end_ns = cotel_time_now_ns();
  cotel__span_lock(r);
  uint8_t st = atomic_load_explicit(&r->state, memory_order_relaxed);
  if (atomic_load_explicit(&r->gen, memory_order_relaxed) != s.gen ||
      (st != COTEL__SPAN_RECORDING && st != COTEL__SPAN_NONRECORDING)) {
    cotel__span_unlock(r);
    return;
  }
  if (st == COTEL__SPAN_RECORDING) {
    if (!end_ns) end_ns = cotel_time_now_ns(); /* state changed meanwhile */
    r->data.end_ns = end_ns < r->data.start_ns ? r->data.start_ns : end_ns;
  }
  atomic_store_explicit(&r->state, COTEL__SPAN_ENDED, memory_order_relaxed);
  cotel__span_unlock(r);
  if (st == COTEL__SPAN_RECORDING) {
    struct cotel_provider *p = r->prov;
    cotel__counters *c = cotel__counters_for(p);
    cotel__count(&c->ended, c, p);
    for (size_t i = 0; i < p->n_procs; i++)
      if (p->procs[i]->on_end) p->procs[i]->on_end(p->procs[i], &r->data);
  }
  cotel__span_release(r); /* the reference the live span held */
}
