/* Root causes a user can act on. A failed attempt is described in one
 * line: what happened, where, and when the failure shows it, the likely
 * mistake (no collector, OTLP/gRPC sent to an OTLP/HTTP port or the other
 * way round). exporter_request.c logs the first one of a failure episode
 * at warn, and the recovery. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "exporter_internal.h"

/* "host:port" of the URL (for when libcurl has no address yet). */
static void url_authority(const char *url, char *out, size_t cap) {
  const char *p = strstr(url, "://");
  size_t n;
  p = p ? p + 3 : url;
  n = strcspn(p, "/?#");
  if (n >= cap) n = cap - 1;
  memcpy(out, p, n);
  out[n] = 0;
}

static void peer(const cotel__http_req *h, const char *url, char *out,
                 size_t cap) {
  char *ip = NULL;
  long port = 0;
  if (h->easy) {
    curl_easy_getinfo(h->easy, CURLINFO_PRIMARY_IP, &ip);
    curl_easy_getinfo(h->easy, CURLINFO_PRIMARY_PORT, &port);
  }
  if (ip && *ip && port > 0)
    snprintf(out, cap, strchr(ip, ':') ? "[%s]:%ld" : "%s:%ld", ip, port);
  else
    url_authority(url, out, cap);
}

void cotel__otlp_transport_cause(const cotel__otlp_exporter *e,
                                 const cotel__http_req *h, char *out,
                                 size_t cap) {
  char where[96];
  long os_err = 0, connects = 0;
  const char *detail =
      h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->curl_rc);
  peer(h, e->cfg.url, where, sizeof where);
  if (h->easy) {
    curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &os_err);
    curl_easy_getinfo(h->easy, CURLINFO_NUM_CONNECTS, &connects);
  }
  switch (h->curl_rc) {
  case CURLE_COULDNT_CONNECT:
    if (os_err == ECONNREFUSED)
      snprintf(out, cap, "connection refused to %s (no collector listening?)",
               where);
    else
      snprintf(out, cap, "cannot connect to %s: %s", where, detail);
    return;
  case CURLE_COULDNT_RESOLVE_HOST:
    snprintf(out, cap, "cannot resolve the host of %s: %s", e->cfg.url, detail);
    return;
  case CURLE_OPERATION_TIMEDOUT:
    snprintf(out, cap, "no answer from %s within the export timeout", where);
    return;
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_WEIRD_SERVER_REPLY:
    /* An HTTP/1.1 request answered with HTTP/2 frames: a gRPC server. */
    if (!e->cfg.grpc) {
      snprintf(out, cap,
               "%s answered in HTTP/2 only: is it an OTLP/gRPC port (usually "
               "4317)? Use OTEL_EXPORTER_OTLP_PROTOCOL=grpc, or the "
               "OTLP/HTTP port (usually 4318) (%s)",
               where, detail);
      return;
    }
    break;
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_ERROR: /* Go's HTTP/1 server closes on the preface */
  case CURLE_HTTP2:
  case CURLE_RECV_ERROR:
    /* A prior-knowledge HTTP/2 preface sent to an HTTP/1 server on a new
     * connection: it closes, or answers in HTTP/1. */
    if (e->cfg.grpc && !h->http_version && connects > 0) {
      snprintf(out, cap,
               "%s did not speak HTTP/2: is it an OTLP/HTTP port (usually "
               "4318)? OTLP/gRPC is usually on 4317 (%s)",
               where, detail);
      return;
    }
    break;
  default:
    break;
  }
  snprintf(out, cap, "%s: %s", where, detail);
}
