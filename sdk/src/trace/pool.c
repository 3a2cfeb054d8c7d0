/* Span record pools with per-thread caches (DESIGN §4: "span records come
 * from pools (per-thread caches)").
 *
 * Records are typically started and ended on application threads and
 * released on the batch processor's thread, so each thread's cache moves
 * records to and from the provider's shared list as whole lists, in O(1):
 * one mutex acquisition per batch of records, none on the common path. */
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "util/mem.h"
#include "provider/provider_internal.h"

/* initial-exec: one %fs-relative load even in libcotel.so (no
 * __tls_get_addr call on the span path); the variable is small. */
__attribute__((
    tls_model("initial-exec"))) _Thread_local cotel__tcache cotel__tls_cache;
#define tls_cache cotel__tls_cache
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

/* Registry of live providers (ids never reused). */
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct reg_node {
  struct cotel_provider *p;
  struct reg_node *next;
} * reg_head;
static uint64_t next_id = 1;

/* Caller holds reg_mu. */
static bool registry_alive(struct cotel_provider *p, uint64_t id) {
  for (struct reg_node *n = reg_head; n; n = n->next)
    if (n->p == p && n->p->id == id) return true;
  return false;
}

void cotel__registry_add(struct cotel_provider *p) {
  /* The node is tiny and only exists while the provider does; it comes from
   * the provider's allocator like everything else. */
  pthread_mutex_lock(&reg_mu);
  p->id = next_id++;
  pthread_mutex_unlock(&reg_mu);
}

/* fork(): a thread of the parent may hold a pool lock at the moment of the
 * fork; in the child that thread is gone and the lock would stay locked
 * forever (the child's first span start or release would hang). The
 * forking thread takes every pool lock (and chunk-pool lock) around fork()
 * and releases them on both sides. */
static void atfork_prepare(void) {
  pthread_mutex_lock(&reg_mu);
  for (struct reg_node *n = reg_head; n; n = n->next) {
    pthread_mutex_lock(&n->p->mu);
    pthread_mutex_lock(&n->p->chunks.mu);
  }
}

static void atfork_parent(void) {
  for (struct reg_node *n = reg_head; n; n = n->next) {
    pthread_mutex_unlock(&n->p->chunks.mu);
    pthread_mutex_unlock(&n->p->mu);
  }
  pthread_mutex_unlock(&reg_mu);
}

static void give_back_locked(struct cotel_provider *p, cotel__tcache *tc);
static void fold_counters(cotel__counters *dst, cotel__counters *src);

/* The child has only the forking thread. The caches of the parent's other
 * threads (the batch worker's among them) live in thread-local storage
 * that glibc hands, zeroed in place, to the child's next threads: left on
 * a provider's list, they would turn into NULL links (issue 11: a crash in
 * cotel__pool_stats) or cycles. Unlink them all now, their records and
 * counts going back to the provider, as their threads' exit would have. */
static void atfork_child(void) {
  for (struct reg_node *n = reg_head; n; n = n->next) {
    struct cotel_provider *p = n->p;
    cotel__tcache *tc = p->tc_head.next, *next;
    for (; tc != &p->tc_head; tc = next) {
      next = tc->next;
      if (tc == &tls_cache) continue;
      give_back_locked(p, tc);
      fold_counters(&p->base, &tc->c);
      tc->prev->next = tc->next;
      tc->next->prev = tc->prev;
      tc->p = NULL;
      tc->pid = 0;
      tc->next = tc->prev = NULL;
    }
  }
  atfork_parent();
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void install_atfork(void) {
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* Registration proper happens in cotel__pool_init (it can fail). */
static int registry_insert(struct cotel_provider *p) {
  struct reg_node *n = cotel__mem_alloc(p->al, sizeof *n);
  if (!n) return COTEL_ENOMEM;
  pthread_once(&atfork_once, install_atfork);
  n->p = p;
  pthread_mutex_lock(&reg_mu);
  n->next = reg_head;
  reg_head = n;
  pthread_mutex_unlock(&reg_mu);
  return 0;
}

/* Caller holds reg_mu; returns the node to free. */
static struct reg_node *registry_unlink_locked(struct cotel_provider *p) {
  for (struct reg_node **pp = &reg_head; *pp; pp = &(*pp)->next)
    if ((*pp)->p == p) {
      struct reg_node *found = *pp;
      *pp = found->next;
      return found;
    }
  return NULL;
}

static void fold_counters(cotel__counters *dst, cotel__counters *src) {
  cotel__count_shared(&dst->started, atomic_load(&src->started));
  cotel__count_shared(&dst->ended, atomic_load(&src->ended));
  cotel__count_shared(&dst->sampled_out, atomic_load(&src->sampled_out));
  atomic_store(&src->started, 0);
  atomic_store(&src->ended, 0);
  atomic_store(&src->sampled_out, 0);
}

/* The provider's free list is a stack of batches (NULL-terminated lists
 * linked by `next`, their first records linked by batch_next): whole lists
 * move between it and the thread caches in O(1), and a trim frees whole
 * batches. Caller holds p->mu. */
static void push_batch_locked(struct cotel_provider *p,
                              struct cotel__span *head, uint32_t n) {
  head->batch_next = p->free;
  head->batch_n = n;
  p->free = head;
  p->n_free += n;
}

static struct cotel__span *pop_batch_locked(struct cotel_provider *p) {
  struct cotel__span *r = p->free;
  if (!r) return NULL;
  p->free = r->batch_next;
  p->n_free -= r->batch_n;
  if (p->n_free < p->free_min) p->free_min = p->n_free;
  return r;
}

/* Caller holds p->mu: move both of tc's lists to the provider's. */
static void give_back_locked(struct cotel_provider *p, cotel__tcache *tc) {
  if (tc->free) { /* rare path (thread exit, rebinding): a walk is fine */
    uint32_t n = 0;
    for (struct cotel__span *r = tc->free; r; r = r->next)
      n++;
    push_batch_locked(p, tc->free, n);
  }
  if (tc->ret) push_batch_locked(p, tc->ret, tc->n_ret);
  tc->free = tc->ret = tc->ret_tail = NULL;
  tc->n_ret = 0;
}

/* Caller holds reg_mu and tc's provider is alive: give records and counts
 * back and unlink. */
static void unbind_locked(cotel__tcache *tc) {
  struct cotel_provider *p = tc->p;
  pthread_mutex_lock(&p->mu);
  give_back_locked(p, tc);
  fold_counters(&p->base, &tc->c);
  tc->prev->next = tc->next;
  tc->next->prev = tc->prev;
  pthread_mutex_unlock(&p->mu);
  tc->p = NULL;
  tc->pid = 0;
  tc->next = tc->prev = NULL;
}

static void on_thread_exit(void *arg) {
  cotel__tcache *tc = arg;
  tc->exiting = true;
  pthread_mutex_lock(&reg_mu);
  if (tc->p && registry_alive(tc->p, tc->pid)) unbind_locked(tc);
  pthread_mutex_unlock(&reg_mu);
}

static void make_key(void) {
  pthread_key_create(&exit_key, on_thread_exit);
}

static cotel__tcache *__attribute__((noinline))
bind_slow(struct cotel_provider *p) {
  cotel__tcache *tc = &tls_cache;
  if (tc->exiting) return NULL; /* a later thread-exit destructor */
  if (!tc->key_set) {
    pthread_once(&exit_once, make_key);
    pthread_setspecific(exit_key, tc);
    tc->key_set = true;
  }
  pthread_mutex_lock(&reg_mu);
  if (tc->p) {
    if (registry_alive(tc->p, tc->pid))
      unbind_locked(tc);
    else { /* its provider is gone and already forgot it */
      tc->p = NULL;
      tc->free = tc->ret = tc->ret_tail = NULL;
      tc->n_ret = 0;
    }
  }
  pthread_mutex_lock(&p->mu);
  tc->p = p;
  tc->pid = p->id;
  tc->next = p->tc_head.next;
  tc->prev = &p->tc_head;
  tc->next->prev = tc;
  p->tc_head.next = tc;
  pthread_mutex_unlock(&p->mu);
  pthread_mutex_unlock(&reg_mu);
  return tc;
}

static inline cotel__tcache *cache_for(struct cotel_provider *p) {
  cotel__tcache *tc = &tls_cache;
  if (__builtin_expect(tc->p == p && tc->pid == p->id, 1)) return tc;
  return bind_slow(p);
}

static struct cotel__span *record_new(struct cotel_provider *p) {
  struct cotel__span *r = cotel__mem_alloc(p->al, sizeof *r);
  if (!r) return NULL;
  memset(r, 0, offsetof(struct cotel__span, inline_arena));
  atomic_init(&r->gen, 1);
  atomic_flag_clear(&r->lock);
  r->prov = p;
  /* The embedded context node's identity never changes over the record's
   * life: only its parent and baggage are set per span (span.c). */
  r->ctx.kind = COTEL__CTX_SPAN;
  r->ctx.span = r;
  r->ctx.sc = &r->data.context;
  cotel__span_reset_fields(r);
  cotel__arena_init(&r->arena, r->inline_arena, sizeof r->inline_arena);
  pthread_mutex_lock(&p->mu);
  r->all_prev = NULL;
  r->all_next = p->all;
  if (p->all) p->all->all_prev = r;
  p->all = r;
  p->n_records++;
  pthread_mutex_unlock(&p->mu);
  return r;
}

/* Records that stayed free for a whole interval were not needed by the
 * load of that interval: free them (whole batches, from the top of the
 * stack) beyond a headroom, so that a steady load keeps allocating nothing
 * while the surplus of a burst goes back to the system. The headroom is as
 * many records as the interval had in use at its peak (at least a slack):
 * a load whose export lags by a varying amount does not free and
 * re-allocate every interval, and what stays is within 2x of the need. */
size_t cotel__pool_trim(struct cotel_provider *p) {
  struct cotel__span *victims = NULL;
  size_t n = 0;
  pthread_mutex_lock(&p->mu);
  size_t peak_used = p->n_records - p->free_min;
  size_t keep =
      peak_used > COTEL__POOL_TRIM_SLACK ? peak_used : COTEL__POOL_TRIM_SLACK;
  size_t surplus = p->free_min > keep ? p->free_min - keep : 0;
  while (p->free && p->free->batch_n <= surplus) {
    struct cotel__span *b = pop_batch_locked(p);
    surplus -= b->batch_n;
    for (struct cotel__span *r = b, *next; r; r = next) {
      next = r->next;
      if (r->all_prev)
        r->all_prev->all_next = r->all_next;
      else
        p->all = r->all_next;
      if (r->all_next) r->all_next->all_prev = r->all_prev;
      r->batch_next = victims;
      victims = r;
      n++;
    }
  }
  p->n_records -= n;
  p->free_min = p->n_free;
  pthread_mutex_unlock(&p->mu);
  while (victims) {
    struct cotel__span *next = victims->batch_next;
    cotel__arena_destroy(&victims->arena, &p->chunks);
    cotel__mem_free(p->al, victims);
    victims = next;
  }
  size_t chunks = cotel__chunk_pool_trim(&p->chunks);
#ifdef __GLIBC__
  /* Freed memory in the middle of the heap stays resident until trimmed. */
  if ((n || chunks) && !p->alloc.free) malloc_trim(0);
#endif
  return n;
}

/* At most one trim per interval, by whichever releasing thread gets there
 * first. Only the release path trims (usually the batch worker's thread):
 * a trim frees records and may call malloc_trim, which must not land in an
 * application thread's span start. */
static void maybe_trim(struct cotel_provider *p) {
  uint64_t now = cotel_monotonic_ns();
  uint64_t last = atomic_load_explicit(&p->last_trim_ns, memory_order_relaxed);
  if (now - last < COTEL__POOL_TRIM_NS) return;
  if (atomic_compare_exchange_strong(&p->last_trim_ns, &last, now))
    cotel__pool_trim(p);
}

int cotel__pool_init(struct cotel_provider *p, unsigned n_reserve) {
  pthread_mutex_init(&p->mu, NULL);
  p->tc_head.next = p->tc_head.prev = &p->tc_head;
  cotel__chunk_pool_init(&p->chunks, p->al);
  cotel__registry_add(p);
  int rc = registry_insert(p);
  if (rc) return rc;
  for (unsigned i = 0; i < n_reserve; i++) {
    struct cotel__span *r = record_new(p);
    if (!r) return COTEL_ENOMEM;
    r->next = p->reserve;
    p->reserve = r;
  }
  return 0;
}

struct cotel__span *cotel__pool_get_slow(struct cotel_provider *p) {
  cotel__tcache *tc = cache_for(p);
  struct cotel__span *r;
  if (__builtin_expect(!tc, 0)) { /* exiting thread: no cache */
    pthread_mutex_lock(&p->mu);
    r = pop_batch_locked(p);
    if (r && r->next) push_batch_locked(p, r->next, r->batch_n - 1);
    pthread_mutex_unlock(&p->mu);
    return r ? r : record_new(p);
  }
  r = tc->ret;
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
  /* Take one batch in O(1): walking a list here would chase pointers
   * through records last written on another core, one miss after the
   * other. Each record's link is read only when it is used. */
  pthread_mutex_lock(&p->mu);
  r = pop_batch_locked(p);
  pthread_mutex_unlock(&p->mu);
  if (r) {
    tc->free = r->next;
    return r;
  }
  return record_new(p);
}

struct cotel__span *cotel__pool_get_reserve(struct cotel_provider *p) {
  pthread_mutex_lock(&p->mu);
  struct cotel__span *r = p->reserve;
  if (r) p->reserve = r->next;
  pthread_mutex_unlock(&p->mu);
  return r;
}

void cotel__pool_put_slow(struct cotel__span *r) {
  struct cotel_provider *p = r->prov;
  cotel__tcache *tc = &tls_cache;
  /* A thread that only releases (the batch processor's worker) binds its
   * cache too, so that it hands records over once per COTEL__CACHE_MAX
   * instead of taking the pool lock for each. A cache bound to another
   * provider is left alone (no stealing back and forth). */
  if (!tc->p && !tc->exiting) bind_slow(p);
  if (tc->p == p && tc->pid == p->id) {
    r->next = tc->ret;
    if (!tc->ret) tc->ret_tail = r;
    tc->ret = r;
    if (++tc->n_ret < COTEL__CACHE_MAX) return;
    /* A thread that releases more than it starts (the batch processor's):
     * hand the whole list over in O(1) for the threads that start spans. */
    pthread_mutex_lock(&p->mu);
    push_batch_locked(p, tc->ret, tc->n_ret);
    pthread_mutex_unlock(&p->mu);
    tc->ret = tc->ret_tail = NULL;
    tc->n_ret = 0;
    maybe_trim(p);
    return;
  }
  r->next = NULL;
  pthread_mutex_lock(&p->mu);
  push_batch_locked(p, r, 1);
  pthread_mutex_unlock(&p->mu);
}

void cotel__pool_destroy(struct cotel_provider *p) {
  pthread_mutex_lock(&reg_mu);
  pthread_mutex_lock(&p->mu);
  while (p->tc_head.next != &p->tc_head) {
    cotel__tcache *tc = p->tc_head.next;
    p->tc_head.next = tc->next;
    tc->p = NULL;
    tc->pid = 0;
    tc->free = tc->ret = tc->ret_tail = NULL;
    tc->n_ret = 0;
    tc->next = tc->prev = NULL;
    fold_counters(&p->base, &tc->c);
  }
  p->tc_head.prev = &p->tc_head;
  struct cotel__span *r = p->all;
  p->all = p->free = p->reserve = NULL;
  p->n_free = p->free_min = p->n_records = 0;
  pthread_mutex_unlock(&p->mu);
  struct reg_node *node = registry_unlink_locked(p);
  pthread_mutex_unlock(&reg_mu);
  cotel__mem_free(p->al, node);
  while (r) {
    struct cotel__span *next = r->all_next;
    cotel__arena_destroy(&r->arena, &p->chunks);
    cotel__mem_free(p->al, r);
    r = next;
  }
  cotel__chunk_pool_destroy(&p->chunks);
  pthread_mutex_destroy(&p->mu);
}

void cotel__pool_stats(struct cotel_provider *p, cotel_stats *acc) {
  pthread_mutex_lock(&p->mu);
  cotel__counters *list[1] = {&p->base};
  acc->spans_started += atomic_load(&list[0]->started);
  acc->spans_ended += atomic_load(&list[0]->ended);
  acc->spans_sampled_out += atomic_load(&list[0]->sampled_out);
  for (cotel__tcache *tc = p->tc_head.next; tc != &p->tc_head; tc = tc->next) {
    acc->spans_started += atomic_load(&tc->c.started);
    acc->spans_ended += atomic_load(&tc->c.ended);
    acc->spans_sampled_out += atomic_load(&tc->c.sampled_out);
  }
  acc->pool_records += p->n_records;
  acc->pool_bytes += p->n_records * sizeof(struct cotel__span);
  pthread_mutex_unlock(&p->mu);
  acc->pool_bytes += atomic_load(&p->chunks.bytes);
}
