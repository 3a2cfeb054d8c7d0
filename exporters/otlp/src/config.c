/* OTLP exporter options: defaults and the environment.
 *
 * OTel spec "OTLP Exporter Configuration": every option has a general
 * OTEL_EXPORTER_OTLP_<X> variable and a signal-specific
 * OTEL_EXPORTER_OTLP_TRACES_<X> one; the signal-specific one wins. The
 * general ENDPOINT is a base URL ("/v1/traces" appended), the TRACES one is
 * used as is. Nothing here allocates: strings point into the environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cotel/internal/abi.h"
#include "cotel/internal/parse.h"
#include "cotel/env.h"
#include "cotel/otlp.h"
#include "exporter_internal.h"

/* The default endpoint, recognised by address: grpc turns it into :4317. */
const char cotel__otlp_default_endpoint[] = "http://localhost:4318";

static void set_defaults(cotel_otlp_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->endpoint = cotel__otlp_default_endpoint;
  o->protocol = COTEL_OTLP_HTTP_PROTOBUF;
  o->compression = COTEL_OTLP_COMPRESSION_NONE;
  o->timeout_ms = 10000;
  o->max_concurrent = 2;
  o->max_request_bytes = 4u << 20;
  o->retry_initial_backoff_ms = 1000;
  o->retry_max_backoff_ms = 5000;
  o->retry_backoff_multiplier = 1.5;
  o->retry_max_attempts = 5;
  o->spool_max_bytes = 64u << 20;
}

/* The TRACES_ variable when set, else the general one; `which` receives the
 * name actually read, for warnings. */
static const char *env_pick(const char *suffix, char which[96]) {
  snprintf(which, 96, "OTEL_EXPORTER_OTLP_TRACES_%s", suffix);
  const char *v = cotel_env_str(which);
  if (v) return v;
  snprintf(which, 96, "OTEL_EXPORTER_OTLP_%s", suffix);
  return cotel_env_str(which);
}

static void env_protocol(cotel_otlp_options *o) {
  char name[96];
  const char *v = env_pick("PROTOCOL", name);
  if (!v) return;
  if (!strcmp(v, "http/protobuf")) {
    o->protocol = COTEL_OTLP_HTTP_PROTOBUF;
  } else if (!strcmp(v, "http/json")) {
    o->protocol = COTEL_OTLP_HTTP_JSON;
  } else if (!strcmp(v, "grpc")) {
    o->protocol = COTEL_OTLP_GRPC;
  } else {
    cotel_log(COTEL_LOG_WARN, "%s: unknown protocol '%s'; using http/protobuf",
              name, v);
  }
}

static void env_compression(cotel_otlp_options *o) {
  char name[96];
  const char *v = env_pick("COMPRESSION", name);
  if (!v) return;
  if (!strcasecmp(v, "gzip")) {
    o->compression = COTEL_OTLP_COMPRESSION_GZIP;
  } else if (!strcasecmp(v, "none")) {
    o->compression = COTEL_OTLP_COMPRESSION_NONE;
  } else {
    cotel_log(COTEL_LOG_WARN, "%s: unknown compression '%s'; using none", name,
              v);
  }
}

static void env_timeout(cotel_otlp_options *o) {
  char name[96];
  const char *v = env_pick("TIMEOUT", name);
  uint32_t ms;
  if (!v) return;
  if (cotel_parse_ms(v, &ms) != 0 || ms == 0) {
    cotel_log(COTEL_LOG_WARN, "%s: invalid timeout '%s'; using %u ms", name, v,
              (unsigned)o->timeout_ms);
    return;
  }
  o->timeout_ms = ms;
}

static void env_insecure(cotel_otlp_options *o) {
  char name[96];
  const char *v = env_pick("INSECURE", name);
  bool b;
  if (!v) return;
  if (cotel_parse_bool(v, &b) != 0) {
    cotel_log(COTEL_LOG_WARN, "%s: invalid boolean '%s'; using false", name, v);
    b = false;
  }
  o->insecure = b;
}

/* cotel extension: COTEL_EXPORTER_OTLP_SPOOL_{DIR,MAX_BYTES}. */
static void env_spool(cotel_otlp_options *o) {
  const char *v = cotel_env_str("COTEL_EXPORTER_OTLP_SPOOL_DIR");
  uint64_t n;
  if (v && *v) o->spool_dir = v;
  if (!(v = cotel_env_str("COTEL_EXPORTER_OTLP_SPOOL_MAX_BYTES"))) return;
  if (cotel__parse_size(v, &n) == 0 && n >= 16384) {
    o->spool_max_bytes = n;
    return;
  }
  cotel_log(COTEL_LOG_WARN,
            "COTEL_EXPORTER_OTLP_SPOOL_MAX_BYTES: invalid size '%s' (at "
            "least 16K); using %llu bytes",
            v, (unsigned long long)o->spool_max_bytes);
}

static void from_env(cotel_otlp_options *o) {
  char name[96];
  const char *v;
  set_defaults(o);
  if ((v = cotel_env_str("OTEL_EXPORTER_OTLP_ENDPOINT"))) o->endpoint = v;
  o->traces_endpoint = cotel_env_str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  env_protocol(o);
  o->headers_list = env_pick("HEADERS", name);
  env_compression(o);
  env_timeout(o);
  o->certificate = env_pick("CERTIFICATE", name);
  o->client_certificate = env_pick("CLIENT_CERTIFICATE", name);
  o->client_key = env_pick("CLIENT_KEY", name);
  env_insecure(o);
  env_spool(o);
}

/* The first ABI's cotel_otlp_options (docs/abi.md). */
#define OPTIONS_V0 COTEL__SIZE_UPTO(cotel_otlp_options, retry_max_attempts)

void cotel_otlp_options_default_sized(cotel_otlp_options *o, size_t size) {
  if (!o || size < OPTIONS_V0) return;
  cotel_otlp_options full;
  set_defaults(&full);
  cotel__abi_out(o, size, &full, sizeof full);
}

void cotel_otlp_options_from_env_sized(cotel_otlp_options *o, size_t size) {
  if (!o || size < OPTIONS_V0) return;
  cotel_otlp_options full;
  from_env(&full);
  cotel__abi_out(o, size, &full, sizeof full);
}

int cotel__otlp_options_in(const cotel_otlp_options *o, size_t size,
                           cotel_otlp_options *full) {
  set_defaults(full);
  return cotel__abi_in(full, sizeof *full, o, size, OPTIONS_V0) ? 0
                                                                : COTEL_EINVAL;
}
