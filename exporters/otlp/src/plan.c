/* Grouping of an export batch by resource, then scope (see otlp_encode.h).
 * OTLP sends spans as ResourceSpans → ScopeSpans → Span; spans from one
 * provider share a resource pointer and spans from one tracer a scope
 * pointer, so pointer identity is the grouping key. Batches hold few
 * groups: a linear search with a last-hit cache is the fast path. */
#include <stdlib.h>
#include <string.h>

#include "cotel/common.h"
#include "cotel/internal/otlp_encode.h"

typedef struct raw_group {
  const cotel_scope *scope;
  uint32_t res;
  uint32_t count;
} raw_group;

int cotel__otlp_plan_build(const cotel_span_data *const *spans, size_t n,
                           size_t extra, cotel__otlp_plan *pl) {
  memset(pl, 0, sizeof(*pl));
  if (n > UINT32_MAX) return COTEL_EINVAL;
  size_t nn = n ? n : 1;
  extra = (extra + 7) & ~(size_t)7;
  /* One block: order, sizes, scopes, res, raw groups, per-span group id,
   * group rank, then the caller's scratch. Every size is a multiple of 8, so
   * every part stays aligned. */
  size_t bytes =
      nn * (sizeof(void *) + sizeof(size_t) + sizeof(cotel__otlp_scope_group) +
            sizeof(cotel__otlp_res_group) + sizeof(raw_group) +
            2 * sizeof(uint32_t));
  if (extra > SIZE_MAX - bytes) return COTEL_ENOMEM;
  char *mem = malloc(bytes + extra);
  if (!mem) return COTEL_ENOMEM;
  pl->order = (const cotel_span_data **)mem;
  pl->sizes = (size_t *)(pl->order + nn);
  pl->scopes = (cotel__otlp_scope_group *)(pl->sizes + nn);
  pl->res = (cotel__otlp_res_group *)(pl->scopes + nn);
  raw_group *groups = (raw_group *)(pl->res + nn);
  uint32_t *gid = (uint32_t *)(groups + nn);
  uint32_t *rank = gid + nn;
  pl->extra = extra ? (void *)(mem + bytes) : NULL;

  /* First pass: resources and (resource, scope) groups in first-seen order. */
  size_t n_res = 0, n_groups = 0;
  uint32_t last_g = UINT32_MAX;
  for (size_t i = 0; i < n; i++) {
    const cotel_span_data *sd = spans[i];
    if (!sd) continue;
    if (last_g != UINT32_MAX && groups[last_g].scope == sd->scope &&
        pl->res[groups[last_g].res].resource == sd->resource) {
      groups[last_g].count++;
      gid[i] = last_g;
      continue;
    }
    uint32_t r = 0;
    while (r < n_res && pl->res[r].resource != sd->resource)
      r++;
    if (r == n_res) {
      pl->res[r].resource = sd->resource;
      pl->res[r].count = 0;
      n_res++;
    }
    uint32_t g = 0;
    while (g < n_groups &&
           !(groups[g].res == r && groups[g].scope == sd->scope))
      g++;
    if (g == n_groups) {
      groups[g].scope = sd->scope;
      groups[g].res = r;
      groups[g].count = 0;
      pl->res[r].count++;
      n_groups++;
    }
    groups[g].count++;
    gid[i] = g;
    last_g = g;
  }

  /* Resources own consecutive runs of scope groups. */
  size_t at = 0;
  for (size_t r = 0; r < n_res; r++) {
    pl->res[r].first = at;
    at += pl->res[r].count;
    pl->res[r].count = 0;
  }
  for (size_t g = 0; g < n_groups; g++) {
    cotel__otlp_res_group *rg = &pl->res[groups[g].res];
    rank[g] = (uint32_t)(rg->first + rg->count++);
    pl->scopes[rank[g]].scope = groups[g].scope;
    pl->scopes[rank[g]].count = groups[g].count;
  }
  /* Scope groups own consecutive runs of spans, in input order. */
  at = 0;
  for (size_t s = 0; s < n_groups; s++) {
    pl->scopes[s].first = at;
    at += pl->scopes[s].count;
    pl->scopes[s].count = 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (!spans[i]) continue;
    cotel__otlp_scope_group *sg = &pl->scopes[rank[gid[i]]];
    pl->order[sg->first + sg->count++] = spans[i];
  }
  pl->n = at;
  pl->n_scopes = n_groups;
  pl->n_res = n_res;
  return 0;
}

void cotel__otlp_plan_free(cotel__otlp_plan *pl) {
  free(pl->order);
  memset(pl, 0, sizeof(*pl));
}
