/* Internal to libcotel: reading and writing the caller's growable structs
 * (docs/abi.md). A growable struct starts with `uint32_t struct_size`,
 * which the caller's _init (an inline function in the public header) stamps
 * with sizeof at the caller's compile time; 0 means "not stamped" and is
 * read as the first ABI's layout (the V0 sizes below). Members are only ever
 * appended, so the library reads the caller's bytes and takes defaults for
 * the members the caller's header did not have. */
#ifndef COTEL_INTERNAL_ABI_H
#define COTEL_INTERNAL_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes of `type` up to and including `member`. */
#define COTEL__SIZE_UPTO(type, member)                                         \
  (offsetof(type, member) + sizeof(((type *)0)->member))

/* The bytes of the caller's struct the library may touch: its stamped size
 * (or v0 when 0), at most the library's own size. 0 when the stamp is
 * smaller than the first layout (not a struct of ours). */
static inline size_t cotel__abi_len(uint32_t struct_size, size_t v0,
                                    size_t full) {
  size_t n = struct_size ? struct_size : v0;
  if (n < v0) return 0;
  return n < full ? n : full;
}

/* Copy the caller's struct `src` over `dst` (full size `full`, already
 * holding the defaults). False when src's stamp is invalid. */
static inline int cotel__abi_in(void *dst, size_t full, const void *src,
                                size_t v0) {
  uint32_t stamp;
  memcpy(&stamp, src, sizeof stamp);
  size_t n = cotel__abi_len(stamp, v0, full);
  if (!n) return 0;
  memcpy(dst, src, n);
  return 1;
}

/* Write the library's full struct `src` into the caller's `dst` of
 * `size` bytes (its sizeof), keeping the stamp equal to size. */
static inline void cotel__abi_out(void *dst, size_t size, const void *src,
                                  size_t full) {
  size_t n = size < full ? size : full;
  memcpy(dst, src, n);
  uint32_t stamp = (uint32_t)size;
  if (size >= sizeof stamp) memcpy(dst, &stamp, sizeof stamp);
}

#endif
