/* The ABI policy (docs/abi.md) at work: growable structs read with the
 * caller's size, output structs written only up to it, and what
 * libcotel.so exports. */
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

/* A caller built against an older header: its config ends at
 * default_pipeline; whatever follows in memory must not be read. */
static void test_abi_config_reads_only_the_callers_bytes(void **state) {
  (void)state;
  struct {
    cotel_provider_config cfg;
    unsigned char after[64];
  } mem;
  memset(&mem, 0xA5, sizeof mem);
  cotel_provider_config_defaults_sized(
      &mem.cfg, offsetof(cotel_provider_config, default_pipeline) +
                    sizeof mem.cfg.default_pipeline);
  /* Nothing written past the caller's size. */
  for (size_t i = 0; i < sizeof mem.after; i++)
    assert_int_equal(mem.after[i], 0xA5);
  assert_int_equal(mem.cfg.struct_size,
                   offsetof(cotel_provider_config, default_pipeline) +
                       sizeof mem.cfg.default_pipeline);
  mem.cfg.no_default_processor = true;
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new(&mem.cfg, &p), 0);
  cotel_provider_destroy(p);
}

static void
test_abi_unstamped_span_options_are_read_as_the_first_layout(void **state) {
  (void)state;
  cotel_provider_config cfg;
  cotel_provider_config_defaults(&cfg);
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_tracer *t = cotel_provider_tracer(p, "abi");
  cotel_span_options o = {.kind = COTEL_SPAN_KIND_SERVER}; /* no _init */
  cotel_span s;
  assert_int_equal(cotel_span_start(t, "s", &o, &s), 0);
  cotel_span_end(s, 0);
  o.struct_size = 3; /* smaller than any layout we ever had */
  assert_int_equal(cotel_span_start(t, "s", &o, &s), COTEL_EINVAL);
  cotel_provider_destroy(p);
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

static void test_abi_bad_stamps_are_rejected(void **state) {
  (void)state;
  cotel_provider_config cfg;
  cotel_provider_config_defaults(&cfg);
  cfg.struct_size = 8;
  cotel_provider *p = (cotel_provider *)&cfg;
  assert_int_equal(cotel_provider_new(&cfg, &p), COTEL_EINVAL);
  assert_null(p);
  cotel_tracer_options to;
  cotel_tracer_options_init(&to);
  to.name = "x";
  to.struct_size = 2;
  cotel_provider_config_defaults(&cfg);
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_tracer *t = NULL;
  assert_int_equal(cotel_provider_get_tracer(p, &to, &t), COTEL_EINVAL);
  to.struct_size = 0; /* unstamped: the first layout */
  assert_int_equal(cotel_provider_get_tracer(p, &to, &t), 0);
  assert_non_null(t);
  cotel_provider_destroy(p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_abi_config_reads_only_the_callers_bytes),
      cmocka_unit_test(
          test_abi_unstamped_span_options_are_read_as_the_first_layout),
      cmocka_unit_test(test_abi_stats_write_only_the_callers_size),
      cmocka_unit_test(test_abi_bad_stamps_are_rejected),
  };
  return cotel_test_run(argc, argv, "abi", tests);
}
