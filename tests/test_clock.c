/* The TSC clock (cotel/internal/clock.h): the reliability check, and, where
 * the TSC is reliable, timestamps that never run backwards and stay within
 * 1 us of CLOCK_REALTIME. The issue asks for a minute; make test uses a
 * bounded 400 ms with a 5 ms re-anchoring period (80 re-anchorings) so that
 * the suite stays fast; COTEL_TEST_CLOCK_SECONDS=60 runs the minute (the
 * re-anchoring period stays 5 ms). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cotel/cotel.h"
#include "support/internal.h"
#include "test_util.h"

static uint64_t realtime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *write_tmp(const char *text) {
  char *path = strdup("/tmp/cotel-clock-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

static void
test_clock_tsc_is_reliable_only_with_both_flags_and_tsc_source(void **state) {
  (void)state;
  char *good = write_tmp("processor\t: 0\nflags\t\t: fpu tsc constant_tsc "
                         "rep_good nonstop_tsc cpuid\n");
  char *no_nonstop = write_tmp("flags\t\t: fpu tsc constant_tsc cpuid\n");
  char *prefix_only = write_tmp("flags\t\t: fpu xconstant_tsc nonstop_tscx\n");
  char *tsc = write_tmp("tsc\n");
  char *hpet = write_tmp("hpet\n");
#if defined(__x86_64__)
  assert_true(cotel__clock_tsc_reliable(good, tsc));
#else
  assert_false(cotel__clock_tsc_reliable(good, tsc));
#endif
  assert_false(cotel__clock_tsc_reliable(good, hpet));
  assert_false(cotel__clock_tsc_reliable(no_nonstop, tsc));
  assert_false(cotel__clock_tsc_reliable(prefix_only, tsc));
  assert_false(cotel__clock_tsc_reliable("/nonexistent/cpuinfo", tsc));
  char *all[] = {good, no_nonstop, prefix_only, tsc, hpet};
  for (size_t i = 0; i < 5; i++) {
    unlink(all[i]);
    free(all[i]);
  }
}

/* Over `ns` of monotonic time, read the TSC clock between two
 * CLOCK_REALTIME reads: it must lie within 1 us of that bracket, and never
 * below its previous value. */
static void check_against_realtime(uint64_t ns) {
  uint64_t end = monotonic() + ns, prev = 0, n = 0;
  while (monotonic() < end) {
    uint64_t r1 = realtime();
    uint64_t x = cotel__clock_now_ns();
    uint64_t r2 = realtime();
    assert_true(x >= prev);
    if (x + 1000 < r1 || x > r2 + 1000) {
      fprintf(stderr, "tsc clock %llu outside [%llu - 1us, %llu + 1us]\n",
              (unsigned long long)x, (unsigned long long)r1,
              (unsigned long long)r2);
      fail();
    }
    prev = x;
    n++;
    if (n % 64 == 0) { /* let time pass: re-anchorings in between */
      struct timespec d = {0, 200000};
      nanosleep(&d, NULL);
    }
  }
  assert_true(n > 100);
}

static void
test_clock_tsc_stays_within_1us_of_realtime_and_never_backwards(void **state) {
  (void)state;
  if (cotel__clock_use_tsc(true) != 0) {
    printf("  (TSC not reliable here: the clock is clock_gettime)\n");
    assert_int_equal(atomic_load(&cotel__clock_tsc_on), 0);
    skip();
  }
  cotel__clock_set_period_ns(5000000);
  cotel__clock_stats s0, s1;
  cotel__clock_get_stats(&s0);
  /* COTEL_TEST_CLOCK_SECONDS=60 runs the minute. */
  const char *secs = getenv("COTEL_TEST_CLOCK_SECONDS");
  uint64_t ns = secs ? (uint64_t)atoi(secs) * 1000000000u : 400000000u;
  check_against_realtime(ns);
  cotel__clock_get_stats(&s1);
  assert_true(s1.anchors > s0.anchors); /* it did re-anchor */
  cotel__clock_use_tsc(false);
  cotel__clock_set_period_ns(0);
}

typedef struct reader {
  uint64_t ns;
  int backwards;
} reader;

static void *read_loop(void *arg) {
  reader *r = arg;
  uint64_t end = monotonic() + r->ns, prev = 0;
  while (monotonic() < end) {
    uint64_t x = cotel__clock_now_ns();
    if (x < prev) r->backwards++;
    prev = x;
  }
  return NULL;
}

static void
test_clock_tsc_never_runs_backwards_in_threads_racing_reanchors(void **state) {
  (void)state;
  if (cotel__clock_use_tsc(true) != 0) skip();
  cotel__clock_set_period_ns(100000); /* re-anchor every 100 us */
  reader r[2] = {{200000000, 0}, {200000000, 0}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&th[i], NULL, read_loop, &r[i]), 0);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(r[0].backwards + r[1].backwards, 0);
  cotel__clock_use_tsc(false);
  cotel__clock_set_period_ns(0);
}

static void test_clock_time_now_comes_from_the_tsc_clock_when_on(void **state) {
  (void)state;
  if (cotel__clock_use_tsc(true) != 0) skip();
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.no_default_processor = true;
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_tracer *t = cotel_provider_tracer(p, "clock");
  uint64_t r1 = realtime();
  cotel_span s;
  assert_int_equal(cotel_span_start(t, "op", NULL, &s), 0);
  uint64_t now = cotel_time_now_ns();
  cotel_span_end(s, 0);
  uint64_t r2 = realtime();
  assert_true(now + 1000 >= r1 && now <= r2 + 1000);
  cotel_provider_destroy(p);
  cotel__clock_use_tsc(false);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_clock_tsc_is_reliable_only_with_both_flags_and_tsc_source),
      cmocka_unit_test(
          test_clock_tsc_stays_within_1us_of_realtime_and_never_backwards),
      cmocka_unit_test(
          test_clock_tsc_never_runs_backwards_in_threads_racing_reanchors),
      cmocka_unit_test(test_clock_time_now_comes_from_the_tsc_clock_when_on),
  };
  return cotel_test_run(argc, argv, "clock", tests);
}
