/* Unlimited attribute sets with last-write-wins, copied into an arena: the
 * resource's and the instrumentation scopes' attributes. */
#include <string.h>

#include "provider/provider_internal.h"

int cotel__attr_set_put(cotel__attr_set *s, cotel__arena *a,
                        cotel__chunk_pool *cp, const cotel_attr *attr) {
  if (!attr || !attr->key.ptr || !attr->key.len) return COTEL_EINVAL;
  if (attr->type < COTEL_ATTR_STRING || attr->type > COTEL_ATTR_DOUBLE_ARRAY)
    return COTEL_EINVAL;
  for (uint32_t i = 0; i < s->n; i++) {
    cotel_str k = s->v[i].key;
    if (k.len == attr->key.len && !memcmp(k.ptr, attr->key.ptr, k.len))
      return cotel__attr_copy_value(a, cp, &s->v[i], attr, UINT32_MAX)
                 ? 0
                 : COTEL_ENOMEM;
  }
  if (s->n == s->cap) {
    uint32_t nc = s->cap ? s->cap * 2 : 8;
    cotel_attr *nv = cotel__arena_alloc(a, cp, nc * sizeof *nv);
    if (!nv) return COTEL_ENOMEM;
    if (s->n) memcpy(nv, s->v, s->n * sizeof *nv);
    s->v = nv;
    s->cap = nc;
  }
  cotel_attr *d = &s->v[s->n];
  char *k = cotel__arena_strdup(a, cp, attr->key.ptr, attr->key.len);
  if (!k) return COTEL_ENOMEM;
  d->key.ptr = k;
  d->key.len = attr->key.len;
  if (!cotel__attr_copy_value(a, cp, d, attr, UINT32_MAX)) return COTEL_ENOMEM;
  s->n++;
  return 0;
}
