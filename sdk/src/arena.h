/* Private: the per-record arena (DESIGN §4). A span's attributes, events,
 * links and copied strings are bump-allocated: first from a buffer inline in
 * the record, then from fixed-size chunks. Chunks come from a shared pool and
 * stay attached to the record (up to a few spares) when it is recycled, so
 * the steady state does no heap allocation at all. */
#ifndef COTEL_ARENA_H
#define COTEL_ARENA_H

#include <pthread.h>

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

void cotel__arena_init(cotel__arena *a, void *inline_buf, size_t size);
/* n bytes aligned to 8; NULL when a needed chunk cannot be allocated. */
void *cotel__arena_alloc(cotel__arena *a, cotel__chunk_pool *cp, size_t n);
/* A copy of [s, s+n) plus a NUL; NULL on allocation failure. */
char *cotel__arena_strdup(cotel__arena *a, cotel__chunk_pool *cp, const char *s,
                          size_t n);
/* Forget every allocation; keep chunks for reuse. */
void cotel__arena_reset(cotel__arena *a, cotel__chunk_pool *cp);
/* Free every chunk (record being freed). */
void cotel__arena_destroy(cotel__arena *a, cotel__chunk_pool *cp);

#endif
