/* Private: the provider allocator hook (cotel_allocator; NULL members mean
 * libc). Every allocation reachable from the span path goes through here so
 * that tests can inject failures (SQLite-style malloc-failure testing). */
#ifndef COTEL_MEM_H
#define COTEL_MEM_H

#include <stdlib.h>

#include "cotel/common.h"

static inline void *cotel__mem_alloc(const cotel_allocator *a, size_t n) {
  if (a && a->malloc) return a->malloc(a->ud, n);
  return malloc(n);
}

static inline void cotel__mem_free(const cotel_allocator *a, void *p) {
  if (!p) return;
  if (a && a->free)
    a->free(a->ud, p);
  else
    free(p);
}

#endif
