/* ParentBased sampler (OTel trace SDK "ParentBased"): follows the parent's
 * sampled flag by default, delegating to one of four samplers by whether the
 * parent is remote and sampled; root spans go to the root sampler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/abi.h"
#include "cotel/sampler.h"
#include "sampling/sampler_internal.h"

enum { REMOTE_SAMPLED, REMOTE_NOT, LOCAL_SAMPLED, LOCAL_NOT, N_DELEGATES };

typedef struct parent_sampler {
  cotel_sampler base;
  cotel_sampler *root;
  cotel_sampler *d[N_DELEGATES];
  char *desc;
} parent_sampler;

static void pb_sample(cotel_sampler *s, const cotel_sampling_params *p,
                      cotel_sampling_result *out) {
  parent_sampler *ps = (parent_sampler *)s;
  const cotel_span_context *psc = p->parent_sc;
  cotel_sampler *target;
  if (!psc || !cotel_span_context_is_valid(psc)) {
    target = ps->root;
  } else {
    bool sampled = psc->flags & COTEL_TRACE_FLAG_SAMPLED;
    if (psc->is_remote)
      target = ps->d[sampled ? REMOTE_SAMPLED : REMOTE_NOT];
    else
      target = ps->d[sampled ? LOCAL_SAMPLED : LOCAL_NOT];
  }
  target->should_sample(target, p, out);
}

bool cotel__sampler_is_default_parentbased(const cotel_sampler *s) {
  const parent_sampler *ps = (const parent_sampler *)s;
  return s && s->should_sample == pb_sample &&
         cotel__sampler_is_always(ps->root, true) &&
         cotel__sampler_is_always(ps->d[REMOTE_SAMPLED], true) &&
         cotel__sampler_is_always(ps->d[LOCAL_SAMPLED], true) &&
         cotel__sampler_is_always(ps->d[REMOTE_NOT], false) &&
         cotel__sampler_is_always(ps->d[LOCAL_NOT], false);
}

static const char *pb_desc(cotel_sampler *s) {
  return ((parent_sampler *)s)->desc;
}

static void pb_destroy(cotel_sampler *s) {
  parent_sampler *ps = (parent_sampler *)s;
  cotel_sampler_destroy(ps->root);
  for (int i = 0; i < N_DELEGATES; i++)
    cotel_sampler_destroy(ps->d[i]);
  free(ps->desc);
  free(ps);
}

static const char *desc_of(cotel_sampler *s) {
  const char *d = s->description ? s->description(s) : NULL;
  return d ? d : "CustomSampler";
}

int cotel_sampler_parentbased_sized(cotel_sampler *root,
                                    const cotel_parentbased_options *o,
                                    size_t size, cotel_sampler **out) {
  cotel_sampler *given[N_DELEGATES] = {0};
  cotel_parentbased_options in;
  cotel_parentbased_options_init(&in);
  if (o && !cotel__abi_in(&in, sizeof in, o, size,
                          COTEL__SIZE_UPTO(cotel_parentbased_options,
                                           local_parent_not_sampled))) {
    if (out) *out = NULL;
    cotel_sampler_destroy(root);
    return COTEL_EINVAL;
  }
  if (o) {
    o = &in;
    given[REMOTE_SAMPLED] = o->remote_parent_sampled;
    given[REMOTE_NOT] = o->remote_parent_not_sampled;
    given[LOCAL_SAMPLED] = o->local_parent_sampled;
    given[LOCAL_NOT] = o->local_parent_not_sampled;
  }
  parent_sampler *ps = NULL;
  int rc = COTEL_EINVAL;
  if (!out || !root) goto fail;
  *out = NULL;
  rc = COTEL_ENOMEM;
  ps = calloc(1, sizeof *ps);
  if (!ps) goto fail;
  ps->root = root;
  for (int i = 0; i < N_DELEGATES; i++) {
    ps->d[i] = given[i];
    if (!ps->d[i]) {
      if (i == REMOTE_SAMPLED || i == LOCAL_SAMPLED)
        cotel_sampler_always_on(&ps->d[i]);
      else
        cotel_sampler_always_off(&ps->d[i]);
    }
  }
  /* Same text as opentelemetry-go's ParentBased description. */
  const char *fmt = "ParentBased{root:%s,remoteParentSampled:%s,"
                    "remoteParentNotSampled:%s,localParentSampled:%s,"
                    "localParentNotSampled:%s}";
  const char *a = desc_of(root), *b = desc_of(ps->d[REMOTE_SAMPLED]),
             *c = desc_of(ps->d[REMOTE_NOT]),
             *d = desc_of(ps->d[LOCAL_SAMPLED]), *e = desc_of(ps->d[LOCAL_NOT]);
  int len = snprintf(NULL, 0, fmt, a, b, c, d, e);
  ps->desc = malloc((size_t)len + 1);
  if (!ps->desc) {
    free(ps);
    goto fail;
  }
  snprintf(ps->desc, (size_t)len + 1, fmt, a, b, c, d, e);
  ps->base.should_sample = pb_sample;
  ps->base.description = pb_desc;
  ps->base.destroy = pb_destroy;
  *out = &ps->base;
  return 0;
fail:
  /* Ownership of every sampler passed was taken, even on failure. */
  cotel_sampler_destroy(root);
  for (int i = 0; i < N_DELEGATES; i++)
    cotel_sampler_destroy(given[i]);
  return rc;
}
