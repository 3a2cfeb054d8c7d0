/* OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (OTel "Environment Variable
 * Specification", General SDK Configuration). */
#include <string.h>
#include <strings.h>

#include "cotel/env.h"
#include "cotel/sampler.h"

static double ratio_arg(void) {
  const char *v = cotel_env_str("OTEL_TRACES_SAMPLER_ARG");
  double d;
  if (!v) return 1.0;
  if (cotel_parse_double(v, &d) == 0 && d >= 0.0 && d <= 1.0) return d;
  cotel_log(COTEL_LOG_WARN,
            "OTEL_TRACES_SAMPLER_ARG: invalid ratio \"%s\" (want a number in "
            "[0, 1]), using 1.0",
            v);
  return 1.0;
}

static int parentbased(cotel_sampler *root, int rc, cotel_sampler **out) {
  if (rc) return rc;
  return cotel_sampler_parentbased(root, NULL, out);
}

int cotel_sampler_from_env(cotel_sampler **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  const char *v = cotel_env_str("OTEL_TRACES_SAMPLER");
  cotel_sampler *root = NULL;
  int rc;
  if (v && !strcasecmp(v, "always_on")) return cotel_sampler_always_on(out);
  if (v && !strcasecmp(v, "always_off")) return cotel_sampler_always_off(out);
  if (v && !strcasecmp(v, "traceidratio"))
    return cotel_sampler_traceidratio(ratio_arg(), out);
  if (v && !strcasecmp(v, "parentbased_always_off")) {
    rc = cotel_sampler_always_off(&root);
    return parentbased(root, rc, out);
  }
  if (v && !strcasecmp(v, "parentbased_traceidratio")) {
    rc = cotel_sampler_traceidratio(ratio_arg(), &root);
    return parentbased(root, rc, out);
  }
  if (v && strcasecmp(v, "parentbased_always_on"))
    cotel_log(COTEL_LOG_WARN,
              "OTEL_TRACES_SAMPLER: unknown sampler \"%s\", using "
              "parentbased_always_on",
              v);
  rc = cotel_sampler_always_on(&root);
  return parentbased(root, rc, out);
}
