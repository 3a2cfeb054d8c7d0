/* Span limits from the environment (OTel spec "Span Limits" and
 * "Attribute Limits"): the span-specific variable wins, then the general
 * OTEL_ATTRIBUTE_* one, then the default (128; value length unlimited). */
#include "cotel/env.h"
#include "cotel/provider.h"

static uint32_t env_u32_fallback(const char *name, const char *fallback,
                                 uint32_t def) {
  if (cotel_env_str(name)) {
    uint32_t sentinel_def = fallback && cotel_env_str(fallback)
                                ? cotel_env_u32(fallback, def)
                                : def;
    return cotel_env_u32(name, sentinel_def);
  }
  return fallback ? cotel_env_u32(fallback, def) : def;
}

void cotel_span_limits_from_env(cotel_span_limits *l) {
  if (!l) return;
  l->attr_count = env_u32_fallback("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
                                   "OTEL_ATTRIBUTE_COUNT_LIMIT", 128);
  l->attr_value_length = env_u32_fallback(
      "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
      "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", COTEL_LIMIT_UNLIMITED);
  l->event_count = cotel_env_u32("OTEL_SPAN_EVENT_COUNT_LIMIT", 128);
  l->link_count = cotel_env_u32("OTEL_SPAN_LINK_COUNT_LIMIT", 128);
  l->attrs_per_event = cotel_env_u32("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", 128);
  l->attrs_per_link = cotel_env_u32("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", 128);
}
