/* build/bin/cotel-gen against the in-tree OTLP receiver: one JSON line with
 * every key, ended = exported + dropped + failed, the receiver got exactly
 * `exported` spans (no duplicates), bad arguments are refused. */
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/otlp_compare.h"
#include "support/otlp_receiver.h"

static const char *const keys[] = {
    "started", "ended",   "exported",    "dropped",    "failed",
    "retried", "wall_ms", "shutdown_ms", "max_end_ns", "peak_rss_kb"};
#define N_KEYS (sizeof keys / sizeof keys[0])

/* Run cotel-gen with args and OTEL_* from env (NULL-terminated "K=V");
 * its stdout into out (NUL-terminated); returns its exit status. */
static int run_gen(const char *const *args, const char *const *env, char *out,
                   size_t cap) {
  char path[512];
  const char *dir = getenv("COTEL_BIN_DIR");
  assert_non_null(dir);
  snprintf(path, sizeof path, "%s/cotel-gen", dir);
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    const char *argv[32] = {path};
    size_t n = 1;
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    for (; env && *env; env++)
      putenv((char *)*env);
    for (; args && *args && n < 31; args++)
      argv[n++] = *args;
    argv[n] = NULL;
    alarm(60); /* a hung generator dies */
    execv(path, (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  size_t len = 0;
  ssize_t k;
  while (len + 1 < cap && (k = read(fds[0], out + len, cap - 1 - len)) > 0)
    len += (size_t)k;
  out[len] = '\0';
  close(fds[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

/* The value of "key" in a flat JSON object of integers (-1 if absent). */
static long long json_int(const char *json, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(json, pat);
  return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static long long received_spans(cotel_test_receiver *rx) {
  long n = cotel_test_receiver_count(rx);
  long long spans = 0;
  for (long i = 0; i < n; i++) {
    size_t len;
    char *body = cotel_test_receiver_body(rx, i, &len);
    otlp_pb_request *r = otlp_pb_decode(body, len);
    assert_non_null(r);
    spans += (long long)otlp_pb_count(r);
    otlp_pb_free(r);
    free(body);
  }
  return spans;
}

static void test_cotel_gen_prints_one_json_line_that_adds_up(void **state) {
  cotel_test_receiver rx;
  char out[1024], endpoint[128];
  (void)state;
  assert_int_equal(cotel_test_receiver_start(&rx, NULL), 0);
  snprintf(endpoint, sizeof endpoint, "OTEL_EXPORTER_OTLP_ENDPOINT=%s",
           rx.base);
  const char *const env[] = {endpoint, "OTEL_BSP_SCHEDULE_DELAY=50", NULL};
  const char *const args[] = {"--spans", "3000",    "--threads",
                              "3",       "--attrs", "5",
                              "--depth", "4",       "--shutdown-timeout-ms",
                              "20000",   NULL};
  assert_int_equal(run_gen(args, env, out, sizeof out), 0);
  /* Exactly one line, with every key. */
  char *nl = strchr(out, '\n');
  assert_non_null(nl);
  assert_string_equal(nl + 1, "");
  assert_true(out[0] == '{');
  for (size_t i = 0; i < N_KEYS; i++)
    assert_true(json_int(out, keys[i]) >= 0);
  long long ended = json_int(out, "ended");
  assert_int_equal(json_int(out, "started"), 3000);
  assert_int_equal(ended, 3000);
  assert_int_equal(json_int(out, "exported") + json_int(out, "dropped") +
                       json_int(out, "failed"),
                   ended);
  assert_int_equal(json_int(out, "exported"), received_spans(&rx));
  assert_true(json_int(out, "shutdown_ms") <= 20000);
  assert_true(json_int(out, "peak_rss_kb") > 0);
  cotel_test_receiver_stop(&rx);
}

/* A destination that accepts connections and never answers: shutdown hits
 * its bound, and every span is still accounted for (queued ones dropped,
 * in-flight ones failed). */
static void
test_cotel_gen_accounts_for_every_span_when_shutdown_times_out(void **state) {
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  char out[1024], endpoint[128];
  (void)state;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(fd, 64), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
  snprintf(endpoint, sizeof endpoint,
           "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:%d",
           ntohs(a.sin_port));
  const char *const env[] = {endpoint, "OTEL_BSP_SCHEDULE_DELAY=50", NULL};
  const char *const args[] = {"--spans", "5000", "--shutdown-timeout-ms", "500",
                              NULL};
  assert_int_equal(run_gen(args, env, out, sizeof out), 0);
  close(fd);
  assert_int_equal(json_int(out, "ended"), 5000);
  assert_int_equal(json_int(out, "exported"), 0);
  /* How many were in flight (failed) rather than queued (dropped) depends
   * on scheduling; their sum does not. */
  assert_int_equal(json_int(out, "dropped") + json_int(out, "failed"), 5000);
  assert_true(json_int(out, "shutdown_ms") >= 450);
  assert_true(json_int(out, "shutdown_ms") < 500 + 1500);
}

static void test_cotel_gen_runs_for_a_duration_at_a_rate(void **state) {
  char out[1024];
  (void)state;
  const char *const env[] = {"OTEL_TRACES_EXPORTER=none", NULL};
  const char *const args[] = {"--duration", "0.5", "--rate", "200", NULL};
  assert_int_equal(run_gen(args, env, out, sizeof out), 0);
  long long started = json_int(out, "started");
  /* 100 spans scheduled; a loaded machine may fall behind, never ahead. */
  assert_true(started >= 1 && started <= 101);
  assert_true(json_int(out, "wall_ms") >= 490);
}

static void test_cotel_gen_refuses_bad_arguments(void **state) {
  char out[256];
  (void)state;
  const char *const bad[][4] = {
      {NULL},
      {"--spans", "10", "--duration", "1"},
      {"--spans", "-1", NULL},
      {"--spans", "ten", NULL},
      {"--threads", "0", "--spans", "1"},
      {"--depth", "100", "--spans", "1"},
      {"--rate", "nan", "--spans", "1"},
      {"--unknown", "1", NULL},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(run_gen(bad[i], NULL, out, sizeof out), 2);
    assert_string_equal(out, "");
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cotel_gen_prints_one_json_line_that_adds_up),
      cmocka_unit_test(
          test_cotel_gen_accounts_for_every_span_when_shutdown_times_out),
      cmocka_unit_test(test_cotel_gen_runs_for_a_duration_at_a_rate),
      cmocka_unit_test(test_cotel_gen_refuses_bad_arguments),
  };
  return cotel_test_run(argc, argv, "cotel_gen", tests);
}
