/* The provider's resource (OTel resource SDK spec): telemetry.sdk.*, then
 * OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME (which wins over a
 * service.name in the former), then the attributes and service name given
 * in code (code overrides the environment). Without any service.name the
 * spec's default is "unknown_service:<process name>". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cotel/env.h"
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
