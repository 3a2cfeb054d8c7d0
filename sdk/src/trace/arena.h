/* Private: the per-record arena (DESIGN §4). A span's attributes, events,
 * links and copied strings are bump-allocated: first from a buffer inline in
 * the record, then from fixed-size chunks. Chunks come from a shared pool and
 * stay attached to the record (up to a few spares) when it is recycled, so
 * the steady state does no heap allocation at all. */
#ifndef COTEL_ARENA_H
#define COTEL_ARENA_H

#include <pthread.h>
#include <stdatomic.h>

#include "cotel/common.h"

#define COTEL__CHUNK_SIZE 2048 /* bytes of payload in a standard chunk */

typedef struct cotel__chunk {
  struct cotel__chunk *next;
  size_t size; /* payload bytes */
  max_align_t payload[];
} cotel__chunk;

/* Chunks shared by all records of one provider. */
typedef struct cotel__chunk_pool {
  const cotel_allocator *alloc;
  pthread_mutex_t mu;
  cotel__chunk *free;
  size_t n_free;
  size_t free_min;      /* fewest free chunks since the last trim */
  _Atomic size_t bytes; /* every chunk allocated and not yet freed */
} cotel__chunk_pool;

typedef struct cotel__arena {
  char *cur, *end;
  cotel__chunk *used;  /* chunks holding live data, newest first */
  cotel__chunk *spare; /* standard chunks kept for this record's next use */
  unsigned n_spare;
  char *inline_buf;
  size_t inline_size;
} cotel__arena;

void cotel__chunk_pool_init(cotel__chunk_pool *cp, const cotel_allocator *a);
void cotel__chunk_pool_destroy(cotel__chunk_pool *cp);
/* Free the pooled chunks that stayed unused since the last trim, beyond a
 * small slack; returns how many were freed. */
size_t cotel__chunk_pool_trim(cotel__chunk_pool *cp);

void cotel__arena_init(cotel__arena *a, void *inline_buf, size_t size);
/* The chunk path of cotel__arena_alloc (n already rounded up to 8). */
void *cotel__arena_alloc_slow(cotel__arena *a, cotel__chunk_pool *cp, size_t n);

/* n bytes aligned to 8; NULL when a needed chunk cannot be allocated.
 * Inline: the bump is a handful of instructions and span starts do several
 * (name, attribute keys and values). */
static inline void *cotel__arena_alloc(cotel__arena *a, cotel__chunk_pool *cp,
                                       size_t n) {
  n = (n + 7) & ~(size_t)7;
  if (__builtin_expect((size_t)(a->end - a->cur) >= n, 1)) {
    void *p = a->cur;
    a->cur += n;
    return p;
  }
  return cotel__arena_alloc_slow(a, cp, n);
}

/* memcpy for the short strings spans mostly copy (names, attribute keys
 * and values) without a call: two overlapping fixed-size moves. */
static inline void cotel__small_copy(char *d, const char *s, size_t n) {
  if (n <= 3) {
    if (n) {
      d[0] = s[0];
      d[n >> 1] = s[n >> 1];
      d[n - 1] = s[n - 1];
    }
  } else if (n <= 7) {
    uint32_t x, y;
    __builtin_memcpy(&x, s, 4);
    __builtin_memcpy(&y, s + n - 4, 4);
    __builtin_memcpy(d, &x, 4);
    __builtin_memcpy(d + n - 4, &y, 4);
  } else if (n <= 16) {
    uint64_t x, y;
    __builtin_memcpy(&x, s, 8);
    __builtin_memcpy(&y, s + n - 8, 8);
    __builtin_memcpy(d, &x, 8);
    __builtin_memcpy(d + n - 8, &y, 8);
  } else if (n <= 32) { /* e.g. semantic-convention keys */
    char x[16], y[16];
    __builtin_memcpy(x, s, 16);
    __builtin_memcpy(y, s + n - 16, 16);
    __builtin_memcpy(d, x, 16);
    __builtin_memcpy(d + n - 16, y, 16);
  } else {
    __builtin_memcpy(d, s, n);
  }
}

/* A copy of [s, s+n) plus a NUL; NULL on allocation failure. */
static inline char *cotel__arena_strdup(cotel__arena *a, cotel__chunk_pool *cp,
                                        const char *s, size_t n) {
  char *d = (char *)cotel__arena_alloc(a, cp, n + 1);
  if (__builtin_expect(!d, 0)) return NULL;
  cotel__small_copy(d, s, n);
  d[n] = '\0';
  return d;
}
/* Forget every allocation; keep chunks for reuse. */
void cotel__arena_reset(cotel__arena *a, cotel__chunk_pool *cp);
/* Free every chunk (record being freed). */
void cotel__arena_destroy(cotel__arena *a, cotel__chunk_pool *cp);

#endif
