/* The default span pipeline when the application configures none:
 * OTEL_TRACES_EXPORTER (OTel "Exporter Selection") behind a batch processor.
 * Unset, it is console (a trace with no collector should still be visible)
 * unless an OTLP endpoint variable is set, which says where to send: then
 * otlp. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cotel/env.h"
#include "cotel/otlp.h"
#include "provider_internal.h"

static int console_exporter(cotel_exporter **exp) {
  return cotel_console_exporter_new(stdout, exp);
}

/* OTLP/HTTP with every OTEL_EXPORTER_OTLP_* variable applied. */
static int otlp_exporter(cotel_exporter **exp) {
  return cotel_otlp_exporter_new_from_env(exp);
}

int cotel__pipeline_from_env(cotel_span_processor **out) {
  *out = NULL;
  const char *v = cotel_env_str("OTEL_TRACES_EXPORTER");
  char name[32] = "console";
  if (!v && (cotel_env_str("OTEL_EXPORTER_OTLP_ENDPOINT") ||
             cotel_env_str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")))
    strcpy(name, "otlp");
  if (v) {
    /* A list is allowed by the spec; we build the first entry only. */
    const char *b = v, *e;
    while (*b == ' ' || *b == '\t')
      b++;
    e = b;
    while (*e && *e != ',' && *e != ' ' && *e != '\t')
      e++;
    size_t n = (size_t)(e - b);
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, b, n);
    name[n] = '\0';
    if (strchr(e, ','))
      cotel_log(COTEL_LOG_WARN,
                "OTEL_TRACES_EXPORTER: only the first exporter of \"%s\" is "
                "used",
                v);
  }
  cotel_exporter *exp = NULL;
  int rc;
  if (!strcasecmp(name, "none")) return 0;
  if (!strcasecmp(name, "otlp")) {
    rc = otlp_exporter(&exp);
  } else {
    if (strcasecmp(name, "console"))
      cotel_log(COTEL_LOG_WARN,
                "OTEL_TRACES_EXPORTER: unknown exporter \"%s\", using console",
                name);
    rc = console_exporter(&exp);
  }
  if (rc) return rc;
  return cotel_batch_processor_new(exp, NULL, out);
}
