/* Log correlation (cotel/log.h): the ids of the current context as hex, and
 * the exact RFC 5424 structured-data and JSON strings. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cotel/cotel.h"
#include "test_util.h"

static const char TID[] = "4bf92f3577b34da6a3ce929d0e0e4736";
static const char SID[] = "00f067aa0ba902b7";

/* A remote span context made current: fixed ids, so the strings are exact. */
static cotel_context *remote_ctx(uint8_t flags) {
  cotel_span_context sc = {.flags = flags};
  assert_int_equal(cotel_trace_id_from_hex(TID, 32, &sc.trace_id), 0);
  assert_int_equal(cotel_span_id_from_hex(SID, 16, &sc.span_id), 0);
  cotel_context *ctx = NULL;
  assert_int_equal(cotel_context_with_remote(NULL, &sc, &ctx), 0);
  return ctx;
}

static void test_log_ids_are_the_current_span_context_in_hex(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x01);
  cotel_token tok = cotel_context_attach(ctx);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_current(&ids), 0);
  assert_string_equal(ids.trace_id, TID);
  assert_string_equal(ids.span_id, SID);
  assert_string_equal(ids.trace_flags, "01");
  assert_int_equal(cotel_context_detach(tok), 0);
  cotel_context_release(ctx);
}

static void test_log_ids_keep_every_trace_flag_bit(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x03);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  assert_string_equal(ids.trace_flags, "03");
  cotel_context_release(ctx);
}

static void test_log_ids_are_empty_without_a_span(void **state) {
  (void)state;
  cotel_log_ids ids;
  memset(&ids, 'x', sizeof ids);
  assert_int_equal(cotel_log_ids_current(&ids), COTEL_ENOTFOUND);
  assert_string_equal(ids.trace_id, "");
  assert_string_equal(ids.span_id, "");
  assert_string_equal(ids.trace_flags, "");
  char buf[COTEL_LOG_SD_SIZE];
  assert_string_equal(cotel_log_sd(&ids, buf, sizeof buf), "");
  assert_string_equal(cotel_log_json(&ids, buf, sizeof buf), "");
  assert_int_equal(cotel_log_ids_current(NULL), COTEL_EINVAL);
}

static void test_log_sd_is_one_rfc5424_element(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x01);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  char buf[COTEL_LOG_SD_SIZE];
  assert_string_equal(cotel_log_sd(&ids, buf, sizeof buf),
                      "[otel@32473 trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736"
                      "\" span_id=\"00f067aa0ba902b7\" trace_flags=\"01\"]");
  assert_string_equal(cotel_log_sd_id(&ids, "ids@99999", buf, sizeof buf),
                      "[ids@99999 trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736"
                      "\" span_id=\"00f067aa0ba902b7\" trace_flags=\"01\"]");
  cotel_context_release(ctx);
}

static void test_log_json_names_fields_as_the_log_data_model(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x00);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  char buf[COTEL_LOG_JSON_SIZE];
  assert_string_equal(
      cotel_log_json(&ids, buf, sizeof buf),
      "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
      "\"span_id\":\"00f067aa0ba902b7\",\"trace_flags\":\"00\"");
  cotel_context_release(ctx);
}

static void test_log_formats_fit_their_documented_sizes_exactly(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x01);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  char buf[COTEL_LOG_SD_SIZE];
  size_t sd = strlen(cotel_log_sd(&ids, buf, sizeof buf));
  size_t js = strlen(cotel_log_json(&ids, buf, sizeof buf));
  assert_true(sd + 1 <= COTEL_LOG_SD_SIZE && js + 1 <= COTEL_LOG_JSON_SIZE);
  /* One byte short: the empty string, never a truncated element. */
  assert_string_equal(cotel_log_sd(&ids, buf, sd), "");
  assert_string_equal(cotel_log_json(&ids, buf, js), "");
  cotel_context_release(ctx);
}

static void test_log_sd_refuses_an_invalid_sd_id(void **state) {
  (void)state;
  cotel_context *ctx = remote_ctx(0x01);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_from_context(ctx, &ids), 0);
  char buf[COTEL_LOG_SD_SIZE];
  assert_string_equal(cotel_log_sd_id(&ids, "a b", buf, sizeof buf), "");
  assert_string_equal(cotel_log_sd_id(&ids, "a]", buf, sizeof buf), "");
  assert_string_equal(cotel_log_sd_id(&ids, "", buf, sizeof buf), "");
  /* A damaged struct never breaks the format. */
  ids.span_id[3] = '"';
  assert_string_equal(cotel_log_sd(&ids, buf, sizeof buf), "");
  assert_string_equal(cotel_log_json(&ids, buf, sizeof buf), "");
  cotel_context_release(ctx);
}

static void test_log_ids_follow_a_local_span(void **state) {
  (void)state;
  cotel_provider_config cfg;
  cotel_provider_config_defaults(&cfg);
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  cotel_span span;
  assert_int_equal(
      cotel_span_start(cotel_provider_tracer(p, "test_log"), "s", NULL, &span),
      0);
  cotel_span_context sc;
  assert_int_equal(cotel_span_get_context(span, &sc), 0);
  char tid[33], sid[17];
  cotel_trace_id_to_hex(&sc.trace_id, tid);
  cotel_span_id_to_hex(&sc.span_id, sid);
  cotel_token tok = cotel_span_make_current(span);
  cotel_log_ids ids;
  assert_int_equal(cotel_log_ids_current(&ids), 0);
  assert_string_equal(ids.trace_id, tid);
  assert_string_equal(ids.span_id, sid);
  assert_int_equal(cotel_context_detach(tok), 0);
  cotel_span_end(span, 0);
  cotel_provider_destroy(p);
}

/* Run bin/cotel-example-syslog with args; its stdout and stderr (the
 * LOG_PERROR copy of every syslog line) into out/err. Bounded: killed after
 * 30 s. */
static void run_example(const char *const *args, char *out, size_t out_cap,
                        char *err, size_t err_cap) {
  const char *dir = getenv("COTEL_BIN_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/cotel-example-syslog", dir ? dir : "bin");
  const char *argv[8] = {path};
  for (size_t i = 0; args[i] && i < 6; i++)
    argv[i + 1] = args[i];
  char tmpl_out[] = "/tmp/cotel-log-out-XXXXXX";
  char tmpl_err[] = "/tmp/cotel-log-err-XXXXXX";
  int fo = mkstemp(tmpl_out), fe = mkstemp(tmpl_err);
  assert_true(fo >= 0 && fe >= 0);
  unlink(tmpl_out);
  unlink(tmpl_err);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fo, 1);
    dup2(fe, 2);
    setenv("OTEL_TRACES_EXPORTER", "none", 1);
    unsetenv("OTEL_SDK_DISABLED");
    unsetenv("OTEL_TRACES_SAMPLER");
    execv(path, (char *const *)argv);
    _exit(127);
  }
  int st = 0;
  for (int i = 0; i < 3000 && waitpid(pid, &st, WNOHANG) == 0; i++)
    usleep(10000);
  if (kill(pid, 0) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    fail_msg("cotel-example-syslog did not finish in 30 s");
  }
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  ssize_t n = pread(fo, out, out_cap - 1, 0);
  assert_true(n >= 0);
  out[n] = '\0';
  n = pread(fe, err, err_cap - 1, 0);
  assert_true(n >= 0);
  err[n] = '\0';
  close(fo);
  close(fe);
}

/* The span id of the line holding msg ("" when it has none). */
static void span_id_of(const char *text, const char *msg, int nth,
                       const char *key, char out[17]) {
  const char *p = text;
  out[0] = '\0';
  for (int i = 0; i <= nth; i++) {
    p = strstr(p, msg);
    assert_non_null(p);
    if (i < nth) p += strlen(msg);
  }
  const char *bol = p;
  while (bol > text && bol[-1] != '\n')
    bol--;
  const char *eol = strchr(p, '\n');
  const char *k = strstr(bol, key);
  if (!k || (eol && k > eol)) return;
  memcpy(out, k + strlen(key), 16);
  out[16] = '\0';
}

static void
test_syslog_example_puts_the_ids_in_every_line_of_a_request(void **state) {
  (void)state;
  static char out[16384], err[16384];
  const char *args[] = {
      "--json", "--requests", "3",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", NULL};
  run_example(args, out, sizeof out, err, sizeof err);
  /* Outside a request: no ids. */
  assert_non_null(strstr(err, "]: starting\n"));
  assert_non_null(strstr(err, "]: stopping\n"));
  assert_non_null(strstr(out, "{\"body\":\"starting\"}\n"));
  /* Inside: 9 lines, each with the incoming trace id and a child span. */
  int in_request = 0;
  for (const char *p = err; (p = strstr(p, "[otel@32473 ")); p++) {
    assert_memory_equal(
        p,
        "[otel@32473 trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736"
        "\" span_id=\"",
        sizeof("[otel@32473 trace_id=\"") - 1 + 32 + 11);
    assert_memory_not_equal(p + 65, "00f067aa0ba902b7", 16);
    assert_memory_equal(p + 81, "\" trace_flags=\"01\"] ", 19);
    in_request++;
  }
  assert_int_equal(in_request, 9);
  for (int r = 0; r < 3; r++) {
    char recv[17], query[17], done[17], jrecv[17], jquery[17];
    span_id_of(err, "request received", r, "span_id=\"", recv);
    span_id_of(err, "querying orders", r, "span_id=\"", query);
    span_id_of(err, "request done", r, "span_id=\"", done);
    span_id_of(out, "request received", r, "\"span_id\":\"", jrecv);
    span_id_of(out, "querying orders", r, "\"span_id\":\"", jquery);
    assert_int_equal(strlen(recv), 16);
    assert_string_equal(recv, done);      /* the request's SERVER span */
    assert_string_not_equal(recv, query); /* its child, current inside */
    assert_string_equal(recv, jrecv);     /* both formats agree */
    assert_string_equal(query, jquery);
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_log_ids_are_the_current_span_context_in_hex),
      cmocka_unit_test(test_log_ids_keep_every_trace_flag_bit),
      cmocka_unit_test(test_log_ids_are_empty_without_a_span),
      cmocka_unit_test(test_log_sd_is_one_rfc5424_element),
      cmocka_unit_test(test_log_json_names_fields_as_the_log_data_model),
      cmocka_unit_test(test_log_formats_fit_their_documented_sizes_exactly),
      cmocka_unit_test(test_log_sd_refuses_an_invalid_sd_id),
      cmocka_unit_test(test_log_ids_follow_a_local_span),
      cmocka_unit_test(
          test_syslog_example_puts_the_ids_in_every_line_of_a_request),
  };
  return cotel_test_run(argc, argv, "log", tests);
}
