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
 * The CLIENT span is never stored by hand: it is current when the transfer
 * is scheduled, hk_fetch captures that context into the transfer's future
 * slot, and the completion callback finds it again with cotel_span_current().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "cotel/propagation.h"
#include "httpkit.h"

static hk_service service;

/* One POST /test in flight. */
typedef struct test_call {
  hk_request *req;
  cotel_span server_span;
  size_t pending; /* outgoing calls not yet completed */
  size_t failed;
} test_call;

static void answer(hk_request *req, int status, const char *msg) {
  hk_respond(req, status, "text/plain", msg, strlen(msg));
}

static void finish(test_call *tc) {
  /* Every callback has run: answer, then end the SERVER span. */
  answer(tc->req, 200, "ok\n");
  cotel_span_set_int(tc->server_span, "http.response.status_code", 200);
  cotel_span_end(tc->server_span, 0);
  free(tc);
}

static void on_call_done(const hk_response *r, void *ud) {
  test_call *tc = (test_call *)ud;
  /* The future slot made the CLIENT span's context current again. */
  cotel_span client = cotel_span_current();
  if (r->error) {
    cotel_log(COTEL_LOG_WARN, "w3c-service: call failed: %s", r->errmsg);
    cotel_span_set_status(client, COTEL_STATUS_ERROR, r->errmsg);
    tc->failed++;
  } else {
    cotel_span_set_int(client, "http.response.status_code", r->status);
    if (r->status >= 400)
      cotel_span_set_status(client, COTEL_STATUS_ERROR, NULL);
  }
  cotel_span_end(client, 0);
  if (--tc->pending == 0) finish(tc);
}

/* Start one outgoing call under the current (SERVER span) context. */
static int start_call(test_call *tc, const hk_json *item) {
  const hk_json *url = hk_json_get(item, "url");
  const hk_json *args = hk_json_get(item, "arguments");
  hk_buf body = {0};
  int rc = args ? hk_json_write(args, &body) : hk_buf_puts(&body, "[]");
  if (rc) return rc;
  cotel_attr attrs[] = {
      cotel_attr_string("http.request.method", "POST"),
      cotel_attr_string("url.full", url->str),
  };
  cotel_span_options so = {
      .kind = COTEL_SPAN_KIND_CLIENT, .attrs = attrs, .n_attrs = 2};
  cotel_span client;
  cotel_span_start(service.tracer, "POST", &so, &client);
  hk_fetch_options fo = {
      .method = "POST",
      .url = url->str,
      .headers = curl_slist_append(NULL, "Content-Type: application/json"),
      .body = body.data,
      .body_len = body.len};
  tc->pending++;
  rc = hk_fetch_in_span(&service, client, &fo, on_call_done, tc);
  if (rc) tc->pending--;
  if (rc) {
    cotel_span_set_status(client, COTEL_STATUS_ERROR, cotel_strerror(rc));
    cotel_span_end(client, 0);
  }
  hk_buf_free(&body);
  return rc;
}

/* The harness contract: an array of objects, each with a string "url". */
static bool valid_body(const hk_json *v) {
  if (v->type != HK_JSON_ARRAY) return false;
  for (size_t i = 0; i < v->n; i++) {
    const hk_json *url = hk_json_get(v->items[i], "url");
    if (!url || url->type != HK_JSON_STRING || url->len == 0 ||
        strlen(url->str) != url->len)
      return false;
  }
  return true;
}

static void handle_test(hk_request *req) {
  hk_json *calls = NULL;
  if (hk_json_parse(req->body, req->body_len, &calls) != 0 ||
      !valid_body(calls)) {
    hk_json_free(calls);
    answer(req, 400, "body must be a JSON array of {\"url\", \"arguments\"}\n");
    return;
  }
  test_call *tc = calloc(1, sizeof(*tc));
  if (!tc) {
    hk_json_free(calls);
    answer(req, 500, "out of memory\n");
    return;
  }
  tc->req = req;
  cotel_attr attrs[] = {
      cotel_attr_string("http.request.method", "POST"),
      cotel_attr_string("url.path", "/test"),
      cotel_attr_int("w3c.calls", (int64_t)calls->n),
  };
  cotel_context *remote = hk_server_span_start(&service, req, "POST /test",
                                               attrs, 3, &tc->server_span);
  cotel_context *sctx = NULL;
  if (cotel_context_with_span(remote, tc->server_span, &sctx) == 0) {
    cotel_token tok = cotel_context_attach(sctx);
    /* pending starts at 1 so that a synchronous completion cannot answer
     * before every call is scheduled. */
    tc->pending = 1;
    for (size_t i = 0; i < calls->n; i++)
      start_call(tc, calls->items[i]);
    cotel_context_detach(tok);
    cotel_context_release(sctx);
    if (--tc->pending == 0) finish(tc);
  } else {
    finish(tc);
  }
  cotel_context_release(remote);
  hk_json_free(calls);
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
