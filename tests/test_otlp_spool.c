/* The OTLP exporter's disk spool (a cotel extension) against the in-tree
 * receiver: requests that cannot be delivered go to segment files and are
 * replayed in order once the receiver is back, by the same exporter or by
 * the next one opened on the directory (the next run of the process);
 * torn and corrupt records are skipped and counted; the byte budget drops
 * the oldest records and counts them. The "receiver down" periods are a
 * closed port; coming back is a receiver started on that port. Waits poll
 * the exporter's counters with generous deadlines, never sleep for luck. */
#include "test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cotel/env.h"
#include "cotel/otlp.h"
#include "support/otlp_fixture.h"

#define WAIT_NS 30000000000ull

typedef struct spool_fx {
  otlp_fx *fx;
  char dir[64];
  int port;
} spool_fx;

static int spool_setup(void **state) {
  spool_fx *sf = calloc(1, sizeof *sf);
  assert_non_null(sf);
  otlp_fx_setup((void **)&sf->fx);
  /* The receiver starts "down": its port is kept, the process stopped. */
  sf->port = sf->fx->rx.port;
  cotel_test_receiver_stop(&sf->fx->rx);
  strcpy(sf->dir, "/tmp/cotel-spool-test-XXXXXX");
  assert_non_null(mkdtemp(sf->dir));
  sf->fx->opts.protocol = COTEL_OTLP_HTTP_JSON;
  sf->fx->opts.spool_dir = sf->dir;
  *state = sf;
  return 0;
}

static void rm_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  char path[512];
  if (!d) return;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%.63s/%.256s", dir, de->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

static int spool_teardown(void **state) {
  spool_fx *sf = *state;
  void *fxs = sf->fx;
  otlp_fx_teardown(&fxs);
  rm_dir(sf->dir);
  free(sf);
  return 0;
}

static void receiver_up(spool_fx *sf) {
  char port[16];
  snprintf(port, sizeof port, "%d", sf->port);
  const char *args[] = {"--port", port, NULL};
  assert_int_equal(cotel_test_receiver_start(&sf->fx->rx, args), 0);
}

static void on_tick(uv_timer_t *t) {
  (void)t;
}

/* Run the loop until the exporter's counters satisfy `done` (or fail after
 * WAIT_NS). The spool's timer does not keep a loop alive (the processor's
 * loop lives anyway): a ticking timer stands in for the processor's. */
static void wait_for(otlp_fx *fx,
                     bool (*done)(otlp_fx *, const cotel_otlp_stats *,
                                  uint64_t),
                     uint64_t arg) {
  uint64_t limit = cotel_monotonic_ns() + WAIT_NS;
  uv_timer_t tick;
  uv_timer_init(&fx->loop, &tick);
  uv_timer_start(&tick, on_tick, 5, 5);
  for (;;) {
    cotel_otlp_stats st = otlp_fx_stats(fx);
    if (done(fx, &st, arg)) break;
    uv_run(&fx->loop, UV_RUN_ONCE);
    if (cotel_monotonic_ns() > limit) fail_msg("the spool never got there");
  }
  uv_close((uv_handle_t *)&tick, NULL);
  uv_run(&fx->loop, UV_RUN_NOWAIT);
}

static bool pending_is(otlp_fx *fx, const cotel_otlp_stats *st, uint64_t n) {
  (void)fx;
  return st->spool_spans_pending == n;
}

static bool replayed_at_least(otlp_fx *fx, const cotel_otlp_stats *st,
                              uint64_t n) {
  (void)fx;
  return st->spool_spans_replayed >= n;
}

static bool received_at_least(otlp_fx *fx, const cotel_otlp_stats *st,
                              uint64_t n) {
  (void)st;
  return cotel_test_receiver_count(&fx->rx) >= (long)n;
}

static void wait_pending(otlp_fx *fx, uint64_t n) {
  wait_for(fx, pending_is, n);
}

static void wait_replayed(otlp_fx *fx, uint64_t n) {
  wait_for(fx, replayed_at_least, n);
}

/* Name of span k of request i (the receiver flattens the JSON body). */
static void span_name(otlp_fx *fx, long i, int k, char *out, size_t cap) {
  char key[96];
  char *j = cotel_test_receiver_json(&fx->rx, i);
  assert_non_null(j);
  snprintf(key, sizeof key, "resourceSpans.0.scopeSpans.0.spans.%d.name=", k);
  char *p = strstr(j, key);
  assert_non_null(p);
  p += strlen(key);
  size_t n = strcspn(p, "\n");
  assert_true(n < cap);
  memcpy(out, p, n);
  out[n] = 0;
  free(j);
}

static void assert_request_names(otlp_fx *fx, long i, const char *a,
                                 const char *b) {
  char name[64];
  span_name(fx, i, 0, name, sizeof name);
  assert_string_equal(name, a);
  span_name(fx, i, 1, name, sizeof name);
  assert_string_equal(name, b);
}

/* Export spans [2i, 2i+2) for i in [0, batches): each call succeeds at once
 * (from the processor's view) although the receiver is down. */
static void export_pairs(otlp_fx *fx, const otlp_spans *s, size_t batches) {
  for (size_t i = 0; i < batches; i++)
    assert_int_equal(otlp_fx_export(fx, s, 2 * i, 2, NULL), 0);
}

static void
test_spool_keeps_batches_while_down_and_replays_them_in_order(void **state) {
  spool_fx *sf = *state;
  otlp_fx *fx = sf->fx;
  otlp_spans *s = otlp_spans_new(10);
  otlp_fx_start(fx);
  export_pairs(fx, s, 5);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spool_spans_written, 10);
  assert_int_equal(st.spool_spans_pending, 10);
  assert_int_equal(st.spans_exported, 0);
  assert_int_equal(st.spans_failed, 0);
  assert_true(st.spool_bytes > 0);

  receiver_up(sf);
  wait_pending(fx, 0);
  st = otlp_fx_stats(fx);
  assert_int_equal(st.spans_exported, 10); /* this run's: exported */
  assert_int_equal(st.spans_failed, 0);
  assert_int_equal(st.spool_spans_replayed, 10);
  assert_int_equal(st.spool_spans_dropped, 0);
  assert_int_equal(st.spool_records_corrupt, 0);
  assert_int_equal(st.spool_spans_duplicated, 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 5);
  for (long i = 0; i < 5; i++) {
    char a[16], b[16];
    snprintf(a, sizeof a, "span-%ld", 2 * i);
    snprintf(b, sizeof b, "span-%ld", 2 * i + 1);
    assert_request_names(fx, i, a, b);
  }
  /* Drained: the next batch goes straight out again. */
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), 0);
  assert_int_equal(otlp_fx_stats(fx).spool_spans_written, 10);
  assert_int_equal(otlp_fx_stats(fx).spans_exported, 12);
  otlp_spans_free(s);
}

static void test_spool_is_replayed_by_the_next_run(void **state) {
  spool_fx *sf = *state;
  otlp_fx *fx = sf->fx;
  otlp_spans *s = otlp_spans_new(6);
  otlp_fx_start(fx);
  export_pairs(fx, s, 3);
  assert_int_equal(otlp_fx_stats(fx).spool_spans_pending, 6);
  /* The process ends: the spool stays on disk. */
  otlp_fx_shutdown(fx, 1000);
  fx->exp->destroy(fx->exp);
  fx->exp = NULL;

  receiver_up(sf);
  fx->shut = false;
  otlp_fx_start(fx); /* the next run, same directory */
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spool_spans_recovered, 6);
  wait_replayed(fx, 6);
  st = otlp_fx_stats(fx);
  /* An earlier run's spans are not this run's exports. */
  assert_int_equal(st.spans_exported, 0);
  assert_int_equal(st.spool_spans_pending, 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 3);
  assert_request_names(fx, 0, "span-0", "span-1");
  assert_request_names(fx, 1, "span-2", "span-3");
  assert_request_names(fx, 2, "span-4", "span-5");
  otlp_spans_free(s);
}

/* The only segment file of the spool. */
static void segment_path(const char *dir, char *out, size_t cap) {
  DIR *d = opendir(dir);
  struct dirent *de;
  int found = 0;
  assert_non_null(d);
  while ((de = readdir(d)))
    if (strstr(de->d_name, ".seg")) {
      snprintf(out, cap, "%.63s/%.200s", dir, de->d_name);
      found++;
    }
  closedir(d);
  assert_int_equal(found, 1);
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static void test_spool_skips_a_torn_record_and_a_corrupt_one(void **state) {
  spool_fx *sf = *state;
  otlp_fx *fx = sf->fx;
  otlp_spans *s = otlp_spans_new(8);
  char path[300];
  unsigned char *data;
  struct stat stt;
  long off[4];
  fx->opts.spool_max_bytes = 1u << 20; /* one segment for all four */
  otlp_fx_start(fx);
  export_pairs(fx, s, 4);
  otlp_fx_shutdown(fx, 1000);
  fx->exp->destroy(fx->exp);
  fx->exp = NULL;

  /* Records: 20-byte header (magic, length, spans, flags, crc32), body. */
  segment_path(sf->dir, path, sizeof path);
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  assert_int_equal(fstat(fd, &stt), 0);
  data = malloc((size_t)stt.st_size);
  assert_non_null(data);
  assert_int_equal(pread(fd, data, (size_t)stt.st_size, 0), stt.st_size);
  off[0] = 0;
  for (int i = 1; i < 4; i++)
    off[i] = off[i - 1] + 20 + (long)le32(data + off[i - 1] + 4);
  assert_int_equal(off[3] + 20 + (long)le32(data + off[3] + 4), stt.st_size);
  /* A flipped bit in the second record's body; the fourth one torn, as by a
   * crash in the middle of its write. */
  unsigned char b = data[off[1] + 30] ^ 0x10;
  assert_int_equal(pwrite(fd, &b, 1, off[1] + 30), 1);
  assert_int_equal(ftruncate(fd, off[3] + 40), 0);
  close(fd);
  free(data);

  receiver_up(sf);
  fx->shut = false;
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_stats(fx).spool_spans_recovered, 4);
  wait_replayed(fx, 4);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spool_records_corrupt, 2);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 2);
  assert_request_names(fx, 0, "span-0", "span-1");
  assert_request_names(fx, 1, "span-4", "span-5");
  otlp_spans_free(s);
}

static void
test_spool_over_its_budget_drops_the_oldest_and_counts_them(void **state) {
  spool_fx *sf = *state;
  otlp_fx *fx = sf->fx;
  enum { N = 60 };
  otlp_spans *s = otlp_spans_new(2 * N);
  fx->opts.spool_max_bytes = 16 * 1024;
  otlp_fx_start(fx);
  export_pairs(fx, s, N); /* every call still succeeds for the caller */
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spool_spans_written, 2 * N);
  assert_true(st.spool_spans_dropped > 0);
  assert_true(st.spool_bytes <= 16 * 1024);
  /* Dropped spans of this run are failed: nothing is unaccounted. */
  assert_int_equal(st.spans_failed, st.spool_spans_dropped);
  assert_int_equal(st.spool_spans_pending + st.spool_spans_dropped, 2 * N);
  uint64_t pending = st.spool_spans_pending;
  assert_true(pending > 0);

  receiver_up(sf);
  wait_pending(fx, 0);
  st = otlp_fx_stats(fx);
  assert_int_equal(st.spans_exported, pending);
  assert_int_equal(st.spans_exported + st.spans_failed, 2 * N);
  /* The newest survived: the last request holds the last pair. */
  long n = cotel_test_receiver_count(&fx->rx);
  assert_int_equal(n, (long)pending / 2);
  char a[16], b[16];
  snprintf(a, sizeof a, "span-%d", 2 * N - 2);
  snprintf(b, sizeof b, "span-%d", 2 * N - 1);
  assert_request_names(fx, n - 1, a, b);
  otlp_spans_free(s);
}

static void test_spool_counts_a_replay_that_may_duplicate(void **state) {
  spool_fx *sf = *state;
  otlp_fx *fx = sf->fx;
  otlp_spans *s = otlp_spans_new(2);
  otlp_fx_start(fx);
  export_pairs(fx, s, 1);
  /* The receiver comes back but answers late; the process stops after the
   * request reached it, before the answer. */
  receiver_up(sf);
  cotel_test_receiver_script(&fx->rx, "delay 5000");
  wait_for(fx, received_at_least, 1);
  otlp_fx_shutdown(fx, 0);
  fx->exp->destroy(fx->exp);
  fx->exp = NULL;

  fx->shut = false;
  otlp_fx_start(fx);
  wait_replayed(fx, 2);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spool_spans_duplicated, 2);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 2);
  assert_request_names(fx, 1, "span-0", "span-1");
  otlp_spans_free(s);
}

static void test_spool_options_come_from_cotel_variables(void **state) {
  (void)state;
  cotel_otlp_options o;
  setenv("COTEL_EXPORTER_OTLP_SPOOL_DIR", "/var/spool/x", 1);
  setenv("COTEL_EXPORTER_OTLP_SPOOL_MAX_BYTES", "8M", 1);
  cotel_otlp_options_from_env(&o);
  assert_string_equal(o.spool_dir, "/var/spool/x");
  assert_int_equal(o.spool_max_bytes, 8u << 20);
  setenv("COTEL_EXPORTER_OTLP_SPOOL_MAX_BYTES", "12", 1); /* too small */
  cotel_otlp_options_from_env(&o);
  assert_int_equal(o.spool_max_bytes, 64u << 20);
  setenv("COTEL_EXPORTER_OTLP_SPOOL_MAX_BYTES", "5x", 1);
  cotel_otlp_options_from_env(&o);
  assert_int_equal(o.spool_max_bytes, 64u << 20);
  unsetenv("COTEL_EXPORTER_OTLP_SPOOL_DIR");
  unsetenv("COTEL_EXPORTER_OTLP_SPOOL_MAX_BYTES");
  cotel_otlp_options_default(&o);
  assert_null(o.spool_dir);
}

static void test_spool_directory_is_one_process_at_a_time(void **state) {
  spool_fx *sf = *state;
  cotel_exporter *a, *b;
  cotel_otlp_stats st;
  assert_int_equal(cotel_otlp_exporter_new(&sf->fx->opts, &a), 0);
  /* flock() locks are per open file: a second exporter in this process
   * stands for a second process. It works, without a spool. */
  otlp_log_capture("in use by another process");
  assert_int_equal(cotel_otlp_exporter_new(&sf->fx->opts, &b), 0);
  assert_int_equal(otlp_log_hits(), 1);
  assert_int_equal(cotel_otlp_exporter_stats(b, &st), 0);
  assert_int_equal(st.spool_spans_written, 0);
  b->destroy(b);
  a->destroy(a);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_spool_keeps_batches_while_down_and_replays_them_in_order,
          spool_setup, spool_teardown),
      cmocka_unit_test_setup_teardown(test_spool_is_replayed_by_the_next_run,
                                      spool_setup, spool_teardown),
      cmocka_unit_test_setup_teardown(
          test_spool_skips_a_torn_record_and_a_corrupt_one, spool_setup,
          spool_teardown),
      cmocka_unit_test_setup_teardown(
          test_spool_over_its_budget_drops_the_oldest_and_counts_them,
          spool_setup, spool_teardown),
      cmocka_unit_test_setup_teardown(
          test_spool_counts_a_replay_that_may_duplicate, spool_setup,
          spool_teardown),
      cmocka_unit_test(test_spool_options_come_from_cotel_variables),
      cmocka_unit_test_setup_teardown(
          test_spool_directory_is_one_process_at_a_time, spool_setup,
          spool_teardown),
  };
  return cotel_test_run(argc, argv, "otlp_spool", tests);
}
