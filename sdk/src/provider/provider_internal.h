/* Private: the tracer provider, tracers, record pools and counters. */
#ifndef COTEL_PROVIDER_INTERNAL_H
#define COTEL_PROVIDER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "trace/arena.h"
#include "cotel/internal/pool.h"
#include "cotel/provider.h"
#include "trace/span_internal.h"

/* Hot counters are per thread (no shared cache line on the span path); the
 * rest are rare and live in the provider as atomics. */
typedef struct cotel__counters {
  _Atomic uint64_t started, ended, sampled_out;
} cotel__counters;

/* A thread's cache of free records for one provider at a time, plus its
 * counters. Lives in the thread's TLS; linked into the provider's list
 * (under its mutex) so stats can sum it and destroy can unbind it. */
typedef struct cotel__tcache {
  struct cotel_provider *p;
  uint64_t pid;
  struct cotel__span *free; /* taken from the provider's list in one go */
  struct cotel__span *ret;  /* released on this thread (cache-hot) */
  struct cotel__span *ret_tail;
  uint32_t n_ret;
  bool key_set;
  bool exiting; /* its exit destructor ran: never bind again (nothing would
                   unbind it before its memory goes) */
  cotel__counters c;
  struct cotel__tcache *next, *prev;
} cotel__tcache;

struct cotel_tracer {
  struct cotel_provider *p;
  cotel_scope scope;
  struct cotel_tracer *next;
  cotel__arena arena; /* the scope's strings and attributes */
};

struct cotel_provider {
  uint64_t id;
  cotel_allocator alloc;
  const cotel_allocator *al; /* &alloc */
  bool disabled;
  atomic_bool shut_down;
  cotel_sampler *sampler;
  /* How span start decides (sampler_internal.h): COTEL__SAMPLE_CALL runs
   * the sampler; the others are built-in samplers decided inline. */
  uint8_t sample_how;
  cotel_span_limits limits;
  cotel_resource resource;
  cotel__arena res_arena;
  cotel_span_processor **procs;
  size_t n_procs;
  uint32_t shutdown_timeout_ms; /* of the implicit shutdown in destroy */

  pthread_mutex_t tracer_mu;
  struct cotel_tracer *tracers;

  /* Record pool: protected by mu (together with the tcache list). free is
   * a stack of batches (pool.c); n_free counts its records, free_min the
   * fewest it held since the last trim (records nobody needed). */
  pthread_mutex_t mu;
  struct cotel__span *free;
  size_t n_free, free_min, n_records;
  _Atomic uint64_t last_trim_ns;
  struct cotel__span *reserve; /* handed out only when allocation fails */
  struct cotel__span *all;
  cotel__tcache tc_head; /* sentinel of the list of bound thread caches */
  cotel__counters base;  /* folded in from unbound thread caches */
  cotel__chunk_pool chunks;

  _Atomic uint64_t spans_dropped, attrs_dropped, events_dropped, links_dropped;
};

/* Registry of live providers: ids are never reused, so a thread cache can
 * tell whether the provider it points to still exists. */
void cotel__registry_add(struct cotel_provider *p);

/* Record pool (pool.c). */
int cotel__pool_init(struct cotel_provider *p, unsigned n_reserve);
struct cotel__span *cotel__pool_get_slow(struct cotel_provider *p);
struct cotel__span *cotel__pool_get_reserve(struct cotel_provider *p);
void cotel__pool_put_slow(struct cotel__span *r);
/* Unbind every thread cache and free every record and chunk. */
void cotel__pool_destroy(struct cotel_provider *p);
/* cotel__pool_trim: cotel/internal/pool.h. Automatic trims are at most
 * COTEL__POOL_TRIM_NS apart. */
#define COTEL__POOL_TRIM_NS 1000000000ull
/* The least headroom a trim keeps free (pool.c, cotel__pool_trim). */
#define COTEL__POOL_TRIM_SLACK 128

/* The calling thread's cache (pool.c). initial-exec: one %fs-relative
 * access even in libcotel.so. */
extern __attribute__((
    tls_model("initial-exec"))) _Thread_local cotel__tcache cotel__tls_cache;

/* The calling thread's counters for p (bound cache or p->base). */
static inline cotel__counters *cotel__counters_for(struct cotel_provider *p) {
  cotel__tcache *tc = &cotel__tls_cache;
  if (__builtin_expect(tc->p == p && tc->pid == p->id, 1)) return &tc->c;
  return &p->base;
}

/* Count one event of the calling thread for provider p (same effect as
 * cotel__count(&cotel__counters_for(p)->field, ...), with one cache check):
 * a plain increment in the bound cache, a locked add on p->base otherwise. */
#define COTEL__COUNT_ONE(prov, field)                                          \
  do {                                                                         \
    struct cotel_provider *p_ = (prov);                                        \
    cotel__tcache *tc_ = &cotel__tls_cache;                                    \
    if (__builtin_expect(tc_->p == p_ && tc_->pid == p_->id, 1))               \
      atomic_store_explicit(                                                   \
          &tc_->c.field,                                                       \
          atomic_load_explicit(&tc_->c.field, memory_order_relaxed) + 1,       \
          memory_order_relaxed);                                               \
    else                                                                       \
      atomic_fetch_add_explicit(&p_->base.field, 1, memory_order_relaxed);     \
  } while (0)

/* Records released on a thread before handing them over. */
#define COTEL__CACHE_MAX 64

/* Give a record back: inline onto the thread's list of released records
 * while the cache is bound to the record's provider and not full. */
static inline void cotel__pool_put(struct cotel__span *r) {
  struct cotel_provider *p = r->prov;
  cotel__tcache *tc = &cotel__tls_cache;
  if (__builtin_expect(tc->p == p && tc->pid == p->id &&
                           tc->n_ret + 1 < COTEL__CACHE_MAX,
                       1)) {
    r->next = tc->ret;
    if (!tc->ret) tc->ret_tail = r;
    tc->ret = r;
    tc->n_ret++;
    return;
  }
  cotel__pool_put_slow(r);
}

/* A free record: inline while the thread's cache is bound to p and not
 * empty (the steady state), from pool.c otherwise. */
static inline struct cotel__span *cotel__pool_get(struct cotel_provider *p) {
  cotel__tcache *tc = &cotel__tls_cache;
  if (__builtin_expect(tc->p == p && tc->pid == p->id, 1)) {
    struct cotel__span *r = tc->ret;
    if (r) { /* released on this thread: its lines are in our cache */
      tc->ret = r->next;
      tc->n_ret--;
      return r;
    }
    r = tc->free;
    if (__builtin_expect(r != NULL, 1)) {
      tc->free = r->next;
      return r;
    }
  }
  return cotel__pool_get_slow(p);
}
void cotel__pool_stats(struct cotel_provider *p, cotel_stats *acc);

static inline void cotel__count(_Atomic uint64_t *c, cotel__counters *owner,
                                struct cotel_provider *p) {
  if (owner != &p->base) /* owned by this thread: no locked instruction */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
  else
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static inline void cotel__count_shared(_Atomic uint64_t *c, uint64_t n) {
  atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Resource (resource.c): build p->resource from config and environment. */
int cotel__resource_build(struct cotel_provider *p,
                          const cotel_provider_config *cfg);

/* Tracers (tracer.c). */
void cotel__tracers_destroy(struct cotel_provider *p);

/* Attribute-set building with last-write-wins and copies (attrs.c), used
 * for the resource and scopes (not limited). */
typedef struct cotel__attr_set {
  cotel_attr *v;
  uint32_t n, cap;
} cotel__attr_set;
int cotel__attr_set_put(cotel__attr_set *s, cotel__arena *a,
                        cotel__chunk_pool *cp, const cotel_attr *attr);

/* Resource detectors (detect_*.c): each hands its attributes to `put`,
 * which copies them (the detector's strings may live on its stack). A
 * detector that cannot find a value leaves the attribute out. */
typedef void (*cotel__res_put)(void *ud, const cotel_attr *attr);
void cotel__detect_host(cotel__res_put put, void *ud);
void cotel__detect_os(cotel__res_put put, void *ud);
void cotel__detect_process(bool command_line, cotel__res_put put, void *ud);
void cotel__detect_container(cotel__res_put put, void *ud);

#endif
