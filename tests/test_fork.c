/* fork() with a batch processor: the child restarts its worker lazily with a
 * new loop, does not export the spans its parent had queued (the parent
 * does), exports its own, with ids of its own; the parent is unaffected.
 * The child reports over a pipe; no sleeps (poll with a bound). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cotel/cotel.h"
#include "cotel/otlp.h"
#include "test_util.h"

#define MAX_REC 64

/* Records span names per process (a child has its own copy). */
typedef struct rec {
  cotel_exporter base;
  pthread_mutex_t mu;
  pid_t pid;
  unsigned starts, count;
  char names[MAX_REC][16];
} rec;

static int rec_start(cotel_exporter *self, struct uv_loop_s *loop) {
  rec *r = (rec *)self;
  (void)loop;
  /* Called again in a fork child with the child's new loop: an exporter
   * resets what the parent's threads may have left locked. */
  if (r->pid != getpid()) {
    pthread_mutex_init(&r->mu, NULL);
    r->pid = getpid();
    r->starts = r->count = 0; /* count per process */
  }
  pthread_mutex_lock(&r->mu);
  r->starts++;
  pthread_mutex_unlock(&r->mu);
  return 0;
}

static void rec_export(cotel_exporter *self,
                       const cotel_span_data *const *spans, size_t n,
                       cotel_export_done_fn done, void *arg) {
  rec *r = (rec *)self;
  pthread_mutex_lock(&r->mu);
  for (size_t i = 0; i < n; i++) {
    if (r->count < MAX_REC) {
      size_t len = spans[i]->name.len < 15 ? spans[i]->name.len : 15;
      memcpy(r->names[r->count], spans[i]->name.ptr, len);
      r->names[r->count][len] = '\0';
    }
    r->count++;
  }
  pthread_mutex_unlock(&r->mu);
  done(arg, 0);
}

static void rec_destroy(cotel_exporter *self) {
  rec *r = (rec *)self;
  pthread_mutex_destroy(&r->mu);
  free(r);
}

static unsigned rec_named(rec *r, const char *name) {
  unsigned k = 0;
  pthread_mutex_lock(&r->mu);
  for (unsigned i = 0; i < r->count && i < MAX_REC; i++)
    k += strcmp(r->names[i], name) == 0;
  pthread_mutex_unlock(&r->mu);
  return k;
}

typedef struct world {
  rec *r;
  cotel_span_processor *bp;
  cotel_provider *p;
  cotel_tracer *tr;
  pthread_t bg;
  atomic_bool bg_stop;
  bool bg_running;
} world;

static void world_init(world *w) {
  cotel_provider_config cfg;
  cotel_batch_options o = {.max_queue_size = 256,
                           .max_export_batch_size = 256,
                           .schedule_delay_ms = 600000,
                           .export_timeout_ms = 30000};
  memset(w, 0, sizeof *w);
  w->r = calloc(1, sizeof *w->r);
  assert_non_null(w->r);
  pthread_mutex_init(&w->r->mu, NULL);
  w->r->pid = getpid();
  w->r->base.name = "rec";
  w->r->base.start = rec_start;
  w->r->base.export_spans = rec_export;
  w->r->base.destroy = rec_destroy;
  assert_int_equal(cotel_batch_processor_new(&w->r->base, &o, &w->bp), 0);
  cotel_provider_config_init(&cfg);
  cfg.processors = &w->bp;
  cfg.n_processors = 1;
  cfg.no_default_processor = true;
  assert_int_equal(cotel_provider_new(&cfg, &w->p), 0);
  w->tr = cotel_provider_tracer(w->p, "test_fork");
  assert_non_null(w->tr);
}

/* End `n` spans named `name`; their span ids go to ids (may be NULL). */
static int end_spans(world *w, const char *name, unsigned n,
                     cotel_span_id *ids) {
  for (unsigned i = 0; i < n; i++) {
    cotel_span s;
    cotel_span_context sc;
    if (cotel_span_start(w->tr, name, NULL, &s) != 0) return -1;
    if (cotel_span_get_context(s, &sc) != 0) return -1;
    if (ids) ids[i] = sc.span_id;
    cotel_span_end(s, 0);
  }
  return 0;
}

static void *background(void *arg) {
  world *w = arg;
  while (!atomic_load(&w->bg_stop))
    end_spans(w, "bg", 1, NULL);
  return NULL;
}

/* What the child reports. */
typedef struct report {
  int ok_spans, flush_rc;
  unsigned exported, before, child, bg, starts;
  cotel_span_id ids[3];
} report;

typedef struct outcome {
  report child;
  int child_status;
  cotel_span_id parent_ids[3];
  unsigned before, after, child_in_parent, starts;
} outcome;

static bool read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 10000) != 1) return false; /* bound: a hung child */
    ssize_t k = read(fd, p, len);
    if (k <= 0) return false;
    p += k;
    len -= (size_t)k;
  }
  return true;
}

static void run_fork(outcome *out, bool with_background) {
  world w;
  int fds[2];
  pid_t pid;
  memset(out, 0, sizeof *out);
#ifdef COTEL_TSAN
  /* TSan cannot follow a thread started in the child of a multi-threaded
   * process ("dup thread with used id"); the ASan and plain runs cover it. */
  skip();
#endif
  world_init(&w);
  if (with_background) {
    assert_int_equal(pthread_create(&w.bg, NULL, background, &w), 0);
    w.bg_running = true;
  }
  /* The exporter has started in the parent before the fork. */
  assert_int_equal(end_spans(&w, "warm", 1, NULL), 0);
  assert_int_equal(w.bp->force_flush(w.bp, 10000), 0);
  /* Queued, not exported: no full batch, the timer is far away. */
  assert_int_equal(end_spans(&w, "before", 5, NULL), 0);
  assert_int_equal(pipe(fds), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    report rp;
    memset(&rp, 0, sizeof rp);
    close(fds[0]);
    rp.ok_spans = end_spans(&w, "child", 3, rp.ids);
    rp.flush_rc = w.bp->force_flush(w.bp, 5000);
    rp.exported = w.r->count;
    rp.before = rec_named(w.r, "before");
    rp.child = rec_named(w.r, "child");
    rp.bg = rec_named(w.r, "bg");
    rp.starts = w.r->starts;
    if (write(fds[1], &rp, sizeof rp) != (ssize_t)sizeof rp) _exit(2);
    cotel_provider_shutdown(w.p, 5000);
    _exit(0);
  }
  close(fds[1]);
  assert_int_equal(end_spans(&w, "after", 3, out->parent_ids), 0);
  bool got = read_all(fds[0], &out->child, sizeof out->child);
  close(fds[0]);
  if (!got) kill(pid, SIGKILL);
  assert_int_equal(waitpid(pid, &out->child_status, 0), pid);
  assert_true(got);
  if (w.bg_running) {
    atomic_store(&w.bg_stop, true);
    pthread_join(w.bg, NULL);
  }
  assert_int_equal(w.bp->force_flush(w.bp, 10000), 0);
  out->before = rec_named(w.r, "before");
  out->after = rec_named(w.r, "after");
  out->child_in_parent = rec_named(w.r, "child");
  out->starts = w.r->starts;
  if (with_background) {
    /* The background thread may fill the queue: drops are counted. */
    cotel_stats st;
    assert_int_equal(cotel_provider_stats(w.p, &st), 0);
    assert_int_equal(st.spans_exported, w.r->count);
    assert_int_equal(st.spans_ended, st.spans_exported + st.spans_dropped);
  }
  cotel_provider_destroy(w.p);
}

static void
test_fork_child_does_not_export_spans_queued_in_the_parent(void **state) {
  outcome o;
  (void)state;
  run_fork(&o, false);
  assert_true(WIFEXITED(o.child_status) && WEXITSTATUS(o.child_status) == 0);
  assert_int_equal(o.child.before, 0);
  assert_int_equal(o.before, 5); /* the parent exports them */
}

static void
test_fork_child_restarts_worker_and_exports_its_spans(void **state) {
  outcome o;
  (void)state;
  run_fork(&o, false);
  assert_int_equal(o.child.ok_spans, 0);
  assert_int_equal(o.child.flush_rc, 0);
  assert_int_equal(o.child.child, 3);
  assert_int_equal(o.child.exported, 3);
  assert_int_equal(o.child.starts, 1); /* started again, in the child */
}

static void test_fork_parent_is_unaffected(void **state) {
  outcome o;
  (void)state;
  run_fork(&o, false);
  assert_int_equal(o.before, 5);
  assert_int_equal(o.after, 3);
  assert_int_equal(o.child_in_parent, 0);
  assert_int_equal(o.starts, 1);
}

static void test_fork_child_span_ids_differ_from_the_parents(void **state) {
  outcome o;
  (void)state;
  run_fork(&o, false);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      assert_memory_not_equal(o.child.ids[i].bytes, o.parent_ids[j].bytes, 8);
}

static void test_fork_while_another_thread_ends_spans(void **state) {
  outcome o;
  (void)state;
  run_fork(&o, true);
  assert_true(WIFEXITED(o.child_status) && WEXITSTATUS(o.child_status) == 0);
  assert_int_equal(o.child.flush_rc, 0);
  assert_int_equal(o.child.child, 3);
  assert_int_equal(o.child.before, 0);
  assert_int_equal(o.child.bg, 0); /* the thread does not exist there */
}

/* A socket on 127.0.0.1 bound, not yet listening (connections are refused
 * until listen_silently): once listening, nobody accepts: the kernel
 * completes the handshake, requests are sent, and no answer ever comes. */
static int silent_socket(int *port) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* What a child of run_stuck_forks reports. */
typedef struct stuck_report {
  int spans_rc, stats_rc, shutdown_rc;
  long shutdown_ms;
  uint64_t started, ended;
} stuck_report;

#define STUCK_SHUTDOWN_MS 1000
#define CHILD_THREADS 8

static void *idle_thread(void *arg) {
  pthread_barrier_wait(arg);
  return NULL;
}

/* Threads of the child's own, alive at once: glibc gives them the cached
 * stacks of the parent's threads that do not exist in the child (the batch
 * worker's among them) and initialises their thread-local storage, the
 * per-thread span caches included, in place. */
static void child_threads(void) {
  pthread_t t[CHILD_THREADS];
  pthread_barrier_t bar;
  pthread_barrier_init(&bar, NULL, CHILD_THREADS + 1);
  for (int i = 0; i < CHILD_THREADS; i++)
    if (pthread_create(&t[i], NULL, idle_thread, &bar)) _exit(3);
  pthread_barrier_wait(&bar);
  for (int i = 0; i < CHILD_THREADS; i++)
    pthread_join(t[i], NULL);
  pthread_barrier_destroy(&bar);
}
#define STUCK_SLACK_MS 3000 /* a loaded 2-core machine */

/* The issue-11 reproduction: a batch processor (batch 100, delay 50 ms)
 * exporting to an endpoint that never answers, 300 spans queued, an export
 * in flight; then `forks` children one after the other, each making 200
 * spans, reading the stats and shutting down with a bound. Every child must
 * exit normally. */
static void run_stuck_forks(unsigned forks) {
#ifdef COTEL_TSAN
  skip(); /* see run_fork */
#endif
  int port, lfd = silent_socket(&port);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  cotel_otlp_options oo;
  cotel_otlp_options_default(&oo);
  oo.endpoint = url;
  oo.timeout_ms = 600000; /* in flight for the whole test */
  oo.retry_max_attempts = 1;
  cotel_exporter *exp;
  assert_int_equal(cotel_otlp_exporter_new(&oo, &exp), 0);
  cotel_batch_options bo = {2048, 100, 50, 600000};
  cotel_span_processor *bp;
  assert_int_equal(cotel_batch_processor_new(exp, &bo, &bp), 0);
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.processors = &bp;
  cfg.n_processors = 1;
  cfg.no_default_processor = true;
  cotel_provider *p;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  world w;
  memset(&w, 0, sizeof w);
  w.p = p;
  w.tr = cotel_provider_tracer(p, "test_fork");
  /* First refused: the worker thread releases the failed spans, which
   * binds its span cache to the provider (as after any completed export). */
  assert_int_equal(end_spans(&w, "refused", 100, NULL), 0);
  cotel_otlp_stats os = {0};
  for (long t0 = now_ms(); now_ms() - t0 < 10000 && os.spans_failed < 100;) {
    poll(NULL, 0, 5);
    assert_int_equal(cotel_otlp_exporter_stats(exp, &os), 0);
  }
  assert_int_equal(os.spans_failed, 100);
  /* Then silent: 300 spans queued, requests in flight at each fork. */
  assert_int_equal(listen(lfd, 64), 0);
  assert_int_equal(end_spans(&w, "queued", 300, NULL), 0);
  for (long t0 = now_ms(); now_ms() - t0 < 10000;) {
    assert_int_equal(cotel_otlp_exporter_stats(exp, &os), 0);
    if (os.requests > os.requests_failed) break;
    poll(NULL, 0, 5);
  }
  assert_true(os.requests > os.requests_failed);
  for (unsigned i = 0; i < forks; i++) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      stuck_report rp;
      cotel_stats st;
      memset(&rp, 0, sizeof rp);
      close(fds[0]);
      /* A crash kills the child (cmocka's handler would resume the test
       * runner in it). */
      signal(SIGSEGV, SIG_DFL);
      signal(SIGBUS, SIG_DFL);
      signal(SIGABRT, SIG_DFL);
      child_threads();
      rp.spans_rc = end_spans(&w, "child", 200, NULL);
      rp.stats_rc = cotel_provider_stats(p, &st);
      long t0 = now_ms();
      rp.shutdown_rc = cotel_provider_shutdown(p, STUCK_SHUTDOWN_MS);
      rp.shutdown_ms = now_ms() - t0;
      rp.started = st.spans_started;
      rp.ended = st.spans_ended;
      if (write(fds[1], &rp, sizeof rp) != (ssize_t)sizeof rp) _exit(2);
      _exit(0);
    }
    close(fds[1]);
    stuck_report rp;
    int status;
    bool got = read_all(fds[0], &rp, sizeof rp);
    close(fds[0]);
    if (!got) kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
      fail_msg("child %u died with signal %d", i + 1, WTERMSIG(status));
    assert_true(got);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(rp.spans_rc, 0);
    assert_int_equal(rp.stats_rc, 0);
    assert_true(rp.ended >= 200);
    assert_true(rp.shutdown_ms < STUCK_SHUTDOWN_MS + STUCK_SLACK_MS);
    /* The parent keeps working after every fork. */
    assert_int_equal(end_spans(&w, "parent", 10, NULL), 0);
  }
  cotel_stats st;
  assert_int_equal(cotel_provider_stats(p, &st), 0);
  assert_int_equal(st.spans_ended, 400 + 10 * forks);
  assert_int_equal(cotel_provider_shutdown(p, 200), COTEL_ETIMEDOUT);
  cotel_provider_destroy(p);
  close(lfd);
}

static void test_fork_while_an_export_is_in_flight(void **state) {
  (void)state;
  run_stuck_forks(1);
}

static void test_fork_three_times_in_a_row_while_exporting(void **state) {
  (void)state;
  run_stuck_forks(3);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_fork_child_does_not_export_spans_queued_in_the_parent),
      cmocka_unit_test(test_fork_child_restarts_worker_and_exports_its_spans),
      cmocka_unit_test(test_fork_parent_is_unaffected),
      cmocka_unit_test(test_fork_child_span_ids_differ_from_the_parents),
      cmocka_unit_test(test_fork_while_another_thread_ends_spans),
      cmocka_unit_test(test_fork_while_an_export_is_in_flight),
      cmocka_unit_test(test_fork_three_times_in_a_row_while_exporting),
  };
  return cotel_test_run(argc, argv, "fork", tests);
}
