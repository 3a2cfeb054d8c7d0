/** @file
 * cotel: assembling a pipeline from the environment (the "autoconfigure"
 * layer). The SDK core never names an exporter: exporters register here by
 * name, and cotel_provider_config_init builds the processors that
 * OTEL_TRACES_EXPORTER names. */
#ifndef COTEL_SETUP_H
#define COTEL_SETUP_H

#include "cotel/exporter.h"
#include "cotel/provider.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Builds one exporter configured from the environment. Returns 0 and sets
 * *out, or a COTEL_E* code. `ud` is the pointer given at registration. */
typedef int (*cotel_exporter_factory_fn)(void *ud, cotel_exporter **out);

/** Register an exporter under `name` (case-insensitive, at most 31
 * characters) so that OTEL_TRACES_EXPORTER can name it. A later
 * registration of a name replaces the earlier one, built-ins included
 * ("otlp", "console"). At most 16 user registrations. Thread-safe. Returns
 * 0, COTEL_EINVAL (bad name or factory) or COTEL_EFULL. */
COTEL_API int cotel_exporter_register(const char *name,
                                      cotel_exporter_factory_fn factory,
                                      void *ud);

/** Fill *cfg as cotel_provider_config_defaults does, then set
 * cfg->default_pipeline to cotel_pipeline_from_env. Code may override any
 * field before cotel_provider_new. Thread-safe. */
COTEL_API void cotel_provider_config_init_sized(cotel_provider_config *cfg,
                                                size_t size);
/** cotel_provider_config_init_sized with this build's sizeof. */
static inline void cotel_provider_config_init(cotel_provider_config *cfg) {
  cotel_provider_config_init_sized(cfg, sizeof *cfg);
}

/** The pipeline OTEL_TRACES_EXPORTER names: a comma-separated list of
 * registered exporter names ("console", "otlp", "none"), each behind its own
 * batch processor (OTEL_BSP_*). Unset: otlp (OTel SDK configuration,
 * "Exporter Selection"). Unknown names are skipped with a warning that
 * lists the accepted ones. Fills procs[0..*n), at most `cap`. Returns 0 or a
 * COTEL_E* code (nothing is left built on error). */
COTEL_API int cotel_pipeline_from_env(cotel_span_processor **procs, size_t cap,
                                      size_t *n);

#ifdef __cplusplus
}
#endif
#endif
