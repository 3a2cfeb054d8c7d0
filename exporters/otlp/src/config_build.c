/* Options -> resolved exporter configuration: the request URL (OTel spec
 * "Endpoint URLs for OTLP/HTTP": the general endpoint gets "/v1/traces"
 * appended, the signal-specific one is used as is), and the request headers
 * (user headers from the environment list, then from code). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cotel/env.h"
#include "exporter_internal.h"

#define MAX_HEADERS 64

typedef struct hdr_set {
  char *name[MAX_HEADERS];
  char *value[MAX_HEADERS];
  size_t n;
  int rc;
} hdr_set;

static char *dup_str(const char *s) {
  return s ? strdup(s) : NULL;
}

/* RFC 9110 §5.1 token characters. */
static bool valid_name(const char *s) {
  if (!*s) return false;
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch <= 32 || ch >= 127 || strchr("\"(),/:;<=>?@[\\]{}", ch))
      return false;
  }
  return true;
}

/* No control characters (a CR or LF would inject headers). */
static bool valid_value(const char *s) {
  for (; *s; s++)
    if (((unsigned char)*s < 32 && *s != '\t') || *s == 127) return false;
  return true;
}

static void hdr_put(void *ud, const char *name, const char *value) {
  hdr_set *hs = (hdr_set *)ud;
  size_t i;
  if (hs->rc) return;
  if (!valid_name(name) || !valid_value(value)) {
    cotel_log(COTEL_LOG_WARN, "otlp: ignoring invalid header '%s'", name);
    return;
  }
  for (i = 0; i < hs->n; i++)
    if (!strcasecmp(hs->name[i], name)) break;
  if (i == hs->n) {
    if (hs->n == MAX_HEADERS) {
      cotel_log(COTEL_LOG_WARN, "otlp: more than %d headers; '%s' ignored",
                MAX_HEADERS, name);
      return;
    }
    hs->name[i] = strdup(name);
    hs->value[i] = NULL;
    if (!hs->name[i]) {
      hs->rc = COTEL_ENOMEM;
      return;
    }
    hs->n++;
  }
  free(hs->value[i]);
  hs->value[i] = strdup(value);
  if (!hs->value[i]) hs->rc = COTEL_ENOMEM;
}

static struct curl_slist *add_header(struct curl_slist *l, const char *name,
                                     const char *value, int *rc) {
  char line[8192];
  struct curl_slist *n;
  if (*rc) return l;
  if ((size_t)snprintf(line, sizeof line, "%s: %s", name, value) >=
      sizeof line) {
    cotel_log(COTEL_LOG_WARN, "otlp: header '%s' too long; ignored", name);
    return l;
  }
  n = curl_slist_append(l, line);
  if (!n) *rc = COTEL_ENOMEM;
  return n ? n : l;
}

static int build_headers(const cotel_otlp_options *o, cotel__otlp_cfg *c) {
  hdr_set hs = {0};
  int rc = 0;
  size_t i;
  if (o->headers_list) {
    int n = cotel_parse_kv_list(o->headers_list, "OTEL_EXPORTER_OTLP_HEADERS",
                                hdr_put, &hs);
    if (n < 0 && !hs.rc) hs.rc = n;
  }
  for (i = 0; i < o->n_headers && !hs.rc; i++) {
    if (!o->headers[i].name || !o->headers[i].value) continue;
    hdr_put(&hs, o->headers[i].name, o->headers[i].value);
  }
  rc = hs.rc;
  if (c->grpc) {
    /* gRPC "PROTOCOL-HTTP2.md" Requests: content-type and te are required;
     * compression is per message, announced by grpc-encoding. */
    c->headers = add_header(NULL, "Content-Type", "application/grpc", &rc);
    c->headers = add_header(c->headers, "TE", "trailers", &rc);
    if (c->gzip)
      c->headers = add_header(c->headers, "grpc-encoding", "gzip", &rc);
  } else {
    c->headers = add_header(
        NULL, "Content-Type",
        c->json ? "application/json" : "application/x-protobuf", &rc);
    if (c->gzip)
      c->headers = add_header(c->headers, "Content-Encoding", "gzip", &rc);
  }
  /* Spec "User Agent": identify the exporter and its version. */
  c->headers = add_header(c->headers, "User-Agent",
                          "OTel-OTLP-Exporter-C/cotel-" COTEL_VERSION, &rc);
  for (i = 0; i < hs.n; i++) {
    /* Our framing headers are not the user's to change. */
    if (!strcasecmp(hs.name[i], "Content-Type") ||
        !strcasecmp(hs.name[i], "Content-Encoding") ||
        !strcasecmp(hs.name[i], "Content-Length") ||
        !strcasecmp(hs.name[i], "TE") || !strncasecmp(hs.name[i], "grpc-", 5))
      continue;
    c->headers = add_header(c->headers, hs.name[i], hs.value[i], &rc);
  }
  /* No "Expect: 100-continue" round trip on large bodies. */
  if (!rc && !c->grpc) {
    struct curl_slist *n = curl_slist_append(c->headers, "Expect:");
    if (!n)
      rc = COTEL_ENOMEM;
    else
      c->headers = n;
  }
  for (i = 0; i < hs.n; i++) {
    free(hs.name[i]);
    free(hs.value[i]);
  }
  return rc;
}

static bool http_scheme(const char *u) {
  return !strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8);
}

/* OTLP/gRPC: the endpoint names the server (its scheme says whether TLS
 * is used); the path is the Export method's. */
static int build_grpc_url(const cotel_otlp_options *o, cotel__otlp_cfg *c) {
  const char *base = o->traces_endpoint && *o->traces_endpoint
                         ? o->traces_endpoint
                         : o->endpoint;
  size_t len;
  if (!base || !*base || base == cotel__otlp_default_endpoint)
    base = "http://localhost:4317";
  if (!http_scheme(base)) {
    cotel_log(COTEL_LOG_WARN, "otlp: endpoint '%s' is not an http(s) URL",
              base);
    return COTEL_EINVAL;
  }
  len = strlen(base);
  while (len > 0 && base[len - 1] == '/')
    len--;
  c->url = malloc(len + sizeof COTEL__GRPC_TRACE_PATH);
  if (!c->url) return COTEL_ENOMEM;
  memcpy(c->url, base, len);
  memcpy(c->url + len, COTEL__GRPC_TRACE_PATH, sizeof COTEL__GRPC_TRACE_PATH);
  return 0;
}

static int build_url(const cotel_otlp_options *o, cotel__otlp_cfg *c) {
  const char *base;
  size_t len;
  if (c->grpc) return build_grpc_url(o, c);
  if (o->traces_endpoint && *o->traces_endpoint) {
    if (!http_scheme(o->traces_endpoint)) goto bad;
    c->url = strdup(o->traces_endpoint);
    return c->url ? 0 : COTEL_ENOMEM;
  }
  base = o->endpoint && *o->endpoint ? o->endpoint : "http://localhost:4318";
  if (!http_scheme(base)) goto bad;
  len = strlen(base);
  while (len > 0 && base[len - 1] == '/')
    len--;
  c->url = malloc(len + sizeof "/v1/traces");
  if (!c->url) return COTEL_ENOMEM;
  memcpy(c->url, base, len);
  memcpy(c->url + len, "/v1/traces", sizeof "/v1/traces");
  return 0;
bad:
  cotel_log(COTEL_LOG_WARN, "otlp: endpoint '%s' is not an http(s) URL",
            o->traces_endpoint && *o->traces_endpoint ? o->traces_endpoint
                                                      : o->endpoint);
  return COTEL_EINVAL;
}

int cotel__otlp_cfg_build(const cotel_otlp_options *o, cotel__otlp_cfg *c) {
  int rc;
  memset(c, 0, sizeof *c);
  if (o->protocol != COTEL_OTLP_HTTP_PROTOBUF &&
      o->protocol != COTEL_OTLP_HTTP_JSON && o->protocol != COTEL_OTLP_GRPC)
    return COTEL_EINVAL;
  if (o->compression != COTEL_OTLP_COMPRESSION_NONE &&
      o->compression != COTEL_OTLP_COMPRESSION_GZIP)
    return COTEL_EINVAL;
  /* Options from code: a NaN, infinite or negative multiplier would make
   * the retry schedule meaningless; headers must exist when counted. */
  if (!(o->retry_backoff_multiplier >= 0.0 &&
        o->retry_backoff_multiplier <= 1000.0))
    return COTEL_EINVAL;
  if (o->n_headers && !o->headers) return COTEL_EINVAL;
  c->json = o->protocol == COTEL_OTLP_HTTP_JSON;
  c->grpc = o->protocol == COTEL_OTLP_GRPC;
  c->gzip = o->compression == COTEL_OTLP_COMPRESSION_GZIP;
  c->timeout_ms = o->timeout_ms ? o->timeout_ms : 10000;
  c->insecure = o->insecure;
  c->max_concurrent = o->max_concurrent ? o->max_concurrent : 1;
  c->max_request_bytes = o->max_request_bytes;
  c->backoff_initial_ms = o->retry_initial_backoff_ms;
  c->backoff_max_ms = o->retry_max_backoff_ms > o->retry_initial_backoff_ms
                          ? o->retry_max_backoff_ms
                          : o->retry_initial_backoff_ms;
  c->backoff_multiplier = o->retry_backoff_multiplier;
  c->max_attempts = o->retry_max_attempts;
  if ((rc = build_url(o, c)) != 0) goto fail;
  rc = COTEL_ENOMEM;
  if ((o->certificate && !(c->ca_file = dup_str(o->certificate))) ||
      (o->client_certificate &&
       !(c->cert_file = dup_str(o->client_certificate))) ||
      (o->client_key && !(c->key_file = dup_str(o->client_key))))
    goto fail;
  /* The spool replays OTLP/HTTP requests; a gRPC answer's status is in
   * trailers that the replay does not read, so gRPC runs without it. */
  if (o->spool_dir && *o->spool_dir && c->grpc)
    cotel_log(COTEL_LOG_WARN,
              "otlp: the disk spool (%s) works with OTLP/HTTP only; disabled "
              "for grpc",
              o->spool_dir);
  else if (o->spool_dir && *o->spool_dir &&
           !(c->spool_dir = strdup(o->spool_dir)))
    goto fail;
  c->spool_max_bytes = o->spool_max_bytes ? o->spool_max_bytes : 64u << 20;
  if ((rc = build_headers(o, c)) != 0) goto fail;
  if (c->insecure && !strncasecmp(c->url, "https://", 8))
    cotel_log(COTEL_LOG_WARN,
              "otlp: insecure: TLS certificates of %s are NOT verified",
              c->url);
  return 0;
fail:
  cotel__otlp_cfg_free(c);
  return rc;
}

void cotel__otlp_cfg_free(cotel__otlp_cfg *c) {
  free(c->url);
  free(c->ca_file);
  free(c->cert_file);
  free(c->key_file);
  free(c->spool_dir);
  curl_slist_free_all(c->headers);
  memset(c, 0, sizeof *c);
}
