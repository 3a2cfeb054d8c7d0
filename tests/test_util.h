/* Shared test harness: every test file ends with
 *   int main(int argc, char **argv) { return cotel_test_run(argc, argv,
 *       "group", tests); }
 * so ctest can run one test alone (`exe test_name`). A name that matches no
 * test fails, so a stale binary cannot hide a missing test. */
#ifndef COTEL_TEST_UTIL_H
#define COTEL_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static inline int cotel__test_run(int argc, char **argv, const char *group,
                                  const struct CMUnitTest *tests, size_t n) {
  if (argc > 1) {
    size_t i;
    for (i = 0; i < n; i++)
      if (tests[i].name && strcmp(tests[i].name, argv[1]) == 0) break;
    if (i == n) {
      fprintf(stderr, "%s: no test named %s\n", group, argv[1]);
      return 1;
    }
    cmocka_set_test_filter(argv[1]);
  }
  return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}

#define cotel_test_run(argc, argv, group, tests)                               \
  cotel__test_run((argc), (argv), (group), (tests),                            \
                  sizeof(tests) / sizeof((tests)[0]))

#endif
