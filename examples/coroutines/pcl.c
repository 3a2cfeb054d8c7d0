/* cotel example: interleaved coroutines on Debian's PCL (libpcl1-dev),
 * each with its own cotel_slot (DESIGN §3 "coroutine slot").
 *
 * Same scenario as the ucontext example: request handlers interleave on
 * one thread; each keeps its own span context because the scheduler
 * switches the active slot with the stack:
 *   resume: co->caller = cotel_slot_enter(&co->slot); co_call(co->pcl)
 *   yield:  cotel_slot_enter(co->caller);              co_resume() */
#include <pcl.h>
#include <stdio.h>
#include <stdlib.h>

#include "cotel/cotel.h"

enum { NCORO = 3, STACK = 128 * 1024 };

typedef struct coro {
  int id;
  coroutine_t pcl;
  cotel_slot slot;
  cotel_slot *caller;
  int done;
  char stack[STACK];
} coro;

static cotel_tracer *tracer;
static int errors; /* switches after which a handler saw a foreign span */

static void resume(coro *co) {
  co->caller = cotel_slot_enter(&co->slot);
  co_call(co->pcl);
}

static void yield(coro *co) {
  cotel_slot_enter(co->caller);
  co_resume();
}

static void show(coro *co, const char *what, const char *phase) {
  cotel_span_context sc;
  char id[17] = "(none)";
  if (cotel_context_span_context(NULL, &sc) == 0)
    cotel_span_id_to_hex(&sc.span_id, id);
  printf("coroutine %d: %-6s current span %s (%s)\n", co->id, what, id, phase);
}

static void handler(void *arg) {
  coro *co = arg;
  static const char *steps[] = {"parse", "query", "render"};
  char name[32];
  snprintf(name, sizeof name, "request %d", co->id);
  cotel_span_options opts = {.kind = COTEL_SPAN_KIND_SERVER};
  cotel_span req;
  cotel_span_start(tracer, name, &opts, &req);
  cotel_token t = cotel_span_make_current(req);
  bool ok;
  for (int i = 0; i < 3; i++) {
    cotel_span step;
    cotel_span_start(tracer, steps[i], NULL, &step);
    cotel_token st = cotel_span_make_current(step);
    show(co, steps[i], "before yield");
    yield(co);
    ok = cotel_span_current().rec == step.rec;
    errors += !ok;
    show(co, steps[i], ok ? "resumed: still its own" : "resumed: WRONG span");
    cotel_context_detach(st);
    cotel_span_end(step, 0);
  }
  cotel_context_detach(t);
  cotel_span_end(req, 0);
  co->done = 1;
  yield(co); /* never resumed again; co_delete frees the coroutine */
}

int main(void) {
  cotel_exporter *exp;
  cotel_span_processor *proc;
  cotel_provider *provider;
  cotel_provider_config cfg;
  if (cotel_console_exporter_new(NULL, &exp) ||
      cotel_simple_processor_new(exp, &proc))
    return 1;
  cotel_provider_config_init(&cfg);
  cfg.service_name = "cotel-example-pcl";
  cfg.processors = &proc;
  cfg.n_processors = 1;
  if (cotel_provider_new(&cfg, &provider)) return 1;
  tracer = cotel_provider_tracer(provider, "example.pcl");

  co_thread_init();
  coro *cos = calloc(NCORO, sizeof *cos);
  for (int i = 0; i < NCORO; i++) {
    cos[i].id = i + 1;
    cotel_slot_init(&cos[i].slot, NULL); /* each request is a new trace */
    cos[i].pcl = co_create(handler, &cos[i], cos[i].stack, STACK);
    if (!cos[i].pcl) return 1;
  }
  for (int live = NCORO; live;) {
    live = 0;
    for (int i = 0; i < NCORO; i++) {
      if (cos[i].done) continue;
      resume(&cos[i]);
      live += !cos[i].done;
    }
  }
  for (int i = 0; i < NCORO; i++) {
    co_delete(cos[i].pcl);
    cotel_slot_destroy(&cos[i].slot);
  }
  free(cos);
  co_thread_cleanup();
  cotel_provider_shutdown(provider, 5000);
  cotel_provider_destroy(provider);
  return errors ? 1 : 0;
}
