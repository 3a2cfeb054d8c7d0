/* ngx_http_cotel_module: one SERVER span per request, exported over
 * OTLP/HTTP by cotel's batch processor.
 *
 * Process model: the master only parses the configuration; every worker
 * builds its own provider in init_process (after fork, so the batch
 * processor's thread lives in the worker) and shuts it down in exit_process
 * within NGX_HTTP_COTEL_SHUTDOWN_MS (reload and quit both end old workers
 * that way). Ending a span only queues it: the event loop never waits for
 * the exporter, and a full queue drops and counts. */
#include "ngx_http_cotel.h"

/* How long a worker's exit may wait for its spans to be exported. */
#define NGX_HTTP_COTEL_SHUTDOWN_MS 2000

static ngx_int_t ngx_http_cotel_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_cotel_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_cotel_init_process(ngx_cycle_t *cycle);
static void ngx_http_cotel_exit_process(ngx_cycle_t *cycle);

static ngx_http_module_t ngx_http_cotel_module_ctx = {
    ngx_http_cotel_preconfiguration,
    ngx_http_cotel_postconfiguration,
    ngx_http_cotel_create_main_conf,
    NULL,
    NULL,
    NULL,
    ngx_http_cotel_create_loc_conf,
    ngx_http_cotel_merge_loc_conf};

ngx_module_t ngx_http_cotel_module = {NGX_MODULE_V1,
                                      &ngx_http_cotel_module_ctx,
                                      ngx_http_cotel_commands,
                                      NGX_HTTP_MODULE,
                                      NULL,
                                      NULL,
                                      ngx_http_cotel_init_process,
                                      NULL,
                                      NULL,
                                      ngx_http_cotel_exit_process,
                                      NULL,
                                      NGX_MODULE_V1_PADDING};

/* ---- the worker's provider ---- */

static struct {
  cotel_provider *provider;
  cotel_tracer *tracer;
  cotel_propagator *propagator;
} ngx_http_cotel_worker;

/* otel_trace decides sampling: the request handler sets the decision right
 * before cotel_span_start, on the worker's only request thread. */
static cotel_sampling_decision ngx_http_cotel_decision;

static void ngx_http_cotel_should_sample(cotel_sampler *self,
                                         const cotel_sampling_params *p,
                                         cotel_sampling_result *out) {
  (void)self;
  (void)p;
  out->decision = ngx_http_cotel_decision;
  out->attrs = NULL;
  out->n_attrs = 0;
}

static const char *ngx_http_cotel_sampler_name(cotel_sampler *self) {
  (void)self;
  return "nginx otel_trace";
}

static cotel_sampler ngx_http_cotel_sampler = {
    ngx_http_cotel_should_sample, ngx_http_cotel_sampler_name, NULL, NULL};

static char *ngx_http_cotel_cstr(ngx_pool_t *pool, ngx_str_t *s) {
  char *p = ngx_pnalloc(pool, s->len + 1);
  if (p) {
    ngx_memcpy(p, s->data, s->len);
    p[s->len] = '\0';
  }
  return p;
}

/* The exporter: otel_exporter's values over the OTEL_EXPORTER_OTLP_* ones. */
static int ngx_http_cotel_build_processor(ngx_cycle_t *cycle,
                                          ngx_http_cotel_main_conf_t *mcf,
                                          cotel_span_processor **out) {
  cotel_otlp_options o;
  cotel_otlp_options_from_env(&o);
  if (mcf->endpoint.len) {
    ngx_str_t *e = &mcf->endpoint;
    int has_scheme = ngx_strlcasestrn(e->data, e->data + e->len,
                                      (u_char *)"://", 3 - 1) != NULL;
    char *url = ngx_pnalloc(cycle->pool, e->len + sizeof("http://"));
    if (url == NULL) return COTEL_ENOMEM;
    *ngx_sprintf((u_char *)url, "%s%V", has_scheme ? "" : "http://", e) = '\0';
    o.endpoint = url;
    o.traces_endpoint = NULL;
  }
  if (mcf->trusted_certificate.len)
    o.certificate = ngx_http_cotel_cstr(cycle->pool, &mcf->trusted_certificate);
  cotel_otlp_header *hs = NULL;
  if (mcf->headers && mcf->headers->nelts) {
    ngx_keyval_t *kv = mcf->headers->elts;
    hs = ngx_pcalloc(cycle->pool, mcf->headers->nelts * sizeof(*hs));
    if (hs == NULL) return COTEL_ENOMEM;
    for (ngx_uint_t i = 0; i < mcf->headers->nelts; i++) {
      hs[i].name = ngx_http_cotel_cstr(cycle->pool, &kv[i].key);
      hs[i].value = ngx_http_cotel_cstr(cycle->pool, &kv[i].value);
    }
    o.headers = hs;
    o.n_headers = mcf->headers->nelts;
  }
  cotel_exporter *exp;
  int rc = cotel_otlp_exporter_new(&o, &exp);
  if (rc) return rc;
  cotel_batch_options bo;
  cotel_batch_options_from_env(&bo);
  if (mcf->interval != NGX_CONF_UNSET_MSEC)
    bo.schedule_delay_ms = (uint32_t)mcf->interval;
  if (mcf->batch_size != NGX_CONF_UNSET_UINT)
    bo.max_export_batch_size = (uint32_t)mcf->batch_size;
  if (mcf->batch_count != NGX_CONF_UNSET_UINT)
    bo.max_queue_size = (uint32_t)(bo.max_export_batch_size * mcf->batch_count);
  return cotel_batch_processor_new(exp, &bo, out);
}

static ngx_int_t ngx_http_cotel_init_process(ngx_cycle_t *cycle) {
  ngx_http_cotel_main_conf_t *mcf =
      ngx_http_cycle_get_module_main_conf(cycle, ngx_http_cotel_module);
  if (mcf == NULL || !mcf->used) return NGX_OK;

  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.sampler = &ngx_http_cotel_sampler;
  if (mcf->service_name.len)
    cfg.service_name = ngx_http_cotel_cstr(cycle->pool, &mcf->service_name);
  if (mcf->resource_attrs && mcf->resource_attrs->nelts) {
    ngx_keyval_t *kv = mcf->resource_attrs->elts;
    size_t n = mcf->resource_attrs->nelts;
    cotel_attr *ra = ngx_pcalloc(cycle->pool, n * sizeof(*ra));
    if (ra == NULL) return NGX_ERROR;
    for (size_t i = 0; i < n; i++) {
      ra[i].key.ptr = (const char *)kv[i].key.data;
      ra[i].key.len = kv[i].key.len;
      ra[i].type = COTEL_ATTR_STRING;
      ra[i].v.s.ptr = (const char *)kv[i].value.data;
      ra[i].v.s.len = kv[i].value.len;
    }
    cfg.resource_attrs = ra;
    cfg.n_resource_attrs = n;
  }
  /* Without an otel_exporter block, OTEL_TRACES_EXPORTER (when set) builds
   * the pipeline; otherwise OTLP, configured by OTEL_EXPORTER_OTLP_*. */
  cotel_span_processor *proc = NULL;
  if (mcf->exporter || getenv("OTEL_TRACES_EXPORTER") == NULL) {
    int rc = ngx_http_cotel_build_processor(cycle, mcf, &proc);
    if (rc) {
      ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                    "otel: cannot create the OTLP exporter: %s",
                    cotel_strerror(rc));
      return NGX_ERROR;
    }
    cfg.processors = &proc;
    cfg.n_processors = 1;
  }
  int rc = cotel_provider_new(&cfg, &ngx_http_cotel_worker.provider);
  if (rc == 0)
    rc = cotel_propagator_from_env(&ngx_http_cotel_worker.propagator);
  if (rc) {
    ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                  "otel: cannot create the tracer provider: %s",
                  cotel_strerror(rc));
    return NGX_ERROR;
  }
  cotel_tracer_options to = {.name = "ngx_http_cotel_module",
                             .version = NGINX_VERSION};
  rc = cotel_provider_get_tracer(ngx_http_cotel_worker.provider, &to,
                                 &ngx_http_cotel_worker.tracer);
  if (rc) {
    ngx_log_error(NGX_LOG_ALERT, cycle->log, 0, "otel: no tracer: %s",
                  cotel_strerror(rc));
    return NGX_ERROR;
  }
  return NGX_OK;
}

static void ngx_http_cotel_exit_process(ngx_cycle_t *cycle) {
  cotel_provider *p = ngx_http_cotel_worker.provider;
  if (p == NULL) return;
  ngx_http_cotel_worker.tracer = NULL;
  ngx_msec_t t0 = ngx_current_msec;
  int rc = cotel_provider_shutdown(p, NGX_HTTP_COTEL_SHUTDOWN_MS);
  ngx_time_update();
  /* Every span ended is accounted for: exported, dropped (queue full),
   * failed (collector refused or unreachable), or still unsent when the
   * deadline passed ("lost"). */
  cotel_stats st;
  if (cotel_provider_stats(p, &st) == 0) {
    uint64_t done =
        st.spans_exported + st.spans_dropped + st.spans_export_failed;
    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "otel: worker exit: spans started %uL ended %uL exported "
                  "%uL dropped %uL failed %uL lost %uL, shutdown %s in %M ms",
                  st.spans_started, st.spans_ended, st.spans_exported,
                  st.spans_dropped, st.spans_export_failed,
                  st.spans_ended > done ? st.spans_ended - done : 0,
                  rc ? cotel_strerror(rc) : "done", ngx_current_msec - t0);
  }
  cotel_provider_destroy(p);
  ngx_http_cotel_worker.provider = NULL;
  cotel_propagator_destroy(ngx_http_cotel_worker.propagator);
  ngx_http_cotel_worker.propagator = NULL;
}

/* ---- per request ---- */

static void ngx_http_cotel_cleanup(void *data) {
  ngx_http_cotel_ctx_t *ctx = data;
  /* A request freed without its log phase (worker exit, aborted
   * connection): the span still ends, so it is counted. */
  if (!ctx->ended && ngx_http_cotel_worker.provider) {
    ctx->ended = 1;
    cotel_http_server_end(&ctx->hs, 0);
  }
  if (ctx->parent_ctx) cotel_context_release(ctx->parent_ctx);
  ctx->parent_ctx = NULL;
}

/* The context survives internal redirects (which clear r->ctx) through the
 * pool cleanup that owns it, as ngx_http_realip_module does. */
static ngx_http_cotel_ctx_t *ngx_http_cotel_get_ctx(ngx_http_request_t *r) {
  ngx_http_cotel_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_cotel_module);
  if (ctx || !(r->internal || r->filter_finalize)) return ctx;
  for (ngx_pool_cleanup_t *cln = r->pool->cleanup; cln; cln = cln->next) {
    if (cln->handler == ngx_http_cotel_cleanup) {
      ctx = cln->data;
      ngx_http_set_ctx(r, ctx, ngx_http_cotel_module);
      return ctx;
    }
  }
  return NULL;
}

static ngx_int_t ngx_http_cotel_sampled(ngx_http_request_t *r,
                                        ngx_http_cotel_loc_conf_t *lcf) {
  if (lcf->trace_cv == NULL) return lcf->trace == 1;
  ngx_str_t v;
  if (ngx_http_complex_value(r, lcf->trace_cv, &v) != NGX_OK) return 0;
  return (v.len == 1 && v.data[0] == '1') ||
         (v.len == 2 && ngx_strncasecmp(v.data, (u_char *)"on", 2) == 0) ||
         (v.len == 4 && ngx_strncasecmp(v.data, (u_char *)"true", 4) == 0);
}

static void ngx_http_cotel_inject(ngx_http_request_t *r,
                                  ngx_http_cotel_ctx_t *ctx) {
  cotel_carrier carrier = ngx_http_cotel_carrier(r);
  if (cotel_span_is_recording(ctx->hs.span)) {
    cotel_inject(ngx_http_cotel_worker.propagator, ctx->hs.ctx, &carrier);
    return;
  }
  /* A sampled-out span carries ids but no record: send its ids (sampled
   * flag off) under the caller's trace, as the official module does. */
  cotel_context *c = NULL;
  cotel_span_context sc = ctx->sc;
  if (ctx->has_parent) sc.tracestate = ctx->parent.tracestate;
  if (cotel_context_with_remote(ctx->parent_ctx, &sc, &c) != 0) return;
  cotel_inject(ngx_http_cotel_worker.propagator, c, &carrier);
  cotel_context_release(c);
}

/* The server helper extracts through a propagator; the module has already
 * extracted (otel_trace $otel_parent_sampled needs the parent before the
 * span starts, and `inject`/`ignore` extract nothing), so the helper gets
 * one that hands over that context. Single-threaded: one worker's loop. */
static cotel_context *ngx_http_cotel_given_parent;

static int ngx_http_cotel_given_extract(const cotel_propagator *self,
                                        cotel_context *parent,
                                        const cotel_carrier *carrier,
                                        cotel_context **out) {
  (void)self;
  (void)carrier;
  *out = cotel_context_retain(
      ngx_http_cotel_given_parent ? ngx_http_cotel_given_parent : parent);
  return 0;
}

static int ngx_http_cotel_given_inject(const cotel_propagator *self,
                                       const cotel_context *ctx,
                                       const cotel_carrier *carrier) {
  (void)self;
  (void)ctx;
  (void)carrier;
  return 0;
}

static const char *const *
ngx_http_cotel_given_fields(const cotel_propagator *self) {
  static const char *const none[] = {NULL};
  (void)self;
  return none;
}

static void ngx_http_cotel_given_destroy(cotel_propagator *self) {
  (void)self;
}

static const cotel_propagator ngx_http_cotel_given = {
    ngx_http_cotel_given_inject, ngx_http_cotel_given_extract,
    ngx_http_cotel_given_fields, ngx_http_cotel_given_destroy, NULL};

/* Rewrite phase of the main request: extract, sample, start, inject. */
static ngx_int_t ngx_http_cotel_start_handler(ngx_http_request_t *r) {
  if (r != r->main || ngx_http_cotel_worker.tracer == NULL) return NGX_DECLINED;
  ngx_http_cotel_loc_conf_t *lcf =
      ngx_http_get_module_loc_conf(r, ngx_http_cotel_module);
  if (lcf->trace == 0 && lcf->context == 0) return NGX_DECLINED;
  if (ngx_http_cotel_get_ctx(r)) return NGX_DECLINED; /* internal redirect */

  ngx_http_cotel_ctx_t *ctx = ngx_pcalloc(r->pool, sizeof(*ctx));
  ngx_pool_cleanup_t *cln = ngx_pool_cleanup_add(r->pool, 0);
  if (ctx == NULL || cln == NULL) return NGX_ERROR;
  ngx_http_set_ctx(r, ctx, ngx_http_cotel_module);

  if (lcf->context & NGX_HTTP_COTEL_EXTRACT) {
    cotel_carrier carrier = ngx_http_cotel_carrier(r);
    cotel_extract(ngx_http_cotel_worker.propagator, cotel_context_root(),
                  &carrier, &ctx->parent_ctx);
    if (cotel_context_span_context(ctx->parent_ctx, &ctx->parent) == 0)
      ctx->has_parent = 1;
  } else {
    ctx->parent_ctx = cotel_context_retain(cotel_context_root());
  }
  cln->handler = ngx_http_cotel_cleanup;
  cln->data = ctx;

  ngx_http_cotel_decision = ngx_http_cotel_sampled(r, lcf)
                                ? COTEL_SAMPLING_RECORD_AND_SAMPLE
                                : COTEL_SAMPLING_DROP;
  cotel_carrier headers = ngx_http_cotel_carrier(r);
  cotel_http_server_request req;
  ngx_http_cotel_server_request(r, &headers, &req);
  ngx_http_cotel_given_parent = ctx->parent_ctx;
  cotel_http_server_start(ngx_http_cotel_worker.tracer, &ngx_http_cotel_given,
                          &req, &ctx->hs);
  ngx_http_cotel_given_parent = NULL;
  /* The loop goes on to other requests: nothing stays current. */
  cotel_http_server_leave(&ctx->hs);
  cotel_span_get_context(ctx->hs.span, &ctx->sc);
  ctx->sc.tracestate = NULL;
  if (lcf->context & NGX_HTTP_COTEL_INJECT) ngx_http_cotel_inject(r, ctx);
  return NGX_DECLINED;
}

/* Log phase: the response is known; finish and end the span. */
static ngx_int_t ngx_http_cotel_log_handler(ngx_http_request_t *r) {
  ngx_http_cotel_ctx_t *ctx = ngx_http_cotel_get_ctx(r);
  if (ctx == NULL || ctx->ended || ngx_http_cotel_worker.provider == NULL)
    return NGX_OK;
  ctx->ended = 1;
  ngx_uint_t status = r->err_status ? r->err_status : r->headers_out.status;
  if (!cotel_span_is_recording(ctx->hs.span)) {
    cotel_http_server_end(&ctx->hs, (int)status);
    return NGX_OK;
  }
  ngx_http_cotel_loc_conf_t *lcf =
      ngx_http_get_module_loc_conf(r, ngx_http_cotel_module);
  ngx_http_core_loc_conf_t *clcf =
      ngx_http_get_module_loc_conf(r, ngx_http_core_module);

  /* http.route: the location that served the request, as written in the
   * configuration (named locations and regexes too); it may differ from
   * the one the span started in after an internal redirect. */
  u_char buf[256];
  size_t n = ngx_min(clcf->name.len, sizeof(buf) - 1);
  ngx_memcpy(buf, clcf->name.data, n);
  buf[n] = '\0';
  if (n) cotel_http_server_set_route(&ctx->hs, (const char *)buf);
  ngx_str_t name = ngx_null_string;
  if (lcf->span_name) (void)ngx_http_complex_value(r, lcf->span_name, &name);
  if (name.len) {
    n = ngx_min(name.len, sizeof(buf) - 1);
    ngx_memcpy(buf, name.data, n);
    buf[n] = '\0';
    cotel_span_update_name(ctx->hs.span, (const char *)buf);
  }
  if (lcf->span_attrs) {
    ngx_http_cotel_attr_conf_t *ac = lcf->span_attrs->elts;
    for (ngx_uint_t i = 0; i < lcf->span_attrs->nelts; i++) {
      ngx_str_t v;
      if (ngx_http_complex_value(r, &ac[i].value, &v) != NGX_OK) continue;
      cotel_attr a = {0};
      a.key.ptr = (const char *)ac[i].key.data;
      a.key.len = ac[i].key.len;
      a.type = COTEL_ATTR_STRING;
      a.v.s.ptr = (const char *)v.data;
      a.v.s.len = v.len;
      cotel_span_set_attr(ctx->hs.span, &a);
    }
  }
  /* Status code, ERROR and error.type for 5xx: the helper. */
  cotel_http_server_end(&ctx->hs, (int)status);
  return NGX_OK;
}

/* ---- variables ---- */

enum {
  NGX_HTTP_COTEL_VAR_TRACE_ID,
  NGX_HTTP_COTEL_VAR_SPAN_ID,
  NGX_HTTP_COTEL_VAR_PARENT_ID,
  NGX_HTTP_COTEL_VAR_PARENT_SAMPLED,
};

static ngx_int_t ngx_http_cotel_variable(ngx_http_request_t *r,
                                         ngx_http_variable_value_t *v,
                                         uintptr_t data) {
  ngx_http_cotel_ctx_t *ctx = ngx_http_cotel_get_ctx(r->main);
  v->valid = 1;
  v->no_cacheable = 1;
  v->not_found = 0;
  if (data == NGX_HTTP_COTEL_VAR_PARENT_SAMPLED) {
    int s = ctx && ctx->has_parent && (ctx->parent.flags & 1);
    v->data = (u_char *)(s ? "1" : "0");
    v->len = 1;
    return NGX_OK;
  }
  if (ctx == NULL ||
      (data == NGX_HTTP_COTEL_VAR_PARENT_ID && !ctx->has_parent) ||
      (data != NGX_HTTP_COTEL_VAR_PARENT_ID &&
       !cotel_span_context_is_valid(&ctx->sc))) {
    v->not_found = 1;
    return NGX_OK;
  }
  char hex[33];
  if (data == NGX_HTTP_COTEL_VAR_TRACE_ID)
    cotel_trace_id_to_hex(&ctx->sc.trace_id, hex);
  else if (data == NGX_HTTP_COTEL_VAR_SPAN_ID)
    cotel_span_id_to_hex(&ctx->sc.span_id, hex);
  else
    cotel_span_id_to_hex(&ctx->parent.span_id, hex);
  size_t len = ngx_strlen(hex);
  v->data = ngx_pnalloc(r->pool, len);
  if (v->data == NULL) return NGX_ERROR;
  ngx_memcpy(v->data, hex, len);
  v->len = len;
  return NGX_OK;
}

static ngx_http_variable_t ngx_http_cotel_vars[] = {
    {ngx_string("otel_trace_id"), NULL, ngx_http_cotel_variable,
     NGX_HTTP_COTEL_VAR_TRACE_ID, NGX_HTTP_VAR_NOCACHEABLE, 0},
    {ngx_string("otel_span_id"), NULL, ngx_http_cotel_variable,
     NGX_HTTP_COTEL_VAR_SPAN_ID, NGX_HTTP_VAR_NOCACHEABLE, 0},
    {ngx_string("otel_parent_id"), NULL, ngx_http_cotel_variable,
     NGX_HTTP_COTEL_VAR_PARENT_ID, NGX_HTTP_VAR_NOCACHEABLE, 0},
    {ngx_string("otel_parent_sampled"), NULL, ngx_http_cotel_variable,
     NGX_HTTP_COTEL_VAR_PARENT_SAMPLED, NGX_HTTP_VAR_NOCACHEABLE, 0},
    ngx_http_null_variable};

static ngx_int_t ngx_http_cotel_preconfiguration(ngx_conf_t *cf) {
  for (ngx_http_variable_t *v = ngx_http_cotel_vars; v->name.len; v++) {
    ngx_http_variable_t *var = ngx_http_add_variable(cf, &v->name, v->flags);
    if (var == NULL) return NGX_ERROR;
    var->get_handler = v->get_handler;
    var->data = v->data;
  }
  return NGX_OK;
}

/* Phase handlers pushed last run first: the span starts before any other
 * rewrite handler (so `return` is traced). Log handlers run in order, the
 * access log before this one: the ids it prints stay in the context. */
static ngx_int_t ngx_http_cotel_postconfiguration(ngx_conf_t *cf) {
  ngx_http_core_main_conf_t *cmcf =
      ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
  ngx_http_handler_pt *h =
      ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
  if (h == NULL) return NGX_ERROR;
  *h = ngx_http_cotel_start_handler;
  h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
  if (h == NULL) return NGX_ERROR;
  *h = ngx_http_cotel_log_handler;
  return NGX_OK;
}
