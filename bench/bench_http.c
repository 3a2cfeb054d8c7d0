/* cotel-bench-http: the cost of the HTTP instrumentation (cotel/curl.h,
 * cotel/http_server.h).
 *
 *   build/bin/cotel-bench-http [--runs N] [--scale X] [--json PATH]
 *
 * http_server_span: cotel_http_server_start + _end for a request with
 * traceparent, Host and User-Agent (extract, SERVER span with its
 * attributes, attach, status, end), batch processor, discarding exporter.
 * curl_get_plain / curl_get_instrumented: one keep-alive GET on a reused
 * easy handle to a responder thread on 127.0.0.1, without and with the
 * instrumentation, in thread CPU time of the client (the network wait is
 * not the instrumentation's); their difference is the cost per
 * instrumented transfer. Each also reports heap allocations per transfer
 * (the malloc interposer), libcurl's included. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cotel/cotel.h"
#include "cotel/curl.h"
#include "cotel/http_server.h"
#include "harness.h"

static void discard(cotel_exporter *self, const cotel_span_data *const *spans,
                    size_t n, cotel_export_done_fn done, void *arg) {
  (void)self, (void)spans, (void)n;
  done(arg, 0);
}

static void discard_destroy(cotel_exporter *self) {
  free(self);
}

static cotel_provider *new_provider(void) {
  cotel_exporter *e = calloc(1, sizeof *e);
  e->export_spans = discard;
  e->destroy = discard_destroy;
  cotel_batch_options bo;
  cotel_batch_options_from_env(&bo);
  bo.max_queue_size = 65536;
  cotel_span_processor *sp;
  if (cotel_batch_processor_new(e, &bo, &sp) != 0) abort();
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.processors = &sp;
  cfg.n_processors = 1;
  cotel_provider *p;
  if (cotel_provider_new(&cfg, &p) != 0) abort();
  return p;
}

/* ---- server span ---- */

static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct srv_case {
  cotel_provider *p;
  cotel_header h[3];
  cotel_header_carrier hc;
  cotel_carrier c;
} srv_case;

static cotel_str S(const char *s) {
  return cotel_str_c(s);
}

static void body_server(void *arg, size_t n) {
  srv_case *c = arg;
  for (size_t i = 0; i < n; i++) {
    cotel_http_server_request r;
    cotel_http_server_request_init(&r);
    r.method = S("GET");
    r.target = S("/api/v1/users/42?x=1");
    r.peer_address = S("127.0.0.1");
    r.peer_port = 40000;
    r.route = S("/api/v1/users/{id}");
    r.headers = &c->c;
    cotel_http_server_span s;
    cotel_http_server_start(NULL, NULL, &r, &s);
    cotel_http_server_end(&s, 200);
  }
}

static void server_bench(size_t n) {
  srv_case c = {.p = new_provider()};
  cotel_provider_set_global(c.p);
  c.h[0] = (cotel_header){
      S("traceparent"),
      S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")};
  c.h[1] = (cotel_header){S("host"), S("api.example:8080")};
  c.h[2] = (cotel_header){S("user-agent"), S("bench/1.0")};
  cotel_header_carrier_init(&c.hc, c.h, 3, 3, NULL, 0);
  c.c = cotel_header_carrier_as_carrier(&c.hc);
  /* Thread CPU, not wall time: the machine this runs on is shared. */
  double vals[BENCH_MAX_RUNS];
  size_t iters = (size_t)((double)n * bench_opts.scale);
  for (int r = -1; r < bench_opts.runs; r++) {
    uint64_t t0 = thread_cpu_ns();
    body_server(&c, iters);
    if (r >= 0) vals[r] = (double)(thread_cpu_ns() - t0) / (double)iters;
    cotel_provider_force_flush(c.p, 10000);
  }
  bench_report("http_server_span", "ns/op",
               "thread CPU of start+end, 13 attributes", vals, bench_opts.runs);
  uint64_t a0 = bench_allocs_thread();
  body_server(&c, 10000);
  bench_note("%.2f heap allocations per request (steady state: the "
             "extracted remote context)",
             (double)(bench_allocs_thread() - a0) / 10000.0);
  cotel_provider_set_global(NULL);
  cotel_provider_destroy(c.p);
}

/* ---- libcurl transfers ---- */

static int listen_fd;

static void *responder(void *arg) {
  (void)arg;
  static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  int fd = accept(listen_fd, NULL, NULL);
  char buf[8192];
  size_t len = 0;
  for (;;) {
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n <= 0) break;
    len += (size_t)n;
    buf[len] = 0;
    char *end;
    while ((end = strstr(buf, "\r\n\r\n"))) {
      if (send(fd, resp, sizeof resp - 1, MSG_NOSIGNAL) < 0) goto out;
      size_t used = (size_t)(end + 4 - buf);
      memmove(buf, buf + used, len - used + 1);
      len -= used;
    }
  }
out:
  close(fd);
  return NULL;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud) {
  (void)p, (void)ud;
  return sz * n;
}

static void curl_case(const char *name, bool instrumented, size_t n) {
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) ||
      listen(listen_fd, 1) ||
      getsockname(listen_fd, (struct sockaddr *)&a, &al))
    abort();
  pthread_t th;
  pthread_create(&th, NULL, responder, NULL);
  cotel_provider *p = new_provider();
  cotel_provider_set_global(p);
  CURL *e = curl_easy_init();
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/x", ntohs(a.sin_port));
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
  if (instrumented) cotel_curl_instrument(e, NULL);
  double vals[BENCH_MAX_RUNS], allocs = 0;
  int runs = bench_opts.runs;
  size_t iters = (size_t)((double)n * bench_opts.scale);
  if (iters == 0) iters = 1;
  for (int r = -1; r < runs; r++) {
    uint64_t a0 = bench_allocs_thread(), t0 = thread_cpu_ns();
    for (size_t i = 0; i < iters; i++) {
      CURLcode rc =
          instrumented ? cotel_curl_easy_perform(e) : curl_easy_perform(e);
      if (rc != CURLE_OK) abort();
    }
    uint64_t t1 = thread_cpu_ns();
    if (r >= 0) vals[r] = (double)(t1 - t0) / (double)iters;
    allocs = (double)(bench_allocs_thread() - a0) / (double)iters;
    cotel_provider_force_flush(p, 10000);
  }
  bench_report(name, "ns/op", "thread CPU of one keep-alive GET on 127.0.0.1",
               vals, runs);
  bench_note("%.1f heap allocations per transfer (libcurl's included)", allocs);
  if (instrumented) cotel_curl_uninstrument(e);
  curl_easy_cleanup(e);
  pthread_join(th, NULL);
  close(listen_fd);
  cotel_provider_set_global(NULL);
  cotel_provider_destroy(p);
}

int main(int argc, char **argv) {
  const char *json = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--runs"))
      bench_opts.runs = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--scale"))
      bench_opts.scale = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--json"))
      json = argv[i + 1];
  }
  if (bench_opts.runs < 1 || bench_opts.runs > BENCH_MAX_RUNS)
    bench_opts.runs = 7;
  if (!(bench_opts.scale > 0)) bench_opts.scale = 1.0;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  server_bench(200000);
  curl_case("curl_get_plain", false, 2000);
  curl_case("curl_get_instrumented", true, 2000);
  curl_global_cleanup();
  if (json && bench_write_json(json, "cotel") != 0) return 1;
  return 0;
}
