/* End-to-end tests of build/bin/cotel-hop (examples/cotel-hop): chains of
 * three hop processes, fan-out, the sleep timer, baggage. Each hop answers
 * with its trace id, span id, parent id and the span ids of its CLIENT
 * spans, so the test can check that the whole chain is one trace with each
 * hop a child of its caller's CLIENT span. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <curl/curl.h>

#include "test_util.h"
#include "support/service_proc.h"

#include <jansson.h>

/* A response body. */
typedef struct tbuf {
  char *data;
  size_t len;
} tbuf;

static int tbuf_append(tbuf *b, const void *p, size_t n) {
  char *d = realloc(b->data, b->len + n + 1);
  if (!d) return -1;
  memcpy(d + b->len, p, n);
  b->data = d;
  b->len += n;
  d[b->len] = 0;
  return 0;
}

static void tbuf_free(tbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
}

#define N_HOPS 3
#define WAIT_S 10
#define FANOUT 20

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"

typedef service_proc hop_proc;

static hop_proc hops[N_HOPS];

static void hop_start(hop_proc *h, const char *name) {
  const char *const args[] = {"--service", name, NULL};
  service_proc_start(h, "cotel-hop", args);
}

static int hop_stop(hop_proc *h) {
  return service_proc_stop(h);
}

static int setup(void **state) {
  (void)state;
  static const char *const names[N_HOPS] = {"hop-a", "hop-b", "hop-c"};
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (int i = 0; i < N_HOPS; i++)
    hop_start(&hops[i], names[i]);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  int bad = 0;
  for (int i = 0; i < N_HOPS; i++)
    bad |= hop_stop(&hops[i]);
  curl_global_cleanup();
  assert_int_equal(bad, 0); /* every hop shut down cleanly */
  return 0;
}

/* ---- HTTP GET (possibly on a thread) ---- */

typedef struct get_req {
  char url[4096];
  const char *headers[4];
  long status;
  tbuf body;
  CURLcode rc;
} get_req;

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  return tbuf_append((tbuf *)ud, p, sz * n) ? 0 : sz * n;
}

static void *do_get(void *arg) {
  get_req *g = arg;
  CURL *e = curl_easy_init();
  struct curl_slist *h = NULL;
  for (size_t i = 0; g->headers[i]; i++)
    h = curl_slist_append(h, g->headers[i]);
  curl_easy_setopt(e, CURLOPT_URL, g->url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 3L * WAIT_S);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &g->body);
  g->rc = curl_easy_perform(e);
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &g->status);
  tbuf_append(&g->body, "", 0);
  curl_slist_free_all(h);
  curl_easy_cleanup(e);
  return NULL;
}

/* GET and parse the JSON reply (status 200 required). */
static json_t *get_json(get_req *g) {
  do_get(g);
  assert_int_equal(g->rc, CURLE_OK);
  assert_int_equal(g->status, 200);
  json_t *v = json_loadb(g->body.data, g->body.len, 0, NULL);
  if (!v) fail_msg("not JSON: %s", g->body.data);
  tbuf_free(&g->body);
  return v;
}

static long get_status(const char *url) {
  get_req g = {0};
  snprintf(g.url, sizeof(g.url), "%s", url);
  do_get(&g);
  tbuf_free(&g.body);
  assert_int_equal(g.rc, CURLE_OK);
  return g.status;
}

static void hop_url(char *out, size_t cap, int i) {
  snprintf(out, cap, "http://127.0.0.1:%d/hop", hops[i].port);
}

/* ---- JSON checks ---- */

static const char *str_of(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  if (!v) fail_msg("no \"%s\"", key);
  if (json_is_null(v)) return NULL;
  assert_true(json_is_string(v));
  return json_string_value(v);
}

static bool is_hex(const char *s, size_t n) {
  if (!s || strlen(s) != n) return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

/* The hop's CLIENT span ids, checked against its downstream replies: each
 * downstream's parent is the CLIENT span that called it, in order. */
static void assert_children(const json_t *hop, const json_t *down, size_t i) {
  const json_t *ids = json_object_get(hop, "client_span_ids");
  assert_non_null(ids);
  assert_true(json_is_array(ids));
  assert_true(i < json_array_size(ids));
  assert_true(json_is_object(down));
  assert_string_equal(str_of(down, "trace_id"), str_of(hop, "trace_id"));
  assert_string_equal(str_of(down, "parent_id"),
                      json_string_value(json_array_get(ids, i)));
  /* A CLIENT span sits between the two SERVER spans. */
  assert_string_not_equal(str_of(down, "parent_id"), str_of(hop, "span_id"));
  assert_string_not_equal(json_string_value(json_array_get(ids, i)),
                          str_of(hop, "span_id"));
}

static void assert_hop(const json_t *hop, const char *service) {
  assert_non_null(hop);
  assert_true(json_is_object(hop));
  assert_string_equal(str_of(hop, "service"), service);
  assert_true(is_hex(str_of(hop, "trace_id"), 32));
  assert_true(is_hex(str_of(hop, "span_id"), 16));
}

/* ---- Tests ---- */

static void test_chain_of_three_hops_is_one_trace(void **state) {
  (void)state;
  char b[128], c[128];
  hop_url(b, sizeof(b), 1);
  hop_url(c, sizeof(c), 2);
  get_req g = {0};
  snprintf(g.url, sizeof(g.url), "http://127.0.0.1:%d/hop?next=%s,%s",
           hops[0].port, b, c);
  g.headers[0] = "traceparent: 00-" TID "-" PID "-01";
  json_t *a = get_json(&g);

  assert_hop(a, "hop-a");
  assert_string_equal(str_of(a, "trace_id"), TID);
  assert_string_equal(str_of(a, "parent_id"), PID);
  const json_t *hb = json_object_get(a, "downstream");
  assert_hop(hb, "hop-b");
  assert_children(a, hb, 0);
  const json_t *hc = json_object_get(hb, "downstream");
  assert_hop(hc, "hop-c");
  assert_children(hb, hc, 0);
  /* The last hop calls nobody. */
  assert_true(json_is_null(json_object_get(hc, "downstream")));
  assert_int_equal(json_array_size(json_object_get(hc, "client_span_ids")), 0);
  assert_string_equal(str_of(hc, "trace_id"), TID);
  json_decref(a);
}

static void test_chain_without_traceparent_starts_one_new_trace(void **state) {
  (void)state;
  char b[128], c[128];
  hop_url(b, sizeof(b), 1);
  hop_url(c, sizeof(c), 2);
  get_req g = {0};
  snprintf(g.url, sizeof(g.url), "http://127.0.0.1:%d/hop?next=%s,%s",
           hops[0].port, b, c);
  json_t *a = get_json(&g);
  assert_hop(a, "hop-a");
  assert_null(str_of(a, "parent_id"));
  const json_t *hb = json_object_get(a, "downstream");
  assert_children(a, hb, 0);
  assert_children(hb, json_object_get(hb, "downstream"), 0);
  json_decref(a);
}

static void test_baggage_travels_through_every_hop(void **state) {
  (void)state;
  char b[128], c[128];
  hop_url(b, sizeof(b), 1);
  hop_url(c, sizeof(c), 2);
  get_req g = {0};
  snprintf(g.url, sizeof(g.url), "http://127.0.0.1:%d/hop?next=%s,%s",
           hops[0].port, b, c);
  g.headers[0] = "traceparent: 00-" TID "-" PID "-01";
  g.headers[1] = "baggage: user=alice,tenant=t%201";
  json_t *a = get_json(&g);
  const json_t *hop = a;
  for (int i = 0; i < N_HOPS; i++) {
    const char *bag = str_of(hop, "baggage");
    if (!bag || !strstr(bag, "user=alice") || !strstr(bag, "tenant=t%201"))
      fail_msg("hop %d got baggage '%s'", i, bag ? bag : "(none)");
    hop = json_object_get(hop, "downstream");
  }
  json_decref(a);
}

static void test_sleep_timer_keeps_the_server_span_current(void **state) {
  (void)state;
  char b[128];
  hop_url(b, sizeof(b), 1);
  get_req g = {0};
  /* The call to the next hop starts from the timer callback: its CLIENT
   * span is a child of our SERVER span only if the timer carried it. */
  snprintf(g.url, sizeof(g.url), "http://127.0.0.1:%d/hop?sleep_ms=10&next=%s",
           hops[0].port, b);
  g.headers[0] = "traceparent: 00-" TID "-" PID "-01";
  json_t *a = get_json(&g);
  assert_string_equal(str_of(a, "trace_id"), TID);
  assert_children(a, json_object_get(a, "downstream"), 0);
  json_decref(a);
}

static void test_fanout_through_two_hops_is_one_tree(void **state) {
  (void)state;
  char b[128], c[128];
  hop_url(b, sizeof(b), 1);
  hop_url(c, sizeof(c), 2);
  get_req g = {0};
  snprintf(g.url, sizeof(g.url), "http://127.0.0.1:%d/hop?fanout=%d&next=%s,%s",
           hops[0].port, FANOUT, b, c);
  g.headers[0] = "traceparent: 00-" TID "-" PID "-01";
  json_t *a = get_json(&g);
  const json_t *down = json_object_get(a, "downstream");
  assert_non_null(down);
  assert_true(json_is_array(down));
  assert_int_equal(json_array_size(down), FANOUT);
  const json_t *ids = json_object_get(a, "client_span_ids");
  for (size_t i = 0; i < FANOUT; i++) {
    assert_hop(json_array_get(down, i), "hop-b");
    assert_children(a, json_array_get(down, i), i);
    assert_children(json_array_get(down, i),
                    json_object_get(json_array_get(down, i), "downstream"), 0);
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal(json_string_value(json_array_get(ids, i)),
                              json_string_value(json_array_get(ids, j)));
  }
  json_decref(a);
}

/* The test itself as the next hop: it answers none of the fan-out calls
 * until all of them are connected and sent, which only concurrent calls
 * can achieve. */
static void test_fanout_calls_are_concurrent(void **state) {
  (void)state;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(lfd, 64), 0);
  socklen_t sl = sizeof(sa);
  getsockname(lfd, (struct sockaddr *)&sa, &sl);

  get_req g = {0};
  snprintf(g.url, sizeof(g.url),
           "http://127.0.0.1:%d/hop?fanout=%d&next=http://127.0.0.1:%d/t",
           hops[0].port, FANOUT, ntohs(sa.sin_port));
  g.headers[0] = "traceparent: 00-" TID "-" PID "-01";
  pthread_t thr;
  assert_int_equal(pthread_create(&thr, NULL, do_get, &g), 0);

  int fds[FANOUT];
  char parents[FANOUT][17];
  for (int i = 0; i < FANOUT; i++) {
    struct pollfd pf = {lfd, POLLIN, 0};
    if (poll(&pf, 1, WAIT_S * 1000) != 1)
      fail_msg("only %d of %d calls arrived before any answer", i, FANOUT);
    fds[i] = accept(lfd, NULL, NULL);
    assert_true(fds[i] >= 0);
    char req[4096];
    size_t n = 0;
    while (n < sizeof(req) - 1) {
      ssize_t r = read(fds[i], req + n, sizeof(req) - 1 - n);
      assert_true(r > 0);
      n += (size_t)r;
      req[n] = '\0';
      if (strstr(req, "\r\n\r\n")) break;
    }
    const char *tp = strcasestr(req, "\ntraceparent:");
    assert_non_null(tp);
    tp += 13;
    while (*tp == ' ')
      tp++;
    assert_memory_equal(tp, "00-" TID "-", 36);
    memcpy(parents[i], tp + 36, 16);
    parents[i][16] = '\0';
    for (int j = 0; j < i; j++)
      assert_string_not_equal(parents[i], parents[j]);
  }
  for (int i = 0; i < FANOUT; i++) {
    char body[128], resp[256];
    int bl = snprintf(body, sizeof(body),
                      "{\"trace_id\":\"%s\","
                      "\"parent_id\":\"%s\"}",
                      TID, parents[i]);
    int rl = snprintf(resp, sizeof(resp),
                      "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                      "Connection: close\r\n\r\n%s",
                      bl, body);
    assert_int_equal(write(fds[i], resp, (size_t)rl), rl);
    close(fds[i]);
  }
  pthread_join(thr, NULL);
  close(lfd);
  assert_int_equal(g.rc, CURLE_OK);
  assert_int_equal(g.status, 200);
  json_t *a = json_loadb(g.body.data, g.body.len, 0, NULL);
  assert_non_null(a);
  tbuf_free(&g.body);
  const json_t *down = json_object_get(a, "downstream");
  assert_int_equal(json_array_size(down), FANOUT);
  for (size_t i = 0; i < FANOUT; i++)
    assert_children(a, json_array_get(down, i), i);
  json_decref(a);
}

static void test_bad_requests_are_refused(void **state) {
  (void)state;
  char url[256];
  static const char *const bad[] = {"fanout=0", "fanout=x", "fanout=100000",
                                    "sleep_ms=-1", "next=,http://x/"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hop?%s", hops[0].port,
             bad[i]);
    if (get_status(url) != 400) fail_msg("'%s' accepted", bad[i]);
  }
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/other", hops[0].port);
  assert_int_equal(get_status(url), 404);
}

static void test_unreachable_next_hop_answers_null_downstream(void **state) {
  (void)state;
  get_req g = {0};
  snprintf(g.url, sizeof(g.url),
           "http://127.0.0.1:%d/hop?next=http://127.0.0.1:1/hop", hops[0].port);
  json_t *a = get_json(&g);
  assert_true(json_is_null(json_object_get(a, "downstream")));
  assert_int_equal(json_array_size(json_object_get(a, "client_span_ids")), 1);
  json_decref(a);
}

/* ---- The example server under pipelining and slow clients (issue 11) ---- */

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    assert_true(w > 0);
    p += w;
    n -= (size_t)w;
  }
}

/* Read until `want` responses ("HTTP/1.1 " status lines) have arrived, EOF
 * or WAIT_S; returns how many arrived. *eof tells whether the peer closed. */
static size_t read_responses(int fd, size_t want, bool *eof) {
  static char buf[1 << 16];
  size_t seen = 0, carry = 0;
  *eof = false;
  while (seen < want) {
    struct pollfd pf = {fd, POLLIN, 0};
    if (poll(&pf, 1, WAIT_S * 1000) != 1) break;
    ssize_t n = recv(fd, buf + carry, sizeof buf - carry - 1, 0);
    if (n <= 0) {
      *eof = true;
      break;
    }
    size_t len = carry + (size_t)n;
    buf[len] = 0;
    for (char *p = buf; (p = strstr(p, "HTTP/1.1 ")); p += 9)
      seen++;
    /* Keep a tail that may hold a status line cut in two. */
    carry = len < 8 ? len : 8;
    memmove(buf, buf + len - carry, carry);
    buf[carry] = 0;
    for (char *p = buf; (p = strstr(p, "HTTP/1.1 ")); p += 9)
      seen--; /* counted already */
  }
  return seen;
}

static void test_pipelined_requests_keep_the_connection(void **state) {
  (void)state;
  int fd = connect_to(hops[0].port);
  static const char two[] = "GET /hop HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /hop HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, two, sizeof two - 1);
  bool eof;
  assert_int_equal(read_responses(fd, 2, &eof), 2);
  /* A third request on the same keep-alive connection is answered. */
  send_all(fd, two, sizeof two / 2);
  assert_int_equal(read_responses(fd, 1, &eof), 1);
  assert_false(eof);
  close(fd);
}

static long peak_rss_kb(pid_t pid) {
  char path[64], line[256];
  long kb = -1;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  fclose(f);
  return kb;
}

/* 3000 pipelined requests in one write: every one answered on the same
 * connection, without recursion or a copy of the unread bytes per request
 * (peak memory bounded). */
static void
test_thousands_of_pipelined_requests_are_all_answered(void **state) {
  (void)state;
  enum { N = 3000 };
  static const char one[] = "GET /hop HTTP/1.1\r\nHost: x\r\n\r\n";
  size_t len = (sizeof one - 1) * N;
  char *all = malloc(len);
  for (size_t i = 0; i < N; i++)
    memcpy(all + i * (sizeof one - 1), one, sizeof one - 1);
  long before = peak_rss_kb(hops[0].pid);
  int fd = connect_to(hops[0].port);
  send_all(fd, all, len);
  bool eof;
  assert_int_equal(read_responses(fd, N, &eof), N);
  assert_false(eof);
  close(fd);
  free(all);
  long grew = peak_rss_kb(hops[0].pid) - before;
#if !defined(COTEL_ASAN) && !defined(COTEL_TSAN)
  /* (Sanitizers keep freed memory in quarantine: no bound there.) */
  assert_true(grew < 16 * 1024);
#else
  (void)grew;
#endif
}

static void set_timeouts(void) {
  setenv("HTTPKIT_HEADER_TIMEOUT_MS", "300", 1);
  setenv("HTTPKIT_BODY_TIMEOUT_MS", "300", 1);
  setenv("HTTPKIT_IDLE_TIMEOUT_MS", "300", 1);
}

static int setup_timeouts(void **state) {
  set_timeouts();
  int rc = setup(state);
  unsetenv("HTTPKIT_HEADER_TIMEOUT_MS");
  unsetenv("HTTPKIT_BODY_TIMEOUT_MS");
  unsetenv("HTTPKIT_IDLE_TIMEOUT_MS");
  return rc;
}

/* What a slow client gets: 408 and EOF (or just EOF), within WAIT_S. */
static void expect_closed(int fd, bool want_408) {
  char buf[512];
  size_t len = 0;
  for (;;) {
    struct pollfd pf = {fd, POLLIN, 0};
    assert_int_equal(poll(&pf, 1, WAIT_S * 1000), 1);
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n <= 0) break;
    len += (size_t)n;
  }
  buf[len] = 0;
  if (want_408)
    assert_non_null(strstr(buf, "HTTP/1.1 408"));
  else
    assert_int_equal(len, 0);
  close(fd);
}

static void test_unfinished_request_head_times_out(void **state) {
  (void)state;
  int fd = connect_to(hops[0].port);
  send_all(fd, "GET /hop HTTP/1.1\r\nHo", 21);
  expect_closed(fd, true);
}

static void test_unfinished_body_times_out(void **state) {
  (void)state;
  int fd = connect_to(hops[0].port);
  static const char head[] =
      "POST /hop HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n0123";
  send_all(fd, head, sizeof head - 1);
  expect_closed(fd, true);
}

static void test_idle_connection_is_closed(void **state) {
  (void)state;
  int fd = connect_to(hops[0].port);
  expect_closed(fd, false);
  /* A request answered, then idle: closed too. */
  fd = connect_to(hops[0].port);
  static const char one[] = "GET /hop HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, one, sizeof one - 1);
  bool eof;
  assert_int_equal(read_responses(fd, 1, &eof), 1);
  expect_closed(fd, false);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_chain_of_three_hops_is_one_trace,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_chain_without_traceparent_starts_one_new_trace, setup, teardown),
      cmocka_unit_test_setup_teardown(test_baggage_travels_through_every_hop,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_sleep_timer_keeps_the_server_span_current, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fanout_through_two_hops_is_one_tree,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_fanout_calls_are_concurrent, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_requests_are_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_unreachable_next_hop_answers_null_downstream, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_pipelined_requests_keep_the_connection, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_thousands_of_pipelined_requests_are_all_answered, setup,
          teardown),
      cmocka_unit_test_setup_teardown(test_unfinished_request_head_times_out,
                                      setup_timeouts, teardown),
      cmocka_unit_test_setup_teardown(test_unfinished_body_times_out,
                                      setup_timeouts, teardown),
      cmocka_unit_test_setup_teardown(test_idle_connection_is_closed,
                                      setup_timeouts, teardown),
  };
  return cotel_test_run(argc, argv, "hop", tests);
}
