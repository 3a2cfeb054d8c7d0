/* Trace and span ids: a thread-local xoshiro256** generator seeded from
 * getrandom(2). A fork child must not repeat its parent's ids, so a
 * pthread_atfork child handler bumps a global generation that every
 * generator compares (a relaxed load, no lock) before use. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "trace/ids.h"

atomic_uint cotel__ids_fork_gen = 1; /* 1: a zeroed generator reseeds */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

__attribute__((
    tls_model("initial-exec"))) _Thread_local cotel__rng_state cotel__rng;
#define rng cotel__rng

static void on_fork_child(void) {
  atomic_fetch_add_explicit(&cotel__ids_fork_gen, 1, memory_order_relaxed);
}
static void register_atfork(void) {
  pthread_atfork(NULL, NULL, on_fork_child);
}

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void __attribute__((noinline, cold)) cotel__rng_reseed(unsigned gen) {
  uint64_t seed[4];
  size_t got = 0;
  pthread_once(&atfork_once, register_atfork);
  while (got < sizeof seed) {
    ssize_t r = getrandom((char *)seed + got, sizeof seed - got, 0);
    if (r <= 0) break;
    got += (size_t)r;
  }
  if (got < sizeof seed) {
    /* No entropy source: mix what differs between threads and processes. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
                 ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&rng;
    for (int i = 0; i < 4; i++)
      seed[i] ^= splitmix64(&x);
  }
  /* xoshiro's state must not be all zero. */
  if (!(seed[0] | seed[1] | seed[2] | seed[3])) seed[0] = 1;
  memcpy(rng.s, seed, sizeof seed);
  rng.gen = gen;
}
