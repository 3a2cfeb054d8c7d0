/* cotel example: interleaved coroutines on POSIX ucontext, each with its
 * own cotel_slot (DESIGN §3 "coroutine slot").
 *
 * Three request handlers run as coroutines on one thread, round robin. Each
 * starts a server span and a child span per step, yielding in between.
 * Switching coroutines switches the active slot (cotel_slot_enter: one
 * pointer swap), so every handler keeps seeing its own span even though
 * they interleave; the console exporter prints one correct tree per
 * request at the end.
 *
 * The pattern is two lines around each stack switch:
 *   resume: co->caller = cotel_slot_enter(&co->slot); swapcontext(...)
 *   yield:  cotel_slot_enter(co->caller);              swapcontext(...) */
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include "cotel/cotel.h"

enum { NCORO = 3, STACK = 128 * 1024 };

typedef struct coro {
  int id;
  ucontext_t uc;
  cotel_slot slot;    /* the coroutine's current context */
  cotel_slot *caller; /* the scheduler's slot, restored on yield */
  int done;
  char stack[STACK];
} coro;

static ucontext_t sched;
static cotel_tracer *tracer;
static int errors; /* switches after which a handler saw a foreign span */

static void resume(coro *co) {
  co->caller = cotel_slot_enter(&co->slot);
  swapcontext(&sched, &co->uc);
}

static void yield(coro *co) {
  cotel_slot_enter(co->caller);
  swapcontext(&co->uc, &sched);
}

static void show(coro *co, const char *what, const char *phase) {
  cotel_span_context sc;
  char id[17] = "(none)";
  if (cotel_context_span_context(NULL, &sc) == 0)
    cotel_span_id_to_hex(&sc.span_id, id);
  printf("coroutine %d: %-6s current span %s (%s)\n", co->id, what, id, phase);
}

static void handler(unsigned hi, unsigned lo) {
  coro *co = (coro *)(((uintptr_t)hi << 32) | lo);
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
    cotel_span_start(tracer, steps[i], NULL, &step); /* child of req */
    cotel_token st = cotel_span_make_current(step);
    show(co, steps[i], "before yield");
    yield(co); /* another handler runs here */
    ok = cotel_span_current().rec == step.rec;
    errors += !ok;
    show(co, steps[i], ok ? "resumed: still its own" : "resumed: WRONG span");
    cotel_context_detach(st);
    cotel_span_end(step, 0);
  }
  cotel_context_detach(t);
  cotel_span_end(req, 0);
  co->done = 1;
  yield(co); /* never resumed again */
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
  cfg.service_name = "cotel-example-ucontext";
  cfg.processors = &proc;
  cfg.n_processors = 1;
  if (cotel_provider_new(&cfg, &provider)) return 1;
  tracer = cotel_provider_tracer(provider, "example.ucontext");

  coro *cos = calloc(NCORO, sizeof *cos);
  for (int i = 0; i < NCORO; i++) {
    coro *co = &cos[i];
    uintptr_t p = (uintptr_t)co;
    co->id = i + 1;
    cotel_slot_init(&co->slot, NULL); /* each request is a new trace */
    getcontext(&co->uc);
    co->uc.uc_stack.ss_sp = co->stack;
    co->uc.uc_stack.ss_size = STACK;
    makecontext(&co->uc, (void (*)(void))handler, 2, (unsigned)(p >> 32),
                (unsigned)(p & 0xffffffffu));
  }
  for (int live = NCORO; live;) {
    live = 0;
    for (int i = 0; i < NCORO; i++) {
      if (cos[i].done) continue;
      resume(&cos[i]);
      live += !cos[i].done;
    }
  }
  for (int i = 0; i < NCORO; i++)
    cotel_slot_destroy(&cos[i].slot);
  free(cos);
  cotel_provider_shutdown(provider, 5000);
  cotel_provider_destroy(provider);
  return errors ? 1 : 0;
}
