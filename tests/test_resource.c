/* The provider's resource: defaults, environment, code overrides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

static cotel_provider *open_provider(cotel_provider_config *cfg) {
  cotel_provider *p;
  cfg->no_default_processor = true;
  assert_int_equal(cotel_provider_new(cfg, &p), 0);
  return p;
}

static const char *res_get(cotel_provider *p, const char *key) {
  static char buf[256];
  const cotel_resource *r = cotel_provider_resource(p);
  for (uint32_t i = 0; i < r->n_attrs; i++)
    if (r->attrs[i].key.len == strlen(key) &&
        !memcmp(r->attrs[i].key.ptr, key, strlen(key))) {
      assert_int_equal(r->attrs[i].type, COTEL_ATTR_STRING);
      snprintf(buf, sizeof buf, "%.*s", (int)r->attrs[i].v.s.len,
               r->attrs[i].v.s.ptr);
      return buf;
    }
  return NULL;
}

static void clear_env(void) {
  unsetenv("OTEL_SERVICE_NAME");
  unsetenv("OTEL_RESOURCE_ATTRIBUTES");
}

static void
test_resource_has_sdk_attributes_and_unknown_service_default(void **state) {
  (void)state;
  clear_env();
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cotel_provider *p = open_provider(&cfg);
  assert_string_equal(res_get(p, "telemetry.sdk.name"), "cotel");
  assert_string_equal(res_get(p, "telemetry.sdk.language"), "c");
  assert_string_equal(res_get(p, "telemetry.sdk.version"), COTEL_VERSION);
  assert_string_equal(res_get(p, "service.name"),
                      "unknown_service:test_resource");
  cotel_provider_destroy(p);
}

static void test_resource_reads_percent_decoded_env_attributes(void **state) {
  (void)state;
  clear_env();
  setenv("OTEL_RESOURCE_ATTRIBUTES",
         "deployment.environment=prod,team=a%2Cb,service.name=from-attrs", 1);
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cotel_provider *p = open_provider(&cfg);
  assert_string_equal(res_get(p, "deployment.environment"), "prod");
  assert_string_equal(res_get(p, "team"), "a,b");
  assert_string_equal(res_get(p, "service.name"), "from-attrs");
  cotel_provider_destroy(p);
}

static void
test_resource_service_name_env_wins_over_resource_attributes(void **state) {
  (void)state;
  clear_env();
  setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs", 1);
  setenv("OTEL_SERVICE_NAME", "from-env", 1);
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cotel_provider *p = open_provider(&cfg);
  assert_string_equal(res_get(p, "service.name"), "from-env");
  cotel_provider_destroy(p);
}

static void test_resource_config_overrides_environment(void **state) {
  (void)state;
  clear_env();
  setenv("OTEL_RESOURCE_ATTRIBUTES", "region=env,keep=yes", 1);
  setenv("OTEL_SERVICE_NAME", "from-env", 1);
  cotel_attr extra[] = {cotel_attr_string("region", "code"),
                        cotel_attr_int("shard", 3)};
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.service_name = "from-code";
  cfg.resource_attrs = extra;
  cfg.n_resource_attrs = 2;
  cotel_provider *p = open_provider(&cfg);
  assert_string_equal(res_get(p, "service.name"), "from-code");
  assert_string_equal(res_get(p, "region"), "code");
  assert_string_equal(res_get(p, "keep"), "yes");
  const cotel_resource *r = cotel_provider_resource(p);
  bool found = false;
  for (uint32_t i = 0; i < r->n_attrs; i++)
    if (r->attrs[i].key.len == 5 && !memcmp(r->attrs[i].key.ptr, "shard", 5))
      found = r->attrs[i].type == COTEL_ATTR_INT && r->attrs[i].v.i == 3;
  assert_true(found);
  cotel_provider_destroy(p);
}

static void test_resource_skips_malformed_env_entries(void **state) {
  (void)state;
  clear_env();
  cotel_log_set(NULL, NULL, COTEL_LOG_NONE);
  setenv("OTEL_RESOURCE_ATTRIBUTES", "good=1,broken,bad=%G1,=x,also=2", 1);
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.resource_detectors = COTEL_RESOURCE_DETECTOR_NONE; /* count exactly */
  cotel_provider *p = open_provider(&cfg);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
  assert_string_equal(res_get(p, "good"), "1");
  assert_string_equal(res_get(p, "also"), "2");
  assert_null(res_get(p, "bad"));
  assert_null(res_get(p, "broken"));
  /* 3 sdk + service.name + good + also */
  assert_int_equal(cotel_provider_resource(p)->n_attrs, 6);
  cotel_provider_destroy(p);
}

static void test_resource_is_shared_by_every_span(void **state) {
  (void)state;
  clear_env();
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cotel_sampler_always_on(&cfg.sampler);
  cotel_provider *p = open_provider(&cfg);
  cotel_tracer *t = cotel_provider_tracer(p, "r");
  cotel_span a, b;
  cotel_span_start(t, "a", NULL, &a);
  cotel_span_start(t, "b", NULL, &b);
  assert_ptr_equal(cotel_span_data_of(a)->resource, cotel_provider_resource(p));
  assert_ptr_equal(cotel_span_data_of(b)->resource, cotel_provider_resource(p));
  cotel_span_end(a, 0);
  cotel_span_end(b, 0);
  cotel_provider_destroy(p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_resource_has_sdk_attributes_and_unknown_service_default),
      cmocka_unit_test(test_resource_reads_percent_decoded_env_attributes),
      cmocka_unit_test(
          test_resource_service_name_env_wins_over_resource_attributes),
      cmocka_unit_test(test_resource_config_overrides_environment),
      cmocka_unit_test(test_resource_skips_malformed_env_entries),
      cmocka_unit_test(test_resource_is_shared_by_every_span),
  };
  return cotel_test_run(argc, argv, "resource", tests);
}
