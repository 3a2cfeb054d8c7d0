/* w3c-service: the service the W3C Trace Context test harness drives
 * (github.com/w3c/trace-context, test/README.md).
 *
 * The harness sends `POST /test` with traceparent/tracestate headers and a
 * JSON array of {"url": ..., "arguments": ...}. For each element we POST
 * `arguments` to `url` from a CLIENT span, child of our SERVER span, child of
 * the extracted remote context, injecting that CLIENT span's context. All
 * calls run concurrently on the loop; we answer 200 once every one of them
 * has completed.
 *
 * Spans come from the instrumentation: cotel/http_server.h makes the SERVER
 * span (extracted parent, HTTP server attributes) and makes it current;
 * every hk_fetch is a libcurl transfer instrumented with cotel/curl.h, whose
 * CLIENT span is a child of the context current when it was scheduled and
 * whose context is injected into the call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cotel/cotel.h"
#include "cotel/propagation.h"
#include "httpkit.h"

static hk_service service;

/* One POST /test in flight. */
typedef struct test_call {
  hk_request *req;
  cotel_http_server_span server; /* SERVER span (cotel/http_server.h) */
  size_t pending;                /* outgoing calls not yet completed */
  size_t failed;
} test_call;

static void answer(hk_request *req, int status, const char *msg) {
  hk_respond(req, status, "text/plain", msg, strlen(msg));
}

static void finish(test_call *tc) {
  /* Every callback has run: answer, then end the SERVER span. */
  answer(tc->req, 200, "ok\n");
  cotel_http_server_end(&tc->server, 200);
  free(tc);
}

static void on_call_done(const hk_response *r, void *ud) {
  test_call *tc = (test_call *)ud;
  /* The CLIENT span was ended by the instrumentation (status, error). */
  if (r->error) {
    cotel_log(COTEL_LOG_WARN, "w3c-service: call failed: %s", r->errmsg);
    tc->failed++;
  }
  if (--tc->pending == 0) finish(tc);
}

/* Start one outgoing call under the current (SERVER span) context: the
 * libcurl instrumentation makes its CLIENT span and injects it. */
static int start_call(test_call *tc, json_t *item) {
  json_t *args = json_object_get(item, "arguments");
  char *body =
      args ? json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
  if (!body) return COTEL_ENOMEM;
  hk_fetch_options fo = {
      .method = "POST",
      .url = json_string_value(json_object_get(item, "url")),
      .headers = curl_slist_append(NULL, "Content-Type: application/json"),
      .body = body,
      .body_len = strlen(body)};
  tc->pending++;
  int rc = hk_fetch(&service.client, &fo, on_call_done, tc);
  if (rc) tc->pending--;
  free(body);
  return rc;
}

/* The harness contract: an array of objects, each with a string "url". */
static bool valid_body(json_t *v) {
  if (!json_is_array(v)) return false;
  size_t i;
  json_t *item;
  json_array_foreach(v, i, item) {
    json_t *url = json_object_get(item, "url");
    if (!json_is_string(url) || json_string_length(url) == 0 ||
        strlen(json_string_value(url)) != json_string_length(url))
      return false;
  }
  return true;
}

static void handle_test(hk_request *req) {
  json_t *calls = json_loadb(req->body, req->body_len, 0, NULL);
  if (!calls || !valid_body(calls)) {
    json_decref(calls);
    answer(req, 400, "body must be a JSON array of {\"url\", \"arguments\"}\n");
    return;
  }
  test_call *tc = calloc(1, sizeof(*tc));
  if (!tc) {
    json_decref(calls);
    answer(req, 500, "out of memory\n");
    return;
  }
  tc->req = req;
  /* SERVER span, current from here (cotel/http_server.h). */
  hk_server_span_start(&service, req, "/test", &tc->server);
  cotel_span_set_int(tc->server.span, "w3c.calls",
                     (int64_t)json_array_size(calls));
  /* pending starts at 1 so that a synchronous completion cannot answer
   * before every call is scheduled. */
  tc->pending = 1;
  size_t i;
  json_t *item;
  json_array_foreach(calls, i, item) start_call(tc, item);
  cotel_http_server_leave(&tc->server);
  json_decref(calls);
  if (--tc->pending == 0) finish(tc);
}
static void on_request(hk_request *req, void *ud) {
  (void)ud;
  bool is_test = req->path.len == 5 && memcmp(req->path.ptr, "/test", 5) == 0;
  if (!is_test)
    answer(req, 404, "not found\n");
  else if (strcmp(req->method, "POST") != 0)
    answer(req, 405, "POST only\n");
  else
    handle_test(req);
}

int main(int argc, char **argv) {
  hk_service_options o;
  if (hk_service_args(argc, argv, false, &o) != 0) return 2;
  if (hk_service_start(&service, &o, "w3c-service", "cotel.w3c-service",
                       on_request, NULL) != 0)
    return 1;
  return hk_service_run(&service);
}
