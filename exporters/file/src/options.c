/* OTLP file exporter options: defaults and OTEL_EXPORTER_OTLP_*FILE*
 * variables. The specification names no variables for this exporter yet;
 * these follow the OTLP exporter's pattern (a TRACES_ variable wins over
 * the generic one), as opentelemetry-cpp's file exporter does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/env.h"
#include "cotel/internal/parse.h"
#include "cotel/otlp_file.h"

#define DEFAULT_MAX_BYTES (100u * 1024u * 1024u)
#define DEFAULT_MAX_BACKUPS 5u

void cotel_otlp_file_options_init(cotel_otlp_file_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->max_bytes = DEFAULT_MAX_BYTES;
  o->max_backups = DEFAULT_MAX_BACKUPS;
}

static const char *env2(const char *traces_name, const char *name,
                        const char **which) {
  const char *v = cotel_env_str(traces_name);
  *which = traces_name;
  if (!v) {
    v = cotel_env_str(name);
    *which = name;
  }
  return v;
}

/* "1048576", "512K", "10M", "1G" (binary multiples). */
void cotel_otlp_file_options_from_env(cotel_otlp_file_options *o) {
  const char *v, *which;
  if (!o) return;
  if ((v = env2("OTEL_EXPORTER_OTLP_TRACES_FILE", "OTEL_EXPORTER_OTLP_FILE",
                &which)))
    o->path = v;
  if ((v = env2("OTEL_EXPORTER_OTLP_TRACES_FILE_MAX_BYTES",
                "OTEL_EXPORTER_OTLP_FILE_MAX_BYTES", &which))) {
    uint64_t n;
    if (cotel__parse_size(v, &n) == 0)
      o->max_bytes = n;
    else
      cotel_log(COTEL_LOG_WARN,
                "%s: \"%s\" is not a size (bytes, or with K/M/G); keeping "
                "%llu",
                which, v, (unsigned long long)o->max_bytes);
  }
  if ((v = env2("OTEL_EXPORTER_OTLP_TRACES_FILE_MAX_BACKUPS",
                "OTEL_EXPORTER_OTLP_FILE_MAX_BACKUPS", &which))) {
    uint32_t n;
    if (cotel_parse_u32(v, &n) == 0)
      o->max_backups = n;
    else
      cotel_log(COTEL_LOG_WARN, "%s: \"%s\" is not a count; keeping %u", which,
                v, o->max_backups);
  }
}
