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
 * OTEL_PROPAGATORS names (tracecontext,baggage by default). As in
 * w3c-service, spans reach the callbacks through future slots: the sleep
 * timer and every transfer capture the context current when they are
 * scheduled.
 *
 * --no-trace: the uninstrumented baseline of bench/wrk.sh (DESIGN §7: the
 * instrumented server's throughput loss). No span, no extract, no inject,
 * no context: the same handler and reply, with empty ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  cotel_span server_span;
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
  hk_json **down; /* per leg: the downstream's JSON or NULL */
  char (*client_ids)[17];
};

static void answer_text(hk_request *req, int status, const char *msg) {
  hk_respond(req, status, "text/plain", msg, strlen(msg));
}

static void hop_free(hop *h) {
  for (size_t i = 0; h->down && i < h->n_legs; i++)
    hk_json_free(h->down[i]);
  free(h->down);
  free(h->legs);
  free(h->client_ids);
  hk_buf_free(&h->baggage);
  hk_buf_free(&h->traceparent);
  hk_buf_free(&h->next_url);
  free(h);
}

static int write_reply(hop *h, hk_buf *o) {
  int rc = hk_buf_puts(o, "{\"service\":");
  if (!rc)
    rc = hk_json_write_string(o, service.service_name,
                              strlen(service.service_name));
  if (!rc)
    rc = hk_buf_printf(o, ",\"trace_id\":\"%s\",\"span_id\":\"%s\"",
                       h->trace_id, h->span_id);
  if (!rc)
    rc = h->parent_id[0]
             ? hk_buf_printf(o, ",\"parent_id\":\"%s\"", h->parent_id)
             : hk_buf_puts(o, ",\"parent_id\":null");
  if (!rc) rc = hk_buf_puts(o, ",\"baggage\":");
  if (!rc)
    rc = h->has_baggage
             ? hk_json_write_string(o, h->baggage.data, h->baggage.len)
             : hk_buf_puts(o, "null");
  if (!rc) rc = hk_buf_puts(o, ",\"incoming_traceparent\":");
  if (!rc)
    rc = h->has_traceparent
             ? hk_json_write_string(o, h->traceparent.data, h->traceparent.len)
             : hk_buf_puts(o, "null");
  if (!rc) rc = hk_buf_puts(o, ",\"client_span_ids\":[");
  for (size_t i = 0; h->next_url.len && i < h->n_legs && !rc; i++)
    rc = hk_buf_printf(o, "%s\"%s\"", i ? "," : "", h->client_ids[i]);
  if (!rc) rc = hk_buf_puts(o, "],\"downstream\":");
  if (!rc && h->fanout) rc = hk_buf_puts(o, "[");
  for (size_t i = 0; i < (h->fanout ? h->n_legs : 1) && !rc; i++) {
    if (i) rc = hk_buf_puts(o, ",");
    if (!rc)
      rc = h->down[i] ? hk_json_write(h->down[i], o) : hk_buf_puts(o, "null");
  }
  if (!rc && h->fanout) rc = hk_buf_puts(o, "]");
  return rc ? rc : hk_buf_puts(o, "}\n");
}

static void finish(hop *h) {
  hk_buf out = {0};
  if (write_reply(h, &out) == 0) {
    hk_respond(h->req, 200, "application/json", out.data, out.len);
    cotel_span_set_int(h->server_span, "http.response.status_code", 200);
  } else {
    answer_text(h->req, 500, "out of memory\n");
    cotel_span_set_status(h->server_span, COTEL_STATUS_ERROR, "no memory");
  }
  hk_buf_free(&out);
  cotel_span_end(h->server_span, 0);
  hop_free(h);
}

static void on_leg_done(const hk_response *r, void *ud) {
  leg *l = (leg *)ud;
  hop *h = l->h;
  /* The transfer's future slot made this leg's CLIENT span current. */
  cotel_span client = cotel_span_current();
  if (r->error) {
    cotel_log(COTEL_LOG_WARN, "cotel-hop: %s: %s", h->next_url.data, r->errmsg);
    cotel_span_set_status(client, COTEL_STATUS_ERROR, r->errmsg);
  } else {
    cotel_span_set_int(client, "http.response.status_code", r->status);
    if (r->status != 200 ||
        hk_json_parse(r->body, r->body_len, &h->down[l->i]) != 0)
      cotel_span_set_status(client, COTEL_STATUS_ERROR, "bad downstream");
  }
  cotel_span_end(client, 0);
  if (--h->pending == 0) finish(h);
}

/* Start one leg under the current (SERVER span) context. */
static void start_leg(hop *h, size_t i) {
  if (no_trace) {
    hk_fetch_options fo = {.url = h->next_url.data};
    h->pending++;
    if (hk_fetch(&service.client, &fo, on_leg_done, &h->legs[i])) h->pending--;
    return;
  }
  cotel_attr attrs[] = {
      cotel_attr_string("http.request.method", "GET"),
      cotel_attr_string("url.full", h->next_url.data),
      cotel_attr_int("hop.leg", (int64_t)i),
  };
  cotel_span_options so = {
      .kind = COTEL_SPAN_KIND_CLIENT, .attrs = attrs, .n_attrs = 3};
  cotel_span client;
  cotel_span_start(service.tracer, "GET /hop", &so, &client);
  cotel_span_context sc;
  if (cotel_span_get_context(client, &sc) == 0)
    cotel_span_id_to_hex(&sc.span_id, h->client_ids[i]);
  hk_fetch_options fo = {.url = h->next_url.data};
  h->pending++;
  int rc = hk_fetch_in_span(&service, client, &fo, on_leg_done, &h->legs[i]);
  if (rc) h->pending--;
  if (rc) {
    cotel_span_set_status(client, COTEL_STATUS_ERROR, cotel_strerror(rc));
    cotel_span_end(client, 0);
  }
}

/* Runs with the SERVER span current: directly, or from the sleep timer's
 * future slot. */
static void call_on(void *ud) {
  hop *h = (hop *)ud;
  h->pending = 1; /* held until every leg is scheduled */
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

  if (no_trace) {
    if (h->sleep_ms == 0 || hk_after(&service.loop, h->sleep_ms, call_on, h))
      call_on(h);
    return;
  }

  cotel_attr attrs[] = {
      cotel_attr_string("http.request.method", "GET"),
      cotel_attr_string("url.path", "/hop"),
  };
  cotel_context *remote = hk_server_span_start(&service, req, "GET /hop", attrs,
                                               2, &h->server_span);
  cotel_span_context psc;
  if (cotel_context_span_context(remote, &psc) == 0 &&
      cotel_span_context_is_valid(&psc))
    cotel_span_id_to_hex(&psc.span_id, h->parent_id);

  cotel_span_context sc;
  if (cotel_span_get_context(h->server_span, &sc) == 0) {
    cotel_trace_id_to_hex(&sc.trace_id, h->trace_id);
    cotel_span_id_to_hex(&sc.span_id, h->span_id);
  }
  /* The SERVER span's context keeps the extracted baggage (its parent). */
  cotel_context *sctx = NULL;
  if (cotel_context_with_span(remote, h->server_span, &sctx) != 0) {
    cotel_context_release(remote);
    finish(h);
    return;
  }
  cotel_token tok = cotel_context_attach(sctx);
  if (h->sleep_ms == 0 || hk_after(&service.loop, h->sleep_ms, call_on, h))
    call_on(h);
  cotel_context_detach(tok);
  cotel_context_release(sctx);
  cotel_context_release(remote);
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
  return hk_service_run(&service);
}
