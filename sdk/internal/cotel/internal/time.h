/* Internal to libcotel (one copy for every component): time units and the
 * conversions between them, for deadlines and timestamps. */
#ifndef COTEL_INTERNAL_TIME_H
#define COTEL_INTERNAL_TIME_H

#include <stdint.h>
#include <time.h>

#define COTEL__NS_PER_MS 1000000ull
#define COTEL__NS_PER_S 1000000000ull
/* Timeouts are clamped to this (about 31 years) instead of overflowing. */
#define COTEL__MAX_TIMEOUT_MS 1000000000000ull

static inline uint64_t cotel__ns_of_timespec(const struct timespec *ts) {
  return (uint64_t)ts->tv_sec * COTEL__NS_PER_S + (uint64_t)ts->tv_nsec;
}

static inline struct timespec cotel__timespec_of_ns(uint64_t ns) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ns / COTEL__NS_PER_S);
  ts.tv_nsec = (long)(ns % COTEL__NS_PER_S);
  return ts;
}

/* `now_ns` plus `timeout_ms`, the timeout clamped to COTEL__MAX_TIMEOUT_MS. */
static inline uint64_t cotel__deadline_ns(uint64_t now_ns,
                                          uint64_t timeout_ms) {
  if (timeout_ms > COTEL__MAX_TIMEOUT_MS) timeout_ms = COTEL__MAX_TIMEOUT_MS;
  return now_ns + timeout_ms * COTEL__NS_PER_MS;
}

/* Whole milliseconds from now_ns to deadline_ns, rounded up (a timer set
 * for it never fires early); 0 once the deadline has passed. */
static inline uint64_t cotel__ms_until(uint64_t deadline_ns, uint64_t now_ns) {
  if (deadline_ns <= now_ns) return 0;
  return (deadline_ns - now_ns + COTEL__NS_PER_MS - 1) / COTEL__NS_PER_MS;
}

#endif
