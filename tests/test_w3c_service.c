/* End-to-end tests of build/bin/w3c-service, the W3C Trace Context
 * test-harness service (examples/w3c-service).
 *
 * Each test starts the service (--port 0, first stdout line "listening on
 * 127.0.0.1:PORT") and a loopback HTTP target in threads of its own that
 * records what the service propagates to it; then drives the service as
 * the W3C harness does (POST /test). The target can hold every answer until
 * N requests have arrived, which proves the calls are concurrent without
 * any sleep. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <http_parser.h>

#include "test_util.h"
#include "support/service_proc.h"

#define MAX_RECS 32
#define WAIT_S 10

/* ---- Loopback target: one thread per connection ---- */

typedef struct rec {
  char method[16];
  char path[256];
  char traceparent[256];
  int n_traceparent;
  char tracestate[1024];
  int n_tracestate;
  char content_type[64];
  char body[2048];
} rec;

typedef struct target {
  int lfd;
  int port;
  int wake[2];
  pthread_t accept_thr;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t hold_until; /* answer once this many requests arrived (0: at once) */
  bool hold_timed_out;
  size_t n;
  rec recs[MAX_RECS];
  pthread_t conn_thr[MAX_RECS];
  size_t n_conn_thr;
} target;

typedef struct conn_ctx {
  target *t;
  int fd;
  rec r;
  char field[64];
  size_t field_len;
  bool last_value;
  bool done;
} conn_ctx;

static void copy_piece(char *dst, size_t cap, const char *at, size_t len) {
  size_t cur = strlen(dst);
  if (cur + len >= cap) len = cap - 1 - cur;
  memcpy(dst + cur, at, len);
  dst[cur + len] = '\0';
}

static int t_on_url(http_parser *p, const char *at, size_t len) {
  conn_ctx *c = p->data;
  copy_piece(c->r.path, sizeof(c->r.path), at, len);
  return 0;
}

static int t_on_field(http_parser *p, const char *at, size_t len) {
  conn_ctx *c = p->data;
  if (c->last_value) c->field_len = 0;
  c->last_value = false;
  if (c->field_len + len < sizeof(c->field)) {
    memcpy(c->field + c->field_len, at, len);
    c->field_len += len;
  }
  c->field[c->field_len] = '\0';
  return 0;
}

static int t_on_value(http_parser *p, const char *at, size_t len) {
  conn_ctx *c = p->data;
  bool first_piece = !c->last_value;
  c->last_value = true;
  if (strcasecmp(c->field, "traceparent") == 0) {
    if (first_piece) c->r.n_traceparent++;
    copy_piece(c->r.traceparent, sizeof(c->r.traceparent), at, len);
  } else if (strcasecmp(c->field, "tracestate") == 0) {
    if (first_piece && c->r.n_tracestate++)
      copy_piece(c->r.tracestate, sizeof(c->r.tracestate), ",", 1);
    copy_piece(c->r.tracestate, sizeof(c->r.tracestate), at, len);
  } else if (strcasecmp(c->field, "content-type") == 0) {
    copy_piece(c->r.content_type, sizeof(c->r.content_type), at, len);
  }
  return 0;
}

static int t_on_body(http_parser *p, const char *at, size_t len) {
  conn_ctx *c = p->data;
  copy_piece(c->r.body, sizeof(c->r.body), at, len);
  return 0;
}

static int t_on_complete(http_parser *p) {
  conn_ctx *c = p->data;
  c->done = true;
  snprintf(c->r.method, sizeof(c->r.method), "%s",
           http_method_str((enum http_method)p->method));
  return 0;
}

static void *conn_main(void *arg) {
  conn_ctx *c = arg;
  target *t = c->t;
  http_parser_settings s = {.on_url = t_on_url,
                            .on_header_field = t_on_field,
                            .on_header_value = t_on_value,
                            .on_body = t_on_body,
                            .on_message_complete = t_on_complete};
  http_parser p;
  http_parser_init(&p, HTTP_REQUEST);
  p.data = c;
  char buf[4096];
  while (!c->done) {
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n <= 0) break;
    if (http_parser_execute(&p, &s, buf, (size_t)n) != (size_t)n) break;
  }
  if (c->done) {
    pthread_mutex_lock(&t->mu);
    if (t->n < MAX_RECS) t->recs[t->n++] = c->r;
    pthread_cond_broadcast(&t->cv);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += WAIT_S;
    while (t->n < t->hold_until && !t->hold_timed_out)
      if (pthread_cond_timedwait(&t->cv, &t->mu, &dl) == ETIMEDOUT)
        t->hold_timed_out = true;
    pthread_mutex_unlock(&t->mu);
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                       "Connection: close\r\n\r\nok\n";
    ssize_t w = write(c->fd, resp, strlen(resp));
    (void)w;
  }
  close(c->fd);
  free(c);
  return NULL;
}

static void *accept_main(void *arg) {
  target *t = arg;
  for (;;) {
    struct pollfd pf[2] = {{t->lfd, POLLIN, 0}, {t->wake[0], POLLIN, 0}};
    if (poll(pf, 2, -1) < 0 && errno != EINTR) break;
    if (pf[1].revents) break;
    if (!(pf[0].revents & POLLIN)) continue;
    int fd = accept(t->lfd, NULL, NULL);
    if (fd < 0) continue;
    conn_ctx *c = calloc(1, sizeof(*c));
    pthread_mutex_lock(&t->mu);
    bool room = c && t->n_conn_thr < MAX_RECS;
    if (room) {
      c->t = t;
      c->fd = fd;
      room =
          pthread_create(&t->conn_thr[t->n_conn_thr], NULL, conn_main, c) == 0;
      if (room) t->n_conn_thr++;
    }
    pthread_mutex_unlock(&t->mu);
    if (!room) {
      close(fd);
      free(c);
    }
  }
  return NULL;
}

static void target_start(target *t) {
  memset(t, 0, sizeof(*t));
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  t->lfd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(t->lfd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(t->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(listen(t->lfd, 64), 0);
  socklen_t len = sizeof(a);
  getsockname(t->lfd, (struct sockaddr *)&a, &len);
  t->port = ntohs(a.sin_port);
  assert_int_equal(pipe(t->wake), 0);
  assert_int_equal(pthread_create(&t->accept_thr, NULL, accept_main, t), 0);
}

static void target_stop(target *t) {
  ssize_t w = write(t->wake[1], "x", 1);
  (void)w;
  pthread_join(t->accept_thr, NULL);
  pthread_mutex_lock(&t->mu);
  t->hold_until = 0; /* release anyone still held */
  pthread_cond_broadcast(&t->cv);
  size_t n = t->n_conn_thr;
  pthread_mutex_unlock(&t->mu);
  for (size_t i = 0; i < n; i++)
    pthread_join(t->conn_thr[i], NULL);
  close(t->lfd);
  close(t->wake[0]);
  close(t->wake[1]);
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cv);
}

/* ---- The service process ---- */

typedef service_proc service;

static void service_start(service *s) {
  service_proc_start(s, "w3c-service", NULL);
}

/* SIGTERM; the service must stop cleanly (exit 0, spans flushed). */
static int service_stop(service *s) {
  return service_proc_stop(s);
}

/* ---- Fixture ---- */

typedef struct fixture {
  target t;
  service s;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  target_start(&f->t);
  service_start(&f->s);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  int rc = service_stop(&f->s);
  target_stop(&f->t);
  free(f);
  curl_global_cleanup();
  assert_int_equal(rc, 0);
  return 0;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return sz * n;
}

/* POST /test with the given headers (NULL-terminated list) and body;
 * returns the HTTP status. */
static long drive(fixture *f, const char *const *headers, const char *body) {
  CURL *e = curl_easy_init();
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/test", f->s.port);
  struct curl_slist *h = curl_slist_append(NULL, "Expect:");
  for (size_t i = 0; headers && headers[i]; i++)
    h = curl_slist_append(h, headers[i]);
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 3L * WAIT_S);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
  CURLcode rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(e);
  assert_int_equal(rc, CURLE_OK);
  return status;
}

/* A body asking for `n` calls to the target. */
static void calls_body(fixture *f, size_t n, char *out, size_t cap) {
  size_t used = (size_t)snprintf(out, cap, "[");
  for (size_t i = 0; i < n; i++)
    used += (size_t)snprintf(out + used, cap - used,
                             "%s{\"url\":\"http://127.0.0.1:%d/call/%zu\","
                             "\"arguments\":[]}",
                             i ? "," : "", f->t.port, i);
  snprintf(out + used, cap - used, "]");
}

/* Send one request asking for one call; return a copy of what the target
 * recorded for it. */
static rec one_call(fixture *f, const char *traceparent,
                    const char *tracestate) {
  char tp[300], ts[1100], body[512];
  const char *hdrs[3] = {NULL, NULL, NULL};
  size_t k = 0;
  if (traceparent) {
    snprintf(tp, sizeof(tp), "traceparent: %s", traceparent);
    hdrs[k++] = tp;
  }
  if (tracestate) {
    snprintf(ts, sizeof(ts), "tracestate: %s", tracestate);
    hdrs[k++] = ts;
  }
  calls_body(f, 1, body, sizeof(body));
  pthread_mutex_lock(&f->t.mu);
  size_t before = f->t.n;
  pthread_mutex_unlock(&f->t.mu);
  assert_int_equal(drive(f, hdrs, body), 200);
  pthread_mutex_lock(&f->t.mu);
  /* The service answers only after its call completed. */
  assert_int_equal(f->t.n, before + 1);
  rec r = f->t.recs[before];
  pthread_mutex_unlock(&f->t.mu);
  return r;
}

/* Send one request asking for one call with these header lines; return
 * what the target recorded for it. */
static rec call_with(fixture *f, const char *const *hdrs) {
  char body[512];
  calls_body(f, 1, body, sizeof(body));
  pthread_mutex_lock(&f->t.mu);
  size_t before = f->t.n;
  pthread_mutex_unlock(&f->t.mu);
  assert_int_equal(drive(f, hdrs, body), 200);
  pthread_mutex_lock(&f->t.mu);
  assert_int_equal(f->t.n, before + 1);
  rec r = f->t.recs[before];
  pthread_mutex_unlock(&f->t.mu);
  return r;
}

static bool is_lower_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

/* A well-formed version-00 traceparent with non-zero ids. */
static void assert_valid_traceparent(const rec *r) {
  const char *tp = r->traceparent;
  assert_int_equal(r->n_traceparent, 1);
  assert_int_equal(strlen(tp), 55);
  assert_memory_equal(tp, "00-", 3);
  assert_true(is_lower_hex(tp + 3, 32) && tp[35] == '-');
  assert_true(is_lower_hex(tp + 36, 16) && tp[52] == '-');
  assert_true(is_lower_hex(tp + 53, 2));
  assert_true(strncmp(tp + 3, "00000000000000000000000000000000", 32) != 0);
  assert_true(strncmp(tp + 36, "0000000000000000", 16) != 0);
}

#define TID "0af7651916cd43dd8448eb211c80319c"
#define PID "b7ad6b7169203331"

static void assert_continued(const rec *r, const char *flags) {
  assert_valid_traceparent(r);
  assert_memory_equal(r->traceparent + 3, TID, 32);
  /* A new parent id: the service's CLIENT span. */
  assert_memory_not_equal(r->traceparent + 36, PID, 16);
  assert_string_equal(r->traceparent + 53, flags);
}

/* ---- Tests ---- */

static void
test_valid_traceparent_continues_the_trace_with_a_new_parent(void **state) {
  fixture *f = *state;
  rec r = one_call(f, "00-" TID "-" PID "-01",
                   "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  assert_continued(&r, "01");
  /* Our entry policy: we never add or reorder tracestate members. */
  assert_int_equal(r.n_tracestate, 1);
  assert_string_equal(r.tracestate, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
}

static void test_valid_traceparent_keeps_the_random_flag(void **state) {
  fixture *f = *state;
  rec r = one_call(f, "00-" TID "-" PID "-03", NULL);
  assert_continued(&r, "03");
  assert_int_equal(r.n_tracestate, 0);
}

static void test_valid_traceparent_keeps_the_unsampled_flag(void **state) {
  fixture *f = *state;
  rec r = one_call(f, "00-" TID "-" PID "-00", "k=v");
  assert_continued(&r, "00");
  assert_string_equal(r.tracestate, "k=v");
}

static void test_uppercase_traceparent_header_name_is_accepted(void **state) {
  fixture *f = *state;
  char body[512];
  calls_body(f, 1, body, sizeof(body));
  const char *hdrs[] = {"TraceParent: 00-" TID "-" PID "-01", NULL};
  assert_int_equal(drive(f, hdrs, body), 200);
  pthread_mutex_lock(&f->t.mu);
  rec r = f->t.recs[f->t.n - 1];
  pthread_mutex_unlock(&f->t.mu);
  assert_continued(&r, "01");
}

static void test_future_version_traceparent_is_continued(void **state) {
  fixture *f = *state;
  /* W3C Trace Context §4.3: parse a higher version as 00 when its first
   * fields are valid, ignoring what follows. */
  rec r = one_call(f, "cc-" TID "-" PID "-01-what-the-future-will-be", NULL);
  assert_continued(&r, "01");
}

static void test_invalid_traceparent_starts_a_new_trace(void **state) {
  fixture *f = *state;
  static const char *const bad[] = {
      "ff-" TID "-" PID "-01",                          /* version ff */
      "00-00000000000000000000000000000000-" PID "-01", /* zero trace */
      "00-" TID "-0000000000000000-01",                 /* zero parent */
      "00-0AF7651916CD43DD8448EB211C80319C-" PID "-01", /* upper hex */
      "00-" TID "-" PID "-01-extra",                    /* 00 has 4 fields */
      "00-" TID "-" PID,                                /* no flags */
      "00-" TID "x-" PID "-01",                         /* trace id too long */
      "00-" TID "-" PID "-0g",                          /* flags not hex */
      "0-" TID "-" PID "-01",                           /* short version */
      "00_" TID "_" PID "_01",                          /* wrong delimiter */
      "",                                               /* empty */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    rec r = one_call(f, bad[i], "congo=t61rcWkgMzE");
    assert_valid_traceparent(&r);
    if (memcmp(r.traceparent + 3, TID, 32) == 0)
      fail_msg("invalid traceparent '%s' was continued", bad[i]);
    /* With the traceparent ignored its tracestate goes too (§3.3.1). */
    if (r.n_tracestate != 0)
      fail_msg("tracestate kept with invalid traceparent '%s'", bad[i]);
  }
}

static void test_no_traceparent_starts_a_new_sampled_trace(void **state) {
  fixture *f = *state;
  rec r = one_call(f, NULL, NULL);
  assert_valid_traceparent(&r);
  /* A root we start is sampled (parentbased_always_on) and its trace id is
   * random (level 2 flag). */
  assert_string_equal(r.traceparent + 53, "03");
  assert_int_equal(r.n_tracestate, 0);
}

static void test_duplicate_traceparent_headers_start_a_new_trace(void **state) {
  fixture *f = *state;
  char body[512];
  calls_body(f, 1, body, sizeof(body));
  const char *hdrs[] = {"traceparent: 00-" TID "-" PID "-01",
                        "traceparent: 00-" TID "-b7ad6b7169203332-01", NULL};
  assert_int_equal(drive(f, hdrs, body), 200);
  pthread_mutex_lock(&f->t.mu);
  rec r = f->t.recs[f->t.n - 1];
  pthread_mutex_unlock(&f->t.mu);
  assert_valid_traceparent(&r);
  assert_memory_not_equal(r.traceparent + 3, TID, 32);
}

static void
test_invalid_tracestate_is_dropped_and_traceparent_continued(void **state) {
  fixture *f = *state;
  char many[1024];
  size_t used = 0;
  for (int i = 0; i < 33; i++) /* 33 members: over the limit of 32 */
    used += (size_t)snprintf(many + used, sizeof(many) - used, "%sk%d=v",
                             i ? "," : "", i);
  const char *const bad[] = {
      "Foo=bar",     /* uppercase key */
      "foo=bar=baz", /* '=' in value */
      "=bar",        /* empty key */
      "foo",         /* no '=' */
      "@foo=bar",    /* '@' first */
      many,
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    rec r = one_call(f, "00-" TID "-" PID "-01", bad[i]);
    assert_continued(&r, "01");
    if (r.n_tracestate != 0 && r.tracestate[0] != '\0')
      fail_msg("invalid tracestate '%s' propagated as '%s'", bad[i],
               r.tracestate);
  }
}

/* The current draft: '@' anywhere in a key but first, 256-character keys,
 * and duplicate keys kept (we keep the left-most) instead of dropping the
 * header. */
static void test_current_draft_tracestate_keys_are_propagated(void **state) {
  fixture *f = *state;
  static char long_key[300];
  memset(long_key, 'z', 256);
  strcpy(long_key + 256, "=1,foo=2");
  const char *const cases[][2] = {
      {"foo@=1,bar=2", "foo@=1,bar=2"},
      {"foo@@bar=1,foo@bar@baz=2", "foo@@bar=1,foo@bar@baz=2"},
      {"foo=1,foo=2", "foo=1"},
      {"foo=1,bar=3,foo=1", "foo=1,bar=3"},
      {long_key, long_key},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    rec r = one_call(f, "00-" TID "-" PID "-01", cases[i][0]);
    assert_continued(&r, "01");
    assert_string_equal(r.tracestate, cases[i][1]);
  }
}

static void test_multi_line_tracestate_is_combined(void **state) {
  fixture *f = *state;
  char body[512];
  calls_body(f, 1, body, sizeof(body));
  const char *hdrs[] = {"traceparent: 00-" TID "-" PID "-01", "tracestate: a=1",
                        "tracestate: b=2", NULL};
  assert_int_equal(drive(f, hdrs, body), 200);
  pthread_mutex_lock(&f->t.mu);
  rec r = f->t.recs[f->t.n - 1];
  pthread_mutex_unlock(&f->t.mu);
  assert_continued(&r, "01");
  assert_int_equal(r.n_tracestate, 1);
  assert_string_equal(r.tracestate, "a=1,b=2");
}

static void
test_traceparent_with_surrounding_whitespace_is_continued(void **state) {
  fixture *f = *state;
  /* RFC 9110 §5.5: optional whitespace around a field value is not part of
   * it. */
  static const char *const forms[] = {
      "traceparent: 00-" TID "-" PID "-01",
      "traceparent:\t00-" TID "-" PID "-01",
      "traceparent: 00-" TID "-" PID "-01 ",
      "traceparent: 00-" TID "-" PID "-01\t",
      "traceparent:\t 00-" TID "-" PID "-01 \t",
  };
  for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
    const char *hdrs[] = {forms[i], NULL};
    rec r = call_with(f, hdrs);
    if (memcmp(r.traceparent, "00-" TID "-", 36) != 0)
      fail_msg("'%s' not continued: got '%s'", forms[i], r.traceparent);
    assert_continued(&r, "01");
  }
}

/* `n` comma-separated members "barNN=NN" starting at `first`. */
static void members(char *out, size_t cap, int first, int n) {
  size_t used = 0;
  out[0] = '\0';
  for (int i = first; i < first + n; i++)
    used += (size_t)snprintf(out + used, cap - used, "%sbar%02d=%02d",
                             i > first ? "," : "", i, i);
}

static void test_valid_tracestate_edge_cases_are_kept(void **state) {
  fixture *f = *state;
  char a[512], b[512], c[512], d[512], all32[2048];
  char big[1200], big_hdr[1300], want_big[1300];
  char key[64], value[128], kv_hdr[512], kv[400];
  const char *tp = "traceparent: 00-" TID "-" PID "-01";

  /* Whitespace around members is not part of them (W3C §3.3.1.1). */
  const char *ows[] = {tp, "tracestate: foo=1 \t , \t bar=2, \t baz=3", NULL};
  rec r = call_with(f, ows);
  assert_string_equal(r.tracestate, "foo=1,bar=2,baz=3");

  /* Empty tracestate lines add nothing ("tracestate;" makes curl send an
   * empty one). */
  const char *empty1[] = {tp, "tracestate: foo=1", "tracestate;", NULL};
  r = call_with(f, empty1);
  assert_string_equal(r.tracestate, "foo=1");
  const char *empty2[] = {tp, "tracestate;", "tracestate: foo=1", NULL};
  r = call_with(f, empty2);
  assert_string_equal(r.tracestate, "foo=1");

  /* Exactly 32 members over four lines. */
  char la[600], lb[600], lc[600], ld[600];
  members(a, sizeof(a), 1, 10);
  members(b, sizeof(b), 11, 10);
  members(c, sizeof(c), 21, 10);
  members(d, sizeof(d), 31, 2);
  snprintf(la, sizeof(la), "tracestate: %s", a);
  snprintf(lb, sizeof(lb), "tracestate: %s", b);
  snprintf(lc, sizeof(lc), "tracestate: %s", c);
  snprintf(ld, sizeof(ld), "tracestate: %s", d);
  snprintf(all32, sizeof(all32), "%s,%s,%s,%s", a, b, c, d);
  const char *m32[] = {tp, la, lb, lc, ld, NULL};
  r = call_with(f, m32);
  assert_string_equal(r.tracestate, all32);

  /* A 256-character key; a 241-character tenant with a 14-character
   * system id. */
  memset(big, 'z', 256);
  big[256] = '\0';
  snprintf(big_hdr, sizeof(big_hdr), "tracestate: %s=1", big);
  snprintf(want_big, sizeof(want_big), "foo=1,%s=1", big);
  const char *k256[] = {tp, "tracestate: foo=1", big_hdr, NULL};
  r = call_with(f, k256);
  assert_string_equal(r.tracestate, want_big);
  memset(big, 't', 241);
  big[241] = '@';
  memset(big + 242, 'v', 14);
  big[256] = '\0';
  snprintf(big_hdr, sizeof(big_hdr), "tracestate: %s=1", big);
  snprintf(want_big, sizeof(want_big), "foo=1,%s=1", big);
  r = call_with(f, k256);
  assert_string_equal(r.tracestate, want_big);

  /* Every character the grammar allows, in keys and values. */
  size_t n = 0;
  for (char ch = 'a'; ch <= 'z'; ch++)
    key[n++] = ch;
  memcpy(key + n, "0123456789_-*/", 14);
  key[n + 14] = '\0';
  n = 0;
  for (int ch = 0x20; ch <= 0x7e; ch++)
    if (ch != ',' && ch != '=') value[n++] = (char)ch;
  value[n] = '\0';
  snprintf(kv, sizeof(kv), "%s=%s", key, value);
  snprintf(kv_hdr, sizeof(kv_hdr), "tracestate: %s", kv);
  const char *chars[] = {tp, kv_hdr, NULL};
  r = call_with(f, chars);
  assert_string_equal(r.tracestate, kv);
  snprintf(kv, sizeof(kv), "%s@a-z0-9_-*/=%s", key, value);
  snprintf(kv_hdr, sizeof(kv_hdr), "tracestate: %s", kv);
  r = call_with(f, chars);
  assert_string_equal(r.tracestate, kv);
}

static void
test_invalid_tracestate_over_several_lines_is_dropped(void **state) {
  fixture *f = *state;
  char k257[300];
  memset(k257, 'z', 257);
  snprintf(k257 + 257, sizeof(k257) - 257, "=1");
  /* Duplicate keys across lines and '@' inside keys are valid in the
   * current draft (test_current_draft_tracestate_keys_are_propagated). */
  const char *const cases[][2] = {
      {"foo=1", k257},    /* key too long */
      {"foo=,bar=3", ""}, /* empty value */
      {"foo.bar=1", ""},  {"@foo=1,bar=2", ""}, {"foo =1", ""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char l1[400], l2[400];
    snprintf(l1, sizeof(l1), "tracestate: %s", cases[i][0]);
    snprintf(l2, sizeof(l2), "tracestate: %s", cases[i][1]);
    const char *hdrs[] = {"traceparent: 00-" TID "-" PID "-01", l1,
                          cases[i][1][0] ? l2 : NULL, NULL};
    rec r = call_with(f, hdrs);
    assert_continued(&r, "01");
    if (r.n_tracestate != 0 && r.tracestate[0] != '\0')
      fail_msg("invalid tracestate '%s' + '%s' propagated as '%s'", cases[i][0],
               cases[i][1], r.tracestate);
  }
}

static void
test_several_calls_run_concurrently_before_the_answer(void **state) {
  fixture *f = *state;
  enum { N = 6 };
  char body[2048];
  calls_body(f, N, body, sizeof(body));
  /* The target answers none of them until all N have arrived: a service
   * calling one after another would stall here until WAIT_S. */
  pthread_mutex_lock(&f->t.mu);
  f->t.hold_until = N;
  pthread_mutex_unlock(&f->t.mu);
  const char *hdrs[] = {"traceparent: 00-" TID "-" PID "-01",
                        "tracestate: rojo=00f067aa0ba902b7", NULL};
  assert_int_equal(drive(f, hdrs, body), 200);
  pthread_mutex_lock(&f->t.mu);
  assert_false(f->t.hold_timed_out);
  assert_int_equal(f->t.n, N);
  bool seen[N] = {false};
  for (size_t i = 0; i < N; i++) {
    rec *r = &f->t.recs[i];
    assert_continued(r, "01");
    assert_string_equal(r->tracestate, "rojo=00f067aa0ba902b7");
    assert_string_equal(r->method, "POST");
    unsigned idx = N;
    assert_int_equal(sscanf(r->path, "/call/%u", &idx), 1);
    assert_true(idx < N && !seen[idx]);
    seen[idx] = true;
    /* Each call has a CLIENT span of its own. */
    for (size_t j = 0; j < i; j++)
      assert_memory_not_equal(r->traceparent + 36,
                              f->t.recs[j].traceparent + 36, 16);
  }
  pthread_mutex_unlock(&f->t.mu);
}

static void test_arguments_are_posted_as_json(void **state) {
  fixture *f = *state;
  char body[512];
  snprintf(body, sizeof(body),
           "[ {\"arguments\" : [ {\"url\": \"http://127.0.0.1:1/x\", "
           "\"arguments\": [] } ], \"url\": \"http://127.0.0.1:%d/args\"} ]",
           f->t.port);
  assert_int_equal(drive(f, NULL, body), 200);
  pthread_mutex_lock(&f->t.mu);
  assert_int_equal(f->t.n, 1);
  rec r = f->t.recs[0];
  pthread_mutex_unlock(&f->t.mu);
  assert_string_equal(r.method, "POST");
  assert_string_equal(r.path, "/args");
  assert_string_equal(r.content_type, "application/json");
  assert_string_equal(r.body,
                      "[{\"url\":\"http://127.0.0.1:1/x\",\"arguments\":[]}]");
}

static void test_empty_array_answers_200_without_calls(void **state) {
  fixture *f = *state;
  assert_int_equal(drive(f, NULL, "[]"), 200);
  pthread_mutex_lock(&f->t.mu);
  assert_int_equal(f->t.n, 0);
  pthread_mutex_unlock(&f->t.mu);
}

static void test_malformed_body_is_rejected_with_400(void **state) {
  fixture *f = *state;
  static const char *const bad[] = {
      "",
      "{",
      "[",
      "[1]",
      "{\"url\":\"http://127.0.0.1:1/\"}",
      "[{\"arguments\":[]}]",
      "[{\"url\":5}]",
      "[{\"url\":\"\"}]",
      "[{\"url\":\"http://x\"},]",
      "[{\"url\":\"http://x\"}] x",
      "[\"\\ud800\"]",
      "[{\"url\":\"http://x\", \"arguments\": [01]}]",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (drive(f, NULL, bad[i]) != 400) fail_msg("body '%s' accepted", bad[i]);
  /* Deeply nested input is refused, not a stack overflow. */
  char deep[20001];
  memset(deep, '[', 20000);
  deep[20000] = '\0';
  assert_int_equal(drive(f, NULL, deep), 400);
  pthread_mutex_lock(&f->t.mu);
  assert_int_equal(f->t.n, 0);
  pthread_mutex_unlock(&f->t.mu);
}

static void test_other_paths_and_methods_are_refused(void **state) {
  fixture *f = *state;
  CURL *e = curl_easy_init();
  char url[64];
  long status = 0;
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/nope", f->s.port);
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)WAIT_S);
  assert_int_equal(curl_easy_perform(e), CURLE_OK);
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  assert_int_equal(status, 404);
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/test", f->s.port);
  curl_easy_setopt(e, CURLOPT_URL, url);
  assert_int_equal(curl_easy_perform(e), CURLE_OK);
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  assert_int_equal(status, 405);
  curl_easy_cleanup(e);
}

static void test_unreachable_url_still_answers_200(void **state) {
  fixture *f = *state;
  /* The harness only judges what reaches its callbacks; a failed call is
   * recorded on its span and the request still completes. Port 1 on
   * loopback refuses connections. */
  assert_int_equal(
      drive(f, NULL, "[{\"url\":\"http://127.0.0.1:1/x\",\"arguments\":[]}]"),
      200);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_valid_traceparent_continues_the_trace_with_a_new_parent, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_valid_traceparent_keeps_the_random_flag, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_valid_traceparent_keeps_the_unsampled_flag, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_uppercase_traceparent_header_name_is_accepted, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_future_version_traceparent_is_continued, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_invalid_traceparent_starts_a_new_trace, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_no_traceparent_starts_a_new_sampled_trace, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_duplicate_traceparent_headers_start_a_new_trace, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_invalid_tracestate_is_dropped_and_traceparent_continued, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_current_draft_tracestate_keys_are_propagated, setup, teardown),
      cmocka_unit_test_setup_teardown(test_multi_line_tracestate_is_combined,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_traceparent_with_surrounding_whitespace_is_continued, setup,
          teardown),
      cmocka_unit_test_setup_teardown(test_valid_tracestate_edge_cases_are_kept,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_invalid_tracestate_over_several_lines_is_dropped, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_several_calls_run_concurrently_before_the_answer, setup,
          teardown),
      cmocka_unit_test_setup_teardown(test_arguments_are_posted_as_json, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_empty_array_answers_200_without_calls, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_body_is_rejected_with_400,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_paths_and_methods_are_refused,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_unreachable_url_still_answers_200,
                                      setup, teardown),
  };
  return cotel_test_run(argc, argv, "w3c_service", tests);
}
