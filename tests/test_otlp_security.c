/* Security of the OTLP exporter (issue 11): https verifies certificates by
 * default (the system store, which lacks the test CA); mTLS and a hostname
 * mismatch with certificates the test makes itself with openssl
 * (tests/support/make_certs.sh); OTEL_EXPORTER_OTLP_HEADERS values never
 * appear in any log line, at debug level, whatever the receiver answers. */
#include "test_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cotel/otlp.h"
#include "support/otlp_fixture.h"

/* ---- certificates made by openssl, per test ---- */

typedef struct gen_fx {
  otlp_fx fx; /* first: otlp_fx_teardown frees it */
  char dir[64];
  char path[6][512];
} gen_fx;

static const char *gen_file(gen_fx *g, int slot, const char *name) {
  snprintf(g->path[slot], sizeof g->path[slot], "%s/%s", g->dir, name);
  return g->path[slot];
}

/* Make certificates in a temporary directory and start an https receiver
 * with server.pem (or other.pem), requiring a client certificate signed by
 * the new CA. The receiver's control requests are not used (they trust the
 * fixtures of tests/support/tls): outcomes come from the exporter. */
static gen_fx *gen_setup(const char *server) {
  gen_fx *g = calloc(1, sizeof *g);
  char cmd[1024];
  char script[512];
  assert_non_null(g);
  snprintf(g->dir, sizeof g->dir, "/tmp/cotel-certs-XXXXXX");
  assert_non_null(mkdtemp(g->dir));
  const char *src = getenv("COTEL_SOURCE_DIR");
  assert_non_null(src);
  snprintf(script, sizeof script, "%s/tests/support/make_certs.sh", src);
  snprintf(cmd, sizeof cmd, "sh '%s' '%s'", script, g->dir);
  assert_int_equal(system(cmd), 0);
  char cert[32], key[32];
  snprintf(cert, sizeof cert, "%s.pem", server);
  snprintf(key, sizeof key, "%s.key", server);
  const char *args[] = {"--tls-cert",
                        gen_file(g, 0, cert),
                        "--tls-key",
                        gen_file(g, 1, key),
                        "--tls-client-ca",
                        gen_file(g, 2, "ca.pem"),
                        NULL};
  otlp_fx *fx = &g->fx;
  assert_int_equal(cotel_test_receiver_start(&fx->rx, args), 0);
  fx->rx.mtls = false; /* see above */
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  cotel_otlp_options_default(&fx->opts);
  fx->opts.endpoint = fx->rx.base;
  fx->opts.timeout_ms = 5000;
  fx->opts.retry_max_attempts = 1;
  fx->opts.certificate = gen_file(g, 3, "ca.pem");
  return g;
}

static void gen_teardown(gen_fx *g) {
  char cmd[128];
  void *state = &g->fx;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g->dir);
  otlp_fx_teardown(&state); /* frees g */
  assert_int_equal(system(cmd), 0);
}

static int setup_none(void **state) {
  *state = NULL;
  return 0;
}

static void test_otlp_https_verifies_certificates_by_default(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  /* No CA given, not insecure: the system store, which lacks the test CA. */
  assert_null(fx->opts.certificate);
  assert_false(fx->opts.insecure);
  fx->opts.retry_max_attempts = 1;
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), COTEL_EEXPORT);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 0);
  assert_int_equal(otlp_fx_stats(fx).spans_failed, 1);
  otlp_spans_free(s);
}

static void test_otlp_mtls_with_certificates_made_by_openssl(void **state) {
  (void)state;
  gen_fx *g = gen_setup("server");
  otlp_spans *s = otlp_spans_new(2);
  g->fx.opts.client_certificate = gen_file(g, 4, "client.pem");
  g->fx.opts.client_key = gen_file(g, 5, "client.key");
  otlp_fx_start(&g->fx);
  assert_int_equal(otlp_fx_export(&g->fx, s, 0, 2, NULL), 0);
  assert_int_equal(otlp_fx_stats(&g->fx).spans_exported, 2);
  otlp_spans_free(s);
  gen_teardown(g);
}

static void
test_otlp_mtls_refuses_without_the_client_certificate(void **state) {
  (void)state;
  gen_fx *g = gen_setup("server");
  otlp_spans *s = otlp_spans_new(1);
  otlp_fx_start(&g->fx);
  /* The server's alert arrives as a receive error: failed either way. */
  assert_true(otlp_fx_export(&g->fx, s, 0, 1, NULL) < 0);
  assert_int_equal(otlp_fx_stats(&g->fx).spans_exported, 0);
  assert_int_equal(otlp_fx_stats(&g->fx).spans_failed, 1);
  otlp_spans_free(s);
  gen_teardown(g);
}

static void test_otlp_tls_refuses_a_hostname_mismatch(void **state) {
  (void)state;
  gen_fx *g = gen_setup("other"); /* valid, signed by the CA, other name */
  otlp_spans *s = otlp_spans_new(1);
  g->fx.opts.client_certificate = gen_file(g, 4, "client.pem");
  g->fx.opts.client_key = gen_file(g, 5, "client.key");
  otlp_fx_start(&g->fx);
  assert_int_equal(otlp_fx_export(&g->fx, s, 0, 1, NULL), COTEL_EEXPORT);
  assert_int_equal(otlp_fx_stats(&g->fx).spans_exported, 0);
  /* Never downgraded: the same exporter keeps refusing. */
  assert_int_equal(otlp_fx_export(&g->fx, s, 0, 1, NULL), COTEL_EEXPORT);
  otlp_spans_free(s);
  gen_teardown(g);
}

/* ---- header values never logged ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_text[1 << 16];
static size_t log_len;
static unsigned log_lines;

static void collect(void *ud, cotel_log_level level, const char *msg) {
  (void)ud;
  (void)level;
  pthread_mutex_lock(&log_mu);
  size_t n = strlen(msg);
  if (log_len + n + 2 < sizeof log_text) {
    memcpy(log_text + log_len, msg, n);
    log_len += n;
    log_text[log_len++] = '\n';
    log_text[log_len] = '\0';
  }
  log_lines++;
  pthread_mutex_unlock(&log_mu);
}

static void test_otlp_header_values_never_appear_in_logs(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  /* Secrets in well-formed, percent-encoded and malformed members. */
  setenv("OTEL_EXPORTER_OTLP_HEADERS",
         "authorization=Bearer%20s3cr3t-one,x-api-key=s3cr3t-two,"
         "bad key=s3cr3t-three,x-enc=%ZZs3cr3t-four,=s3cr3t-five,"
         "x-dup=s3cr3t-six,x-dup=s3cr3t-seven",
         1);
  log_len = 0;
  log_lines = 0;
  log_text[0] = '\0';
  cotel_log_set(collect, NULL, COTEL_LOG_DEBUG);
  const char *endpoint = fx->opts.endpoint;
  cotel_otlp_options_from_env(&fx->opts);
  fx->opts.endpoint = endpoint;
  fx->opts.retry_initial_backoff_ms = 10;
  fx->opts.retry_max_backoff_ms = 20;
  fx->opts.retry_max_attempts = 3;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "ok\nstatus 400\nstatus 401\n"
                                      "status 503\nstatus 503\nstatus 503\n"
                                      "reset\nclose\nclose\nclose");
  for (int i = 0; i < 6; i++)
    otlp_fx_export(fx, s, 0, 1, NULL);
  /* The headers did reach the receiver (they are sent, only not logged). */
  char *h = cotel_test_receiver_header(&fx->rx, 0, "x-api-key");
  fprintf(stderr, "x-api-key received: %s\n", h ? h : "(none)");
  free(h);
  otlp_fx_shutdown(fx, 1000);
  fx->shut = true;
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
  unsetenv("OTEL_EXPORTER_OTLP_HEADERS");
  pthread_mutex_lock(&log_mu);
  fprintf(stderr, "%u log lines captured at debug level\n", log_lines);
  assert_true(log_lines >= 3); /* failures were logged */
  if (strstr(log_text, "s3cr3t"))
    fail_msg("a header value was logged:\n%s", log_text);
  pthread_mutex_unlock(&log_mu);
  otlp_spans_free(s);
}

/* Peak resident set (getrusage: this process never execs). */
static long peak_rss_kb(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* A hostile receiver: garbage bodies, a 64 MiB response, huge headers, and
 * text made to forge log lines. Every span is accounted for, memory stays
 * bounded (the response is kept up to 64 KiB), and nothing the receiver
 * wrote reaches a log line as a control character. */
static void
test_otlp_hostile_responses_are_bounded_and_logged_safely(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(4);
  log_len = 0;
  log_lines = 0;
  log_text[0] = '\0';
  cotel_log_set(collect, NULL, COTEL_LOG_DEBUG);
  fx->opts.retry_max_attempts = 1;
  otlp_fx_start(fx);
  /* The script is UTF-8 text; \xc2\x9b is the C1 control CSI. */
  assert_int_equal(cotel_test_receiver_script(
                       &fx->rx, "junk 200 1048576\n"
                                "stream 64\n"
                                "headers 60 8000\n"
                                "evil 400\n"
                                "partial 2 \x1b]0;pwned\x07\x1b[2J\xc2\x9b\n"
                                "junk 400 70000 text/plain"),
                   0);
  long rss0 = peak_rss_kb();
  /* An unreadable 200 body is a success without a partial success. */
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  /* 64 MiB of body: delivered, kept up to 64 KiB. */
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  long rss1 = peak_rss_kb();
  fprintf(stderr, "peak RSS %ld kB before, %ld kB after 65 MiB of bodies\n",
          rss0, rss1);
  assert_true(rss1 - rss0 < 16 * 1024);
  /* 480 KB of headers: libcurl may refuse them (its header limit); either
   * way the span is counted once. */
  int rc = otlp_fx_export(fx, s, 0, 1, NULL);
  assert_true(rc == 0 || rc == COTEL_EEXPORT || rc == COTEL_ERETRY);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), COTEL_EEXPORT);
  assert_int_equal(otlp_fx_export(fx, s, 0, 4, NULL), 0); /* partial 2 of 4 */
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), COTEL_EEXPORT);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spans_exported + st.spans_failed, 9);
  assert_int_equal(st.spans_rejected, 2);
  otlp_fx_shutdown(fx, 1000);
  fx->shut = true;
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
  pthread_mutex_lock(&log_mu);
  fprintf(stderr, "%u log lines:\n%s", log_lines, log_text);
  assert_non_null(strstr(log_text, "FAKE: all spans exported")); /* quoted */
  assert_non_null(strstr(log_text, "pwned"));
  for (size_t i = 0; i < log_len; i++) {
    unsigned char c = (unsigned char)log_text[i];
    if ((c < 0x20 && c != '\n') || c == 0x7f)
      fail_msg("control byte 0x%02x logged at %zu", c, i);
    if (c == 0xc2 && i + 1 < log_len &&
        (unsigned char)log_text[i + 1] >= 0x80 &&
        (unsigned char)log_text[i + 1] < 0xa0)
      fail_msg("a C1 control logged at %zu", i);
  }
  /* One log line per message: the receiver's CR/LF forged none. */
  assert_null(strstr(log_text, "\nFAKE"));
  pthread_mutex_unlock(&log_mu);
  otlp_spans_free(s);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_otlp_https_verifies_certificates_by_default, otlp_fx_setup_tls,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_mtls_with_certificates_made_by_openssl, setup_none, NULL),
      cmocka_unit_test_setup_teardown(
          test_otlp_mtls_refuses_without_the_client_certificate, setup_none,
          NULL),
      cmocka_unit_test_setup_teardown(test_otlp_tls_refuses_a_hostname_mismatch,
                                      setup_none, NULL),
      cmocka_unit_test_setup_teardown(
          test_otlp_header_values_never_appear_in_logs, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_hostile_responses_are_bounded_and_logged_safely,
          otlp_fx_setup, otlp_fx_teardown),
  };
  return cotel_test_run(argc, argv, "otlp_security", tests);
}
