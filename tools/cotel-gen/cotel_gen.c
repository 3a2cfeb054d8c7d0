/* cotel-gen: generate spans through a cotel pipeline configured by OTEL_*,
 * then print one JSON line of counters (docs/cotel-gen.md). Like the
 * collector's telemetrygen, for testing a pipeline; also the producer of
 * the fault matrix (scripts/faults.py), which uses --drain-ms,
 * --exit-without-shutdown and the spool counters of the JSON line. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cotel/cotel.h"

typedef struct gen_opts {
  uint64_t spans;       /* total; 0 with a duration */
  double duration_s;    /* 0 with a span count */
  double rate;          /* spans/s over all threads; 0 = unthrottled */
  unsigned threads;     /* >= 1 */
  unsigned attrs;       /* attributes per span */
  unsigned depth;       /* spans per trace, nested */
  uint64_t shutdown_ms; /* bound of cotel_provider_shutdown */
  uint64_t drain_ms;    /* wait at most this for the disk spool to empty */
  bool no_shutdown;     /* exit() after the spans, no shutdown */
  unsigned forks;       /* children forked halfway through (--duration) */
} gen_opts;

/* The pipeline's OTLP exporter (cotel-gen registers its own "otlp" factory
 * to keep it), for the spool's counters. */
static cotel_exporter *otlp_exp;

static int otlp_factory(void *ud, cotel_exporter **out) {
  (void)ud;
  int rc = cotel_otlp_exporter_new_from_env(out);
  if (rc == 0 && !otlp_exp) otlp_exp = *out;
  return rc;
}

typedef struct worker {
  pthread_t th;
  const gen_opts *o;
  cotel_tracer *tr;
  uint64_t quota; /* spans to make (count mode) */
  uint64_t deadline_ns;
  uint64_t made;
  uint64_t max_end_ns;
} worker;

static uint64_t now_ns(void) {
  return cotel_monotonic_ns();
}

static void sleep_until(uint64_t t) {
  struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
    ;
}

static const char *const attr_keys[] = {"gen.k0", "gen.k1", "gen.k2", "gen.k3",
                                        "gen.k4", "gen.k5", "gen.k6", "gen.k7",
                                        "gen.k8", "gen.k9"};

static void set_attrs(cotel_span s, unsigned k, uint64_t i) {
  char key[32];
  for (unsigned a = 0; a < k; a++) {
    const char *name = attr_keys[a % 10];
    if (a >= 10) {
      snprintf(key, sizeof key, "gen.k%u", a);
      name = key;
    }
    if (a % 2)
      cotel_span_set_int(s, name, (int64_t)(i + a));
    else
      cotel_span_set_str(s, name, "cotel-gen value");
  }
}

static void end_timed(worker *w, cotel_span s) {
  uint64_t t0 = now_ns();
  cotel_span_end(s, 0);
  uint64_t d = now_ns() - t0;
  if (d > w->max_end_ns) w->max_end_ns = d;
}

/* One trace of up to `n` nested spans (each one current for the next). */
static void trace(worker *w, unsigned n, uint64_t *next_ns, uint64_t step) {
  cotel_span spans[64];
  cotel_token tokens[64];
  unsigned k = 0;
  for (; k < n; k++) {
    if (step) {
      *next_ns += step;
      sleep_until(*next_ns);
    }
    static const char *const names[] = {"gen-root", "gen-child"};
    cotel_span_start(w->tr, names[k > 0], NULL, &spans[k]);
    set_attrs(spans[k], w->o->attrs, w->made + k);
    tokens[k] = cotel_span_make_current(spans[k]);
  }
  while (k--) {
    cotel_context_detach(tokens[k]);
    end_timed(w, spans[k]);
  }
  w->made += n;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  const gen_opts *o = w->o;
  double per_thread = o->rate / o->threads;
  uint64_t step = per_thread > 0 ? (uint64_t)(1e9 / per_thread) : 0;
  uint64_t next_ns = now_ns();
  for (;;) {
    unsigned n = o->depth;
    if (o->spans) {
      if (w->made >= w->quota) break;
      if (w->quota - w->made < n) n = (unsigned)(w->quota - w->made);
    } else if (now_ns() >= w->deadline_ns) {
      break;
    }
    trace(w, n, &next_ns, step);
  }
  return NULL;
}

/* Peak resident set of this process image (VmHWM; getrusage's ru_maxrss
 * would carry the parent's peak across exec). */
static long peak_rss_kb(void) {
  char line[256];
  long kb = -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6)) kb = atol(line + 6);
  fclose(f);
  return kb;
}

static void usage(void) {
  fprintf(stderr,
          "usage: cotel-gen (--spans N | --duration S) [--rate R] "
          "[--threads T]\n"
          "                 [--attrs K] [--depth D] "
          "[--shutdown-timeout-ms M]\n"
          "                 [--drain-ms MS] [--exit-without-shutdown] "
          "[--fork N]\n"
          "Everything else from OTEL_* (OTEL_TRACES_EXPORTER defaults to "
          "otlp).\n");
}

static bool num(const char *s, double lo, double hi, double *out) {
  char *end;
  if (!s || !*s) return false;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || v != v || v < lo || v > hi) return false;
  *out = v;
  return true;
}

static int parse(int argc, char **argv, gen_opts *o) {
  bool have_spans = false, have_dur = false;
  memset(o, 0, sizeof *o);
  o->threads = 1;
  o->depth = 1;
  o->shutdown_ms = 5000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    double d;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
    if (!strcmp(a, "--exit-without-shutdown")) {
      o->no_shutdown = true;
      continue;
    }
    if (!v) return -1;
    i++;
    /* --spans 0: no new spans, e.g. to replay a spool (--drain-ms). */
    if (!strcmp(a, "--spans") && num(v, 0, 1e15, &d) && d == (uint64_t)d) {
      o->spans = (uint64_t)d;
      have_spans = true;
    } else if (!strcmp(a, "--duration") && num(v, 0.001, 1e7, &d)) {
      o->duration_s = d;
      have_dur = true;
    } else if (!strcmp(a, "--rate") && num(v, 0, 1e9, &d)) {
      o->rate = d;
    } else if (!strcmp(a, "--threads") && num(v, 1, 1024, &d)) {
      o->threads = (unsigned)d;
    } else if (!strcmp(a, "--attrs") && num(v, 0, 1000, &d)) {
      o->attrs = (unsigned)d;
    } else if (!strcmp(a, "--depth") && num(v, 1, 64, &d)) {
      o->depth = (unsigned)d;
    } else if (!strcmp(a, "--shutdown-timeout-ms") && num(v, 0, 1e9, &d)) {
      o->shutdown_ms = (uint64_t)d;
    } else if (!strcmp(a, "--drain-ms") && num(v, 0, 1e9, &d)) {
      o->drain_ms = (uint64_t)d;
    } else if (!strcmp(a, "--fork") && num(v, 0, 64, &d) && d == (unsigned)d) {
      o->forks = (unsigned)d;
    } else {
      return -1;
    }
  }
  if (o->forks && !have_dur) return -1; /* "halfway" needs a duration */
  return have_spans != have_dur ? 0 : -1;
}

/* Counters of this process since `base` (a fork child inherits its
 * parent's counters: it reports its own share only). */
static void report(cotel_provider *p, const cotel_stats *base,
                   const cotel_otlp_stats *obase, uint64_t wall_ns,
                   uint64_t shut_ns, uint64_t max_end, const char *extra) {
  cotel_stats st;
  cotel_otlp_stats os;
  memset(&os, 0, sizeof os);
  cotel_provider_stats(p, &st);
  if (otlp_exp) cotel_otlp_exporter_stats(otlp_exp, &os);
  printf("{\"started\":%" PRIu64 ",\"ended\":%" PRIu64 ",\"exported\":%" PRIu64
         ",\"dropped\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"retried\":%" PRIu64
         ",\"wall_ms\":%" PRIu64 ",\"shutdown_ms\":%" PRIu64
         ",\"max_end_ns\":%" PRIu64 ",\"peak_rss_kb\":%ld"
         ",\"spool_pending\":%" PRIu64 ",\"spool_written\":%" PRIu64
         ",\"spool_replayed\":%" PRIu64 ",\"spool_recovered\":%" PRIu64
         ",\"spool_dropped\":%" PRIu64 ",\"spool_duplicated\":%" PRIu64
         ",\"spool_corrupt\":%" PRIu64 ",\"in_doubt\":%" PRIu64 "%s}\n",
         st.spans_started - base->spans_started,
         st.spans_ended - base->spans_ended,
         st.spans_exported - base->spans_exported,
         st.spans_dropped - base->spans_dropped,
         st.spans_export_failed - base->spans_export_failed,
         st.export_retries - base->export_retries, wall_ns / 1000000,
         shut_ns / 1000000, max_end, peak_rss_kb(),
         os.spool_spans_pending - obase->spool_spans_pending,
         os.spool_spans_written - obase->spool_spans_written,
         os.spool_spans_replayed - obase->spool_spans_replayed,
         os.spool_spans_recovered - obase->spool_spans_recovered,
         os.spool_spans_dropped - obase->spool_spans_dropped,
         os.spool_spans_duplicated - obase->spool_spans_duplicated,
         os.spool_records_corrupt - obase->spool_records_corrupt,
         os.spans_failed_in_doubt - obase->spans_failed_in_doubt, extra);
  fflush(stdout);
}

/* A fork child (only this thread survives fork): one producer thread until
 * the parent's deadline, a bounded shutdown, its own JSON line, exit. */
static void child_main(cotel_provider *p, cotel_tracer *tr, const gen_opts *o,
                       uint64_t deadline_ns, unsigned index,
                       worker *parent_ws) {
  free(parent_ws); /* the parent's producers do not exist here */
  cotel_stats base;
  cotel_otlp_stats obase;
  char extra[64];
  memset(&obase, 0, sizeof obase);
  cotel_provider_stats(p, &base);
  if (otlp_exp) cotel_otlp_exporter_stats(otlp_exp, &obase);
  gen_opts co = *o;
  co.threads = 1;
  co.rate = o->rate / o->threads;
  worker w = {.o = &co, .tr = tr, .deadline_ns = deadline_ns};
  uint64_t t0 = now_ns();
  worker_main(&w);
  uint64_t t1 = now_ns();
  cotel_provider_shutdown(p, o->shutdown_ms);
  uint64_t t2 = now_ns();
  snprintf(extra, sizeof extra, ",\"child\":%u,\"pid\":%ld", index,
           (long)getpid());
  report(p, &base, &obase, t1 - t0, t2 - t1, w.max_end_ns, extra);
  cotel_provider_destroy(p);
  _exit(0);
}

int main(int argc, char **argv) {
  gen_opts o;
  int rc = parse(argc, argv, &o);
  if (rc) {
    usage();
    return rc > 0 ? 0 : 2;
  }
  /* A load generator sends somewhere: OTLP unless told otherwise. */
  setenv("OTEL_TRACES_EXPORTER", "otlp", 0);
  cotel_exporter_register("otlp", otlp_factory, NULL);
  cotel_provider_config cfg;
  cotel_provider *p;
  cotel_provider_config_init(&cfg);
  if ((rc = cotel_provider_new(&cfg, &p)) != 0) {
    fprintf(stderr, "cotel-gen: cannot create the provider: %s\n",
            cotel_strerror(rc));
    return 1;
  }
  cotel_tracer *tr = cotel_provider_tracer(p, "cotel-gen");
  worker *ws = calloc(o.threads, sizeof *ws);
  if (!ws || !tr) {
    fprintf(stderr, "cotel-gen: out of memory\n");
    return 1;
  }
  uint64_t t0 = now_ns();
  for (unsigned i = 0; i < o.threads; i++) {
    ws[i].o = &o;
    ws[i].tr = tr;
    ws[i].quota = o.spans / o.threads + (i < o.spans % o.threads);
    ws[i].deadline_ns = t0 + (uint64_t)(o.duration_s * 1e9);
    if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i])) {
      fprintf(stderr, "cotel-gen: cannot start thread %u\n", i);
      return 1;
    }
  }
  /* Fork while the producers and the exporter work: the children make
   * their own spans, the parent goes on with its own. */
  pid_t kids[64];
  unsigned n_kids = 0, kids_failed = 0;
  uint64_t exported_at_fork = 0;
  if (o.forks) {
    uint64_t deadline = t0 + (uint64_t)(o.duration_s * 1e9);
    sleep_until(t0 + (uint64_t)(o.duration_s * 0.5e9));
    cotel_stats at;
    cotel_provider_stats(p, &at);
    exported_at_fork = at.spans_exported;
    fflush(stdout);
    for (unsigned i = 0; i < o.forks; i++) {
      pid_t pid = fork();
      if (pid == 0) child_main(p, tr, &o, deadline, i + 1, ws);
      if (pid < 0) {
        kids_failed++;
        continue;
      }
      kids[n_kids++] = pid;
    }
  }
  uint64_t max_end = 0;
  for (unsigned i = 0; i < o.threads; i++) {
    pthread_join(ws[i].th, NULL);
    if (ws[i].max_end_ns > max_end) max_end = ws[i].max_end_ns;
  }
  /* The "exit without shutdown" fault: exit() with the pipeline running
   * (documented: no crash, no hang, what was queued is lost). */
  if (o.no_shutdown) exit(0);
  cotel_otlp_stats os;
  memset(&os, 0, sizeof os);
  if (o.drain_ms && otlp_exp) {
    uint64_t limit = now_ns() + o.drain_ms * 1000000u;
    cotel_provider_force_flush(p, o.drain_ms);
    while (now_ns() < limit && cotel_otlp_exporter_stats(otlp_exp, &os) == 0 &&
           os.spool_spans_written + os.spool_spans_recovered >
               os.spool_spans_replayed + os.spool_spans_dropped)
      usleep(20000);
  }
  uint64_t t1 = now_ns();
  cotel_provider_shutdown(p, o.shutdown_ms);
  uint64_t t2 = now_ns();
  for (unsigned i = 0; i < n_kids; i++) {
    int status;
    if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      kids_failed++;
  }
  char extra[128] = "";
  if (o.forks) {
    cotel_stats end;
    cotel_provider_stats(p, &end);
    snprintf(extra, sizeof extra,
             ",\"forks\":%u,\"children_failed\":%u,"
             "\"exported_after_fork\":%" PRIu64,
             o.forks, kids_failed, end.spans_exported - exported_at_fork);
  }
  cotel_stats zero;
  cotel_otlp_stats ozero;
  memset(&zero, 0, sizeof zero);
  memset(&ozero, 0, sizeof ozero);
  report(p, &zero, &ozero, t1 - t0, t2 - t1, max_end, extra);
  cotel_provider_destroy(p);
  free(ws);
  return 0;
}
