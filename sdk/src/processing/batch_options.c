/* Batch processor options from OTEL_BSP_* (OTel spec "Environment Variable
 * Specification", Batch Span Processor). */
#include <string.h>

#include "cotel/internal/abi.h"
#include "cotel/common.h"
#include "cotel/env.h"
#include "cotel/processor.h"

enum {
  DEF_QUEUE = 2048,
  DEF_BATCH = 512,
  DEF_DELAY_MS = 5000,
  DEF_TIMEOUT_MS = 30000,
};

/* A zero size or delay is well-formed but unusable: warn, use the default. */
static uint32_t positive(const char *name, uint32_t v, uint32_t def) {
  if (v > 0) return v;
  cotel_log(COTEL_LOG_WARN, "%s must be greater than 0; using %u", name, def);
  return def;
}

static void from_env(cotel_batch_options *o);

void cotel_batch_options_from_env_sized(cotel_batch_options *o, size_t size) {
  if (!o || size < COTEL__SIZE_UPTO(cotel_batch_options, export_timeout_ms))
    return;
  cotel_batch_options full;
  memset(&full, 0, sizeof full);
  from_env(&full);
  cotel__abi_out(o, size, &full, sizeof full);
}

static void from_env(cotel_batch_options *o) {
  o->max_queue_size =
      positive("OTEL_BSP_MAX_QUEUE_SIZE",
               cotel_env_u32("OTEL_BSP_MAX_QUEUE_SIZE", DEF_QUEUE), DEF_QUEUE);
  o->max_export_batch_size = positive(
      "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
      cotel_env_u32("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", DEF_BATCH), DEF_BATCH);
  o->schedule_delay_ms = positive(
      "OTEL_BSP_SCHEDULE_DELAY",
      cotel_env_u32("OTEL_BSP_SCHEDULE_DELAY", DEF_DELAY_MS), DEF_DELAY_MS);
  /* 0 is meaningful here: no per-export timeout (the exporter's own). */
  o->export_timeout_ms =
      cotel_env_u32("OTEL_BSP_EXPORT_TIMEOUT", DEF_TIMEOUT_MS);
  /* Spec: "Must be less than or equal to OTEL_BSP_MAX_QUEUE_SIZE". */
  if (o->max_export_batch_size > o->max_queue_size) {
    cotel_log(COTEL_LOG_WARN,
              "OTEL_BSP_MAX_EXPORT_BATCH_SIZE (%u) exceeds "
              "OTEL_BSP_MAX_QUEUE_SIZE (%u); using %u",
              o->max_export_batch_size, o->max_queue_size, o->max_queue_size);
    o->max_export_batch_size = o->max_queue_size;
  }
}
