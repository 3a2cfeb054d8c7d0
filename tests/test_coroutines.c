/* Coroutine slots (DESIGN §3, scenario b): two ucontext and two PCL
 * coroutines interleave 10,000 switches on one thread. Each has its own
 * cotel_slot, entered on resume and left on yield; at every switch each
 * side checks that the current span is its own. At the end every exported
 * span's parent must be the right one. */
#include <pcl.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "cotel/cotel.h"
#include "test_util.h"

#ifdef COTEL_TSAN
/* TSan must be told about stack switches it does not see. */
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#define FIBER_NEW() __tsan_create_fiber(0)
#define FIBER_FREE(f) __tsan_destroy_fiber(f)
#define FIBER_SWITCH(f) __tsan_switch_to_fiber(f, 0)
#define FIBER_CURRENT() __tsan_get_current_fiber()
#else
#define FIBER_NEW() NULL
#define FIBER_FREE(f) ((void)(f))
#define FIBER_SWITCH(f) ((void)(f))
#define FIBER_CURRENT() NULL
#endif

#ifdef COTEL_ASAN
/* ASan must be told which stack is live after a switch. */
#include <sanitizer/common_interface_defs.h>
#define ASAN_START(save, bottom, size)                                         \
  __sanitizer_start_switch_fiber(save, bottom, size)
#define ASAN_FINISH(save, bottom, size)                                        \
  __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define ASAN_START(save, bottom, size)                                         \
  ((void)(save), (void)(bottom), (void)(size))
#define ASAN_FINISH(save, bottom, size) ((void)(save), (void)(bottom))
#endif

enum { STACK = 256 * 1024, SWITCHES = 10000, NCORO = 4 };

typedef struct coro {
  int use_pcl;
  const char *name;
  cotel_slot slot;    /* this coroutine's current context */
  cotel_slot *caller; /* active slot of whoever resumed us */
  ucontext_t uc;      /* ucontext flavour */
  coroutine_t pcl;    /* PCL flavour */
  void *stack;
  void *fiber;
  void *asan_fake; /* ASan fake stack saved while suspended */
  cotel_span root; /* the coroutine's own span */
  int errors;
  int steps;
  int done;
} coro;

static ucontext_t sched_uc;
static void *sched_fiber;
static void *sched_asan_fake;
static const void *sched_bottom;
static size_t sched_size;
static int stop;
static cotel_provider *provider;
static cotel_tracer *tracer;
static cotel_exporter *mem;

/* Resume: make the coroutine's slot active, then switch stacks. */
static void resume(coro *co) {
  co->caller = cotel_slot_enter(&co->slot);
  FIBER_SWITCH(co->fiber);
  ASAN_START(&sched_asan_fake, co->stack, STACK);
  if (co->use_pcl)
    co_call(co->pcl);
  else
    swapcontext(&sched_uc, &co->uc);
  ASAN_FINISH(sched_asan_fake, NULL, NULL);
}

/* Yield: give the caller its slot back, then switch stacks. */
static void yield(coro *co) {
  cotel_slot_enter(co->caller);
  FIBER_SWITCH(sched_fiber);
  ASAN_START(&co->asan_fake, sched_bottom, sched_size);
  if (co->use_pcl)
    co_resume();
  else
    swapcontext(&co->uc, &sched_uc);
  ASAN_FINISH(co->asan_fake, &sched_bottom, &sched_size);
}

static int same_span(cotel_span a, cotel_span b) {
  return a.rec == b.rec && a.gen == b.gen;
}

static void body(coro *co) {
  ASAN_FINISH(NULL, &sched_bottom, &sched_size); /* first entry */
  /* Started under the context the coroutine was created with (the
   * scheduler's "main" span), in this coroutine's slot. */
  cotel_span_start(tracer, co->name, NULL, &co->root);
  cotel_token t = cotel_span_make_current(co->root);
  while (!stop) {
    cotel_span step;
    cotel_span_start(tracer, "step", NULL, &step);
    cotel_span_set_str(step, "coro", co->name);
    cotel_token st = cotel_span_make_current(step);
    yield(co);
    if (!same_span(cotel_span_current(), step)) co->errors++;
    if (cotel_context_detach(st) != 0) co->errors++;
    cotel_span_end(step, 0);
    if (!same_span(cotel_span_current(), co->root)) co->errors++;
    co->steps++;
    yield(co);
    if (!same_span(cotel_span_current(), co->root)) co->errors++;
  }
  if (cotel_context_detach(t) != 0) co->errors++;
  cotel_span_end(co->root, 0);
  co->done = 1;
  for (;;)
    yield(co); /* never return: the scheduler frees us */
}

static void uc_entry(unsigned hi, unsigned lo) {
  body((coro *)(((uintptr_t)hi << 32) | (uintptr_t)lo));
}
static void pcl_entry(void *arg) {
  body(arg);
}

static void coro_init(coro *co, int use_pcl, const char *name) {
  memset(co, 0, sizeof *co);
  co->use_pcl = use_pcl;
  co->name = name;
  /* The coroutine inherits the context current at its creation. */
  cotel_slot_init(&co->slot, cotel_context_current());
  co->stack = malloc(STACK);
  assert_non_null(co->stack);
  co->fiber = FIBER_NEW();
  if (use_pcl) {
    co->pcl = co_create(pcl_entry, co, co->stack, STACK);
    assert_non_null(co->pcl);
  } else {
    uintptr_t p = (uintptr_t)co;
    assert_int_equal(getcontext(&co->uc), 0);
    co->uc.uc_stack.ss_sp = co->stack;
    co->uc.uc_stack.ss_size = STACK;
    co->uc.uc_link = NULL;
    makecontext(&co->uc, (void (*)(void))uc_entry, 2, (unsigned)(p >> 32),
                (unsigned)(p & 0xffffffffu));
  }
}

static void coro_fini(coro *co) {
  if (co->use_pcl) co_delete(co->pcl);
  FIBER_FREE(co->fiber);
  cotel_slot_destroy(&co->slot);
  free(co->stack);
}

static int setup(void **state) {
  (void)state;
  cotel_span_processor *proc = NULL;
  if (cotel_memory_exporter_new(&mem)) return -1;
  if (cotel_simple_processor_new(mem, &proc)) return -1;
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.processors = &proc;
  cfg.n_processors = 1;
  if (cotel_provider_new(&cfg, &provider)) return -1;
  tracer = cotel_provider_tracer(provider, "test_coroutines");
  co_thread_init();
  sched_fiber = FIBER_CURRENT();
  return tracer ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  co_thread_cleanup();
  cotel_provider_destroy(provider);
  return 0;
}

/* Exported spans sorted by span id, for parent lookups. */
static const cotel_span_data **by_id;
static size_t n_by_id;

static int cmp_span_id(const void *a, const void *b) {
  const cotel_span_data *x = *(const cotel_span_data *const *)a;
  const cotel_span_data *y = *(const cotel_span_data *const *)b;
  return memcmp(&x->context.span_id, &y->context.span_id, 8);
}

static void index_spans(void) {
  n_by_id = cotel_memory_exporter_count(mem);
  by_id = calloc(n_by_id, sizeof *by_id);
  for (size_t i = 0; i < n_by_id; i++)
    by_id[i] = cotel_memory_exporter_get(mem, i);
  qsort(by_id, n_by_id, sizeof *by_id, cmp_span_id);
}

static const cotel_span_data *find_span(cotel_span_id id) {
  cotel_span_data key;
  memset(&key, 0, sizeof key);
  key.context.span_id = id;
  const cotel_span_data *kp = &key;
  const cotel_span_data **hit =
      bsearch(&kp, by_id, n_by_id, sizeof *by_id, cmp_span_id);
  return hit ? *hit : NULL;
}

static void test_interleaved_coroutines_keep_their_own_spans(void **state) {
  (void)state;
  static const char *names[NCORO] = {"uc-a", "pcl-a", "uc-b", "pcl-b"};
  coro cos[NCORO];
  cotel_span main_span;
  assert_int_equal(cotel_span_start(tracer, "main", NULL, &main_span), 0);
  cotel_token mt = cotel_span_make_current(main_span);
  for (int i = 0; i < NCORO; i++)
    coro_init(&cos[i], i % 2, names[i]);

  int switches = 0, sched_errors = 0;
  /* Round robin, varying the order a little so that every pair of
   * coroutines follows each other. */
  for (int round = 0; switches < SWITCHES; round++) {
    for (int k = 0; k < NCORO; k++) {
      coro *co = &cos[(k * (1 + round % 3) + round) % NCORO];
      resume(co);
      switches++;
      if (!same_span(cotel_span_current(), main_span)) sched_errors++;
    }
  }
  stop = 1;
  for (int i = 0; i < NCORO; i++) {
    while (!cos[i].done)
      resume(&cos[i]);
  }
  assert_int_equal(sched_errors, 0);
  assert_int_equal(cotel_context_detach(mt), 0);
  cotel_span_end(main_span, 0);
  assert_ptr_equal(cotel_context_current(), cotel_context_root());

  cotel_span_context main_sc;
  assert_int_equal(cotel_span_get_context(main_span, &main_sc), 0);
  int total_steps = 0;
  for (int i = 0; i < NCORO; i++) {
    assert_int_equal(cos[i].errors, 0);
    assert_true(cos[i].steps > SWITCHES / NCORO / 3);
    total_steps += cos[i].steps;
    coro_fini(&cos[i]);
  }

  /* Every span was exported with the right parent: coroutine roots under
   * main, steps under their coroutine's root. */
  size_t n = cotel_memory_exporter_count(mem);
  assert_int_equal(n, (size_t)(1 + NCORO + total_steps));
  index_spans();
  int roots = 0;
  for (size_t i = 0; i < n; i++) {
    const cotel_span_data *sd = cotel_memory_exporter_get(mem, i);
    assert_memory_equal(&sd->context.trace_id, &main_sc.trace_id, 16);
    if (sd->name.len == 4 && !memcmp(sd->name.ptr, "main", 4)) continue;
    const cotel_span_data *parent = find_span(sd->parent_span_id);
    assert_non_null(parent);
    if (sd->name.len == 4 && !memcmp(sd->name.ptr, "step", 4)) {
      /* the parent is the root span of the coroutine that made the step */
      assert_int_equal(sd->n_attrs, 1);
      assert_int_equal(sd->attrs[0].v.s.len, parent->name.len);
      assert_memory_equal(sd->attrs[0].v.s.ptr, parent->name.ptr,
                          parent->name.len);
    } else {
      assert_memory_equal(&sd->parent_span_id, &main_sc.span_id, 8);
      roots++;
    }
  }
  assert_int_equal(roots, NCORO);
  free(by_id);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_interleaved_coroutines_keep_their_own_spans, setup, teardown),
  };
  return cotel_test_run(argc, argv, "coroutines", tests);
}
