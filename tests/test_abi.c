/* The ABI policy (docs/abi.md) at work: the library reads and writes a
 * growable struct with the size the caller's build gave it, so a program
 * built against an older header (a smaller struct) keeps working. */
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

/* The first ABI's provider config ended at default_pipeline. */
#define CONFIG_V0                                                              \
  (offsetof(cotel_provider_config, default_pipeline) +                         \
   sizeof(((cotel_provider_config *)0)->default_pipeline))

/* A caller built against an older header: nothing past its struct is read
 * or written, and the members it lacks take their defaults. */
static void
test_abi_config_of_an_older_caller_is_read_and_written_within_it(void **state) {
  (void)state;
  struct {
    cotel_provider_config cfg;
    unsigned char after[64];
  } mem;
  memset(&mem, 0xA5, sizeof mem);
  cotel_provider_config_defaults_sized(&mem.cfg, CONFIG_V0);
  const unsigned char *raw = (const unsigned char *)&mem;
  for (size_t i = CONFIG_V0; i < sizeof mem; i++)
    assert_int_equal(raw[i], 0xA5);
  mem.cfg.no_default_processor = true;
  /* The 0xA5 garbage after the caller's struct would be an invalid
   * resource_detectors or shutdown bound if it were read. */
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new_sized(&mem.cfg, CONFIG_V0, &p), 0);
  cotel_tracer *t = cotel_provider_tracer(p, "abi");
  cotel_span s;
  assert_int_equal(cotel_span_start(t, "s", NULL, &s), 0);
  assert_true(cotel_span_is_recording(s));
  cotel_span_end(s, 0);
  cotel_provider_destroy(p);
}

static void
test_abi_positional_and_designated_initializers_both_work(void **state) {
  (void)state;
  cotel_provider_config cfg;
  cotel_provider_config_defaults(&cfg);
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_tracer *t = cotel_provider_tracer(p, "abi");
  cotel_span_options o = {.kind = COTEL_SPAN_KIND_SERVER};
  cotel_span s;
  assert_int_equal(cotel_span_start(t, "s", &o, &s), 0);
  cotel_span_end(s, 0);
  /* A size smaller than the first layout is not a struct of ours. */
  assert_int_equal(cotel_span_start_sized(t, "s", &o, 3, &s), COTEL_EINVAL);
  cotel_provider_destroy(p);
  cotel_batch_options bo = {256, 64, 1000, 1000}; /* positional */
  cotel_exporter *exp = NULL;
  assert_int_equal(cotel_memory_exporter_new(&exp), 0);
  cotel_span_processor *bp = NULL;
  assert_int_equal(cotel_batch_processor_new(exp, &bo, &bp), 0);
  bp->destroy(bp);
}

static void test_abi_stats_write_only_the_callers_size(void **state) {
  (void)state;
  cotel_provider_config cfg;
  cotel_provider_config_defaults(&cfg);
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  struct {
    cotel_stats st;
    unsigned char after[32];
  } mem;
  memset(&mem, 0xA5, sizeof mem);
  size_t v0 = offsetof(cotel_stats, export_retries) + sizeof(uint64_t);
  assert_int_equal(cotel_provider_stats_sized(p, &mem.st, v0), 0);
  const unsigned char *raw = (const unsigned char *)&mem;
  for (size_t i = v0; i < sizeof mem; i++)
    assert_int_equal(raw[i], 0xA5);
  assert_int_equal(mem.st.spans_started, 0);
  assert_int_equal(cotel_provider_stats_sized(p, &mem.st, 4), COTEL_EINVAL);
  cotel_provider_destroy(p);
}

static void test_abi_sizes_below_the_first_layout_are_rejected(void **state) {
  (void)state;
  cotel_provider_config cfg;
  cotel_provider_config_defaults(&cfg);
  cotel_provider *p = (cotel_provider *)&cfg;
  assert_int_equal(cotel_provider_new_sized(&cfg, 8, &p), COTEL_EINVAL);
  assert_null(p);
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_tracer_options to;
  cotel_tracer_options_init(&to);
  to.name = "x";
  cotel_tracer *t = NULL;
  assert_int_equal(cotel_provider_get_tracer_sized(p, &to, 2, &t),
                   COTEL_EINVAL);
  assert_int_equal(cotel_provider_get_tracer(p, &to, &t), 0);
  assert_non_null(t);
  cotel_provider_destroy(p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_abi_config_of_an_older_caller_is_read_and_written_within_it),
      cmocka_unit_test(
          test_abi_positional_and_designated_initializers_both_work),
      cmocka_unit_test(test_abi_stats_write_only_the_callers_size),
      cmocka_unit_test(test_abi_sizes_below_the_first_layout_are_rejected),
  };
  return cotel_test_run(argc, argv, "abi", tests);
}
