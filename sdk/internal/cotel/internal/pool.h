/* Internal to libcotel (not installed): the span record pools' memory, for
 * tests and tools that check it returns after a burst. */
#ifndef COTEL_INTERNAL_POOL_H
#define COTEL_INTERNAL_POOL_H

#include <stddef.h>

struct cotel_provider;

/* Give memory back after a burst: free the free span records (and pooled
 * arena chunks) that stayed unused since the previous trim, beyond a small
 * slack (so a steady load keeps allocating nothing per span). The pool
 * calls it itself on its slow paths, at most once per second; calling it
 * twice in a row frees what the load since the first call did not need.
 * Returns the number of records freed. Thread-safe. */
size_t cotel__pool_trim(struct cotel_provider *p);

#endif
