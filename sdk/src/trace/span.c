/* Span lifecycle: start (sampling, ids, record set-up), end, reference
 * counting and recycling of records (DESIGN §4; OTel trace API "Span" and
 * SDK "Sampling"). Attribute/event/link recording is in span_attrs.c. */
#include <string.h>
#include <time.h>

#include "cotel/internal/abi.h"
#include "cotel/internal/clock.h"
#include "trace/ids.h"
#include "provider/provider_internal.h"
#include "sampling/sampler_internal.h"

#define REC(sd) ((struct cotel__span *)(sd)) /* data is the first member */

static void count_dropped(_Atomic uint64_t *c) {
  cotel__count_shared(c, 1);
}

/* ---- references and recycling ---- */

struct cotel_context *cotel__span_embedded_ctx(struct cotel__span *rec) {
  return &rec->ctx;
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

/* Give a record's owned references back and return it to its pool. The
 * parent context was taken off by the caller. */
static void recycle_one(struct cotel__span *r) {
  if (r->data.context.tracestate) {
    cotel_tracestate_release(r->data.context.tracestate);
    r->data.context.tracestate = NULL;
  }
  if (r->dirty) {
    for (uint32_t i = 0; i < r->data.n_links; i++)
      cotel_tracestate_release(r->links[i].context.tracestate);
    cotel__span_reset_fields(r);
  }
  if (r->arena.used) /* chunks to give back; else only the inline buffer */
    cotel__arena_reset(&r->arena, &r->prov->chunks);
  else
    r->arena.cur = r->arena.inline_buf;
  atomic_store_explicit(&r->state, COTEL__SPAN_FREE, memory_order_relaxed);
  /* Stale handles compare this generation (under the lock or with an
   * acquire load) before touching anything else. */
  atomic_store_explicit(&r->gen, atomic_load(&r->gen) + 1,
                        memory_order_release);
  cotel__pool_put(r);
}

void cotel__span_recycle(struct cotel__span *rec) {
  /* Iterative: a chain of ended spans each holding its parent's embedded
   * context unwinds without recursion, one ancestor at a time. */
  while (rec) {
    struct cotel_context *parent = rec->ctx.parent;
    rec->ctx.parent = NULL;
    recycle_one(rec);
    rec = NULL;
    if (!parent) break;
    if (parent->kind == COTEL__CTX_SPAN) {
      struct cotel__span *pr = cotel__span_of_ctx(parent);
      if (cotel__span_unref_is_last(pr)) rec = pr;
    } else {
      cotel__context_unref(parent);
    }
  }
}

/* The record whose live reference cotel_span_end is lending to the last
 * processor's on_end on this thread (NULL: none). The first retain of that
 * record on this thread during the call takes the reference over instead of
 * adding one, and cotel_span_end then does not release it: the usual
 * "processor retains, end releases" pair costs no atomic operation. */
static __attribute__((
    tls_model("initial-exec"))) _Thread_local struct cotel__span *lent;

void cotel_span_data_retain(const cotel_span_data *sd) {
  if (!sd) return;
  struct cotel__span *r = REC(sd);
  if (r == lent) {
    lent = NULL;
    return;
  }
  atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void cotel_span_data_release(const cotel_span_data *sd) {
  if (sd) cotel__span_unref(REC(sd));
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

/* The clock read of cotel_time_now_ns, inlined (two per span): the TSC
 * clock when on (COTEL_CLOCK=tsc), else CLOCK_REALTIME. */
static inline uint64_t now_ns(void) {
  return cotel__clock_now_ns();
}

/* cotel_span_context_is_valid for a non-NULL context, inline. */
static inline bool sc_valid(const cotel_span_context *sc) {
  uint64_t t0, t1, s0;
  memcpy(&t0, sc->trace_id.bytes, 8);
  memcpy(&t1, sc->trace_id.bytes + 8, 8);
  memcpy(&s0, sc->span_id.bytes, 8);
  return (t0 | t1) && s0;
}

/* Link the record's embedded context node under `parent` (retained). Its
 * kind, span and span context pointer were set when the record was created
 * (pool.c) and never change; the rest of the node stays zero. */
static inline void embed(struct cotel__span *r, cotel_context *parent) {
  r->ctx.parent = cotel__context_ref(parent);
  r->ctx.baggage = parent->baggage;
}

/* Identity and record for a span that only propagates. */
static void start_nonrecording(struct cotel__span *r, cotel_context *parent,
                               cotel_tracer *t) {
  r->tracer = t;
  atomic_store_explicit(&r->refs, 1, memory_order_relaxed);
  atomic_store_explicit(&r->state, COTEL__SPAN_NONRECORDING,
                        memory_order_relaxed);
  embed(r, parent);
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
  d->start_ns = o->start_ns ? o->start_ns : now_ns();
  /* Everything else (end time, status, attributes, events, links and
   * their capacities) is in its reset state: see cotel__span_reset_fields. */
  r->dirty = true;
  d->scope = &t->scope;
  d->resource = &p->resource;
  r->attr_hint = (uint32_t)(o->n_attrs + sr->n_attrs);
  r->tracer = t;
  atomic_store_explicit(&r->refs, 1, memory_order_relaxed);
  /* The record is still private: no lock needed while filling it. */
  if (o->n_attrs | sr->n_attrs)
    cotel__span_start_attrs(r, o->attrs, o->n_attrs, sr->attrs, sr->n_attrs);
  for (size_t i = 0; i < o->n_links; i++)
    cotel__span_add_link_locked(r, &o->links[i]);
  atomic_store_explicit(&r->state, COTEL__SPAN_RECORDING, memory_order_relaxed);
  embed(r, parent);
}

int cotel_span_start_sized(cotel_tracer *t, const char *name,
                           const cotel_span_options *opts, size_t size,
                           cotel_span *out) {
  static const cotel_span_options no_opts;
  if (__builtin_expect(!out, 0)) return COTEL_EINVAL;
  *out = COTEL_SPAN_NONE;
  if (__builtin_expect(!t || !name, 0)) return COTEL_EINVAL;
  /* Every member read below is in the first ABI's layout, so any caller
   * size from that one up reads directly (docs/abi.md). */
  if (!opts)
    opts = &no_opts;
  else if (__builtin_expect(
               size < COTEL__SIZE_UPTO(cotel_span_options, n_links), 0))
    return COTEL_EINVAL;
  struct cotel_provider *p = t->p;
  cotel_context *parent =
      opts->parent ? opts->parent : cotel__context_current_inline();
  size_t nlen = 0; /* measured only where the name is used */

  /* The parent's span context, read in place: the parent context holds a
   * reference to whatever its cached pointer points to. */
  const cotel_span_context *psc = opts->root ? NULL : parent->sc;
  if (psc && !sc_valid(psc)) psc = NULL;
  bool has_parent = psc != NULL;
  cotel_span_context sc;
  cotel__rng_state *g = cotel__rng_get(); /* one fork check for all ids */
  if (has_parent) {
    sc.trace_id = psc->trace_id;
    sc.tracestate = psc->tracestate;
    sc.flags = psc->flags & COTEL_TRACE_FLAG_RANDOM;
  } else {
    /* W3C Trace Context level 2: the ids we generate are random. */
    uint64_t a, b;
    do {
      a = cotel__rand64_unchecked(g);
      b = cotel__rand64_unchecked(g);
    } while (__builtin_expect(!(a | b), 0));
    memcpy(sc.trace_id.bytes, &a, 8);
    memcpy(sc.trace_id.bytes + 8, &b, 8);
    sc.tracestate = NULL;
    sc.flags = COTEL_TRACE_FLAG_RANDOM;
  }
  {
    uint64_t a;
    do
      a = cotel__rand64_unchecked(g);
    while (__builtin_expect(!a, 0));
    memcpy(sc.span_id.bytes, &a, 8);
  }
  sc.is_remote = false;

  int rc = 0;
  cotel_sampling_result sr = {COTEL_SAMPLING_DROP, NULL, 0};
  bool by_sampler = false;
  if (__builtin_expect(p->disabled || atomic_load_explicit(
                                          &p->shut_down, memory_order_relaxed),
                       0)) {
    /* No SDK behaviour, but context still propagates: keep the parent's
     * sampled flag so downstream services continue its decision. */
    if (has_parent) sc.flags = psc->flags;
    if (!p->disabled) rc = COTEL_ESTATE;
  } else if (p->sample_how != COTEL__SAMPLE_CALL) {
    /* A built-in sampler, decided inline with the same result as its
     * should_sample (no attributes): the default ParentBased{AlwaysOn} (OTel
     * trace SDK "ParentBased") samples a root and follows a parent's sampled
     * flag; AlwaysOn and AlwaysOff need no input. */
    bool yes = p->sample_how == COTEL__SAMPLE_ALWAYS ||
               (p->sample_how == COTEL__SAMPLE_PARENT &&
                (!has_parent || (psc->flags & COTEL_TRACE_FLAG_SAMPLED)));
    if (yes) {
      sr.decision = COTEL_SAMPLING_RECORD_AND_SAMPLE;
      sc.flags |= COTEL_TRACE_FLAG_SAMPLED;
    } else {
      by_sampler = true;
    }
  } else {
    nlen = strlen(name);
    cotel_sampling_params sp = {
        .parent = parent,
        .parent_sc = psc,
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
  if (sc.tracestate) cotel_tracestate_retain(sc.tracestate);
  if (has_parent) {
    r->data.parent_span_id = psc->span_id;
    r->data.parent_is_remote = psc->is_remote;
  } else {
    memset(&r->data.parent_span_id, 0, sizeof r->data.parent_span_id);
    r->data.parent_is_remote = false;
  }

  COTEL__COUNT_ONE(p, started);
  out->rec = r;
  out->gen = atomic_load_explicit(&r->gen, memory_order_relaxed);
  if (sr.decision == COTEL_SAMPLING_DROP) {
    start_nonrecording(r, parent, t);
    if (by_sampler) COTEL__COUNT_ONE(p, sampled_out);
    return rc;
  }
  if (!nlen) nlen = strlen(name);
  start_recording(r, parent, t, name, nlen, opts, &sr);
  cotel_span_processor **procs = p->procs;
  size_t n = p->n_procs;
  for (size_t i = 0; i < n; i++)
    if (procs[i]->on_start) procs[i]->on_start(procs[i], *out, parent);
  return rc;
}

/* ---- end ---- */

void cotel_span_end(cotel_span s, uint64_t end_ns) {
  struct cotel__span *r = s.rec;
  if (!r) return;
  uint8_t seen = atomic_load_explicit(&r->state, memory_order_relaxed);
  if (seen == COTEL__SPAN_NONRECORDING) {
    /* Nothing of a non-recording record changes at its end but the state:
     * no lock, one compare-and-swap, so that ending twice (or racing)
     * gives the live reference back once. */
    if (atomic_load_explicit(&r->gen, memory_order_acquire) == s.gen &&
        atomic_compare_exchange_strong_explicit(
            &r->state, &seen, COTEL__SPAN_ENDED, memory_order_acq_rel,
            memory_order_relaxed))
      cotel__span_unref(r);
    return;
  }
  if (seen == COTEL__SPAN_RECORDING && !end_ns) end_ns = now_ns();
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
    COTEL__COUNT_ONE(p, ended);
    cotel_span_processor **procs = p->procs;
    size_t n = p->n_procs;
    for (size_t i = 0; i + 1 < n; i++)
      if (procs[i]->on_end) procs[i]->on_end(procs[i], &r->data);
    /* The last processor may take the live span's reference over (see
     * `lent`); earlier ones must not, so that the record stays alive for
     * the next. Once taken, r is not touched again: its new owner may
     * already have released and recycled it. */
    if (n && procs[n - 1]->on_end) {
      struct cotel__span *saved = lent; /* an end nested in another's */
      lent = r;
      procs[n - 1]->on_end(procs[n - 1], &r->data);
      bool taken = lent != r;
      lent = saved;
      if (taken) return;
    }
  }
  cotel__span_unref(r); /* the reference the live span held */
}
