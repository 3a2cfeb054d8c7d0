/* A provider for tests: the exporter behind a simple processor (spans are
 * exported as they end), the given sampler (NULL: always_on), nothing from
 * the environment's pipeline. Header-only. */
#ifndef COTEL_TEST_PROVIDER_FIXTURE_H
#define COTEL_TEST_PROVIDER_FIXTURE_H

#include "cotel/cotel.h"

static inline cotel_provider *simple_provider_new(cotel_exporter *exp,
                                                  cotel_sampler *sampler) {
  cotel_span_processor *sp;
  cotel_provider_config cfg;
  cotel_provider *p = NULL;
  assert_int_equal(cotel_simple_processor_new(exp, &sp), 0);
  cotel_provider_config_init(&cfg);
  if (!sampler) cotel_sampler_always_on(&sampler);
  cfg.sampler = sampler;
  cfg.processors = &sp;
  cfg.n_processors = 1;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  return p;
}

#endif
