/* Tracers: one per instrumentation scope (name, version, schema_url), owned
 * by the provider. The scope is stored once, so every span of a tracer
 * shares one cotel_scope pointer (exporters group by it). */
#include <string.h>

#include "cotel/internal/abi.h"
#include "util/mem.h"
#include "provider/provider_internal.h"

static bool str_eq(cotel_str a, const char *b) {
  size_t n = b ? strlen(b) : 0;
  return a.len == n && (n == 0 || !memcmp(a.ptr, b, n));
}

static bool copy(cotel_tracer *t, cotel_str *dst, const char *s) {
  size_t n = s ? strlen(s) : 0;
  char *c = cotel__arena_strdup(&t->arena, &t->p->chunks, s ? s : "", n);
  if (!c) return false;
  dst->ptr = c;
  dst->len = n;
  return true;
}

static void tracer_free(cotel_tracer *t) {
  cotel__arena_destroy(&t->arena, &t->p->chunks);
  cotel__mem_free(t->p->al, t);
}

static cotel_tracer *tracer_new(struct cotel_provider *p,
                                const cotel_tracer_options *o) {
  cotel_tracer *t = cotel__mem_alloc(p->al, sizeof *t);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->p = p;
  cotel__arena_init(&t->arena, NULL, 0);
  if (!copy(t, &t->scope.name, o->name) ||
      !copy(t, &t->scope.version, o->version) ||
      !copy(t, &t->scope.schema_url, o->schema_url))
    goto fail;
  cotel__attr_set set = {0};
  for (size_t i = 0; o->attrs && i < o->n_attrs; i++)
    if (cotel__attr_set_put(&set, &t->arena, &p->chunks, &o->attrs[i]) ==
        COTEL_ENOMEM)
      goto fail;
  t->scope.attrs = set.v;
  t->scope.n_attrs = set.n;
  return t;
fail:
  tracer_free(t);
  return NULL;
}

int cotel_provider_get_tracer_sized(cotel_provider *p,
                                    const cotel_tracer_options *o, size_t size,
                                    cotel_tracer **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!p || !o) return COTEL_EINVAL;
  cotel_tracer_options in;
  cotel_tracer_options_init(&in);
  if (!cotel__abi_in(&in, sizeof in, o, size,
                     COTEL__SIZE_UPTO(cotel_tracer_options, n_attrs)))
    return COTEL_EINVAL;
  o = &in;
  if (!o->name) return COTEL_EINVAL;
  int rc = 0;
  pthread_mutex_lock(&p->tracer_mu);
  cotel_tracer *t;
  for (t = p->tracers; t; t = t->next)
    if (str_eq(t->scope.name, o->name) &&
        str_eq(t->scope.version, o->version) &&
        str_eq(t->scope.schema_url, o->schema_url))
      break;
  if (!t) {
    t = tracer_new(p, o);
    if (t) {
      t->next = p->tracers;
      p->tracers = t;
    } else {
      rc = COTEL_ENOMEM;
    }
  }
  pthread_mutex_unlock(&p->tracer_mu);
  *out = t;
  return rc;
}

cotel_tracer *cotel_provider_tracer(cotel_provider *p, const char *name) {
  cotel_tracer_options o = {.name = name};
  cotel_tracer *t;
  return cotel_provider_get_tracer(p, &o, &t) == 0 ? t : NULL;
}

void cotel__tracers_destroy(struct cotel_provider *p) {
  cotel_tracer *t = p->tracers;
  p->tracers = NULL;
  while (t) {
    cotel_tracer *next = t->next;
    tracer_free(t);
    t = next;
  }
}
