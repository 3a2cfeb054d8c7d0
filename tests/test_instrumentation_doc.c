/* The "server span, libcurl call, log line" task of README.md and
 * docs/instrumentation.md, compiled and run: the code between the snippet
 * markers below must be the code block of both documents (checked), and it
 * must produce a SERVER span continuing the caller's trace, a CLIENT span
 * under it whose id the backend received, and a log line with the ids. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <curl/curl.h>

#include "cotel/cotel.h"
#include "cotel/curl.h"
#include "cotel/http_server.h"
#include "cotel/log.h"
#include "support/header_fixture.h"
#include "support/http_stub.h"
#include "test_util.h"

/* The snippet logs through syslog(3): capture the line instead. */
static char logged[512];
static void test_syslog(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void test_syslog(int prio, const char *fmt, ...) {
  va_list ap;
  (void)prio;
  va_start(ap, fmt);
  vsnprintf(logged, sizeof logged, fmt, ap);
  va_end(ap);
}
#define syslog test_syslog

/* snippet:begin */
/* Made once at startup: curl_easy_init(), cotel_curl_instrument(backend,
 * NULL). Each transfer on it gets its own CLIENT span. */
static CURL *backend;

/* Your server parsed a request; answer it after calling the backend. */
static int handle(const char *method, const char *target, const char *peer,
                  const cotel_carrier *headers, const char *url) {
  cotel_http_server_request r;
  cotel_http_server_request_init(&r);
  r.method = cotel_str_c(method), r.target = cotel_str_c(target);
  r.peer_address = cotel_str_c(peer), r.headers = headers;
  cotel_http_server_span s; /* SERVER span, current from here */
  cotel_http_server_start(NULL, NULL, &r, &s);

  curl_easy_setopt(backend, CURLOPT_URL, url);
  CURLcode rc = cotel_curl_easy_perform(backend); /* CLIENT span */

  cotel_log_ids ids;
  cotel_log_ids_current(&ids);
  syslog(LOG_INFO, "trace_id=%s span_id=%s backend answered: %d", ids.trace_id,
         ids.span_id, (int)rc);
  int status = rc == CURLE_OK ? 200 : 502;
  cotel_http_server_end(&s, status);
  return status;
}
/* snippet:end */
#undef syslog

static char *slurp(const char *rel) {
  const char *dir = getenv("COTEL_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir ? dir : "..", rel);
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  static char buf[1 << 17];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *copy = strdup(buf);
  assert_non_null(copy);
  return copy;
}

/* Text between two markers (exclusive), as a new string. */
static char *between(const char *s, const char *from, const char *to) {
  const char *a = strstr(s, from);
  if (!a) fail_msg("marker '%s' missing", from);
  a += strlen(from);
  const char *b = strstr(a, to);
  if (!b) fail_msg("marker '%s' missing", to);
  return strndup(a, (size_t)(b - a));
}

static void test_documented_task_is_the_compiled_code(void **state) {
  (void)state;
  char *src = slurp("tests/test_instrumentation_doc.c");
  char *code = between(src, "/* snippet:begin */\n", "/* snippet:end */");
  const char *docs[] = {"README.md", "docs/instrumentation.md"};
  for (size_t i = 0; i < 2; i++) {
    char *doc = slurp(docs[i]);
    char *block = between(doc, "<!-- snippet:handle -->\n```c\n", "```\n");
    if (strcmp(block, code) != 0)
      fail_msg("%s: the snippet differs from the tested code", docs[i]);
    free(block);
    free(doc);
  }
  free(code);
  free(src);
}

static void test_documented_task_traces_the_request_and_the_call(void **state) {
  (void)state;
  cotel_provider_config cfg;
  cotel_span_processor *sp;
  cotel_exporter *mem;
  cotel_provider *p;
  cotel_provider_config_init(&cfg);
  assert_int_equal(cotel_memory_exporter_new(&mem), 0);
  assert_int_equal(cotel_simple_processor_new(mem, &sp), 0);
  cfg.processors = &sp;
  cfg.n_processors = 1;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_provider_set_global(p);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  http_stub stub;
  assert_int_equal(http_stub_start(&stub), 0);

  static const char *const kv[] = {
      "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      NULL};
  hdrs h;
  hdrs_init(&h, kv);
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/stock", stub.port);
  backend = curl_easy_init();
  assert_int_equal(cotel_curl_instrument(backend, NULL), 0);
  assert_int_equal(handle("GET", "/orders?id=7", "127.0.0.1", &h.c, url), 200);
  cotel_curl_uninstrument(backend);
  curl_easy_cleanup(backend);

  assert_int_equal(cotel_memory_exporter_count(mem), 2);
  const cotel_span_data *client = cotel_memory_exporter_get(mem, 0);
  const cotel_span_data *server = cotel_memory_exporter_get(mem, 1);
  assert_int_equal(client->kind, COTEL_SPAN_KIND_CLIENT);
  assert_int_equal(server->kind, COTEL_SPAN_KIND_SERVER);
  char tid[33], sid[17], cid[17], pid[17];
  cotel_trace_id_to_hex(&server->context.trace_id, tid);
  cotel_span_id_to_hex(&server->context.span_id, sid);
  cotel_span_id_to_hex(&client->context.span_id, cid);
  cotel_span_id_to_hex(&server->parent_span_id, pid);
  assert_string_equal(tid, "4bf92f3577b34da6a3ce929d0e0e4736");
  assert_string_equal(pid, "00f067aa0ba902b7");
  assert_memory_equal(&client->parent_span_id, &server->context.span_id, 8);
  /* The backend got the CLIENT span; the log line names the SERVER span,
   * current in the handler. */
  http_stub_record r;
  assert_true(http_stub_record_get(&stub, 0, &r));
  assert_non_null(strstr(r.traceparent, cid));
  char want[128];
  snprintf(want, sizeof want, "trace_id=%s span_id=%s backend answered: 0", tid,
           sid);
  assert_string_equal(logged, want);

  http_stub_stop(&stub);
  curl_global_cleanup();
  cotel_provider_set_global(NULL);
  cotel_provider_destroy(p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_documented_task_is_the_compiled_code),
      cmocka_unit_test(test_documented_task_traces_the_request_and_the_call),
  };
  return cotel_test_run(argc, argv, "instrumentation_doc", tests);
}
