/* cotel: tracer provider configuration and lifecycle. */
#ifndef COTEL_PROVIDER_H
#define COTEL_PROVIDER_H

#include "cotel/processor.h"
#include "cotel/sampler.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Span limits (OTel spec "Span Limits"; defaults 128, value length
 * unlimited). Variables: OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT (falls back to
 * OTEL_ATTRIBUTE_COUNT_LIMIT), OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT
 * (falls back to OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT),
 * OTEL_SPAN_EVENT_COUNT_LIMIT, OTEL_SPAN_LINK_COUNT_LIMIT,
 * OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT, OTEL_LINK_ATTRIBUTE_COUNT_LIMIT. */
#define COTEL_LIMIT_UNLIMITED UINT32_MAX
typedef struct cotel_span_limits {
  uint32_t attr_count;
  uint32_t attr_value_length;
  uint32_t event_count;
  uint32_t link_count;
  uint32_t attrs_per_event;
  uint32_t attrs_per_link;
} cotel_span_limits;
void cotel_span_limits_from_env(cotel_span_limits *l);

typedef struct cotel_provider_config {
  /* OTEL_SDK_DISABLED=true: every span is non-recording, nothing exported. */
  bool disabled;
  const cotel_allocator *allocator; /* NULL: libc; copied */
  /* Owned by the provider once passed. NULL: cotel_sampler_from_env. */
  cotel_sampler *sampler;
  cotel_span_limits limits;
  /* Resource: service.name (NULL: OTEL_SERVICE_NAME, then service.name in
   * OTEL_RESOURCE_ATTRIBUTES, then "unknown_service:<process name>") plus
   * these attributes (copied) over those of OTEL_RESOURCE_ATTRIBUTES. */
  const char *service_name;
  const cotel_attr *resource_attrs;
  size_t n_resource_attrs;
  /* Processors, owned by the provider once passed. With none, and
   * no_default_processor false, the provider builds one from the
   * environment: a batch processor with the exporter OTEL_TRACES_EXPORTER
   * names (console by default, none, otlp). */
  cotel_span_processor **processors;
  size_t n_processors;
  bool no_default_processor;
} cotel_provider_config;

/* Fill *cfg with defaults and every applicable OTEL_* variable. Code may then
 * override fields before cotel_provider_new. */
void cotel_provider_config_init(cotel_provider_config *cfg);

/* Create a provider. On error the config's owned objects are destroyed. */
int cotel_provider_new(const cotel_provider_config *cfg, cotel_provider **out);

/* Bounded: return 0 when done or COTEL_ETIMEDOUT at the deadline. */
int cotel_provider_force_flush(cotel_provider *p, uint64_t timeout_ms);
int cotel_provider_shutdown(cotel_provider *p, uint64_t timeout_ms);
/* Shut down (if not yet, 5 s bound) and free. Tracers become invalid. */
void cotel_provider_destroy(cotel_provider *p);

/* The process-wide provider used by instrumentation libraries (NULL until
 * set). Not owned: the caller keeps ownership. */
void cotel_provider_set_global(cotel_provider *p);
cotel_provider *cotel_provider_global(void);

/* The provider's resource (for exporters and tests). */
const cotel_resource *cotel_provider_resource(cotel_provider *p);

#ifdef __cplusplus
}
#endif
#endif
