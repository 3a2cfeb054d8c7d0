/* Private: id generation (DESIGN §4 "IDs").
 *
 * The generator is inline: a span start draws three 64-bit values, and a
 * call per draw would cost more than the draw itself. The state is a
 * thread-local xoshiro256** seeded from getrandom(2); a fork child must not
 * repeat its parent's ids, so a pthread_atfork child handler bumps a global
 * generation that every generator compares (a relaxed load) before use. */
#ifndef COTEL_IDS_H
#define COTEL_IDS_H

#include <stdatomic.h>
#include <string.h>

#include "cotel/trace.h"

typedef struct cotel__rng_state {
  uint64_t s[4];
  unsigned gen;
} cotel__rng_state;

extern __attribute__((
    tls_model("initial-exec"))) _Thread_local cotel__rng_state cotel__rng;
extern atomic_uint cotel__ids_fork_gen;
/* (Re)seed the calling thread's generator for fork generation `gen`. */
void cotel__rng_reseed(unsigned gen);

static inline uint64_t cotel__rotl64(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

/* One draw from a state that is known to be seeded for this process. */
static inline uint64_t cotel__rand64_unchecked(cotel__rng_state *g) {
  uint64_t *s = g->s;
  uint64_t result = cotel__rotl64(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = cotel__rotl64(s[3], 45);
  return result;
}

/* The calling thread's generator, reseeded first when the process forked
 * (or on first use). */
static inline cotel__rng_state *cotel__rng_get(void) {
  unsigned g = atomic_load_explicit(&cotel__ids_fork_gen, memory_order_relaxed);
  if (__builtin_expect(cotel__rng.gen != g, 0)) cotel__rng_reseed(g);
  return &cotel__rng;
}

/* Random, never all-zero ids (W3C Trace Context §3.2.2.3 / §3.2.2.4). */
static inline void cotel__new_trace_id(cotel_trace_id *out) {
  cotel__rng_state *g = cotel__rng_get();
  uint64_t a, b;
  do {
    a = cotel__rand64_unchecked(g);
    b = cotel__rand64_unchecked(g);
  } while (__builtin_expect(!(a | b), 0));
  memcpy(out->bytes, &a, 8);
  memcpy(out->bytes + 8, &b, 8);
}

static inline void cotel__new_span_id(cotel_span_id *out) {
  cotel__rng_state *g = cotel__rng_get();
  uint64_t a;
  do
    a = cotel__rand64_unchecked(g);
  while (__builtin_expect(!a, 0));
  memcpy(out->bytes, &a, 8);
}

#endif
