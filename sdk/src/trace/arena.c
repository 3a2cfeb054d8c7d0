/* Bump allocation in span records; see arena.h for the why. */
#include <string.h>

#include "trace/arena.h"
#include "util/mem.h"

#define MAX_SPARE_PER_RECORD 2
#define MAX_POOLED_CHUNKS 1024
#define TRIM_SLACK_CHUNKS 32

static void chunk_free(cotel__chunk_pool *cp, cotel__chunk *c) {
  atomic_fetch_sub_explicit(&cp->bytes, sizeof *c + c->size,
                            memory_order_relaxed);
  cotel__mem_free(cp->alloc, c);
}

void cotel__chunk_pool_init(cotel__chunk_pool *cp, const cotel_allocator *a) {
  cp->alloc = a;
  pthread_mutex_init(&cp->mu, NULL);
  cp->free = NULL;
  cp->n_free = cp->free_min = 0;
  atomic_init(&cp->bytes, 0);
}

void cotel__chunk_pool_destroy(cotel__chunk_pool *cp) {
  cotel__chunk *c = cp->free;
  while (c) {
    cotel__chunk *next = c->next;
    chunk_free(cp, c);
    c = next;
  }
  cp->free = NULL;
  cp->n_free = 0;
  pthread_mutex_destroy(&cp->mu);
}

static cotel__chunk *chunk_get(cotel__arena *a, cotel__chunk_pool *cp,
                               size_t need) {
  cotel__chunk *c = NULL;
  if (need <= COTEL__CHUNK_SIZE) {
    if (a->spare) {
      c = a->spare;
      a->spare = c->next;
      a->n_spare--;
      return c;
    }
    pthread_mutex_lock(&cp->mu);
    if (cp->free) {
      c = cp->free;
      cp->free = c->next;
      cp->n_free--;
      if (cp->n_free < cp->free_min) cp->free_min = cp->n_free;
    }
    pthread_mutex_unlock(&cp->mu);
    if (c) return c;
    need = COTEL__CHUNK_SIZE;
  }
  c = cotel__mem_alloc(cp->alloc, sizeof *c + need);
  if (c) {
    c->size = need;
    atomic_fetch_add_explicit(&cp->bytes, sizeof *c + need,
                              memory_order_relaxed);
  }
  return c;
}

static void chunk_put(cotel__arena *a, cotel__chunk_pool *cp, cotel__chunk *c) {
  if (c->size != COTEL__CHUNK_SIZE) { /* oversized: never pooled */
    chunk_free(cp, c);
    return;
  }
  if (a && a->n_spare < MAX_SPARE_PER_RECORD) {
    c->next = a->spare;
    a->spare = c;
    a->n_spare++;
    return;
  }
  pthread_mutex_lock(&cp->mu);
  if (cp->n_free < MAX_POOLED_CHUNKS) {
    c->next = cp->free;
    cp->free = c;
    cp->n_free++;
    c = NULL;
  }
  pthread_mutex_unlock(&cp->mu);
  if (c) chunk_free(cp, c);
}

size_t cotel__chunk_pool_trim(cotel__chunk_pool *cp) {
  cotel__chunk *victims = NULL;
  size_t n = 0;
  pthread_mutex_lock(&cp->mu);
  while (cp->free && n + TRIM_SLACK_CHUNKS < cp->free_min) {
    cotel__chunk *c = cp->free;
    cp->free = c->next;
    cp->n_free--;
    c->next = victims;
    victims = c;
    n++;
  }
  cp->free_min = cp->n_free;
  pthread_mutex_unlock(&cp->mu);
  while (victims) {
    cotel__chunk *next = victims->next;
    chunk_free(cp, victims);
    victims = next;
  }
  return n;
}

void cotel__arena_init(cotel__arena *a, void *inline_buf, size_t size) {
  memset(a, 0, sizeof *a);
  a->inline_buf = inline_buf;
  a->inline_size = size;
  a->cur = inline_buf;
  a->end = a->cur + size;
}

void *cotel__arena_alloc_slow(cotel__arena *a, cotel__chunk_pool *cp,
                              size_t n) {
  cotel__chunk *c = chunk_get(a, cp, n);
  if (!c) return NULL;
  c->next = a->used;
  a->used = c;
  a->cur = (char *)c->payload + n;
  a->end = (char *)c->payload + c->size;
  return c->payload;
}

void cotel__arena_reset(cotel__arena *a, cotel__chunk_pool *cp) {
  if (!a->used) { /* only the inline buffer was used */
    a->cur = a->inline_buf;
    return;
  }
  cotel__chunk *c = a->used;
  while (c) {
    cotel__chunk *next = c->next;
    chunk_put(a, cp, c);
    c = next;
  }
  a->used = NULL;
  a->cur = a->inline_buf;
  a->end = a->cur + a->inline_size;
}

void cotel__arena_destroy(cotel__arena *a, cotel__chunk_pool *cp) {
  cotel__chunk *lists[2] = {a->used, a->spare};
  for (int i = 0; i < 2; i++) {
    cotel__chunk *c = lists[i];
    while (c) {
      cotel__chunk *next = c->next;
      chunk_free(cp, c);
      c = next;
    }
  }
  a->used = a->spare = NULL;
  a->n_spare = 0;
}
