/* Internal to libcotel: reading and writing the caller's growable structs
 * (docs/abi.md). Every function that takes or fills one is exported as
 * `_sized` and called through an inline wrapper in the public header that
 * passes sizeof as the caller's build sees it. Members are only ever
 * appended, so the library copies the caller's bytes over its defaults (the
 * members the caller's header did not have keep their defaults) and writes
 * no more than the caller's size. */
#ifndef COTEL_INTERNAL_ABI_H
#define COTEL_INTERNAL_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes of `type` up to and including `member`: the size of the first
 * ABI's layout when `member` was its last. */
#define COTEL__SIZE_UPTO(type, member)                                         \
  (offsetof(type, member) + sizeof(((type *)0)->member))

/* Copy the caller's struct `src` (`size` bytes) over `dst` (the library's
 * `full` bytes, already holding the defaults). False when `size` is smaller
 * than the first layout (`v0`): not a struct of ours. */
static inline int cotel__abi_in(void *dst, size_t full, const void *src,
                                size_t size, size_t v0) {
  if (size < v0) return 0;
  memcpy(dst, src, size < full ? size : full);
  return 1;
}

/* Write the library's `full`-byte struct `src` into the caller's `dst` of
 * `size` bytes. */
static inline void cotel__abi_out(void *dst, size_t size, const void *src,
                                  size_t full) {
  memcpy(dst, src, size < full ? size : full);
}

#endif
