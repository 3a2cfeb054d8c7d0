/* Composite propagator, OTEL_PROPAGATORS, the global propagator and the
 * inject/extract conveniences (OTel "Propagators API": Composite
 * Propagator, Global Propagators; "Environment Variable Specification"). */
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>

#include "prop_internal.h"

typedef struct composite {
  cotel_propagator base;
  size_t n;
  const cotel_propagator **list;
  const char **fields; /* union of the members' fields, NULL-terminated */
} composite;

/* Inject: every member, in order; the first error is returned but the
 * others still run (one failing format must not starve the rest). */
static int comp_inject(const cotel_propagator *self, const cotel_context *ctx,
                       const cotel_carrier *carrier) {
  const composite *c = self->impl;
  int first = 0;
  for (size_t i = 0; i < c->n; i++) {
    int rc = c->list[i]->inject(c->list[i], ctx, carrier);
    if (rc && !first) first = rc;
  }
  return first;
}

/* Extract: each member extracts from what the previous one returned. */
static int comp_extract(const cotel_propagator *self, cotel_context *parent,
                        const cotel_carrier *carrier, cotel_context **out) {
  const composite *c = self->impl;
  if (!out) return COTEL_EINVAL;
  if (!parent) parent = cotel_context_current();
  cotel_context *ctx = cotel_context_retain(parent);
  int first = 0;
  for (size_t i = 0; i < c->n; i++) {
    cotel_context *next = NULL;
    int rc = c->list[i]->extract(c->list[i], ctx, carrier, &next);
    if (rc && !first) first = rc;
    if (next) {
      cotel_context_release(ctx);
      ctx = next;
    }
  }
  *out = ctx;
  return first;
}

static const char *const *comp_fields(const cotel_propagator *self) {
  return ((const composite *)self->impl)->fields;
}

static void comp_destroy(cotel_propagator *self) {
  free(self->impl);
}

int cotel_propagator_composite(const cotel_propagator *const *list, size_t n,
                               cotel_propagator **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (n && !list) return COTEL_EINVAL;
  size_t nf = 0;
  for (size_t i = 0; i < n; i++) {
    if (!list[i] || !list[i]->inject || !list[i]->extract) return COTEL_EINVAL;
    const char *const *f = list[i]->fields ? list[i]->fields(list[i]) : NULL;
    while (f && *f)
      nf++, f++;
  }
  composite *c = calloc(1, sizeof *c + n * sizeof(*c->list) +
                               (nf + 1) * sizeof(*c->fields));
  if (!c) return COTEL_ENOMEM;
  c->list = (const cotel_propagator **)(c + 1);
  c->fields = (const char **)(c->list + n);
  c->n = n;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    c->list[i] = list[i];
    const char *const *f = list[i]->fields ? list[i]->fields(list[i]) : NULL;
    for (; f && *f; f++) {
      size_t j = 0;
      while (j < k && strcasecmp(c->fields[j], *f))
        j++;
      if (j == k) c->fields[k++] = *f;
    }
  }
  c->fields[k] = NULL;
  c->base.inject = comp_inject;
  c->base.extract = comp_extract;
  c->base.fields = comp_fields;
  c->base.destroy = comp_destroy;
  c->base.impl = c;
  *out = &c->base;
  return 0;
}

void cotel_propagator_destroy(cotel_propagator *p) {
  if (p && p->destroy) p->destroy(p);
}

const cotel_propagator *cotel_propagator_by_name(const char *name) {
  static const struct {
    const char *name;
    const cotel_propagator *p;
  } known[] = {
      {"tracecontext", &cotel__tracecontext_propagator},
      {"baggage", &cotel__baggage_propagator},
      {"b3", &cotel__b3_propagator},
      {"b3multi", &cotel__b3multi_propagator},
      {"jaeger", &cotel__jaeger_propagator},
  };
  for (size_t i = 0; name && i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(name, known[i].name)) return known[i].p;
  return NULL;
}

#define MAX_ENV_PROPAGATORS 16

int cotel_propagator_from_env(cotel_propagator **out) {
  static const cotel_propagator *const defaults[] = {
      &cotel__tracecontext_propagator, &cotel__baggage_propagator};
  if (!out) return COTEL_EINVAL;
  const char *env = getenv("OTEL_PROPAGATORS");
  const cotel_propagator *list[MAX_ENV_PROPAGATORS];
  size_t n = 0;
  bool none = false, any = false;
  for (const char *p = env; p && *p;) {
    const char *comma = strchr(p, ',');
    cotel_str item = {p, comma ? (size_t)(comma - p) : strlen(p)};
    p = comma ? comma + 1 : p + item.len;
    item = cotel__trim(item);
    if (item.len == 0) continue;
    any = true;
    char name[32];
    if (item.len >= sizeof name) {
      cotel_log(COTEL_LOG_WARN, "OTEL_PROPAGATORS: unknown propagator '%.*s'",
                (int)item.len, item.ptr);
      continue;
    }
    /* Values are lowercase in the spec; accept any case. */
    for (size_t i = 0; i < item.len; i++)
      name[i] =
          (char)(item.ptr[i] >= 'A' && item.ptr[i] <= 'Z' ? item.ptr[i] + 32
                                                          : item.ptr[i]);
    name[item.len] = '\0';
    if (!strcmp(name, "none")) {
      none = true;
      continue;
    }
    const cotel_propagator *prop = cotel_propagator_by_name(name);
    if (!prop) {
      if (!strcmp(name, "xray") || !strcmp(name, "ottrace"))
        cotel_log(COTEL_LOG_WARN,
                  "OTEL_PROPAGATORS: '%s' is not supported by cotel; skipped",
                  name);
      else
        cotel_log(COTEL_LOG_WARN,
                  "OTEL_PROPAGATORS: unknown propagator '%s'; skipped", name);
      continue;
    }
    size_t j = 0;
    while (j < n && list[j] != prop)
      j++;
    if (j == n && n < MAX_ENV_PROPAGATORS) list[n++] = prop;
  }
  if (none) {
    /* "none": no propagator at all, whatever else is listed. */
    if (n)
      cotel_log(COTEL_LOG_WARN,
                "OTEL_PROPAGATORS: 'none' given with other names; using none");
    return cotel_propagator_composite(NULL, 0, out);
  }
  if (!any) /* unset or empty: the default */
    return cotel_propagator_composite(defaults, 2, out);
  if (n == 0) {
    cotel_log(COTEL_LOG_WARN,
              "OTEL_PROPAGATORS: no known propagator in "
              "'%s'; using tracecontext,baggage",
              env);
    return cotel_propagator_composite(defaults, 2, out);
  }
  return cotel_propagator_composite(list, n, out);
}

/* The default global propagator: a static composite (nothing to free). */
static const cotel_propagator *default_list[] = {
    &cotel__tracecontext_propagator, &cotel__baggage_propagator};
static const char *default_fields[] = {"traceparent", "tracestate", "baggage",
                                       NULL};
static composite default_comp = {
    .base = {.inject = comp_inject,
             .extract = comp_extract,
             .fields = comp_fields,
             .destroy = cotel__static_destroy,
             .impl = &default_comp},
    .n = 2,
    .list = default_list,
    .fields = default_fields,
};

static _Atomic(const cotel_propagator *) global_prop;

const cotel_propagator *cotel_propagator_global(void) {
  const cotel_propagator *p =
      atomic_load_explicit(&global_prop, memory_order_acquire);
  return p ? p : &default_comp.base;
}

void cotel_propagator_set_global(const cotel_propagator *p) {
  atomic_store_explicit(&global_prop, p, memory_order_release);
}

int cotel_inject(const cotel_propagator *p, const cotel_context *ctx,
                 const cotel_carrier *carrier) {
  if (!p) p = cotel_propagator_global();
  if (!ctx) ctx = cotel_context_current();
  return p->inject(p, ctx, carrier);
}

int cotel_extract(const cotel_propagator *p, cotel_context *parent,
                  const cotel_carrier *carrier, cotel_context **out) {
  if (!p) p = cotel_propagator_global();
  if (!parent) parent = cotel_context_current();
  return p->extract(p, parent, carrier, out);
}
