/* Trace/span ids: hex encoding, validity, randomness, fork safety. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cotel/cotel.h"
#include "test_util.h"

static void test_ids_trace_id_hex_round_trips_lowercase(void **state) {
  (void)state;
  cotel_trace_id id, back;
  for (int i = 0; i < 16; i++)
    id.bytes[i] = (uint8_t)(i * 17 + 3);
  char hex[33];
  cotel_trace_id_to_hex(&id, hex);
  assert_string_equal(hex, "031425364758697a8b9cadbecfe0f102");
  assert_int_equal(cotel_trace_id_from_hex(hex, 32, &back), 0);
  assert_memory_equal(&id, &back, 16);
}

static void test_ids_span_id_hex_is_exact(void **state) {
  (void)state;
  cotel_span_id id = {{0x00, 0xf0, 0x67, 0x9a, 0xbc, 0xde, 0x12, 0xff}};
  char hex[17];
  cotel_span_id_to_hex(&id, hex);
  assert_string_equal(hex, "00f0679abcde12ff");
  cotel_span_id back;
  assert_int_equal(cotel_span_id_from_hex("00F0679ABCDE12FF", 16, &back), 0);
  assert_memory_equal(&id, &back, 8);
}

static void test_ids_from_hex_rejects_bad_length_and_digits(void **state) {
  (void)state;
  cotel_span_id s;
  cotel_trace_id t;
  memset(&s, 0x11, sizeof s);
  assert_int_equal(cotel_span_id_from_hex("00f0679abcde12f", 15, &s),
                   COTEL_EINVAL);
  assert_int_equal(cotel_span_id_from_hex("00f0679abcde12fg", 16, &s),
                   COTEL_EINVAL);
  assert_int_equal(s.bytes[0], 0x11); /* untouched on error */
  assert_int_equal(cotel_trace_id_from_hex("00", 2, &t), COTEL_EINVAL);
  assert_int_equal(cotel_trace_id_from_hex(NULL, 32, &t), COTEL_EINVAL);
  assert_int_equal(
      cotel_trace_id_from_hex("00000000000000000000000000000000", 32, &t), 0);
  assert_true(cotel_trace_id_is_zero(&t));
}

static void test_ids_span_context_validity_needs_both_ids(void **state) {
  (void)state;
  cotel_span_context sc = {0};
  assert_false(cotel_span_context_is_valid(&sc));
  sc.trace_id.bytes[15] = 1;
  assert_false(cotel_span_context_is_valid(&sc));
  sc.span_id.bytes[0] = 1;
  assert_true(cotel_span_context_is_valid(&sc));
  sc.trace_id.bytes[15] = 0;
  assert_false(cotel_span_context_is_valid(&sc));
  assert_false(cotel_span_context_is_valid(NULL));
}

/* Ids of a span started in a fresh provider. */
static cotel_span_context new_span_context(cotel_tracer *t) {
  cotel_span s;
  cotel_span_context sc;
  cotel_span_start(t, "x", NULL, &s);
  cotel_span_get_context(s, &sc);
  cotel_span_end(s, 0);
  return sc;
}

static cotel_tracer *open_tracer(cotel_provider **p) {
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.no_default_processor = true;
  assert_int_equal(cotel_provider_new(&cfg, p), 0);
  return cotel_provider_tracer(*p, "ids");
}

static void test_ids_fork_child_generates_different_ids(void **state) {
  (void)state;
  cotel_provider *p;
  cotel_tracer *t = open_tracer(&p);
  (void)new_span_context(t); /* seed the parent's generator */
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    cotel_span_context sc = new_span_context(t);
    ssize_t w = write(fds[1], &sc, sizeof sc);
    _exit(w == (ssize_t)sizeof sc ? 0 : 1);
  }
  cotel_span_context mine = new_span_context(t), child;
  assert_int_equal(read(fds[0], &child, sizeof child), sizeof child);
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* Without reseeding, the child's generator state equals ours and the
   * next ids would be identical. */
  assert_memory_not_equal(&mine.trace_id, &child.trace_id, 16);
  assert_memory_not_equal(&mine.span_id, &child.span_id, 8);
  close(fds[0]);
  close(fds[1]);
  cotel_provider_destroy(p);
}

static void test_ids_are_never_zero_and_look_random(void **state) {
  (void)state;
  cotel_provider *p;
  cotel_tracer *t = open_tracer(&p);
  unsigned ones = 0, total = 0;
  for (int i = 0; i < 1000; i++) {
    cotel_span_context sc = new_span_context(t);
    assert_true(cotel_span_context_is_valid(&sc));
    for (int b = 0; b < 8; b++) {
      ones += (unsigned)__builtin_popcount(sc.span_id.bytes[b]);
      total += 8;
    }
  }
  /* 64000 fair bits: the share of ones is within 2% of a half. */
  assert_true(ones > total * 48 / 100 && ones < total * 52 / 100);
  cotel_provider_destroy(p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ids_trace_id_hex_round_trips_lowercase),
      cmocka_unit_test(test_ids_span_id_hex_is_exact),
      cmocka_unit_test(test_ids_from_hex_rejects_bad_length_and_digits),
      cmocka_unit_test(test_ids_span_context_validity_needs_both_ids),
      cmocka_unit_test(test_ids_fork_child_generates_different_ids),
      cmocka_unit_test(test_ids_are_never_zero_and_look_random),
  };
  return cotel_test_run(argc, argv, "ids", tests);
}
