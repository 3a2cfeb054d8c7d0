/** @file
 * cotel: tracer provider configuration and lifecycle. */
#ifndef COTEL_PROVIDER_H
#define COTEL_PROVIDER_H

#include "cotel/processor.h"
#include "cotel/sampler.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COTEL_LIMIT_UNLIMITED UINT32_MAX /**< a limit meaning "no limit" */

/** Span limits (OTel spec "Span Limits"; defaults 128, value length
 * unlimited). Variables: OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT (falls back to
 * OTEL_ATTRIBUTE_COUNT_LIMIT), OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT
 * (falls back to OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT),
 * OTEL_SPAN_EVENT_COUNT_LIMIT, OTEL_SPAN_LINK_COUNT_LIMIT,
 * OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT, OTEL_LINK_ATTRIBUTE_COUNT_LIMIT. */
typedef struct cotel_span_limits {
  uint32_t attr_count;        /**< attributes per span */
  uint32_t attr_value_length; /**< string value length, in bytes */
  uint32_t event_count;       /**< events per span */
  uint32_t link_count;        /**< links per span */
  uint32_t attrs_per_event;   /**< attributes per event */
  uint32_t attrs_per_link;    /**< attributes per link */
} cotel_span_limits;
/** Fill *l from the variables above (the defaults for those unset). */
COTEL_API void cotel_span_limits_from_env(cotel_span_limits *l);

/** Provider configuration; fill with cotel_provider_config_init
 * (cotel/setup.h) or cotel_provider_config_defaults, then adjust. */
typedef struct cotel_provider_config {
  /** OTEL_SDK_DISABLED=true: every span is non-recording, nothing exported. */
  bool disabled;
  const cotel_allocator *allocator; /**< NULL: libc; copied */
  /** Owned by the provider once passed. NULL: cotel_sampler_from_env. */
  cotel_sampler *sampler;
  cotel_span_limits limits; /**< span limits; defaults from the env */
  /** Resource: service.name (NULL: OTEL_SERVICE_NAME, then service.name in
   * OTEL_RESOURCE_ATTRIBUTES, then "unknown_service:\<process name\>") plus
   * these attributes (copied) over those of OTEL_RESOURCE_ATTRIBUTES. */
  const char *service_name;
  const cotel_attr *resource_attrs; /**< extra resource attributes */
  size_t n_resource_attrs;          /**< number of resource_attrs */
  /** Processors, owned by the provider once passed. With none, and
   * no_default_processor false, the provider builds one from the
   * environment: a batch processor with the exporter OTEL_TRACES_EXPORTER
   * lists (otlp by default; console, none, or several, comma-separated). */
  cotel_span_processor **processors;
  size_t n_processors;       /**< number of processors */
  bool no_default_processor; /**< true: no processor from the environment */
  /** Builds the processors used when `processors` is empty (and
   * no_default_processor is false): at most `cap` of them into procs[],
   * their number into `*n`. cotel_provider_config_init sets it to the
   * OTEL_TRACES_EXPORTER pipeline of cotel/setup.h; NULL means none. Returns
   * 0 or a `COTEL_E*` code. */
  int (*default_pipeline)(cotel_span_processor **procs, size_t cap, size_t *n);
  /** Resource detectors to run, COTEL_RESOURCE_DETECTOR_* bits; 0 means
   * COTEL_RESOURCE_DETECTORS_DEFAULT, COTEL_RESOURCE_DETECTOR_NONE none.
   * cotel_provider_config_defaults reads COTEL_RESOURCE_DETECTORS (a list:
   * "host,os,process,container", "command_line" to add the command line,
   * "none"). What they detect is overridden by OTEL_RESOURCE_ATTRIBUTES,
   * OTEL_SERVICE_NAME and the attributes above, in that order. */
  uint32_t resource_detectors;
  /** Bound of the shutdown cotel_provider_destroy performs when the caller
   * did not shut down first, in ms; 0 means
   * COTEL_DEFAULT_SHUTDOWN_TIMEOUT_MS. A short-lived program that must not
   * wait for an unreachable collector lowers it (OTEL_BSP_EXPORT_TIMEOUT
   * bounds each export call too). */
  uint32_t shutdown_timeout_ms;
} cotel_provider_config;

/** Resource detectors (cotel_provider_config.resource_detectors). */
#define COTEL_RESOURCE_DETECTOR_HOST 0x01u /**< host.name, host.arch */
#define COTEL_RESOURCE_DETECTOR_OS 0x02u   /**< os.type, os.description */
#define COTEL_RESOURCE_DETECTOR_PROCESS                                        \
  0x04u /**< process.pid, .executable.*,                                       \
           .command, .owner, .runtime.* */
#define COTEL_RESOURCE_DETECTOR_CONTAINER                                      \
  0x08u /**< container.id (cgroup v1/v2) */
/** process.command_args: the whole command line, which may hold secrets, so
 * only when asked for (not in the default set). */
#define COTEL_RESOURCE_DETECTOR_COMMAND_LINE 0x10u
#define COTEL_RESOURCE_DETECTOR_NONE 0x80000000u /**< run none */
/** The detectors run by default: host, os, process and container. */
#define COTEL_RESOURCE_DETECTORS_DEFAULT                                       \
  (COTEL_RESOURCE_DETECTOR_HOST | COTEL_RESOURCE_DETECTOR_OS |                 \
   COTEL_RESOURCE_DETECTOR_PROCESS | COTEL_RESOURCE_DETECTOR_CONTAINER)

/** The bound cotel_provider_destroy (and a processor's destroy) puts on the
 * shutdown it performs when the caller did not shut down first. */
#define COTEL_DEFAULT_SHUTDOWN_TIMEOUT_MS 5000u

/** The most processors a default pipeline may build. */
#define COTEL_MAX_DEFAULT_PROCESSORS 8

/** Fill *cfg with the SDK's defaults and the SDK's own OTEL_* variables
 * (OTEL_SDK_DISABLED, span limits): no exporter, no default pipeline. Most
 * programs want cotel_provider_config_init (cotel/setup.h), which also
 * builds the exporters OTEL_TRACES_EXPORTER names. Thread-safe. */
COTEL_API void cotel_provider_config_defaults_sized(cotel_provider_config *cfg,
                                                    size_t size);
/** cotel_provider_config_defaults_sized with this build's sizeof. */
static inline void cotel_provider_config_defaults(cotel_provider_config *cfg) {
  cotel_provider_config_defaults_sized(cfg, sizeof *cfg);
}

/** Create a provider. cfg NULL means cotel_provider_config_defaults (no
 * exporter). On error the config's owned objects are destroyed. */
COTEL_API int cotel_provider_new_sized(const cotel_provider_config *cfg,
                                       size_t size, cotel_provider **out);
/** cotel_provider_new_sized with this build's sizeof (docs/abi.md). */
static inline int cotel_provider_new(const cotel_provider_config *cfg,
                                     cotel_provider **out) {
  return cotel_provider_new_sized(cfg, cfg ? sizeof *cfg : 0, out);
}

/** Bounded: return 0 when done or COTEL_ETIMEDOUT at the deadline. When
 * spans were lost (dropped, or their export failed), shutdown logs one
 * summary line at warn: exported, dropped, failed. */
COTEL_API int cotel_provider_force_flush(cotel_provider *p,
                                         uint64_t timeout_ms);
/** Shut every processor (and its exporter) down, each flushing first,
 * bounded by timeout_ms: 0, COTEL_ETIMEDOUT, or COTEL_ESTATE when already
 * shut down. Spans started afterwards are non-recording. */
COTEL_API int cotel_provider_shutdown(cotel_provider *p, uint64_t timeout_ms);
/** Shut down (if not yet, bounded by the config's shutdown_timeout_ms) and
 * free. Tracers become invalid. */
COTEL_API void cotel_provider_destroy(cotel_provider *p);

/** The process-wide provider used by instrumentation libraries (NULL until
 * set). Not owned: the caller keeps ownership. */
COTEL_API void cotel_provider_set_global(cotel_provider *p);
/** The provider set by cotel_provider_set_global, or NULL. */
COTEL_API cotel_provider *cotel_provider_global(void);

/** The provider's resource (for exporters and tests). */
COTEL_API const cotel_resource *cotel_provider_resource(cotel_provider *p);

#ifdef __cplusplus
}
#endif
#endif
