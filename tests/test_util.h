/* Shared test harness: every test file ends with
 *   int main(int argc, char **argv) { return cotel_test_run(argc, argv,
 *       "group", tests); }
 * so ctest can run one test alone (`exe test_name`). */
#ifndef COTEL_TEST_UTIL_H
#define COTEL_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define cotel_test_run(argc, argv, group, tests)                               \
  ((argc) > 1 ? (cmocka_set_test_filter((argv)[1]), 0) : 0,                    \
   _cmocka_run_group_tests((group), (tests), sizeof(tests) / sizeof((tests)[0]), \
                           NULL, NULL))

#endif
