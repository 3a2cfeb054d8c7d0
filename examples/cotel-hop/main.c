/* cotel-hop: one hop of a traced HTTP chain, for interop tests.
 *
 *   GET /hop?next=<url>,<url>,...   SERVER span; if `next` is not empty,
 *       call the first URL (with the rest as its own `next`) from a CLIENT
 *       span, then answer
 *       {"service", "trace_id", "span_id", "parent_id", "baggage",
 *        "incoming_traceparent", "client_span_ids": [...],
 *        "downstream": <its JSON or null>}
 *   &fanout=N    N concurrent calls to the next hop, each with its own
 *                CLIENT span and future slot; "downstream" is then an array
 *   &sleep_ms=M  wait M ms (a uv timer) before calling on / answering
 *
 * Trace context and baggage are extracted and injected with the propagator
 * OTEL_PROPAGATORS names (tracecontext,baggage by default). The SERVER span
 * comes from cotel/http_server.h, every CLIENT span from the libcurl
 * instrumentation (cotel/curl.h) under the context current when the call is
 * scheduled; the sleep timer captures that context too (a future slot).
 *
 * --no-trace: the uninstrumented baseline of bench/wrk.sh (DESIGN §7: the
 * instrumented server's throughput loss). No span, no extract, no inject,
 * no context: the same handler and reply, with empty ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cotel/cotel.h"
#include "cotel/propagation.h"
#include "httpkit.h"

#define MAX_FANOUT 4096 /* interop check 5 fans out 1000 */
#define MAX_SLEEP_MS 60000

static hk_service service;
static bool no_trace;

typedef struct hop hop;
typedef struct leg {
  hop *h;
  size_t i;
} leg;

/* One GET /hop in flight. */
struct hop {
  hk_request *req;
  cotel_http_server_span server; /* SERVER span (cotel/http_server.h) */
  char trace_id[33], span_id[17], parent_id[17];
  hk_buf baggage; /* as received (empty: none) */
  bool has_baggage;
  hk_buf traceparent; /* as received: interop reports the flags' fate */
  bool has_traceparent;
  hk_buf next_url; /* whom to call (empty: nobody) */
  size_t n_legs;   /* 1, or fanout */
  bool fanout;     /* answer "downstream" as an array */
  uint64_t sleep_ms;
  size_t pending;
  leg *legs;
  json_t **down; /* per leg: the downstream's JSON or NULL */
  char (*client_ids)[17];
};

static void answer_text(hk_request *req, int status, const char *msg) {
  hk_respond(req, status, "text/plain", msg, strlen(msg));
}

static void hop_free(hop *h) {
  for (size_t i = 0; h->down && i < h->n_legs; i++)
    json_decref(h->down[i]);
  free(h->down);
  free(h->legs);
  free(h->client_ids);
  hk_buf_free(&h->baggage);
  hk_buf_free(&h->traceparent);
  hk_buf_free(&h->next_url);
  free(h);
}

static json_t *str_or_null(const hk_buf *b, bool has) {
  return has ? json_stringn(b->data ? b->data : "", b->len) : json_null();
}

static json_t *down_or_null(json_t *v) {
  return v ? json_incref(v) : json_null();
}

/* The reply, members in the documented order (jansson keeps insertion
 * order). */
static char *write_reply(hop *h) {
  json_t *o = json_object();
  json_t *ids = json_array();
  if (!o || !ids) {
    json_decref(o);
    json_decref(ids);
    return NULL;
  }
  for (size_t i = 0; h->next_url.len && i < h->n_legs; i++)
    json_array_append_new(ids, json_string(h->client_ids[i]));
  json_t *down;
  if (h->fanout) {
    down = json_array();
    for (size_t i = 0; down && i < h->n_legs; i++)
      json_array_append_new(down, down_or_null(h->down[i]));
  } else {
    down = down_or_null(h->down[0]);
  }
  json_object_set_new(o, "service", json_string(service.service_name));
  json_object_set_new(o, "trace_id", json_string(h->trace_id));
  json_object_set_new(o, "span_id", json_string(h->span_id));
  json_object_set_new(o, "parent_id",
                      h->parent_id[0] ? json_string(h->parent_id)
                                      : json_null());
  json_object_set_new(o, "baggage", str_or_null(&h->baggage, h->has_baggage));
  json_object_set_new(o, "incoming_traceparent",
                      str_or_null(&h->traceparent, h->has_traceparent));
  json_object_set_new(o, "client_span_ids", ids);
  json_object_set_new(o, "downstream", down ? down : json_null());
  char *out = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return out;
}

static void finish(hop *h) {
  char *out = write_reply(h);
  if (out) {
    size_t n = strlen(out);
    out[n] = '\n'; /* the reply ends with a newline (hk_respond copies) */
    hk_respond(h->req, 200, "application/json", out, n + 1);
    cotel_http_server_end(&h->server, 200);
  } else {
    answer_text(h->req, 500, "out of memory\n");
    cotel_http_server_end(&h->server, 500);
  }
  free(out);
  hop_free(h);
}

static void on_leg_done(const hk_response *r, void *ud) {
  leg *l = (leg *)ud;
  hop *h = l->h;
  /* The instrumentation ended the leg's CLIENT span (status, error.type);
   * its id is reported so that the interop checks can follow the chain. */
  memcpy(h->client_ids[l->i], r->client_span_id, 17);
  if (r->error)
    cotel_log(COTEL_LOG_WARN, "cotel-hop: %s: %s", h->next_url.data, r->errmsg);
  else if (r->status == 200)
    h->down[l->i] = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, NULL);
  if (--h->pending == 0) finish(h);
}

/* Start one leg under the current (SERVER span) context. */
static void start_leg(hop *h, size_t i) {
  hk_fetch_options fo = {.url = h->next_url.data};
  h->pending++;
  if (hk_fetch(&service.client, &fo, on_leg_done, &h->legs[i])) h->pending--;
}

/* Runs with the SERVER span current: directly, or from the sleep timer's
 * future slot. Releases the hold its scheduler took. */
static void call_on(void *ud) {
  hop *h = (hop *)ud;
  for (size_t i = 0; h->next_url.len && i < h->n_legs; i++)
    start_leg(h, i);
  if (--h->pending == 0) finish(h);
}

/* next="u1,u2,..." -> call u1 with next=u2,... (percent-encoded). */
static int build_next_url(hop *h, const hk_buf *next) {
  if (!next->len) return 0;
  const char *comma = memchr(next->data, ',', next->len);
  size_t first = comma ? (size_t)(comma - next->data) : next->len;
  if (first == 0) return COTEL_EINVAL;
  int rc = hk_buf_append(&h->next_url, next->data, first);
  if (!rc && comma && comma + 1 < next->data + next->len) {
    bool has_q = memchr(next->data, '?', first) != NULL;
    rc = hk_buf_puts(&h->next_url, has_q ? "&next=" : "?next=");
    if (!rc) rc = hk_url_encode(&h->next_url, comma + 1, next->len - first - 1);
  }
  return rc;
}

static int parse_uint(const hk_buf *b, uint64_t max, uint64_t *out) {
  char *end;
  if (!b->len || b->data[0] < '0' || b->data[0] > '9') return COTEL_EINVAL;
  unsigned long long v = strtoull(b->data, &end, 10);
  if (*end || v > max) return COTEL_EINVAL;
  *out = v;
  return 0;
}

/* Query -> h; COTEL_EINVAL on a bad parameter. */
static int parse_query(hop *h, cotel_str q) {
  hk_buf v = {0};
  int rc = 0;
  uint64_t n;
  h->n_legs = 1;
  if (hk_query_get(q, "next", &v) == 0) rc = build_next_url(h, &v);
  if (!rc && hk_query_get(q, "fanout", &v) == 0) {
    rc = parse_uint(&v, MAX_FANOUT, &n);
    if (!rc && n == 0) rc = COTEL_EINVAL;
    if (!rc) h->n_legs = (size_t)n;
    h->fanout = true;
  }
  if (!rc && hk_query_get(q, "sleep_ms", &v) == 0)
    rc = parse_uint(&v, MAX_SLEEP_MS, &h->sleep_ms);
  hk_buf_free(&v);
  return rc;
}

static void handle_hop(hk_request *req) {
  hop *h = calloc(1, sizeof(*h));
  if (!h) {
    answer_text(req, 500, "out of memory\n");
    return;
  }
  h->req = req;
  if (parse_query(h, req->query) != 0) {
    hop_free(h);
    answer_text(req, 400, "bad query: next=<url>,...&fanout=N&sleep_ms=M\n");
    return;
  }
  h->legs = calloc(h->n_legs, sizeof(*h->legs));
  h->down = calloc(h->n_legs, sizeof(*h->down));
  h->client_ids = calloc(h->n_legs, sizeof(*h->client_ids));
  if (!h->legs || !h->down || !h->client_ids) {
    hop_free(h);
    answer_text(req, 500, "out of memory\n");
    return;
  }
  for (size_t i = 0; i < h->n_legs; i++)
    h->legs[i] = (leg){h, i};
  cotel_str bag;
  if (hk_request_header(req, "baggage", &bag)) {
    h->has_baggage = true;
    hk_buf_append(&h->baggage, bag.ptr, bag.len);
  }
  cotel_str tp;
  if (hk_request_header(req, "traceparent", &tp)) {
    h->has_traceparent = true;
    hk_buf_append(&h->traceparent, tp.ptr, tp.len);
  }

  /* Two holds: one for call_on, one for this handler (until the SERVER
   * span is no longer current here). */
  h->pending = 2;
  if (!no_trace) {
    hk_server_span_start(&service, req, "/hop", &h->server);
    if (cotel_span_context_is_valid(&h->server.remote))
      cotel_span_id_to_hex(&h->server.remote.span_id, h->parent_id);
    cotel_span_context sc;
    if (cotel_span_get_context(h->server.span, &sc) == 0) {
      cotel_trace_id_to_hex(&sc.trace_id, h->trace_id);
      cotel_span_id_to_hex(&sc.span_id, h->span_id);
    }
  }
  if (h->sleep_ms == 0 || hk_after(&service.loop, h->sleep_ms, call_on, h))
    call_on(h);
  cotel_http_server_leave(&h->server);
  if (--h->pending == 0) finish(h);
}

static void on_request(hk_request *req, void *ud) {
  (void)ud;
  bool is_hop = req->path.len == 4 && memcmp(req->path.ptr, "/hop", 4) == 0;
  if (!is_hop)
    answer_text(req, 404, "not found\n");
  else if (strcmp(req->method, "GET") != 0)
    answer_text(req, 405, "GET only\n");
  else
    handle_hop(req);
}

int main(int argc, char **argv) {
  /* --no-trace is ours; httpkit parses the rest. */
  int n = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--no-trace") == 0)
      no_trace = true;
    else
      argv[n++] = argv[i];
  }
  argc = n;
  argv[argc] = NULL;
  hk_service_options o;
  if (hk_service_args(argc, argv, true, &o) != 0) return 2;
  if (hk_service_start(&service, &o, "cotel-hop", "cotel.hop", on_request,
                       NULL) != 0)
    return 1;
  service.client.traced = !no_trace;
  return hk_service_run(&service);
}
