/* AlwaysOn, AlwaysOff and TraceIdRatioBased samplers (OTel trace SDK
 * "Built-in samplers"). The ratio sampler decides exactly as
 * opentelemetry-go so that C and Go services sample the same traces. */
#include <stdio.h>
#include <stdlib.h>

#include "cotel/sampler.h"
#include "sampling/sampler_internal.h"

static void on_sample(cotel_sampler *s, const cotel_sampling_params *p,
                      cotel_sampling_result *out) {
  (void)s;
  (void)p;
  out->decision = COTEL_SAMPLING_RECORD_AND_SAMPLE;
  out->attrs = NULL;
  out->n_attrs = 0;
}

static void off_sample(cotel_sampler *s, const cotel_sampling_params *p,
                       cotel_sampling_result *out) {
  (void)s;
  (void)p;
  out->decision = COTEL_SAMPLING_DROP;
  out->attrs = NULL;
  out->n_attrs = 0;
}

static const char *on_desc(cotel_sampler *s) {
  (void)s;
  return "AlwaysOnSampler";
}

static const char *off_desc(cotel_sampler *s) {
  (void)s;
  return "AlwaysOffSampler";
}

/* Stateless, so shared: destroy is NULL and the owner's destroy is a no-op. */
static cotel_sampler always_on = {on_sample, on_desc, NULL, NULL};
static cotel_sampler always_off = {off_sample, off_desc, NULL, NULL};

bool cotel__sampler_is_always(const cotel_sampler *s, bool on) {
  return s == (on ? &always_on : &always_off);
}

int cotel_sampler_always_on(cotel_sampler **out) {
  if (!out) return COTEL_EINVAL;
  *out = &always_on;
  return 0;
}

int cotel_sampler_always_off(cotel_sampler **out) {
  if (!out) return COTEL_EINVAL;
  *out = &always_off;
  return 0;
}

void cotel_sampler_destroy(cotel_sampler *s) {
  if (s && s->destroy) s->destroy(s);
}

typedef struct ratio_sampler {
  cotel_sampler base;
  uint64_t bound; /* sampled when (low 8 bytes, big-endian) >> 1 < bound */
  bool always;
  char desc[64];
} ratio_sampler;

static void ratio_sample(cotel_sampler *s, const cotel_sampling_params *p,
                         cotel_sampling_result *out) {
  ratio_sampler *r = (ratio_sampler *)s;
  uint64_t x = 0;
  for (int i = 8; i < 16; i++)
    x = x << 8 | p->trace_id->bytes[i];
  bool yes = r->always || (x >> 1) < r->bound;
  out->decision = yes ? COTEL_SAMPLING_RECORD_AND_SAMPLE : COTEL_SAMPLING_DROP;
  out->attrs = NULL;
  out->n_attrs = 0;
}

static const char *ratio_desc(cotel_sampler *s) {
  return ((ratio_sampler *)s)->desc;
}

static void ratio_destroy(cotel_sampler *s) {
  free(s);
}

/* Go's %g prints the shortest representation that reads back exactly. */
static void shortest_double(double d, char *buf, size_t cap) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, cap, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) return;
  }
}

int cotel_sampler_traceidratio(double ratio, cotel_sampler **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!(ratio >= 0.0 && ratio <= 1.0)) return COTEL_EINVAL;
  ratio_sampler *r = calloc(1, sizeof *r);
  if (!r) return COTEL_ENOMEM;
  r->base.should_sample = ratio_sample;
  r->base.description = ratio_desc;
  r->base.destroy = ratio_destroy;
  /* Go: TraceIDRatioBased(f) with f >= 1 is AlwaysSample; otherwise the
   * bound is uint64(f * (1 << 63)). */
  r->always = ratio >= 1.0;
  r->bound = r->always ? 0 : (uint64_t)(ratio * 9223372036854775808.0);
  char num[32];
  shortest_double(ratio, num, sizeof num);
  snprintf(r->desc, sizeof r->desc, "TraceIDRatioBased{%s}", num);
  *out = &r->base;
  return 0;
}
