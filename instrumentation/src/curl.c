/* libcurl client spans (cotel/curl.h).
 *
 * One state per instrumented easy handle, found by the handle's address in
 * a small hash table (libcurl gives no way to read back CURLOPT_PREREQDATA,
 * and CURLOPT_PRIVATE belongs to the caller). A transfer goes through:
 *   set_parent (wrappers)  -> pending: parent and start time captured
 *   prereq (each request)  -> the span starts at the first; headers are
 *                             written for every one (redirects, retries)
 *   done                   -> response attributes, status, end.
 * Semantic conventions: OpenTelemetry "HTTP client spans" (stable). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/curl.h"
#include "cotel/internal/buf.h"
#include "cotel/provider.h"
#include "cotel/semconv.h"
#include "http_common.h"

/* network.protocol.version for CURLINFO_HTTP_VERSION ("1.1", "2"...). */
static const char *http_version_name(long v) {
  switch (v) {
  case CURL_HTTP_VERSION_1_0:
    return "1.0";
  case CURL_HTTP_VERSION_1_1:
    return "1.1";
  case CURL_HTTP_VERSION_2_0:
    return "2";
  case CURL_HTTP_VERSION_3:
    return "3";
  default:
    return NULL;
  }
}

/* error.type for a libcurl error: the CURLcode's name (CURLE_...), or
 * COTEL_ERROR_TYPE_VALUE_OTHER. */
static const char *curl_error_type(CURLcode rc) {
  switch (rc) {
#define E(x)                                                                   \
  case x:                                                                      \
    return #x;
    E(CURLE_UNSUPPORTED_PROTOCOL)
    E(CURLE_URL_MALFORMAT)
    E(CURLE_COULDNT_RESOLVE_PROXY)
    E(CURLE_COULDNT_RESOLVE_HOST)
    E(CURLE_COULDNT_CONNECT)
    E(CURLE_WEIRD_SERVER_REPLY)
    E(CURLE_HTTP_RETURNED_ERROR)
    E(CURLE_WRITE_ERROR)
    E(CURLE_READ_ERROR)
    E(CURLE_OUT_OF_MEMORY)
    E(CURLE_OPERATION_TIMEDOUT)
    E(CURLE_RANGE_ERROR)
    E(CURLE_HTTP_POST_ERROR)
    E(CURLE_SSL_CONNECT_ERROR)
    E(CURLE_ABORTED_BY_CALLBACK)
    E(CURLE_TOO_MANY_REDIRECTS)
    E(CURLE_GOT_NOTHING)
    E(CURLE_SEND_ERROR)
    E(CURLE_RECV_ERROR)
    E(CURLE_SSL_CERTPROBLEM)
    E(CURLE_SSL_CIPHER)
    E(CURLE_PEER_FAILED_VERIFICATION)
    E(CURLE_BAD_CONTENT_ENCODING)
    E(CURLE_SEND_FAIL_REWIND)
    E(CURLE_SSL_CACERT_BADFILE)
    E(CURLE_PARTIAL_FILE)
    E(CURLE_HTTP2)
    E(CURLE_HTTP2_STREAM)
    E(CURLE_HTTP3)
    E(CURLE_QUIC_CONNECT_ERROR)
    E(CURLE_PROXY)
#undef E
  default:
    return COTEL_ERROR_TYPE_VALUE_OTHER;
  }
}

#define MAX_LINES 16 /* header lines we add per request */
#define N_BUCKETS 64

typedef struct curl_state {
  CURL *easy;
  struct curl_state *next; /* hash chain */
  cotel_tracer *tracer;    /* explicit, or cached for `tracer_of` */
  cotel_provider *tracer_of;
  bool explicit_tracer;
  const cotel_propagator *prop;
  struct curl_slist *user_headers;
  /* The transfer in progress. */
  bool pending;          /* set_parent ran: parent and start_ns are valid */
  bool active;           /* span started */
  cotel_context *parent; /* owned; NULL = the current one at start */
  uint64_t start_ns;
  cotel_span span;
  uint32_t requests; /* requests sent by this transfer */
  /* Our header lines, chained in front of user_headers. */
  struct curl_slist nodes[MAX_LINES];
  size_t offs[MAX_LINES];
  size_t n_lines;
  cotel__buf lines;
  cotel__buf scratch; /* redacted url.full */
} curl_state;

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static curl_state *table[N_BUCKETS];

static size_t bucket(const CURL *e) {
  uintptr_t p = (uintptr_t)e;
  return (size_t)((p >> 4) ^ (p >> 12)) % N_BUCKETS;
}

static curl_state *lookup(const CURL *e) {
  if (!e) return NULL;
  pthread_mutex_lock(&table_mu);
  curl_state *s = table[bucket(e)];
  while (s && s->easy != e)
    s = s->next;
  pthread_mutex_unlock(&table_mu);
  return s;
}

/* ---- Header carrier: "name: value" lines into s->lines ---- */

static int lines_set(void *c, const char *key, const char *value, size_t vlen) {
  curl_state *s = c;
  size_t klen = strlen(key), n = klen + 2 + vlen + 1;
  if (s->n_lines == MAX_LINES) return COTEL_EFULL;
  if (cotel__buf_reserve(&s->lines, n) != 0) return COTEL_ENOMEM;
  char *p = (char *)s->lines.data + s->lines.len;
  memcpy(p, key, klen);
  memcpy(p + klen, ": ", 2);
  if (vlen) memcpy(p + klen + 2, value, vlen);
  p[n - 1] = '\0';
  s->offs[s->n_lines++] = s->lines.len;
  s->lines.len += n;
  return 0;
}

/* Our lines first, then the caller's list. The buffer may have moved while
 * lines were added: pointers are taken once it is complete. */
static void chain_headers(curl_state *s) {
  for (size_t i = 0; i < s->n_lines; i++) {
    s->nodes[i].data = (char *)s->lines.data + s->offs[i];
    s->nodes[i].next = i + 1 < s->n_lines ? &s->nodes[i + 1] : s->user_headers;
  }
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER,
                   s->n_lines ? &s->nodes[0] : s->user_headers);
}

static void inject(curl_state *s) {
  s->n_lines = 0;
  s->lines.len = 0;
  cotel_context *ctx = NULL;
  if (cotel_context_with_span(s->parent, s->span, &ctx) == 0) {
    cotel_carrier c = {NULL, NULL, lines_set, s};
    cotel_inject(s->prop, ctx, &c);
    cotel_context_release(ctx);
  }
  chain_headers(s);
}

/* ---- Span start ---- */

static cotel_tracer *tracer_for(curl_state *s) {
  if (s->explicit_tracer) return s->tracer;
  cotel_provider *p = cotel_provider_global();
  if (!p) return NULL;
  if (p != s->tracer_of) {
    s->tracer = cotel_provider_tracer(p, "cotel.curl");
    s->tracer_of = p;
  }
  return s->tracer;
}

static void start_span(curl_state *s, const char *peer_ip, int peer_port) {
  cotel_tracer *t = tracer_for(s);
  s->active = true;
  s->span = COTEL_SPAN_NONE;
  if (!t) return;
  const char *method = NULL, *url = NULL;
  curl_easy_getinfo(s->easy, CURLINFO_EFFECTIVE_METHOD, &method);
  curl_easy_getinfo(s->easy, CURLINFO_EFFECTIVE_URL, &url);
  if (!method) method = "GET";
  cotel_attr attrs[9];
  size_t n = 0;
  const char *known = cotel__http_method_known(method);
  attrs[n++] =
      cotel_attr_string(COTEL_ATTR_HTTP_REQUEST_METHOD,
                        known ? known : COTEL_HTTP_REQUEST_METHOD_VALUE_OTHER);
  if (!known)
    attrs[n++] =
        cotel_attr_string(COTEL_ATTR_HTTP_REQUEST_METHOD_ORIGINAL, method);
  cotel__url_parts u;
  if (url && cotel__url_split(url, &u) == 0) {
    s->scratch.len = 0;
    const char *full = cotel__url_redact(url, &u, &s->scratch);
    if (full) attrs[n++] = cotel_attr_string(COTEL_ATTR_URL_FULL, full);
    if (u.host_len)
      attrs[n++] = (cotel_attr){.key = cotel_str_c(COTEL_ATTR_SERVER_ADDRESS),
                                .type = COTEL_ATTR_STRING,
                                .v.s = {u.host, u.host_len}};
    if (u.port > 0) attrs[n++] = cotel_attr_int(COTEL_ATTR_SERVER_PORT, u.port);
  }
  if (peer_ip && *peer_ip) {
    attrs[n++] = cotel_attr_string(COTEL_ATTR_NETWORK_PEER_ADDRESS, peer_ip);
    if (peer_port > 0)
      attrs[n++] = cotel_attr_int(COTEL_ATTR_NETWORK_PEER_PORT, peer_port);
  }
  cotel_span_options so = {.parent = s->parent,
                           .kind = COTEL_SPAN_KIND_CLIENT,
                           .start_ns = s->pending ? s->start_ns : 0,
                           .attrs = attrs,
                           .n_attrs = n};
  /* Span name: {method}, or HTTP for an unknown one (semconv "Name"). */
  cotel_span_start(t, known ? known : "HTTP", &so, &s->span);
}

static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip,
                     int conn_primary_port, int conn_local_port) {
  curl_state *s = ud;
  (void)conn_local_ip, (void)conn_local_port;
  if (!s->active) {
    s->requests = 0;
    start_span(s, conn_primary_ip, conn_primary_port);
  }
  s->requests++;
  inject(s);
  return CURL_PREREQFUNC_OK;
}

/* ---- Public API ---- */

void cotel_curl_options_init(cotel_curl_options *o) {
  if (o) memset(o, 0, sizeof(*o));
}

int cotel_curl_instrument(CURL *easy, const cotel_curl_options *o) {
  if (!easy) return COTEL_EINVAL;
  const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  if (!v || v->version_num < 0x075000) return COTEL_ENOTSUP;
  cotel_curl_options def;
  cotel_curl_options_init(&def);
  if (!o) o = &def;
  curl_state *s = lookup(easy);
  bool fresh = !s;
  if (fresh) {
    s = calloc(1, sizeof(*s));
    if (!s) return COTEL_ENOMEM;
    s->easy = easy;
  }
  s->explicit_tracer = o->tracer != NULL;
  s->tracer = o->tracer;
  s->tracer_of = NULL;
  s->prop = o->propagator;
  s->user_headers = o->headers;
  curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, on_prereq);
  curl_easy_setopt(easy, CURLOPT_PREREQDATA, s);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, s->user_headers);
  if (fresh) {
    pthread_mutex_lock(&table_mu);
    size_t b = bucket(easy);
    s->next = table[b];
    table[b] = s;
    pthread_mutex_unlock(&table_mu);
  }
  return 0;
}

int cotel_curl_set_headers(CURL *easy, struct curl_slist *headers) {
  curl_state *s = lookup(easy);
  if (!s) return COTEL_EINVAL;
  s->user_headers = headers;
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  return 0;
}

int cotel_curl_set_parent(CURL *easy, cotel_context *parent) {
  curl_state *s = lookup(easy);
  if (!s) return COTEL_EINVAL;
  if (s->active) return COTEL_ESTATE;
  cotel_context *p =
      cotel_context_retain(parent ? parent : cotel_context_current());
  cotel_context_release(s->parent);
  s->parent = p;
  s->start_ns = cotel_time_now_ns();
  s->pending = true;
  return 0;
}

CURLMcode cotel_curl_multi_add_handle(CURLM *multi, CURL *easy) {
  curl_state *s = lookup(easy);
  if (s && !s->pending && !s->active) cotel_curl_set_parent(easy, NULL);
  return curl_multi_add_handle(multi, easy);
}

CURLcode cotel_curl_easy_perform(CURL *easy) {
  curl_state *s = lookup(easy);
  if (s && !s->pending && !s->active) cotel_curl_set_parent(easy, NULL);
  CURLcode rc = curl_easy_perform(easy);
  cotel_curl_done(easy, rc);
  return rc;
}

static void finish(curl_state *s, CURLcode result) {
  cotel_span sp = s->span;
  long status = 0, version = 0;
  curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status > 0) {
    cotel_span_set_int(sp, COTEL_ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    curl_easy_getinfo(s->easy, CURLINFO_HTTP_VERSION, &version);
    const char *pv = http_version_name(version);
    if (pv) cotel_span_set_str(sp, COTEL_ATTR_NETWORK_PROTOCOL_VERSION, pv);
  }
  if (s->requests > 1)
    cotel_span_set_int(sp, COTEL_ATTR_HTTP_REQUEST_RESEND_COUNT,
                       (int64_t)s->requests - 1);
  if (result != CURLE_OK) {
    cotel_span_set_str(sp, COTEL_ATTR_ERROR_TYPE, curl_error_type(result));
    cotel_span_set_status(sp, COTEL_STATUS_ERROR, curl_easy_strerror(result));
  } else if (status >= 400) {
    /* HTTP semconv, status: 4xx and 5xx are errors on a client span; the
     * description is left empty (the status code says it). */
    char code[16];
    cotel__fmt_status(status, code);
    cotel_span_set_str(sp, COTEL_ATTR_ERROR_TYPE, code);
    cotel_span_set_status(sp, COTEL_STATUS_ERROR, NULL);
  }
  cotel_span_end(sp, 0);
}

static void reset(curl_state *s) {
  cotel_context_release(s->parent);
  s->parent = NULL;
  s->pending = s->active = false;
  s->span = COTEL_SPAN_NONE;
  s->requests = 0;
  s->n_lines = 0;
}

void cotel_curl_done(CURL *easy, CURLcode result) {
  curl_state *s = lookup(easy);
  if (!s || (!s->active && !s->pending)) return;
  /* No request went out (refused, DNS, aborted): the span still records
   * the attempt, from the time the transfer started. */
  if (!s->active) start_span(s, NULL, 0);
  finish(s, result);
  reset(s);
}

cotel_span cotel_curl_span(CURL *easy) {
  curl_state *s = lookup(easy);
  return s && s->active ? s->span : COTEL_SPAN_NONE;
}

void cotel_curl_uninstrument(CURL *easy) {
  if (!easy) return;
  pthread_mutex_lock(&table_mu);
  curl_state **pp = &table[bucket(easy)];
  while (*pp && (*pp)->easy != easy)
    pp = &(*pp)->next;
  curl_state *s = *pp;
  if (s) *pp = s->next;
  pthread_mutex_unlock(&table_mu);
  if (!s) return;
  if (s->active) {
    cotel_span_set_status(s->span, COTEL_STATUS_ERROR, "transfer abandoned");
    cotel_span_end(s->span, 0);
  }
  reset(s);
  curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, NULL);
  curl_easy_setopt(easy, CURLOPT_PREREQDATA, NULL);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, s->user_headers);
  cotel__buf_free(&s->lines);
  cotel__buf_free(&s->scratch);
  free(s);
}
