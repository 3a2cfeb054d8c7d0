/* Private: what the span start path may know about the built-in samplers. */
#ifndef COTEL_SAMPLER_INTERNAL_H
#define COTEL_SAMPLER_INTERNAL_H

#include <stdbool.h>

#include "cotel/sampler.h"

/* s is the shared AlwaysOn (on) or AlwaysOff (!on) sampler. */
bool cotel__sampler_is_always(const cotel_sampler *s, bool on);

/* s is ParentBased{root: AlwaysOn} with the default delegates (sampled
 * parent -> AlwaysOn, not sampled -> AlwaysOff), the SDK default. Its
 * decision is then a pure function of the parent's sampled flag, which
 * cotel_span_start evaluates inline (no params struct, no indirect call). */
bool cotel__sampler_is_default_parentbased(const cotel_sampler *s);

/* The built-in samplers whose decision span start makes inline. */
enum {
  COTEL__SAMPLE_CALL = 0,   /* any other: call should_sample */
  COTEL__SAMPLE_PARENT = 1, /* default ParentBased{AlwaysOn} */
  COTEL__SAMPLE_ALWAYS = 2, /* AlwaysOn */
  COTEL__SAMPLE_NEVER = 3,  /* AlwaysOff */
};

static inline int cotel__sampler_how(const cotel_sampler *s) {
  if (cotel__sampler_is_default_parentbased(s)) return COTEL__SAMPLE_PARENT;
  if (cotel__sampler_is_always(s, true)) return COTEL__SAMPLE_ALWAYS;
  if (cotel__sampler_is_always(s, false)) return COTEL__SAMPLE_NEVER;
  return COTEL__SAMPLE_CALL;
}

#endif
