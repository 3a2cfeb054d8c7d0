/* cotel_provider_config_init: the SDK's defaults plus the exporters the
 * environment names. It lives above the exporters so that the core never
 * depends on one. */
#include "cotel/internal/abi.h"
#include "cotel/setup.h"

void cotel_provider_config_init_sized(cotel_provider_config *cfg, size_t size) {
  if (!cfg || size < COTEL__SIZE_UPTO(cotel_provider_config, default_pipeline))
    return;
  cotel_provider_config_defaults_sized(cfg, size);
  cfg->default_pipeline = cotel_pipeline_from_env;
}
