/* Directives of ngx_http_cotel_module. Names and meanings follow the
 * official ngx_otel_module (nginx.org/en/docs/ngx_otel_module.html). Every
 * error names its directive, so `nginx -t` says what is wrong. */
#include "ngx_http_cotel.h"

static char *ngx_http_cotel_exporter(ngx_conf_t *cf, ngx_command_t *cmd,
                                     void *conf);
static char *ngx_http_cotel_trace(ngx_conf_t *cf, ngx_command_t *cmd,
                                  void *conf);
static char *ngx_http_cotel_trace_context(ngx_conf_t *cf, ngx_command_t *cmd,
                                          void *conf);
static char *ngx_http_cotel_span_attr(ngx_conf_t *cf, ngx_command_t *cmd,
                                      void *conf);

static ngx_conf_enum_t ngx_http_cotel_contexts[] = {
    {ngx_string("ignore"), 0},
    {ngx_string("extract"), NGX_HTTP_COTEL_EXTRACT},
    {ngx_string("inject"), NGX_HTTP_COTEL_INJECT},
    {ngx_string("propagate"), NGX_HTTP_COTEL_EXTRACT | NGX_HTTP_COTEL_INJECT},
    {ngx_null_string, 0}};

ngx_command_t ngx_http_cotel_commands[] = {
    {ngx_string("otel_exporter"),
     NGX_HTTP_MAIN_CONF | NGX_CONF_BLOCK | NGX_CONF_NOARGS,
     ngx_http_cotel_exporter, NGX_HTTP_MAIN_CONF_OFFSET, 0, NULL},
    {ngx_string("otel_service_name"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_cotel_main_conf_t, service_name), NULL},
    {ngx_string("otel_resource_attr"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE2,
     ngx_conf_set_keyval_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_cotel_main_conf_t, resource_attrs), NULL},
    {ngx_string("otel_trace"),
     NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF |
         NGX_CONF_TAKE1,
     ngx_http_cotel_trace, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL},
    {ngx_string("otel_trace_context"),
     NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF |
         NGX_CONF_TAKE1,
     ngx_http_cotel_trace_context, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL},
    {ngx_string("otel_span_name"),
     NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF |
         NGX_CONF_TAKE1,
     ngx_http_set_complex_value_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_cotel_loc_conf_t, span_name), NULL},
    {ngx_string("otel_span_attr"),
     NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF |
         NGX_CONF_TAKE2,
     ngx_http_cotel_span_attr, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL},
    ngx_null_command};

void *ngx_http_cotel_create_main_conf(ngx_conf_t *cf) {
  ngx_http_cotel_main_conf_t *mcf = ngx_pcalloc(cf->pool, sizeof(*mcf));
  if (mcf == NULL) return NULL;
  mcf->interval = NGX_CONF_UNSET_MSEC;
  mcf->batch_size = NGX_CONF_UNSET_UINT;
  mcf->batch_count = NGX_CONF_UNSET_UINT;
  return mcf;
}

void *ngx_http_cotel_create_loc_conf(ngx_conf_t *cf) {
  ngx_http_cotel_loc_conf_t *lcf = ngx_pcalloc(cf->pool, sizeof(*lcf));
  if (lcf == NULL) return NULL;
  lcf->trace = NGX_CONF_UNSET;
  lcf->context = NGX_CONF_UNSET_UINT;
  lcf->span_name = NGX_CONF_UNSET_PTR;
  lcf->span_attrs = NGX_CONF_UNSET_PTR;
  return lcf;
}

char *ngx_http_cotel_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child) {
  ngx_http_cotel_loc_conf_t *prev = parent, *conf = child;
  (void)cf;
  if (conf->trace == NGX_CONF_UNSET) {
    conf->trace = prev->trace == NGX_CONF_UNSET ? 0 : prev->trace;
    conf->trace_cv = prev->trace_cv;
  }
  ngx_conf_merge_uint_value(conf->context, prev->context, 0);
  ngx_conf_merge_ptr_value(conf->span_name, prev->span_name, NULL);
  ngx_conf_merge_ptr_value(conf->span_attrs, prev->span_attrs, NULL);
  return NGX_CONF_OK;
}

/* ---- otel_exporter { ... } ---- */

static char *ngx_http_cotel_exporter_number(ngx_conf_t *cf, ngx_str_t *v,
                                            ngx_uint_t *out) {
  ngx_int_t n = ngx_atoi(v->data, v->len);
  if (n == NGX_ERROR || n == 0) {
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" of \"otel_exporter\": "
                       "a positive number is expected",
                       v, &((ngx_str_t *)cf->args->elts)[0]);
    return NGX_CONF_ERROR;
  }
  *out = (ngx_uint_t)n;
  return NGX_CONF_OK;
}

/* One line inside otel_exporter { }. */
static char *ngx_http_cotel_exporter_line(ngx_conf_t *cf, ngx_command_t *dummy,
                                          void *conf) {
  ngx_http_cotel_main_conf_t *mcf = conf;
  ngx_str_t *a = cf->args->elts;
  ngx_uint_t n = cf->args->nelts;
  (void)dummy;

  if (n == 2 && ngx_strcmp(a[0].data, "endpoint") == 0) {
    mcf->endpoint = a[1];
    return NGX_CONF_OK;
  }
  if (n == 2 && ngx_strcmp(a[0].data, "trusted_certificate") == 0) {
    mcf->trusted_certificate = a[1];
    return NGX_CONF_OK;
  }
  if (n == 2 && ngx_strcmp(a[0].data, "interval") == 0) {
    ngx_msec_t ms = ngx_parse_time(&a[1], 0);
    if (ms == (ngx_msec_t)NGX_ERROR || ms == 0) {
      ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                         "invalid value \"%V\" in \"interval\" of "
                         "\"otel_exporter\": a time such as 5s is expected",
                         &a[1]);
      return NGX_CONF_ERROR;
    }
    mcf->interval = ms;
    return NGX_CONF_OK;
  }
  if (n == 2 && ngx_strcmp(a[0].data, "batch_size") == 0)
    return ngx_http_cotel_exporter_number(cf, &a[1], &mcf->batch_size);
  if (n == 2 && ngx_strcmp(a[0].data, "batch_count") == 0)
    return ngx_http_cotel_exporter_number(cf, &a[1], &mcf->batch_count);
  if (n == 3 && ngx_strcmp(a[0].data, "header") == 0) {
    if (mcf->headers == NULL) {
      mcf->headers = ngx_array_create(cf->pool, 4, sizeof(ngx_keyval_t));
      if (mcf->headers == NULL) return NGX_CONF_ERROR;
    }
    ngx_keyval_t *kv = ngx_array_push(mcf->headers);
    if (kv == NULL) return NGX_CONF_ERROR;
    kv->key = a[1];
    kv->value = a[2];
    return NGX_CONF_OK;
  }
  ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                     "unknown or malformed \"%V\" in \"otel_exporter\" "
                     "(expected endpoint, interval, batch_size, "
                     "batch_count, header or trusted_certificate)",
                     &a[0]);
  return NGX_CONF_ERROR;
}

static char *ngx_http_cotel_exporter(ngx_conf_t *cf, ngx_command_t *cmd,
                                     void *conf) {
  ngx_http_cotel_main_conf_t *mcf = conf;
  (void)cmd;
  if (mcf->exporter) return "is duplicate";
  mcf->exporter = 1;
  ngx_conf_t save = *cf;
  cf->handler = ngx_http_cotel_exporter_line;
  cf->handler_conf = conf;
  char *rv = ngx_conf_parse(cf, NULL);
  *cf = save;
  if (rv != NGX_CONF_OK) return rv;
  if (mcf->endpoint.len == 0) {
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"otel_exporter\" has no \"endpoint\"");
    return NGX_CONF_ERROR;
  }
  return NGX_CONF_OK;
}

/* ---- location directives ---- */

static void ngx_http_cotel_mark_used(ngx_conf_t *cf) {
  ngx_http_cotel_main_conf_t *mcf =
      ngx_http_conf_get_module_main_conf(cf, ngx_http_cotel_module);
  mcf->used = 1;
}

static char *ngx_http_cotel_trace(ngx_conf_t *cf, ngx_command_t *cmd,
                                  void *conf) {
  ngx_http_cotel_loc_conf_t *lcf = conf;
  ngx_str_t *v = &((ngx_str_t *)cf->args->elts)[1];
  (void)cmd;
  if (lcf->trace != NGX_CONF_UNSET) return "is duplicate";
  if (ngx_strcmp(v->data, "on") == 0) {
    lcf->trace = 1;
  } else if (ngx_strcmp(v->data, "off") == 0) {
    lcf->trace = 0;
    return NGX_CONF_OK;
  } else if (ngx_http_script_variables_count(v) > 0) {
    ngx_http_compile_complex_value_t ccv;
    lcf->trace_cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (lcf->trace_cv == NULL) return NGX_CONF_ERROR;
    ngx_memzero(&ccv, sizeof(ccv));
    ccv.cf = cf;
    ccv.value = v;
    ccv.complex_value = lcf->trace_cv;
    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) return NGX_CONF_ERROR;
    lcf->trace = 1;
  } else {
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"otel_trace\" directive, it "
                       "must be \"on\", \"off\" or a variable",
                       v);
    return NGX_CONF_ERROR;
  }
  ngx_http_cotel_mark_used(cf);
  return NGX_CONF_OK;
}

static char *ngx_http_cotel_trace_context(ngx_conf_t *cf, ngx_command_t *cmd,
                                          void *conf) {
  ngx_http_cotel_loc_conf_t *lcf = conf;
  ngx_str_t *v = &((ngx_str_t *)cf->args->elts)[1];
  (void)cmd;
  if (lcf->context != NGX_CONF_UNSET_UINT) return "is duplicate";
  for (ngx_conf_enum_t *e = ngx_http_cotel_contexts; e->name.len; e++) {
    if (e->name.len == v->len && ngx_strcmp(e->name.data, v->data) == 0) {
      lcf->context = e->value;
      if (e->value) ngx_http_cotel_mark_used(cf);
      return NGX_CONF_OK;
    }
  }
  ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                     "invalid value \"%V\" in \"otel_trace_context\" "
                     "directive, it must be \"extract\", \"inject\", "
                     "\"propagate\" or \"ignore\"",
                     v);
  return NGX_CONF_ERROR;
}

static char *ngx_http_cotel_span_attr(ngx_conf_t *cf, ngx_command_t *cmd,
                                      void *conf) {
  ngx_http_cotel_loc_conf_t *lcf = conf;
  ngx_str_t *a = cf->args->elts;
  (void)cmd;
  if (lcf->span_attrs == NGX_CONF_UNSET_PTR) {
    lcf->span_attrs =
        ngx_array_create(cf->pool, 4, sizeof(ngx_http_cotel_attr_conf_t));
    if (lcf->span_attrs == NULL) return NGX_CONF_ERROR;
  }
  ngx_http_cotel_attr_conf_t *at = ngx_array_push(lcf->span_attrs);
  if (at == NULL) return NGX_CONF_ERROR;
  at->key = a[1];
  ngx_http_compile_complex_value_t ccv;
  ngx_memzero(&ccv, sizeof(ccv));
  ccv.cf = cf;
  ccv.value = &a[2];
  ccv.complex_value = &at->value;
  if (ngx_http_compile_complex_value(&ccv) != NGX_OK) return NGX_CONF_ERROR;
  return NGX_CONF_OK;
}
