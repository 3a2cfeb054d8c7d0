/* The provider's resource (OTel resource SDK spec): telemetry.sdk.*, then
 * what the detectors find (host, os, process, container), then
 * OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME (which wins over a
 * service.name in the former), then the attributes and service name given
 * in code (code overrides the environment). Without any service.name the
 * spec's default is "unknown_service:<process name>". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cotel/env.h"
#include "cotel/internal/resource_detect.h"
#include "provider/provider_internal.h"

typedef struct res_builder {
  struct cotel_provider *p;
  cotel__attr_set set;
  int rc;
} res_builder;

static void put_str(res_builder *b, const char *k, const char *v) {
  cotel_attr a = cotel_attr_string(k, v);
  int rc = cotel__attr_set_put(&b->set, &b->p->res_arena, &b->p->chunks, &a);
  if (rc == COTEL_ENOMEM) b->rc = rc;
}

static void on_detected(void *ud, const cotel_attr *a) {
  res_builder *b = ud;
  int rc = cotel__attr_set_put(&b->set, &b->p->res_arena, &b->p->chunks, a);
  if (rc == COTEL_ENOMEM) b->rc = rc;
}

uint32_t cotel__resource_detectors_parse(const char *s) {
  static const struct {
    const char *name;
    uint32_t bit;
  } names[] = {
      {"host", COTEL_RESOURCE_DETECTOR_HOST},
      {"os", COTEL_RESOURCE_DETECTOR_OS},
      {"process", COTEL_RESOURCE_DETECTOR_PROCESS},
      {"container", COTEL_RESOURCE_DETECTOR_CONTAINER},
      {"command_line", COTEL_RESOURCE_DETECTOR_COMMAND_LINE},
      {"none", COTEL_RESOURCE_DETECTOR_NONE},
  };
  uint32_t set = 0;
  while (s && *s) {
    while (*s == ' ' || *s == '\t' || *s == ',')
      s++;
    size_t n = 0;
    while (s[n] && s[n] != ',')
      n++;
    size_t l = n;
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
      l--;
    if (!l) break;
    size_t i = 0;
    for (; i < sizeof names / sizeof names[0]; i++)
      if (strlen(names[i].name) == l && !memcmp(names[i].name, s, l)) break;
    if (i < sizeof names / sizeof names[0])
      set |= names[i].bit;
    else
      cotel_log(COTEL_LOG_WARN,
                "COTEL_RESOURCE_DETECTORS: unknown detector \"%.*s\" skipped",
                (int)l, s);
    s += n;
  }
  /* "none" with others listed: the others (an explicit list wins). */
  if (set & ~COTEL_RESOURCE_DETECTOR_NONE) set &= ~COTEL_RESOURCE_DETECTOR_NONE;
  return set;
}

static void run_detectors(res_builder *b, uint32_t set) {
  if (!set) set = COTEL_RESOURCE_DETECTORS_DEFAULT;
  if (set & COTEL_RESOURCE_DETECTOR_NONE) return;
  if (set & COTEL_RESOURCE_DETECTOR_HOST) cotel__detect_host(on_detected, b);
  if (set & COTEL_RESOURCE_DETECTOR_OS) cotel__detect_os(on_detected, b);
  if (set &
      (COTEL_RESOURCE_DETECTOR_PROCESS | COTEL_RESOURCE_DETECTOR_COMMAND_LINE))
    cotel__detect_process(set & COTEL_RESOURCE_DETECTOR_COMMAND_LINE,
                          on_detected, b);
  if (set & COTEL_RESOURCE_DETECTOR_CONTAINER)
    cotel__detect_container(on_detected, b);
}

static void on_env_pair(void *ud, const char *key, const char *value) {
  put_str(ud, key, value);
}

static bool has_key(const res_builder *b, const char *k) {
  size_t n = strlen(k);
  for (uint32_t i = 0; i < b->set.n; i++)
    if (b->set.v[i].key.len == n && !memcmp(b->set.v[i].key.ptr, k, n))
      return true;
  return false;
}

int cotel__resource_build(struct cotel_provider *p,
                          const cotel_provider_config *cfg) {
  res_builder b = {.p = p};
  put_str(&b, "telemetry.sdk.language", "c");
  put_str(&b, "telemetry.sdk.name", "cotel");
  put_str(&b, "telemetry.sdk.version", COTEL_VERSION);
  /* Detected attributes first: every later source overrides them (the
   * spec's merge puts the environment over detectors, code over both). */
  run_detectors(&b, cfg ? cfg->resource_detectors : 0);
  const char *env = cotel_env_str("OTEL_RESOURCE_ATTRIBUTES");
  if (env && cotel_parse_kv_list(env, "OTEL_RESOURCE_ATTRIBUTES", on_env_pair,
                                 &b) == COTEL_ENOMEM)
    b.rc = COTEL_ENOMEM;
  const char *svc = cotel_env_str("OTEL_SERVICE_NAME");
  if (svc) put_str(&b, "service.name", svc);
  for (size_t i = 0; cfg && i < cfg->n_resource_attrs; i++) {
    int rc = cotel__attr_set_put(&b.set, &p->res_arena, &p->chunks,
                                 &cfg->resource_attrs[i]);
    if (rc == COTEL_ENOMEM) b.rc = rc;
  }
  if (cfg && cfg->service_name) put_str(&b, "service.name", cfg->service_name);
  if (!has_key(&b, "service.name")) {
    char buf[300];
    snprintf(buf, sizeof buf, "unknown_service:%s",
             program_invocation_short_name);
    put_str(&b, "service.name", buf);
  }
  p->resource.attrs = b.set.v;
  p->resource.n_attrs = b.set.n;
  p->resource.schema_url.ptr = "";
  p->resource.schema_url.len = 0;
  return b.rc;
}
