/* Scenario a (DESIGN §3): 1000 traces interleaved on one libuv loop. Each
 * is a root span that starts a timer; the timer callback starts a child
 * span and queues thread-pool work; the work callback (pool thread) and the
 * after-work callback (loop thread) each start a child of the timer's span.
 * Nothing but the libuv helpers carries the context, and at the end every
 * exported span must have the right parent in the right trace. */
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "cotel/uv.h"
#include "test_util.h"

enum { TRACES = 1000 };

struct trace {
  int idx;
  cotel_uv_timer timer;
  cotel_uv_work work;
};

static cotel_provider *provider;
static cotel_tracer *tracer;
static cotel_exporter *mem;

static void child(const char *name, int idx) {
  cotel_attr a = cotel_attr_int("trace.idx", idx);
  cotel_span_options o = {.attrs = &a, .n_attrs = 1};
  cotel_span s;
  cotel_span_start(tracer, name, &o, &s);
  cotel_span_end(s, 0);
}

static void work_cb(uv_work_t *req) {
  struct trace *t = req->data;
  child("work", t->idx);
}

static void after_cb(uv_work_t *req, int status) {
  struct trace *t = req->data;
  assert_int_equal(status, 0);
  child("after", t->idx);
  cotel_uv_timer_close(&t->timer, NULL);
}

static void timer_cb(uv_timer_t *h) {
  struct trace *t = h->data;
  cotel_attr a = cotel_attr_int("trace.idx", t->idx);
  cotel_span_options o = {.attrs = &a, .n_attrs = 1};
  cotel_span s;
  cotel_span_start(tracer, "timer", &o, &s);
  cotel_token tok = cotel_span_make_current(s);
  t->work.req.data = t;
  assert_int_equal(cotel_uv_queue_work(h->loop, &t->work, work_cb, after_cb),
                   0);
  assert_int_equal(cotel_context_detach(tok), 0);
  /* ended before its children: the captured context keeps it alive */
  cotel_span_end(s, 0);
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
  tracer = cotel_provider_tracer(provider, "test_uv_interleave");
  return tracer ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  cotel_provider_destroy(provider);
  return 0;
}

static int64_t idx_of(const cotel_span_data *sd) {
  for (uint32_t i = 0; i < sd->n_attrs; i++)
    if (sd->attrs[i].key.len == 9 &&
        !memcmp(sd->attrs[i].key.ptr, "trace.idx", 9))
      return sd->attrs[i].v.i;
  return -1;
}

static int name_is(const cotel_span_data *sd, const char *n) {
  return sd->name.len == strlen(n) && !memcmp(sd->name.ptr, n, sd->name.len);
}

static int cmp_span_id(const void *a, const void *b) {
  const cotel_span_data *x = *(const cotel_span_data *const *)a;
  const cotel_span_data *y = *(const cotel_span_data *const *)b;
  return memcmp(&x->context.span_id, &y->context.span_id, 8);
}

static void
test_interleaved_traces_on_one_loop_keep_their_parents(void **state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  struct trace *tr = calloc(TRACES, sizeof *tr);
  for (int i = 0; i < TRACES; i++) {
    tr[i].idx = i;
    cotel_attr a = cotel_attr_int("trace.idx", i);
    cotel_span_options o = {.root = true, .attrs = &a, .n_attrs = 1};
    cotel_span root;
    assert_int_equal(cotel_span_start(tracer, "root", &o, &root), 0);
    cotel_token tok = cotel_span_make_current(root);
    assert_int_equal(cotel_uv_timer_init(&loop, &tr[i].timer), 0);
    tr[i].timer.timer.data = &tr[i];
    /* timeouts 0..3 ms shuffle the order the traces run in */
    assert_int_equal(
        cotel_uv_timer_start(&tr[i].timer, timer_cb, (uint64_t)(i * 7 % 4), 0),
        0);
    assert_int_equal(cotel_context_detach(tok), 0);
    cotel_span_end(root, 0);
  }
  assert_ptr_equal(cotel_context_current(), cotel_context_root());
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_ptr_equal(cotel_context_current(), cotel_context_root());

  size_t n = cotel_memory_exporter_count(mem);
  assert_int_equal(n, 4 * TRACES);
  const cotel_span_data **by_id = calloc(n, sizeof *by_id);
  for (size_t i = 0; i < n; i++)
    by_id[i] = cotel_memory_exporter_get(mem, i);
  qsort(by_id, n, sizeof *by_id, cmp_span_id);

  int counts[4] = {0};
  for (size_t i = 0; i < n; i++) {
    const cotel_span_data *sd = cotel_memory_exporter_get(mem, i);
    int64_t idx = idx_of(sd);
    assert_true(idx >= 0 && idx < TRACES);
    if (name_is(sd, "root")) {
      assert_true(cotel_span_id_is_zero(&sd->parent_span_id));
      counts[0]++;
      continue;
    }
    cotel_span_data key_sd;
    memset(&key_sd, 0, sizeof key_sd);
    key_sd.context.span_id = sd->parent_span_id;
    const cotel_span_data *kp = &key_sd;
    const cotel_span_data **hit =
        bsearch(&kp, by_id, n, sizeof *by_id, cmp_span_id);
    assert_non_null(hit);
    const cotel_span_data *parent = *hit;
    /* same trace, same index: no context leaked between traces */
    assert_memory_equal(&sd->context.trace_id, &parent->context.trace_id, 16);
    assert_int_equal(idx_of(parent), idx);
    if (name_is(sd, "timer")) {
      assert_true(name_is(parent, "root"));
      counts[1]++;
    } else {
      assert_true(name_is(sd, "work") || name_is(sd, "after"));
      assert_true(name_is(parent, "timer"));
      counts[name_is(sd, "work") ? 2 : 3]++;
    }
  }
  for (int k = 0; k < 4; k++)
    assert_int_equal(counts[k], TRACES);
  free(by_id);
  free(tr);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_interleaved_traces_on_one_loop_keep_their_parents, setup,
          teardown),
  };
  return cotel_test_run(argc, argv, "uv_interleave", tests);
}
