/* cotel-demo: one trace through real asynchronous work on a libuv loop.
 *
 *   demo.request (SERVER)
 *     timer.fired            <- a uv timer callback (future slot)
 *       checksum.compute     <- uv_queue_work on the thread pool (future slot)
 *       checksum.publish     <- its after-work callback on the loop thread
 *     coroutine.A / .B       <- two ucontext coroutines, each with its own slot
 *       step spans           <- created while the coroutines interleave
 *
 * No context is passed by hand: each callback and coroutine finds its parent
 * in the slot that carried it. Configuration comes from OTEL_* variables.
 * The SDK's default exporter is otlp (as the spec says); the demo picks the
 * console exporter itself unless OTEL_TRACES_EXPORTER is set, so that it
 * prints its tree with no collector running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <uv.h>

#include "cotel/cotel.h"
#include "cotel/uv.h"

static cotel_tracer *tracer;
static uv_loop_t *loop;

static cotel_span start(const char *name, cotel_span_kind kind) {
  cotel_span_options o = {0};
  cotel_span s;
  o.kind = kind;
  cotel_span_start(tracer, name, &o, &s);
  return s;
}

/* ---- thread-pool work scheduled from the timer callback ---- */

static uint64_t checksum;

static void compute(uv_work_t *req) {
  (void)req;
  /* Runs on a libuv pool thread: the current context is the timer span's. */
  cotel_span s = start("checksum.compute", COTEL_SPAN_KIND_INTERNAL);
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < 2000000; i++)
    h = (h ^ (uint64_t)i) * 1099511628211ull;
  checksum = h;
  cotel_span_set_int(s, "demo.iterations", 2000000);
  cotel_span_end(s, 0);
}

static void publish(uv_work_t *req, int status) {
  cotel_span s = start("checksum.publish", COTEL_SPAN_KIND_INTERNAL);
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)checksum);
  cotel_span_set_str(s, "demo.checksum", hex);
  cotel_span_set_int(s, "uv.status", status);
  cotel_span_end(s, 0);
  free(cotel_uv_work_of(req));
}

static cotel_uv_timer timer;

static void on_timer(uv_timer_t *t) {
  (void)t;
  cotel_span s = start("timer.fired", COTEL_SPAN_KIND_INTERNAL);
  cotel_span_add_event(s, "scheduling thread-pool work", 0, NULL, 0);
  cotel_token tok = cotel_span_make_current(s);
  cotel_uv_work *w = calloc(1, sizeof *w);
  if (w && cotel_uv_queue_work(loop, w, compute, publish) != 0) free(w);
  cotel_context_detach(tok);
  cotel_span_end(s, 0);
  cotel_uv_timer_close(&timer, NULL);
}

/* ---- two coroutines on the loop thread, each with its own slot ---- */

typedef struct coro {
  const char *name;
  ucontext_t uc, caller_uc;
  cotel_slot slot;    /* this coroutine's current context */
  cotel_slot *caller; /* the slot active when it was resumed */
  int done;
  char stack[64 * 1024];
} coro;

static void coro_yield(coro *c) {
  cotel_slot_enter(c->caller);
  swapcontext(&c->uc, &c->caller_uc);
}

static void coro_resume(coro *c) {
  c->caller = cotel_slot_enter(&c->slot);
  swapcontext(&c->caller_uc, &c->uc);
}

static void coro_body(unsigned hi, unsigned lo) {
  coro *c = (coro *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
  char name[64];
  snprintf(name, sizeof name, "coroutine.%s", c->name);
  cotel_span s = start(name, COTEL_SPAN_KIND_INTERNAL);
  cotel_token tok = cotel_span_make_current(s);
  for (int i = 1; i <= 2; i++) {
    snprintf(name, sizeof name, "coroutine.%s.step%d", c->name, i);
    cotel_span step = start(name, COTEL_SPAN_KIND_INTERNAL);
    cotel_span_set_int(step, "demo.step", i);
    coro_yield(c); /* the other coroutine runs here, in its own slot */
    cotel_span_end(step, 0);
  }
  cotel_context_detach(tok);
  cotel_span_end(s, 0);
  c->done = 1;
  coro_yield(c);
}

static void coro_init(coro *c, const char *name) {
  memset(c, 0, sizeof *c);
  c->name = name;
  /* The coroutine starts in the context current where it is created. */
  cotel_slot_init(&c->slot, cotel_context_current());
  getcontext(&c->uc);
  c->uc.uc_stack.ss_sp = c->stack;
  c->uc.uc_stack.ss_size = sizeof c->stack;
  c->uc.uc_link = NULL;
  uintptr_t p = (uintptr_t)c;
  makecontext(&c->uc, (void (*)(void))coro_body, 2, (unsigned)(p >> 32),
              (unsigned)(p & 0xffffffffu));
}

static coro coros[2];
static uv_idle_t idle;

static void drive_coroutines(uv_idle_t *h) {
  int live = 0;
  for (int i = 0; i < 2; i++)
    if (!coros[i].done) {
      coro_resume(&coros[i]);
      live++;
    }
  if (!live) {
    uv_idle_stop(h);
    uv_close((uv_handle_t *)h, NULL);
  }
}

int main(void) {
  cotel_provider_config cfg;
  cotel_provider *provider;
  cotel_span_processor *console = NULL;
  cotel_provider_config_init(&cfg);
  if (!cfg.service_name && !getenv("OTEL_SERVICE_NAME"))
    cfg.service_name = "cotel-demo";
  if (!getenv("OTEL_TRACES_EXPORTER")) {
    cotel_exporter *exp = NULL;
    if (cotel_console_exporter_new(NULL, &exp) != 0 ||
        cotel_batch_processor_new(exp, NULL, &console) != 0) {
      fprintf(stderr, "cotel-demo: cannot create the console exporter\n");
      return 1;
    }
    cfg.processors = &console;
    cfg.n_processors = 1;
  }
  int rc = cotel_provider_new(&cfg, &provider);
  if (rc != 0) {
    fprintf(stderr, "cotel-demo: provider: %s\n", cotel_strerror(rc));
    return 1;
  }
  tracer = cotel_provider_tracer(provider, "cotel-demo");
  loop = uv_default_loop();

  cotel_span root = start("demo.request", COTEL_SPAN_KIND_SERVER);
  cotel_span_set_str(root, "http.request.method", "GET");
  cotel_span_set_str(root, "url.path", "/demo");
  cotel_token tok = cotel_span_make_current(root);

  /* Everything scheduled here captures the root's context. */
  cotel_uv_timer_init(loop, &timer);
  cotel_uv_timer_start(&timer, on_timer, 5, 0);
  coro_init(&coros[0], "A");
  coro_init(&coros[1], "B");
  uv_idle_init(loop, &idle);
  uv_idle_start(&idle, drive_coroutines);

  cotel_context_detach(tok);
  uv_run(loop, UV_RUN_DEFAULT);

  cotel_span_set_status(root, COTEL_STATUS_OK, NULL);
  cotel_span_end(root, 0);
  cotel_slot_destroy(&coros[0].slot);
  cotel_slot_destroy(&coros[1].slot);

  rc = cotel_provider_shutdown(provider, 10000);
  cotel_stats st;
  cotel_provider_stats(provider, &st);
  cotel_provider_destroy(provider);
  uv_loop_close(loop);
  fprintf(stderr,
          "cotel-demo: %llu spans started, %llu ended, %llu exported, "
          "%llu dropped, %llu failed to export%s\n",
          (unsigned long long)st.spans_started,
          (unsigned long long)st.spans_ended,
          (unsigned long long)st.spans_exported,
          (unsigned long long)st.spans_dropped,
          (unsigned long long)st.spans_export_failed,
          rc ? " (shutdown timed out)" : "");
  return rc ? 1 : 0;
}
