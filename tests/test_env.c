/* OTEL_* value parsers and environment getters. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cotel/cotel.h"
#include "cotel/env.h"
#include "test_util.h"

static void test_env_parse_bool_accepts_true_false_any_case(void **state) {
  (void)state;
  bool b = false;
  assert_int_equal(cotel_parse_bool("TRUE", &b), 0);
  assert_true(b);
  assert_int_equal(cotel_parse_bool(" false ", &b), 0);
  assert_false(b);
  assert_int_equal(cotel_parse_bool("yes", &b), COTEL_EINVAL);
  assert_int_equal(cotel_parse_bool("1", &b), COTEL_EINVAL);
  assert_int_equal(cotel_parse_bool("truex", &b), COTEL_EINVAL);
  assert_int_equal(cotel_parse_bool("", &b), COTEL_EINVAL);
}

static void
test_env_parse_u32_rejects_garbage_negative_and_overflow(void **state) {
  (void)state;
  uint32_t v = 7;
  assert_int_equal(cotel_parse_u32("0", &v), 0);
  assert_int_equal(v, 0);
  assert_int_equal(cotel_parse_u32(" 4294967295 ", &v), 0);
  assert_int_equal(v, UINT32_MAX);
  v = 7;
  assert_int_equal(cotel_parse_u32("4294967296", &v), COTEL_EINVAL);
  assert_int_equal(cotel_parse_u32("99999999999999999999999", &v),
                   COTEL_EINVAL);
  assert_int_equal(cotel_parse_u32("-1", &v), COTEL_EINVAL);
  assert_int_equal(cotel_parse_u32("12abc", &v), COTEL_EINVAL);
  assert_int_equal(cotel_parse_u32("1 2", &v), COTEL_EINVAL);
  assert_int_equal(cotel_parse_u32("", &v), COTEL_EINVAL);
  assert_int_equal(cotel_parse_u32("+", &v), COTEL_EINVAL);
  assert_int_equal(cotel_parse_u32("0x10", &v), COTEL_EINVAL);
  assert_int_equal(v, 7);
  assert_int_equal(cotel_parse_ms("5000", &v), 0);
  assert_int_equal(v, 5000);
}

static void test_env_parse_double_accepts_only_finite_decimals(void **state) {
  (void)state;
  double d = 0;
  assert_int_equal(cotel_parse_double("0.25", &d), 0);
  assert_true(d == 0.25);
  assert_int_equal(cotel_parse_double("1e-3", &d), 0);
  assert_true(d == 0.001);
  assert_int_equal(cotel_parse_double("-2", &d), 0);
  assert_true(d == -2);
  assert_int_equal(cotel_parse_double("nan", &d), COTEL_EINVAL);
  assert_int_equal(cotel_parse_double("inf", &d), COTEL_EINVAL);
  assert_int_equal(cotel_parse_double("1e999", &d), COTEL_EINVAL);
  assert_int_equal(cotel_parse_double("0x1p3", &d), COTEL_EINVAL);
  assert_int_equal(cotel_parse_double("0.5x", &d), COTEL_EINVAL);
  assert_int_equal(cotel_parse_double("", &d), COTEL_EINVAL);
  assert_int_equal(cotel_parse_double(".", &d), COTEL_EINVAL);
}

static int warnings;
static char last_warning[1024];
static void count_log(void *ud, cotel_log_level level, const char *msg) {
  (void)ud;
  if (level >= COTEL_LOG_WARN) {
    warnings++;
    snprintf(last_warning, sizeof last_warning, "%s", msg);
  }
}

static void
test_env_getters_fall_back_with_a_warning_naming_the_variable(void **state) {
  (void)state;
  cotel_log_set(count_log, NULL, COTEL_LOG_WARN);
  setenv("COTEL_TEST_U32", "12x", 1);
  warnings = 0;
  assert_int_equal(cotel_env_u32("COTEL_TEST_U32", 42), 42);
  assert_int_equal(warnings, 1);
  assert_non_null(strstr(last_warning, "COTEL_TEST_U32"));
  setenv("COTEL_TEST_U32", "13", 1);
  assert_int_equal(cotel_env_u32("COTEL_TEST_U32", 42), 13);
  setenv("COTEL_TEST_U32", "", 1); /* empty is unset: no warning */
  assert_int_equal(cotel_env_u32("COTEL_TEST_U32", 42), 42);
  assert_null(cotel_env_str("COTEL_TEST_U32"));
  assert_int_equal(warnings, 1);
  setenv("COTEL_TEST_BOOL", "maybe", 1);
  assert_true(cotel_env_bool("COTEL_TEST_BOOL", true));
  assert_int_equal(warnings, 2);
  setenv("COTEL_TEST_DBL", "0.75", 1);
  assert_true(cotel_env_double("COTEL_TEST_DBL", 1.0) == 0.75);
  unsetenv("COTEL_TEST_DBL");
  assert_true(cotel_env_double("COTEL_TEST_DBL", 1.0) == 1.0);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

typedef struct kv_acc {
  int n;
  char keys[8][64];
  char vals[8][64];
} kv_acc;

static void on_kv(void *ud, const char *k, const char *v) {
  kv_acc *a = ud;
  if (a->n < 8) {
    snprintf(a->keys[a->n], 64, "%s", k);
    snprintf(a->vals[a->n], 64, "%s", v);
  }
  a->n++;
}

static void test_env_kv_list_percent_decodes_and_trims(void **state) {
  (void)state;
  kv_acc a = {0};
  int n =
      cotel_parse_kv_list(" a = 1 ,b%3Dc=x%2Cy%20z, ,d=", "TEST", on_kv, &a);
  assert_int_equal(n, 3);
  assert_string_equal(a.keys[0], "a");
  assert_string_equal(a.vals[0], "1");
  assert_string_equal(a.keys[1], "b=c");
  assert_string_equal(a.vals[1], "x,y z");
  assert_string_equal(a.keys[2], "d");
  assert_string_equal(a.vals[2], "");
}

static void
test_env_kv_list_skips_malformed_entries_with_warnings(void **state) {
  (void)state;
  kv_acc a = {0};
  cotel_log_set(count_log, NULL, COTEL_LOG_WARN);
  warnings = 0;
  int n = cotel_parse_kv_list("noequals,=novalue,ok=1,bad=%zz,trunc=%4,x=%41",
                              "OTEL_TEST", on_kv, &a);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
  assert_int_equal(n, 2);
  assert_string_equal(a.keys[0], "ok");
  assert_string_equal(a.keys[1], "x");
  assert_string_equal(a.vals[1], "A");
  assert_int_equal(warnings, 4);
  assert_non_null(strstr(last_warning, "OTEL_TEST"));
}

static void test_env_kv_list_rejects_null_input(void **state) {
  (void)state;
  assert_int_equal(cotel_parse_kv_list(NULL, "x", on_kv, NULL), COTEL_EINVAL);
  assert_int_equal(cotel_parse_kv_list("", "x", on_kv, NULL), 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_env_parse_bool_accepts_true_false_any_case),
      cmocka_unit_test(
          test_env_parse_u32_rejects_garbage_negative_and_overflow),
      cmocka_unit_test(test_env_parse_double_accepts_only_finite_decimals),
      cmocka_unit_test(
          test_env_getters_fall_back_with_a_warning_naming_the_variable),
      cmocka_unit_test(test_env_kv_list_percent_decodes_and_trims),
      cmocka_unit_test(test_env_kv_list_skips_malformed_entries_with_warnings),
      cmocka_unit_test(test_env_kv_list_rejects_null_input),
  };
  return cotel_test_run(argc, argv, "env", tests);
}
