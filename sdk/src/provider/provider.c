/* The tracer provider: configuration, lifecycle and counters (OTel trace
 * SDK "Tracer Provider"). */
#include <string.h>

#include "cotel/internal/time.h"
#include "cotel/env.h"
#include "cotel/internal/abi.h"
#include "cotel/internal/resource_detect.h"
#include "cotel/internal/clock.h"
#include "util/mem.h"
#include "provider/provider_internal.h"
#include "sampling/sampler_internal.h"

#define N_RESERVE                                                              \
  2 /* records kept for non-recording spans when out of memory */

static _Atomic(cotel_provider *) global_provider;

/* The first ABI's cotel_provider_config (docs/abi.md). */
#define CONFIG_V0 COTEL__SIZE_UPTO(cotel_provider_config, default_pipeline)

void cotel_provider_config_defaults_sized(cotel_provider_config *cfg,
                                          size_t size) {
  if (!cfg || size < CONFIG_V0) return;
  cotel_provider_config full;
  memset(&full, 0, sizeof full);
  full.disabled = cotel_env_bool("OTEL_SDK_DISABLED", false);
  cotel_span_limits_from_env(&full.limits);
  full.resource_detectors = cotel__resource_detectors_parse(
      cotel_env_str("COTEL_RESOURCE_DETECTORS"));
  cotel__abi_out(cfg, size, &full, sizeof full);
}

static void destroy_owned(const cotel_provider_config *cfg) {
  cotel_sampler_destroy(cfg->sampler);
  for (size_t i = 0; i < cfg->n_processors; i++)
    if (cfg->processors[i] && cfg->processors[i]->destroy)
      cfg->processors[i]->destroy(cfg->processors[i]);
}

static void destroy_procs(struct cotel_provider *p) {
  for (size_t i = 0; i < p->n_procs; i++)
    if (p->procs[i]->destroy) p->procs[i]->destroy(p->procs[i]);
  cotel__mem_free(p->al, p->procs);
  p->procs = NULL;
  p->n_procs = 0;
}

/* Free everything (any partially built state too). */
static void provider_free(struct cotel_provider *p) {
  destroy_procs(p);
  cotel_sampler_destroy(p->sampler);
  p->sampler = NULL;
  cotel__tracers_destroy(p);
  cotel__arena_destroy(&p->res_arena, &p->chunks);
  cotel__pool_destroy(p);
  pthread_mutex_destroy(&p->tracer_mu);
  cotel_provider *self = p;
  atomic_compare_exchange_strong(&global_provider, &self, NULL);
  cotel_allocator al = p->alloc;
  cotel__mem_free(&al, p);
}

static bool limits_unset(const cotel_span_limits *l) {
  return !l->attr_count && !l->attr_value_length && !l->event_count &&
         !l->link_count && !l->attrs_per_event && !l->attrs_per_link;
}

static int take_processors(struct cotel_provider *p,
                           const cotel_provider_config *cfg) {
  size_t n = cfg->n_processors;
  cotel_span_processor *built[COTEL_MAX_DEFAULT_PROCESSORS];
  size_t n_built = 0;
  if (!n && !cfg->no_default_processor && !cfg->disabled &&
      cfg->default_pipeline) {
    int rc =
        cfg->default_pipeline(built, COTEL_MAX_DEFAULT_PROCESSORS, &n_built);
    if (rc) return rc;
    if (n_built > COTEL_MAX_DEFAULT_PROCESSORS) { /* a broken pipeline */
      for (size_t i = 0; i < COTEL_MAX_DEFAULT_PROCESSORS; i++)
        built[i]->destroy(built[i]);
      return COTEL_EINVAL;
    }
    n = n_built;
  }
  if (!n) return 0;
  p->procs = cotel__mem_alloc(p->al, n * sizeof *p->procs);
  if (!p->procs) {
    for (size_t i = 0; i < n_built; i++)
      built[i]->destroy(built[i]);
    return COTEL_ENOMEM;
  }
  if (n_built) {
    for (size_t i = 0; i < n_built; i++)
      p->procs[p->n_procs++] = built[i];
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if (cfg->processors[i]) p->procs[p->n_procs++] = cfg->processors[i];
  return 0;
}

int cotel_provider_new_sized(const cotel_provider_config *cfg, size_t size,
                             cotel_provider **out) {
  cotel_provider_config in;
  cotel__clock_init_from_env();
  if (!cfg) {
    cotel_provider_config_defaults(&in);
  } else {
    /* Members the caller's header did not have keep their defaults. */
    memset(&in, 0, sizeof in);
    if (!cotel__abi_in(&in, sizeof in, cfg, size, CONFIG_V0)) {
      if (out) *out = NULL;
      return COTEL_EINVAL;
    }
  }
  cfg = &in;
  if (!out || (cfg->n_processors && !cfg->processors)) {
    if (out) *out = NULL;
    destroy_owned(cfg);
    return COTEL_EINVAL;
  }
  *out = NULL;
  struct cotel_provider *p = cotel__mem_alloc(cfg->allocator, sizeof *p);
  if (!p) {
    destroy_owned(cfg);
    return COTEL_ENOMEM;
  }
  memset(p, 0, sizeof *p);
  if (cfg->allocator) p->alloc = *cfg->allocator;
  p->al = &p->alloc;
  p->disabled = cfg->disabled;
  p->shutdown_timeout_ms = cfg->shutdown_timeout_ms
                               ? cfg->shutdown_timeout_ms
                               : COTEL_DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (limits_unset(&cfg->limits)) /* a zeroed config: take the defaults */
    cotel_span_limits_from_env(&p->limits);
  else
    p->limits = cfg->limits;
  pthread_mutex_init(&p->tracer_mu, NULL);
  cotel__arena_init(&p->res_arena, NULL, 0);
  int rc = cotel__pool_init(p, N_RESERVE);
  if (!rc) rc = cotel__resource_build(p, cfg);
  if (rc) {
    provider_free(p);
    destroy_owned(cfg);
    return rc;
  }
  p->sampler = cfg->sampler;
  if (!p->sampler) {
    rc = cotel_sampler_from_env(&p->sampler);
    if (rc) {
      for (size_t i = 0; i < cfg->n_processors; i++)
        if (cfg->processors[i]) cfg->processors[i]->destroy(cfg->processors[i]);
      provider_free(p);
      return rc;
    }
  }
  p->sample_how = (uint8_t)cotel__sampler_how(p->sampler);
  rc = take_processors(p, cfg);
  if (rc) {
    if (!p->n_procs)
      for (size_t i = 0; i < cfg->n_processors; i++)
        if (cfg->processors[i]) cfg->processors[i]->destroy(cfg->processors[i]);
    provider_free(p); /* destroys the sampler */
    return rc;
  }
  *out = p;
  return 0;
}

/* Call fn on every processor, sharing what is left of the timeout between
 * those not yet called, so the whole call returns by its deadline. */
static int each_processor(struct cotel_provider *p, uint64_t timeout_ms,
                          bool shutdown) {
  uint64_t now = cotel_monotonic_ns();
  uint64_t deadline = cotel__deadline_ns(now, timeout_ms);
  int first = 0;
  for (size_t i = 0; i < p->n_procs; i++) {
    cotel_span_processor *sp = p->procs[i];
    now = cotel_monotonic_ns();
    uint64_t left = deadline > now ? deadline - now : 0;
    uint64_t share_ms = left / (p->n_procs - i) / COTEL__NS_PER_MS;
    int rc = 0;
    if (shutdown && sp->shutdown)
      rc = sp->shutdown(sp, share_ms);
    else if (!shutdown && sp->force_flush)
      rc = sp->force_flush(sp, share_ms);
    if (rc && !first) first = rc;
  }
  return first;
}

int cotel_provider_force_flush(cotel_provider *p, uint64_t timeout_ms) {
  if (!p) return COTEL_EINVAL;
  if (atomic_load(&p->shut_down)) return COTEL_ESTATE;
  return each_processor(p, timeout_ms, false);
}

int cotel_provider_shutdown(cotel_provider *p, uint64_t timeout_ms) {
  if (!p) return COTEL_EINVAL;
  /* Spec: Shutdown may be called once; later calls fail. From here on new
   * spans are non-recording. */
  if (atomic_exchange(&p->shut_down, true)) return COTEL_ESTATE;
  int rc = each_processor(p, timeout_ms, true);
  /* One line that says what was lost (the exporters said why). Only the
   * processors' and exporters' counters: the span counters of the thread
   * caches are not needed here. */
  cotel_stats st;
  memset(&st, 0, sizeof st);
  st.spans_dropped = atomic_load(&p->spans_dropped);
  for (size_t i = 0; i < p->n_procs; i++)
    if (p->procs[i]->stats) p->procs[i]->stats(p->procs[i], &st);
  if (p->n_procs && (st.spans_dropped || st.spans_export_failed))
    cotel_log(COTEL_LOG_WARN,
              "shutdown: %llu spans exported, %llu dropped, %llu failed to "
              "export%s",
              (unsigned long long)st.spans_exported,
              (unsigned long long)st.spans_dropped,
              (unsigned long long)st.spans_export_failed,
              rc == COTEL_ETIMEDOUT ? " (shutdown timed out)" : "");
  return rc;
}

void cotel_provider_destroy(cotel_provider *p) {
  if (!p) return;
  if (!atomic_load(&p->shut_down))
    cotel_provider_shutdown(p, p->shutdown_timeout_ms);
  provider_free(p);
}

void cotel_provider_set_global(cotel_provider *p) {
  atomic_store(&global_provider, p);
}

cotel_provider *cotel_provider_global(void) {
  return atomic_load(&global_provider);
}

const cotel_resource *cotel_provider_resource(cotel_provider *p) {
  return p ? &p->resource : NULL;
}

/* The first ABI's cotel_stats (docs/abi.md). */
#define STATS_V0 COTEL__SIZE_UPTO(cotel_stats, export_retries)

static void collect_stats(cotel_provider *p, cotel_stats *out);

int cotel_provider_stats_sized(cotel_provider *p, cotel_stats *out,
                               size_t size) {
  if (!p || !out || size < STATS_V0) return COTEL_EINVAL;
  cotel_stats full;
  memset(&full, 0, sizeof full);
  collect_stats(p, &full);
  cotel__abi_out(out, size, &full, sizeof full);
  return 0;
}

static void collect_stats(cotel_provider *p, cotel_stats *out) {
  cotel__pool_stats(p, out);
  out->spans_dropped += atomic_load(&p->spans_dropped);
  out->attrs_dropped += atomic_load(&p->attrs_dropped);
  out->events_dropped += atomic_load(&p->events_dropped);
  out->links_dropped += atomic_load(&p->links_dropped);
  for (size_t i = 0; i < p->n_procs; i++)
    if (p->procs[i]->stats) p->procs[i]->stats(p->procs[i], out);
}
