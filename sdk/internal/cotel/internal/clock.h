/* The SDK's wall clock: CLOCK_REALTIME through clock_gettime, or, as an
 * option, timestamps from the CPU's time-stamp counter (TSC) calibrated
 * against CLOCK_REALTIME.
 *
 * The TSC clock is used only where the kernel says the TSC is reliable
 * (the constant_tsc and nonstop_tsc CPU flags in /proc/cpuinfo, and tsc as
 * the current clocksource), so that it ticks at a fixed rate, in every
 * power state, in step on every core. It is anchored to CLOCK_REALTIME and
 * re-anchored every period (10 ms by default) by whichever thread reads it
 * first after the period, with the rate measured over a 30 to 60 s
 * baseline: when behind the system clock it jumps forward to it; when
 * ahead, the drift is slewed away over the next period (the line stays
 * continuous, so the clock never runs backwards); a step of the system
 * clock (over 1 ms) is followed at once. A re-anchoring whose
 * CLOCK_REALTIME read was preempted (slower than 300 ns) is retried on
 * the next read; past 4 periods without an anchor, reads fall back to
 * clock_gettime. A thread never sees a timestamp below the last one it
 * read. Everywhere else, and when
 * it is off, cotel__clock_now_ns is clock_gettime(CLOCK_REALTIME).
 *
 * Enabled by COTEL_CLOCK=tsc in the environment (read by cotel_provider_new)
 * or by cotel__clock_use_tsc. */
#ifndef COTEL_INTERNAL_CLOCK_H
#define COTEL_INTERNAL_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cotel/internal/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Nonzero while the TSC clock is on. */
extern atomic_int cotel__clock_tsc_on;

/* The TSC clock's read (only meaningful while cotel__clock_tsc_on). */
uint64_t cotel__clock_tsc_now_ns(void);

/* Nanoseconds since the Unix epoch: the TSC clock when on, else
 * CLOCK_REALTIME. Thread-safe. */
static inline uint64_t cotel__clock_now_ns(void) {
  if (atomic_load_explicit(&cotel__clock_tsc_on, memory_order_relaxed))
    return cotel__clock_tsc_now_ns();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return cotel__ns_of_timespec(&ts);
}

/* True when the files say the TSC is reliable: `cpuinfo` (a
 * /proc/cpuinfo) has the constant_tsc and nonstop_tsc flags and
 * `clocksource` (a current_clocksource file) reads "tsc". NULL paths mean
 * the system's. Always false off x86-64. */
bool cotel__clock_tsc_reliable(const char *cpuinfo, const char *clocksource);

/* Turn the TSC clock on (calibrating it: about 20 ms, once per process)
 * or off. Returns 0, or COTEL_ENOTSUP when the TSC is not reliable here
 * (the clock stays clock_gettime). Thread-safe. */
int cotel__clock_use_tsc(bool on);

/* COTEL_CLOCK=tsc: turn the TSC clock on (where reliable; otherwise a
 * logged note). Anything else leaves the clock as it is. The environment
 * is read once per process (the first call). */
void cotel__clock_init_from_env(void);

/* The re-anchoring period in ns (default 10 ms); for tests. */
void cotel__clock_set_period_ns(uint64_t ns);

/* Re-anchorings done, steps followed and re-anchorings skipped (the
 * CLOCK_REALTIME read was preempted), since the process started. */
typedef struct cotel__clock_stats {
  uint64_t anchors, steps, skipped;
} cotel__clock_stats;
void cotel__clock_get_stats(cotel__clock_stats *out);

#ifdef __cplusplus
}
#endif

#endif
