/* The simple processor with asynchronous exporters: it must drive its
 * private loop until `done`, accept `done` from another thread, and close
 * the exporter's loop handles on shutdown. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cotel/cotel.h"
#include "test_util.h"
#include "support/provider_fixture.h"

/* An exporter that finishes each export from a timer on the given loop
 * (like a network exporter) or from its own thread. */
typedef struct async_exp {
  cotel_exporter base;
  uv_loop_t *loop;
  uv_timer_t timer; /* stays open until shutdown */
  bool timer_open, from_thread;
  cotel_export_done_fn done;
  void *done_arg;
  int rc_to_report;
  int exports, shutdowns, destroyed, closed;
  pthread_t th;
} async_exp;

static int ae_start(cotel_exporter *e, struct uv_loop_s *loop) {
  async_exp *a = (async_exp *)e;
  a->loop = loop;
  uv_timer_init(loop, &a->timer);
  a->timer.data = a;
  a->timer_open = true;
  return 0;
}

static void ae_fire(uv_timer_t *t) {
  async_exp *a = t->data;
  a->done(a->done_arg, a->rc_to_report);
}

static void *ae_thread(void *arg) {
  async_exp *a = arg;
  a->done(a->done_arg, a->rc_to_report);
  return NULL;
}

static void ae_export(cotel_exporter *e, const cotel_span_data *const *spans,
                      size_t n, cotel_export_done_fn done, void *arg) {
  (void)spans;
  (void)n;
  async_exp *a = (async_exp *)e;
  a->exports++;
  a->done = done;
  a->done_arg = arg;
  if (a->from_thread) {
    pthread_create(&a->th, NULL, ae_thread, a);
    pthread_detach(a->th);
  } else {
    uv_timer_start(&a->timer, ae_fire, 1, 0);
  }
}

static void ae_closed(uv_handle_t *h) {
  ((async_exp *)h->data)->closed++;
}

static void ae_shutdown(cotel_exporter *e, uint64_t deadline) {
  (void)deadline;
  async_exp *a = (async_exp *)e;
  a->shutdowns++;
  if (a->timer_open) uv_close((uv_handle_t *)&a->timer, ae_closed);
  a->timer_open = false;
}

static void ae_destroy(cotel_exporter *e) {
  ((async_exp *)e)->destroyed++;
}

static void ae_init(async_exp *a) {
  memset(a, 0, sizeof *a);
  a->base.name = "async";
  a->base.start = ae_start;
  a->base.export_spans = ae_export;
  a->base.shutdown = ae_shutdown;
  a->base.destroy = ae_destroy;
}

static cotel_provider *open_with(async_exp *a) {
  return simple_provider_new(&a->base, NULL);
}

static void end_one(cotel_provider *p) {
  cotel_span s;
  cotel_span_start(cotel_provider_tracer(p, "t"), "s", NULL, &s);
  cotel_span_end(s, 0);
}

static void test_simple_processor_drives_the_loop_until_done(void **state) {
  (void)state;
  async_exp a;
  ae_init(&a);
  cotel_provider *p = open_with(&a);
  end_one(p);
  end_one(p);
  a.rc_to_report = COTEL_EEXPORT;
  end_one(p);
  assert_int_equal(a.exports, 3);
  cotel_stats st;
  cotel_provider_stats(p, &st);
  assert_int_equal(st.spans_exported, 2);
  assert_int_equal(st.spans_export_failed, 1);
  assert_int_equal(cotel_provider_shutdown(p, 1000), 0);
  assert_int_equal(a.shutdowns, 1);
  assert_int_equal(a.closed, 1); /* the loop ran the close callback */
  cotel_provider_destroy(p);
  assert_int_equal(a.destroyed, 1);
  assert_int_equal(a.shutdowns, 1);
}

static void
test_simple_processor_accepts_done_from_another_thread(void **state) {
  (void)state;
  async_exp a;
  ae_init(&a);
  a.from_thread = true;
  cotel_provider *p = open_with(&a);
  for (int i = 0; i < 20; i++)
    end_one(p);
  cotel_stats st;
  cotel_provider_stats(p, &st);
  assert_int_equal(st.spans_exported, 20);
  cotel_provider_destroy(p);
}

static void test_simple_processor_drops_after_shutdown(void **state) {
  (void)state;
  async_exp a;
  ae_init(&a);
  cotel_span_processor *sp;
  assert_int_equal(cotel_simple_processor_new(&a.base, &sp), 0);
  assert_int_equal(sp->shutdown(sp, 100), 0);
  assert_int_equal(a.shutdowns, 0); /* never started: nothing to stop */
  cotel_provider_config cfg;
  cotel_provider *p;
  cotel_provider_config_init(&cfg);
  cotel_sampler_always_on(&cfg.sampler);
  cfg.processors = &sp;
  cfg.n_processors = 1;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  end_one(p);
  assert_int_equal(a.exports, 0);
  cotel_stats st;
  cotel_provider_stats(p, &st);
  assert_int_equal(st.spans_dropped, 1);
  cotel_provider_destroy(p);
}

static void test_simple_processor_new_rejects_null_exporter(void **state) {
  (void)state;
  cotel_span_processor *sp = (void *)1;
  assert_int_equal(cotel_simple_processor_new(NULL, &sp), COTEL_EINVAL);
  assert_null(sp);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_simple_processor_drives_the_loop_until_done),
      cmocka_unit_test(test_simple_processor_accepts_done_from_another_thread),
      cmocka_unit_test(test_simple_processor_drops_after_shutdown),
      cmocka_unit_test(test_simple_processor_new_rejects_null_exporter),
  };
  return cotel_test_run(argc, argv, "simple_processor", tests);
}
