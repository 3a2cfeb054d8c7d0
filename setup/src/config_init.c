/* cotel_provider_config_init: the SDK's defaults plus the exporters the
 * environment names. It lives above the exporters so that the core never
 * depends on one. */
#include "cotel/setup.h"

void cotel_provider_config_init(cotel_provider_config *cfg) {
  if (!cfg) return;
  cotel_provider_config_defaults(cfg);
  cfg->default_pipeline = cotel_pipeline_from_env;
}
