/* A malloc interposer for the benchmarks: the executable defines malloc and
 * friends, which the dynamic linker binds ahead of libc's for every object
 * in the process (libcotel is linked statically; libuv, libcurl and libc
 * itself call through the PLT), and forwards to glibc's exported
 * __libc_* entry points. It counts calls that obtain memory, per thread and
 * for the whole process; free is not counted.
 *
 * Deliberately simple: no dlsym (which itself allocates), no reentrancy
 * problem (the __libc_* functions do not call back into malloc). glibc
 * specific, as the whole benchmark is. */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static _Thread_local uint64_t thread_allocs;
static atomic_uint_fast64_t process_allocs;

static inline void count(void) {
  thread_allocs++;
  atomic_fetch_add_explicit(&process_allocs, 1, memory_order_relaxed);
}

uint64_t bench_allocs_thread(void) {
  return thread_allocs;
}
uint64_t bench_allocs_process(void) {
  return atomic_load_explicit(&process_allocs, memory_order_relaxed);
}

void *malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void *realloc(void *p, size_t size) {
  count();
  return __libc_realloc(p, size);
}
void free(void *p) {
  __libc_free(p);
}
void *memalign(size_t align, size_t size) {
  count();
  return __libc_memalign(align, size);
}
void *aligned_alloc(size_t align, size_t size) {
  count();
  return __libc_memalign(align, size);
}
int posix_memalign(void **out, size_t align, size_t size) {
  if (align < sizeof(void *) || (align & (align - 1)) != 0) return EINVAL;
  count();
  void *p = __libc_memalign(align, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
