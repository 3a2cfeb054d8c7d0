/* Span lifecycle: start/end, attributes, events, links, status, names,
 * exceptions, ended and stale handles, concurrency. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

typedef struct fx {
  cotel_provider *p;
  cotel_tracer *t;
  cotel_exporter *mem;
} fx;

static void fx_open(fx *f, cotel_sampler *sampler) {
  cotel_provider_config cfg;
  cotel_span_processor *sp;
  cotel_provider_config_init(&cfg);
  assert_int_equal(cotel_memory_exporter_new(&f->mem), 0);
  assert_int_equal(cotel_simple_processor_new(f->mem, &sp), 0);
  if (!sampler) cotel_sampler_always_on(&sampler);
  cfg.sampler = sampler;
  cfg.processors = &sp;
  cfg.n_processors = 1;
  assert_int_equal(cotel_provider_new(&cfg, &f->p), 0);
  f->t = cotel_provider_tracer(f->p, "test");
  assert_non_null(f->t);
}

static void fx_close(fx *f) {
  cotel_provider_destroy(f->p);
}

static const cotel_attr *find_attr(const cotel_attr *a, uint32_t n,
                                   const char *key) {
  for (uint32_t i = 0; i < n; i++)
    if (a[i].key.len == strlen(key) && !memcmp(a[i].key.ptr, key, a[i].key.len))
      return &a[i];
  return NULL;
}

static bool str_is(cotel_str s, const char *c) {
  return s.len == strlen(c) && !memcmp(s.ptr, c, s.len);
}

static void
test_span_start_end_exports_one_span_with_name_kind_and_times(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  cotel_span_options o = {.kind = COTEL_SPAN_KIND_SERVER};
  uint64_t before = cotel_time_now_ns();
  assert_int_equal(cotel_span_start(f.t, "GET /", &o, &s), 0);
  assert_true(cotel_span_is_recording(s));
  cotel_span_end(s, 0);
  assert_false(cotel_span_is_recording(s));
  assert_int_equal(cotel_memory_exporter_count(f.mem), 1);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_true(str_is(sd->name, "GET /"));
  assert_int_equal(sd->kind, COTEL_SPAN_KIND_SERVER);
  assert_true(sd->start_ns >= before);
  assert_true(sd->end_ns >= sd->start_ns);
  assert_true(cotel_span_context_is_valid(&sd->context));
  assert_true(cotel_span_id_is_zero(&sd->parent_span_id));
  assert_int_equal(sd->context.flags,
                   COTEL_TRACE_FLAG_SAMPLED | COTEL_TRACE_FLAG_RANDOM);
  assert_true(str_is(sd->scope->name, "test"));
  assert_ptr_equal(sd->resource, cotel_provider_resource(f.p));
  fx_close(&f);
}

static void test_span_kind_defaults_to_internal(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  assert_int_equal(cotel_span_start(f.t, "x", NULL, &s), 0);
  cotel_span_end(s, 0);
  assert_int_equal(cotel_memory_exporter_get(f.mem, 0)->kind,
                   COTEL_SPAN_KIND_INTERNAL);
  fx_close(&f);
}

static void test_span_child_inherits_trace_id_and_records_parent(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span parent, child;
  cotel_context *ctx;
  assert_int_equal(cotel_span_start(f.t, "parent", NULL, &parent), 0);
  assert_int_equal(cotel_context_with_span(NULL, parent, &ctx), 0);
  cotel_span_options o = {.parent = ctx};
  assert_int_equal(cotel_span_start(f.t, "child", &o, &child), 0);
  cotel_span_context pc, cc;
  cotel_span_get_context(parent, &pc);
  cotel_span_get_context(child, &cc);
  assert_memory_equal(&pc.trace_id, &cc.trace_id, 16);
  assert_memory_not_equal(&pc.span_id, &cc.span_id, 8);
  const cotel_span_data *cd = cotel_span_data_of(child);
  assert_memory_equal(&cd->parent_span_id, &pc.span_id, 8);
  assert_false(cd->parent_is_remote);
  assert_true(cc.flags & COTEL_TRACE_FLAG_RANDOM);
  cotel_span_end(child, 0);
  cotel_span_end(parent, 0);
  cotel_context_release(ctx);
  assert_int_equal(cotel_memory_exporter_count(f.mem), 2);
  fx_close(&f);
}

static void test_span_uses_current_context_as_parent_unless_root(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span parent, child, root;
  cotel_span_start(f.t, "parent", NULL, &parent);
  cotel_token tok = cotel_span_make_current(parent);
  cotel_span_start(f.t, "child", NULL, &child);
  cotel_span_options o = {.root = true};
  cotel_span_start(f.t, "root", &o, &root);
  cotel_span_context pc, cc, rc;
  cotel_span_get_context(parent, &pc);
  cotel_span_get_context(child, &cc);
  cotel_span_get_context(root, &rc);
  assert_memory_equal(&pc.trace_id, &cc.trace_id, 16);
  assert_memory_not_equal(&pc.trace_id, &rc.trace_id, 16);
  assert_true(cotel_span_id_is_zero(&cotel_span_data_of(root)->parent_span_id));
  cotel_span_end(root, 0);
  cotel_span_end(child, 0);
  assert_int_equal(cotel_context_detach(tok), 0);
  cotel_span_end(parent, 0);
  fx_close(&f);
}

static void
test_span_remote_parent_sets_parent_is_remote_and_tracestate(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span_context rsc = {.flags = COTEL_TRACE_FLAG_SAMPLED};
  memset(rsc.trace_id.bytes, 0xab, 16);
  memset(rsc.span_id.bytes, 0xcd, 8);
  const char *ts_text = "vendor=value";
  assert_int_equal(
      cotel_tracestate_parse(ts_text, strlen(ts_text), &rsc.tracestate), 0);
  cotel_context *ctx;
  assert_int_equal(cotel_context_with_remote(NULL, &rsc, &ctx), 0);
  cotel_tracestate_release(rsc.tracestate);
  cotel_span s;
  cotel_span_options o = {.parent = ctx};
  cotel_span_start(f.t, "server", &o, &s);
  cotel_context_release(ctx);
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_true(sd->parent_is_remote);
  assert_memory_equal(&sd->context.trace_id, &rsc.trace_id, 16);
  assert_memory_equal(&sd->parent_span_id, &rsc.span_id, 8);
  /* The remote parent had no random flag: the child keeps it clear. */
  assert_int_equal(sd->context.flags, COTEL_TRACE_FLAG_SAMPLED);
  cotel_str v;
  assert_int_equal(
      cotel_tracestate_get(sd->context.tracestate, cotel_str_c("vendor"), &v),
      0);
  assert_true(str_is(v, "value"));
  fx_close(&f);
}

static void test_span_scalar_attributes_are_copied(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  char key[8] = "k.str", val[8] = "hello";
  cotel_attr start[] = {cotel_attr_int("at.start", 7)};
  cotel_span_options o = {.attrs = start, .n_attrs = 1};
  cotel_span_start(f.t, "a", &o, &s);
  cotel_span_set_str(s, key, val);
  memset(key, 'x', 7);
  memset(val, 'y', 7);
  cotel_span_set_bool(s, "k.bool", true);
  cotel_span_set_int(s, "k.int", -42);
  cotel_span_set_double(s, "k.double", 2.5);
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_attrs, 5);
  const cotel_attr *a = find_attr(sd->attrs, sd->n_attrs, "k.str");
  assert_non_null(a);
  assert_int_equal(a->type, COTEL_ATTR_STRING);
  assert_true(str_is(a->v.s, "hello"));
  a = find_attr(sd->attrs, sd->n_attrs, "k.bool");
  assert_true(a && a->type == COTEL_ATTR_BOOL && a->v.b);
  a = find_attr(sd->attrs, sd->n_attrs, "k.int");
  assert_true(a && a->type == COTEL_ATTR_INT && a->v.i == -42);
  a = find_attr(sd->attrs, sd->n_attrs, "k.double");
  assert_true(a && a->type == COTEL_ATTR_DOUBLE && a->v.d == 2.5);
  a = find_attr(sd->attrs, sd->n_attrs, "at.start");
  assert_true(a && a->v.i == 7);
  fx_close(&f);
}

static void test_span_array_attributes_are_copied(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  cotel_str strs[] = {cotel_str_c("a"), cotel_str_c("bc")};
  bool bools[] = {true, false, true};
  int64_t ints[] = {1, -2, 3, INT64_MAX};
  double dbls[] = {0.5};
  cotel_attr in[] = {
      cotel_attr_array("s", COTEL_ATTR_STRING_ARRAY, strs, 2),
      cotel_attr_array("b", COTEL_ATTR_BOOL_ARRAY, bools, 3),
      cotel_attr_array("i", COTEL_ATTR_INT_ARRAY, ints, 4),
      cotel_attr_array("d", COTEL_ATTR_DOUBLE_ARRAY, dbls, 1),
      cotel_attr_array("empty", COTEL_ATTR_INT_ARRAY, NULL, 0),
  };
  cotel_span_start(f.t, "arrays", NULL, &s);
  cotel_span_set_attrs(s, in, 5);
  strs[0] = cotel_str_c("zz");
  ints[0] = 99;
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_attrs, 5);
  const cotel_attr *a = find_attr(sd->attrs, sd->n_attrs, "s");
  assert_int_equal(a->type, COTEL_ATTR_STRING_ARRAY);
  assert_int_equal(a->v.arr.count, 2);
  const cotel_str *so = a->v.arr.items;
  assert_true(str_is(so[0], "a") && str_is(so[1], "bc"));
  a = find_attr(sd->attrs, sd->n_attrs, "b");
  assert_memory_equal(a->v.arr.items, bools, sizeof bools);
  a = find_attr(sd->attrs, sd->n_attrs, "i");
  const int64_t *io = a->v.arr.items;
  assert_int_equal(io[0], 1);
  assert_int_equal(io[3], INT64_MAX);
  a = find_attr(sd->attrs, sd->n_attrs, "d");
  assert_true(((const double *)a->v.arr.items)[0] == 0.5);
  a = find_attr(sd->attrs, sd->n_attrs, "empty");
  assert_int_equal(a->v.arr.count, 0);
  fx_close(&f);
}

static void test_span_last_write_wins_for_a_key(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  cotel_span_start(f.t, "a", NULL, &s);
  cotel_span_set_str(s, "k", "first");
  cotel_span_set_int(s, "other", 1);
  cotel_span_set_int(s, "k", 2);
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_attrs, 2);
  const cotel_attr *a = find_attr(sd->attrs, sd->n_attrs, "k");
  assert_int_equal(a->type, COTEL_ATTR_INT);
  assert_int_equal(a->v.i, 2);
  assert_int_equal(sd->dropped_attrs, 0);
  fx_close(&f);
}

static void test_span_many_attributes_grow_past_the_inline_arena(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  char key[32], val[200];
  memset(val, 'v', sizeof val - 1);
  val[sizeof val - 1] = 0;
  cotel_span_start(f.t, "big", NULL, &s);
  for (int i = 0; i < 100; i++) {
    snprintf(key, sizeof key, "key.%d", i);
    cotel_span_set_str(s, key, val);
  }
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_attrs, 100);
  const cotel_attr *a = find_attr(sd->attrs, sd->n_attrs, "key.99");
  assert_non_null(a);
  assert_int_equal(a->v.s.len, sizeof val - 1);
  fx_close(&f);
}

static void test_span_events_are_recorded_with_attributes(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  cotel_attr ea[] = {cotel_attr_string("e.k", "v"), cotel_attr_int("e.n", 3)};
  cotel_span_start(f.t, "ev", NULL, &s);
  cotel_span_add_event(s, "first", 12345, ea, 2);
  cotel_span_add_event(s, "second", 0, NULL, 0);
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_events, 2);
  assert_true(str_is(sd->events[0].name, "first"));
  assert_int_equal(sd->events[0].time_ns, 12345);
  assert_int_equal(sd->events[0].n_attrs, 2);
  assert_true(str_is(find_attr(sd->events[0].attrs, 2, "e.k")->v.s, "v"));
  assert_true(str_is(sd->events[1].name, "second"));
  assert_true(sd->events[1].time_ns >= sd->start_ns);
  assert_int_equal(sd->events[1].n_attrs, 0);
  fx_close(&f);
}

static void test_span_links_at_start_and_later_are_recorded(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_link l1 = {0}, l2 = {0}, bad = {0};
  memset(l1.context.trace_id.bytes, 1, 16);
  memset(l1.context.span_id.bytes, 2, 8);
  l2 = l1;
  l2.context.span_id.bytes[0] = 9;
  cotel_attr la[] = {cotel_attr_bool("l.k", true)};
  l1.attrs = la;
  l1.n_attrs = 1;
  cotel_span_options o = {.links = &l1, .n_links = 1};
  cotel_span s;
  cotel_span_start(f.t, "links", &o, &s);
  cotel_span_add_link(s, &l2);
  cotel_span_add_link(s, &bad); /* invalid span context: ignored */
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_links, 2);
  assert_int_equal(sd->dropped_links, 0);
  assert_memory_equal(&sd->links[0].context, &l1.context,
                      sizeof l1.context.trace_id);
  assert_int_equal(sd->links[0].n_attrs, 1);
  assert_int_equal(sd->links[1].context.span_id.bytes[0], 9);
  fx_close(&f);
}

static void
test_span_status_ok_is_final_and_error_keeps_description(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span a, b;
  cotel_span_start(f.t, "a", NULL, &a);
  cotel_span_set_status(a, COTEL_STATUS_ERROR, "boom");
  cotel_span_set_status(a, COTEL_STATUS_UNSET, NULL); /* ignored */
  const cotel_span_data *da = cotel_span_data_of(a);
  assert_int_equal(da->status, COTEL_STATUS_ERROR);
  assert_true(str_is(da->status_message, "boom"));
  cotel_span_set_status(a, COTEL_STATUS_OK, "ignored description");
  cotel_span_set_status(a, COTEL_STATUS_ERROR, "too late");
  assert_int_equal(da->status, COTEL_STATUS_OK);
  assert_int_equal(da->status_message.len, 0);
  cotel_span_end(a, 0);
  cotel_span_start(f.t, "b", NULL, &b);
  cotel_span_set_status(b, COTEL_STATUS_ERROR, "one");
  cotel_span_set_status(b, COTEL_STATUS_ERROR, "two");
  assert_true(str_is(cotel_span_data_of(b)->status_message, "two"));
  cotel_span_end(b, 0);
  fx_close(&f);
}

static void test_span_record_exception_adds_exception_event(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  cotel_attr extra = cotel_attr_bool("exception.escaped", true);
  cotel_span_start(f.t, "exc", NULL, &s);
  cotel_span_record_exception(s, "IOError", "disk full", NULL, &extra, 1);
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_events, 1);
  const cotel_event *e = &sd->events[0];
  assert_true(str_is(e->name, "exception"));
  assert_int_equal(e->n_attrs, 3);
  assert_true(str_is(find_attr(e->attrs, 3, "exception.type")->v.s, "IOError"));
  assert_true(
      str_is(find_attr(e->attrs, 3, "exception.message")->v.s, "disk full"));
  assert_null(find_attr(e->attrs, 3, "exception.stacktrace"));
  assert_non_null(find_attr(e->attrs, 3, "exception.escaped"));
  fx_close(&f);
}

static void test_span_update_name_replaces_the_name(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  cotel_span_start(f.t, "old", NULL, &s);
  cotel_span_update_name(s, "new name");
  cotel_span_end(s, 0);
  assert_true(str_is(cotel_memory_exporter_get(f.mem, 0)->name, "new name"));
  fx_close(&f);
}

static void test_span_end_with_time_before_start_is_clamped(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s, s2;
  cotel_span_options o = {.start_ns = 1000000};
  cotel_span_start(f.t, "a", &o, &s);
  cotel_span_end(s, 500);
  cotel_span_start(f.t, "b", &o, &s2);
  cotel_span_end(s2, 2000000);
  const cotel_span_data *a = cotel_memory_exporter_get(f.mem, 0);
  const cotel_span_data *b = cotel_memory_exporter_get(f.mem, 1);
  assert_int_equal(a->start_ns, 1000000);
  assert_int_equal(a->end_ns, 1000000);
  assert_int_equal(b->end_ns, 2000000);
  fx_close(&f);
}

static void test_span_methods_after_end_do_nothing(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  cotel_span_start(f.t, "a", NULL, &s);
  cotel_span_end(s, 0);
  /* The memory exporter still holds the record: same generation, ended. */
  cotel_span_set_int(s, "late", 1);
  cotel_span_add_event(s, "late", 0, NULL, 0);
  cotel_span_set_status(s, COTEL_STATUS_ERROR, "late");
  cotel_span_update_name(s, "late");
  cotel_span_end(s, 0);
  assert_int_equal(cotel_memory_exporter_count(f.mem), 1);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_attrs, 0);
  assert_int_equal(sd->n_events, 0);
  assert_int_equal(sd->status, COTEL_STATUS_UNSET);
  assert_true(str_is(sd->name, "a"));
  cotel_stats st;
  cotel_provider_stats(f.p, &st);
  assert_int_equal(st.spans_ended, 1);
  fx_close(&f);
}

static void test_span_stale_handle_after_recycling_is_harmless(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s, s2;
  cotel_span_start(f.t, "a", NULL, &s);
  cotel_span_end(s, 0);
  cotel_memory_exporter_clear(f.mem); /* last reference: record recycled */
  cotel_span_context sc;
  assert_int_equal(cotel_span_get_context(s, &sc), COTEL_EINVAL);
  assert_false(cotel_span_context_is_valid(&sc));
  assert_null(cotel_span_data_of(s));
  /* The record is reused by the next span; the old handle must not reach
   * it. */
  cotel_span_start(f.t, "b", NULL, &s2);
  cotel_span_set_int(s, "stale", 1);
  cotel_span_end(s, 0);
  assert_true(cotel_span_is_recording(s2));
  assert_false(cotel_span_is_recording(s));
  cotel_span_end(s2, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_true(str_is(sd->name, "b"));
  assert_int_equal(sd->n_attrs, 0);
  fx_close(&f);
}

static void test_span_none_handle_is_harmless(void **state) {
  (void)state;
  cotel_span s = COTEL_SPAN_NONE;
  cotel_span_set_int(s, "k", 1);
  cotel_span_add_event(s, "e", 0, NULL, 0);
  cotel_span_record_exception(s, "t", "m", "s", NULL, 0);
  cotel_span_end(s, 0);
  assert_false(cotel_span_is_recording(s));
  assert_null(cotel_span_data_of(s));
}

static void test_span_start_rejects_null_arguments(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s = {(void *)1, 1};
  assert_int_equal(cotel_span_start(NULL, "x", NULL, &s), COTEL_EINVAL);
  assert_null(s.rec);
  assert_int_equal(cotel_span_start(f.t, NULL, NULL, &s), COTEL_EINVAL);
  assert_int_equal(cotel_span_start(f.t, "x", NULL, NULL), COTEL_EINVAL);
  fx_close(&f);
}

static void test_span_non_recording_still_propagates_its_context(void **state) {
  (void)state;
  fx f;
  cotel_sampler *off;
  cotel_sampler_always_off(&off);
  fx_open(&f, off);
  cotel_span s, child;
  assert_int_equal(cotel_span_start(f.t, "dropped", NULL, &s), 0);
  assert_false(cotel_span_is_recording(s));
  assert_null(cotel_span_data_of(s));
  cotel_span_context sc, cc;
  assert_int_equal(cotel_span_get_context(s, &sc), 0);
  assert_true(cotel_span_context_is_valid(&sc));
  assert_int_equal(sc.flags, COTEL_TRACE_FLAG_RANDOM);
  cotel_token tok = cotel_span_make_current(s);
  cotel_span_start(f.t, "child", NULL, &child);
  cotel_span_get_context(child, &cc);
  assert_memory_equal(&sc.trace_id, &cc.trace_id, 16);
  cotel_span_end(child, 0);
  assert_int_equal(cotel_context_detach(tok), 0);
  cotel_span_end(s, 0);
  assert_int_equal(cotel_memory_exporter_count(f.mem), 0);
  cotel_stats st;
  cotel_provider_stats(f.p, &st);
  assert_int_equal(st.spans_started, 2);
  assert_int_equal(st.spans_sampled_out, 2);
  assert_int_equal(st.spans_ended, 0);
  fx_close(&f);
}

static void
test_span_ids_are_unique_and_new_traces_get_the_random_flag(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span_context prev = {0};
  for (int i = 0; i < 100; i++) {
    cotel_span s;
    cotel_span_context sc;
    cotel_span_start(f.t, "x", NULL, &s);
    cotel_span_get_context(s, &sc);
    assert_true(sc.flags & COTEL_TRACE_FLAG_RANDOM);
    assert_memory_not_equal(&sc.trace_id, &prev.trace_id, 16);
    assert_memory_not_equal(&sc.span_id, &prev.span_id, 8);
    prev = sc;
    cotel_span_end(s, 0);
  }
  fx_close(&f);
}

typedef struct worker_arg {
  cotel_span s;
  int id;
} worker_arg;

static void *attr_worker(void *p) {
  worker_arg *w = p;
  char key[32];
  for (int i = 0; i < 25; i++) {
    snprintf(key, sizeof key, "t%d.k%d", w->id, i);
    cotel_span_set_int(w->s, key, i);
    cotel_span_add_event(w->s, "tick", 0, NULL, 0);
  }
  return NULL;
}

static void test_span_concurrent_set_attr_from_four_threads(void **state) {
  (void)state;
  fx f;
  fx_open(&f, NULL);
  cotel_span s;
  cotel_span_start(f.t, "shared", NULL, &s);
  pthread_t th[4];
  worker_arg w[4];
  for (int i = 0; i < 4; i++) {
    w[i].s = s;
    w[i].id = i;
    pthread_create(&th[i], NULL, attr_worker, &w[i]);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  cotel_span_end(s, 0);
  const cotel_span_data *sd = cotel_memory_exporter_get(f.mem, 0);
  assert_int_equal(sd->n_attrs, 100);
  assert_int_equal(sd->n_events, 100);
  assert_int_equal(sd->events[0].time_ns > 0, 1);
  fx_close(&f);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          test_span_start_end_exports_one_span_with_name_kind_and_times),
      cmocka_unit_test(test_span_kind_defaults_to_internal),
      cmocka_unit_test(test_span_child_inherits_trace_id_and_records_parent),
      cmocka_unit_test(test_span_uses_current_context_as_parent_unless_root),
      cmocka_unit_test(
          test_span_remote_parent_sets_parent_is_remote_and_tracestate),
      cmocka_unit_test(test_span_scalar_attributes_are_copied),
      cmocka_unit_test(test_span_array_attributes_are_copied),
      cmocka_unit_test(test_span_last_write_wins_for_a_key),
      cmocka_unit_test(test_span_many_attributes_grow_past_the_inline_arena),
      cmocka_unit_test(test_span_events_are_recorded_with_attributes),
      cmocka_unit_test(test_span_links_at_start_and_later_are_recorded),
      cmocka_unit_test(
          test_span_status_ok_is_final_and_error_keeps_description),
      cmocka_unit_test(test_span_record_exception_adds_exception_event),
      cmocka_unit_test(test_span_update_name_replaces_the_name),
      cmocka_unit_test(test_span_end_with_time_before_start_is_clamped),
      cmocka_unit_test(test_span_methods_after_end_do_nothing),
      cmocka_unit_test(test_span_stale_handle_after_recycling_is_harmless),
      cmocka_unit_test(test_span_none_handle_is_harmless),
      cmocka_unit_test(test_span_start_rejects_null_arguments),
      cmocka_unit_test(test_span_non_recording_still_propagates_its_context),
      cmocka_unit_test(
          test_span_ids_are_unique_and_new_traces_get_the_random_flag),
      cmocka_unit_test(test_span_concurrent_set_attr_from_four_threads),
  };
  return cotel_test_run(argc, argv, "span", tests);
}
