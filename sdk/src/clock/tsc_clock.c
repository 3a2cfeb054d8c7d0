/* The TSC clock (cotel/internal/clock.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/common.h"
#include "cotel/internal/clock.h"
#include "cotel/internal/time.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

atomic_int cotel__clock_tsc_on;

#define STEP_NS 1000000u    /* a larger gap is a step of the system clock */
#define MAX_BRACKET_NS 300u /* a slower CLOCK_REALTIME read was preempted */
#define BASELINE_NS 30000000000u /* the rate is measured over 30 to 60 s */
#define DEFAULT_PERIOD_NS 10000000u

/* The anchor: ns = ns0 + ((tsc - tsc0) * mult) >> 32. Written under
 * `writer` inside a sequence lock (seq odd while writing); read lock-free.
 * The fields are atomics accessed relaxed, ordered by the fences. */
static atomic_uint seq;
static _Atomic uint64_t a_tsc0, a_ns0, a_mult, a_period_tsc;
static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;
/* Writer-private: two real (tsc, CLOCK_REALTIME) pairs, `base` 30 to 60 s
 * old (or the calibration's, or the last step's) and `mid` up to 30 s old;
 * the rate is measured from `base` to now, so the brackets' error of a few
 * hundred ns is spread over a long baseline. */
static uint64_t base_tsc, base_ns, mid_tsc, mid_ns, rate_mult;
static uint64_t period_ns = DEFAULT_PERIOD_NS;
static bool calibrated;
static atomic_uint_fast64_t n_anchors, n_steps, n_skipped;

/* Never return below this. initial-exec: read on every timestamp, so no
 * __tls_get_addr call even in libcotel.so. */
static __attribute__((
    tls_model("initial-exec"))) _Thread_local uint64_t thread_last;

static uint64_t realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return cotel__ns_of_timespec(&ts);
}

#if HAVE_TSC
static inline uint64_t rdtsc(void) {
  return __rdtsc();
}

/* A (tsc, CLOCK_REALTIME) pair read as close together as possible: the
 * tightest of 3 brackets. False when all 3 were slower than
 * MAX_BRACKET_NS in TSC ticks (preempted). */
static bool read_pair(uint64_t max_ticks, uint64_t *tsc, uint64_t *ns) {
  uint64_t best = UINT64_MAX;
  *tsc = 0;
  *ns = 0;
  for (int i = 0; i < 3; i++) {
    uint64_t t1 = rdtsc();
    uint64_t r = realtime_ns();
    uint64_t t2 = rdtsc();
    if (t2 - t1 < best) {
      best = t2 - t1;
      *tsc = t1 + (t2 - t1) / 2;
      *ns = r;
    }
  }
  return best <= max_ticks;
}

static void publish(uint64_t tsc0, uint64_t ns0, uint64_t mult) {
  unsigned s = atomic_load_explicit(&seq, memory_order_relaxed);
  atomic_store_explicit(&seq, s + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  atomic_store_explicit(&a_tsc0, tsc0, memory_order_relaxed);
  atomic_store_explicit(&a_ns0, ns0, memory_order_relaxed);
  atomic_store_explicit(&a_mult, mult, memory_order_relaxed);
  atomic_store_explicit(&a_period_tsc,
                        (uint64_t)(((unsigned __int128)period_ns << 32) / mult),
                        memory_order_relaxed);
  atomic_store_explicit(&seq, s + 2, memory_order_release);
}

static uint64_t max_bracket_ticks(void) {
  return (uint64_t)(((unsigned __int128)MAX_BRACKET_NS << 32) / rate_mult);
}

/* Calibrate: two real pairs 20 ms apart. Under `writer`. */
static int calibrate(void) {
  uint64_t t1 = 0, r1 = 0, t2 = 0, r2 = 0;
  /* Before the rate is known: MAX_BRACKET_NS at up to 5 GHz. */
  const uint64_t max_ticks = MAX_BRACKET_NS * 5;
  for (int tries = 0; tries < 20; tries++) {
    if (!read_pair(max_ticks, &t1, &r1)) continue;
    struct timespec d = {0, 20000000};
    while (nanosleep(&d, &d) != 0 && errno == EINTR) {
    }
    if (!read_pair(max_ticks, &t2, &r2) || t2 <= t1 || r2 <= r1) continue;
    rate_mult = (uint64_t)(((unsigned __int128)(r2 - r1) << 32) / (t2 - t1));
    /* Both brackets tight (below 1/1000 of the interval)? */
    uint64_t a, b;
    if (rate_mult && read_pair(max_bracket_ticks(), &a, &b)) {
      base_tsc = mid_tsc = t1;
      base_ns = mid_ns = r1;
      publish(t2, r2, rate_mult);
      calibrated = true;
      return 0;
    }
  }
  return COTEL_ESYS;
}

/* Re-anchor at the current time. Under `writer`. */
static void reanchor(void) {
  uint64_t t = 0, r = 0;
  if (!read_pair(max_bracket_ticks(), &t, &r)) {
    /* Preempted: keep the anchor; the next read past the period tries
     * again, and readers fall back to clock_gettime past 4 periods. */
    atomic_fetch_add_explicit(&n_skipped, 1, memory_order_relaxed);
    return;
  }
  uint64_t tsc0 = atomic_load_explicit(&a_tsc0, memory_order_relaxed);
  uint64_t ns0 = atomic_load_explicit(&a_ns0, memory_order_relaxed);
  uint64_t mult = atomic_load_explicit(&a_mult, memory_order_relaxed);
  uint64_t e = ns0 + (uint64_t)(((unsigned __int128)(t - tsc0) * mult) >> 32);
  atomic_fetch_add_explicit(&n_anchors, 1, memory_order_relaxed);
  int64_t gap = (int64_t)(r - e);
  if (gap > (int64_t)STEP_NS || gap < -(int64_t)STEP_NS) {
    /* The system clock stepped: follow it; measure the rate anew. */
    atomic_fetch_add_explicit(&n_steps, 1, memory_order_relaxed);
    base_tsc = mid_tsc = t;
    base_ns = mid_ns = r;
    publish(t, r, rate_mult);
    return;
  }
  /* The rate over the long baseline. */
  if (t > base_tsc && r > base_ns && r - base_ns >= 10 * period_ns)
    rate_mult =
        (uint64_t)(((unsigned __int128)(r - base_ns) << 32) / (t - base_tsc));
  if (r - mid_ns >= BASELINE_NS) {
    base_tsc = mid_tsc;
    base_ns = mid_ns;
    mid_tsc = t;
    mid_ns = r;
  }
  if (gap >= 0) {
    /* Behind the system clock: jump forward to it (never backwards). */
    publish(t, r, rate_mult);
    return;
  }
  /* Ahead: slew. From (t, e), reach the real line r + period at
   * t + period (in ticks of the measured rate); the line stays continuous,
   * and gap > -period, so the slope stays > 0. */
  uint64_t ptsc = (uint64_t)(((unsigned __int128)period_ns << 32) / rate_mult);
  uint64_t target = (uint64_t)((int64_t)period_ns + gap);
  if ((int64_t)target < (int64_t)(period_ns / 2)) target = period_ns / 2;
  uint64_t m = (uint64_t)(((unsigned __int128)target << 32) / ptsc);
  publish(t, e, m ? m : 1);
}
#endif

uint64_t cotel__clock_tsc_now_ns(void) {
#if HAVE_TSC
  for (int tries = 0; tries < 4; tries++) {
    unsigned s = atomic_load_explicit(&seq, memory_order_acquire);
    uint64_t tsc0 = atomic_load_explicit(&a_tsc0, memory_order_relaxed);
    uint64_t ns0 = atomic_load_explicit(&a_ns0, memory_order_relaxed);
    uint64_t mult = atomic_load_explicit(&a_mult, memory_order_relaxed);
    uint64_t per = atomic_load_explicit(&a_period_tsc, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if ((s & 1) || atomic_load_explicit(&seq, memory_order_relaxed) != s)
      continue;
    uint64_t t = rdtsc();
    int64_t d = (int64_t)(t - tsc0);
    if (d > (int64_t)per && pthread_mutex_trylock(&writer) == 0) {
      if (atomic_load_explicit(&seq, memory_order_relaxed) == s) reanchor();
      pthread_mutex_unlock(&writer);
      continue;
    }
    /* A reader that read its TSC just before a re-anchor can be a few
     * ticks before tsc0: the line extends backwards (signed). Past 4
     * periods without a re-anchor (the writer is held up), fall back. */
    if (d > 4 * (int64_t)per) break;
    int64_t off = (int64_t)(((__int128)d * (__int128)mult) >> 32);
    uint64_t ns = ns0 + (uint64_t)off;
    if (ns < thread_last) ns = thread_last;
    thread_last = ns;
    return ns;
  }
#endif
  uint64_t ns = realtime_ns();
  if (ns < thread_last) ns = thread_last;
  thread_last = ns;
  return ns;
}

static bool file_has_words(const char *path, const char *const *words,
                           int n_words, bool whole_line) {
  FILE *f = fopen(path, "r");
  if (!f) return false;
  char line[8192];
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    if (whole_line) {
      line[strcspn(line, "\r\n")] = 0;
      found = strcmp(line, words[0]) == 0;
      continue;
    }
    if (strncmp(line, "flags", 5) != 0) continue;
    int have = 0;
    for (int i = 0; i < n_words; i++) {
      size_t len = strlen(words[i]);
      for (const char *p = strstr(line, words[i]); p;
           p = strstr(p + 1, words[i]))
        if ((p[-1] == ' ' || p[-1] == '\t') &&
            (p[len] == ' ' || p[len] == '\n' || p[len] == 0)) {
          have++;
          break;
        }
    }
    found = have == n_words;
    break; /* the first CPU's flags line decides */
  }
  fclose(f);
  return found;
}

bool cotel__clock_tsc_reliable(const char *cpuinfo, const char *clocksource) {
#if HAVE_TSC
  static const char *const flags[] = {"constant_tsc", "nonstop_tsc"};
  static const char *const tsc[] = {"tsc"};
  if (!cpuinfo) cpuinfo = "/proc/cpuinfo";
  if (!clocksource)
    clocksource = "/sys/devices/system/clocksource/clocksource0/"
                  "current_clocksource";
  return file_has_words(cpuinfo, flags, 2, false) &&
         file_has_words(clocksource, tsc, 1, true);
#else
  (void)cpuinfo;
  (void)clocksource;
  return false;
#endif
}

int cotel__clock_use_tsc(bool on) {
  if (!on) {
    atomic_store(&cotel__clock_tsc_on, 0);
    return 0;
  }
#if HAVE_TSC
  if (!cotel__clock_tsc_reliable(NULL, NULL)) return COTEL_ENOTSUP;
  pthread_mutex_lock(&writer);
  int rc = calibrated ? 0 : calibrate();
  if (rc == 0) {
    reanchor();
    atomic_store(&cotel__clock_tsc_on, 1);
  }
  pthread_mutex_unlock(&writer);
  return rc;
#else
  return COTEL_ENOTSUP;
#endif
}

static void init_from_env_once(void) {
  const char *v = getenv("COTEL_CLOCK");
  if (!v || strcmp(v, "tsc") != 0) return;
  int rc = cotel__clock_use_tsc(true);
  if (rc != 0)
    cotel_log(COTEL_LOG_INFO,
              "COTEL_CLOCK=tsc: the TSC is not reliable here (%s); using "
              "clock_gettime",
              cotel_strerror(rc));
}

void cotel__clock_init_from_env(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, init_from_env_once);
}

void cotel__clock_set_period_ns(uint64_t ns) {
  pthread_mutex_lock(&writer);
  period_ns = ns ? ns : DEFAULT_PERIOD_NS;
#if HAVE_TSC
  if (calibrated)
    publish(atomic_load_explicit(&a_tsc0, memory_order_relaxed),
            atomic_load_explicit(&a_ns0, memory_order_relaxed),
            atomic_load_explicit(&a_mult, memory_order_relaxed));
#endif
  pthread_mutex_unlock(&writer);
}

void cotel__clock_get_stats(cotel__clock_stats *out) {
  out->anchors = atomic_load(&n_anchors);
  out->steps = atomic_load(&n_steps);
  out->skipped = atomic_load(&n_skipped);
}
