/* httpkit: the service skeleton (arguments, provider, propagator, signals)
 * shared by w3c-service and cotel-hop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/propagation.h"
#include "cotel/span_data.h"
#include "httpkit.h"

static void usage(const char *prog, bool allow_service) {
  fprintf(stderr, "usage: %s [--host ADDR] [--port N]%s\n", prog,
          allow_service ? " [--service NAME]" : "");
}

int hk_service_args(int argc, char **argv, bool allow_service,
                    hk_service_options *o) {
  o->host = "127.0.0.1";
  o->port = 0;
  o->service_name = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    const char *eq = strchr(a, '=');
    size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
    if (eq)
      v = eq + 1;
    else if (i + 1 < argc)
      v = argv[i + 1];
#define IS(opt) (nlen == strlen(opt) && strncmp(a, opt, nlen) == 0)
    if (IS("--help") || IS("-h")) {
      usage(argv[0], allow_service);
      return COTEL_EINVAL;
    }
    bool known =
        IS("--host") || IS("--port") || (allow_service && IS("--service"));
    if (!known || !v) {
      usage(argv[0], allow_service);
      return COTEL_EINVAL;
    }
    if (!eq) i++;
    if (IS("--host")) {
      o->host = v;
    } else if (IS("--port")) {
      char *end;
      long p = strtol(v, &end, 10);
      if (*v == '\0' || *end != '\0' || p < 0 || p > 65535) {
        fprintf(stderr, "%s: bad port '%s'\n", argv[0], v);
        return COTEL_EINVAL;
      }
      o->port = (int)p;
    } else {
      o->service_name = v;
    }
#undef IS
  }
  return 0;
}

static void on_client_gone(hk_server *srv) {
  hk_service *s = (hk_service *)((char *)srv - offsetof(hk_service, server));
  hk_client_close(&s->client);
}

static void on_signal(uv_signal_t *h, int signum) {
  hk_service *s = (hk_service *)h->data;
  (void)signum;
  if (s->stopping) return;
  s->stopping = true;
  uv_close((uv_handle_t *)&s->sigint, NULL);
  uv_close((uv_handle_t *)&s->sigterm, NULL);
  /* Requests in flight are answered first; the client goes last. */
  hk_server_close(&s->server, on_client_gone);
}

static bool env_names_service(void) {
  const char *ra = getenv("OTEL_RESOURCE_ATTRIBUTES");
  const char *sn = getenv("OTEL_SERVICE_NAME");
  return (sn && *sn) || (ra && strstr(ra, "service.name="));
}

int hk_service_start(hk_service *s, const hk_service_options *o,
                     const char *default_name, const char *tracer_name,
                     hk_handler handler, void *ud) {
  memset(s, 0, sizeof(*s));
  /* A peer closing early must not kill the process. */
  signal(SIGPIPE, SIG_IGN);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return COTEL_ENOMEM;
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  if (o->service_name)
    cfg.service_name = o->service_name;
  else if (!cfg.service_name && !env_names_service())
    cfg.service_name = default_name;
  s->sdk_disabled = cfg.disabled; /* no span records: nothing to check */
  int rc = cotel_provider_new(&cfg, &s->provider);
  if (rc) {
    fprintf(stderr, "provider: %s\n", cotel_strerror(rc));
    return rc;
  }
  cotel_provider_set_global(s->provider);
  const cotel_resource *res = cotel_provider_resource(s->provider);
  for (uint32_t i = 0; res && i < res->n_attrs; i++) {
    const cotel_attr *a = &res->attrs[i];
    if (a->type == COTEL_ATTR_STRING && a->key.len == 12 &&
        memcmp(a->key.ptr, "service.name", 12) == 0)
      snprintf(s->service_name, sizeof(s->service_name), "%.*s",
               (int)a->v.s.len, a->v.s.ptr);
  }
  if (!s->service_name[0])
    snprintf(s->service_name, sizeof(s->service_name), "%s",
             cfg.service_name ? cfg.service_name : default_name);
  s->tracer = cotel_provider_tracer(s->provider, tracer_name);
  rc = cotel_propagator_from_env(&s->propagator);
  if (rc) {
    fprintf(stderr, "propagator: %s\n", cotel_strerror(rc));
    return rc;
  }
  cotel_propagator_set_global(s->propagator);
  if (!s->tracer) return COTEL_ENOMEM;
  if ((rc = uv_loop_init(&s->loop)) != 0) return COTEL_ESYS;
  if ((rc = hk_client_init(&s->client, &s->loop)) != 0) return rc;
  if ((rc = hk_server_start(&s->server, &s->loop, o->host, o->port, handler,
                            ud)) != 0) {
    hk_client_close(&s->client);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return rc;
  }
  uv_signal_init(&s->loop, &s->sigint);
  uv_signal_init(&s->loop, &s->sigterm);
  s->sigint.data = s->sigterm.data = s;
  uv_signal_start(&s->sigint, on_signal, SIGINT);
  uv_signal_start(&s->sigterm, on_signal, SIGTERM);
  printf("listening on %s:%d\n", o->host, s->server.port);
  fflush(stdout);
  return 0;
}

int hk_service_run(hk_service *s) {
  uv_run(&s->loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(&s->loop);
  if (rc != 0) fprintf(stderr, "loop close: %s\n", uv_strerror(rc));
  int frc = cotel_provider_shutdown(s->provider, 5000);
  if (frc) fprintf(stderr, "provider shutdown: %s\n", cotel_strerror(frc));
  /* Every span we started must have been ended: a span lost in a callback
   * (context not carried) would show here, and the tests see the exit
   * code. */
  cotel_stats st;
  if (!s->sdk_disabled && cotel_provider_stats(s->provider, &st) == 0 &&
      st.spans_started > st.spans_ended + st.spans_sampled_out) {
    fprintf(stderr, "%llu spans started, %llu ended, %llu sampled out\n",
            (unsigned long long)st.spans_started,
            (unsigned long long)st.spans_ended,
            (unsigned long long)st.spans_sampled_out);
    frc = COTEL_ESTATE;
  }
  cotel_provider_set_global(NULL);
  cotel_provider_destroy(s->provider);
  cotel_propagator_set_global(NULL);
  cotel_propagator_destroy(s->propagator);
  curl_global_cleanup();
  return rc == 0 && frc == 0 ? 0 : 1;
}

int hk_server_span_start(hk_service *s, hk_request *req, const char *route,
                         cotel_http_server_span *out) {
  cotel_header_carrier hc;
  cotel_carrier carrier = hk_request_carrier(req, &hc);
  cotel_http_server_request r;
  cotel_http_server_request_init(&r);
  r.method = cotel_str_c(req->method);
  r.target = cotel_str_c(req->url);
  r.peer_address = cotel_str_c(req->peer);
  r.peer_port = req->peer_port;
  r.protocol_version = cotel_str_c(req->version);
  r.route = cotel_str_c(route);
  r.headers = &carrier;
  return cotel_http_server_start(s->tracer, s->propagator, &r, out);
}
