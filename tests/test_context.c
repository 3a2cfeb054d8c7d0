/* Contexts (DESIGN §3): derivation, reference counting, values, baggage,
 * remote span contexts and the two paths of cotel_context_with_span. */
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

static int frees;
static void count_free(void *v) {
  (void)v;
  frees++;
}

static char key_a, key_b; /* value keys are addresses */

static cotel_provider *provider;
static cotel_tracer *tracer;

static int setup_provider(void **state) {
  (void)state;
  cotel_exporter *exp = NULL;
  cotel_span_processor *proc = NULL;
  if (cotel_memory_exporter_new(&exp)) return -1;
  if (cotel_simple_processor_new(exp, &proc)) return -1;
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.processors = &proc;
  cfg.n_processors = 1;
  if (cotel_provider_new(&cfg, &provider)) return -1;
  tracer = cotel_provider_tracer(provider, "test_context");
  return tracer ? 0 : -1;
}

static int teardown_provider(void **state) {
  (void)state;
  cotel_provider_destroy(provider);
  provider = NULL;
  tracer = NULL;
  return 0;
}

static void test_root_context_is_empty_and_static(void **state) {
  (void)state;
  cotel_context *root = cotel_context_root();
  assert_non_null(root);
  assert_ptr_equal(cotel_context_retain(root), root);
  cotel_context_release(root); /* no-op, never freed */
  assert_ptr_equal(cotel_context_current(), root);
  assert_null(cotel_context_span(root).rec);
  cotel_span_context sc;
  memset(&sc, 0xff, sizeof sc);
  assert_int_equal(cotel_context_span_context(root, &sc), COTEL_ENOTFOUND);
  assert_true(cotel_trace_id_is_zero(&sc.trace_id));
  assert_null(cotel_context_baggage(root));
  assert_null(cotel_context_value(root, &key_a));
  assert_null(cotel_context_retain(NULL));
  cotel_context_release(NULL);
}

static void test_values_are_found_through_the_chain(void **state) {
  (void)state;
  int a = 1, b = 2, a2 = 3;
  cotel_context *c1, *c2, *c3;
  assert_int_equal(
      cotel_context_with_value(cotel_context_root(), &key_a, &a, NULL, &c1), 0);
  assert_int_equal(cotel_context_with_value(c1, &key_b, &b, NULL, &c2), 0);
  assert_int_equal(cotel_context_with_value(c2, &key_a, &a2, NULL, &c3), 0);
  assert_ptr_equal(cotel_context_value(c1, &key_a), &a);
  assert_null(cotel_context_value(c1, &key_b));
  assert_ptr_equal(cotel_context_value(c2, &key_a), &a);
  assert_ptr_equal(cotel_context_value(c2, &key_b), &b);
  /* The nearest node wins: c3 shadows key_a. */
  assert_ptr_equal(cotel_context_value(c3, &key_a), &a2);
  assert_ptr_equal(cotel_context_value(c3, &key_b), &b);
  cotel_context_release(c3);
  cotel_context_release(c2);
  cotel_context_release(c1);
}

static void test_with_value_rejects_null_key_and_out(void **state) {
  (void)state;
  cotel_context *c = (cotel_context *)&c;
  assert_int_equal(cotel_context_with_value(NULL, NULL, NULL, NULL, &c),
                   COTEL_EINVAL);
  assert_null(c);
  assert_int_equal(cotel_context_with_value(NULL, &key_a, NULL, NULL, NULL),
                   COTEL_EINVAL);
}

static void test_child_keeps_parent_alive_until_released(void **state) {
  (void)state;
  frees = 0;
  cotel_context *parent, *child;
  assert_int_equal(
      cotel_context_with_value(NULL, &key_a, &key_a, count_free, &parent), 0);
  assert_int_equal(
      cotel_context_with_value(parent, &key_b, &key_b, count_free, &child), 0);
  cotel_context_release(parent);
  assert_int_equal(frees, 0);
  assert_ptr_equal(cotel_context_value(child, &key_a), &key_a);
  cotel_context_retain(child);
  cotel_context_release(child);
  assert_int_equal(frees, 0);
  cotel_context_release(child);
  assert_int_equal(frees, 2);
}

static void test_releasing_a_long_chain_frees_every_node(void **state) {
  (void)state;
  enum { N = 200000 }; /* deep enough to overflow a recursive release */
  frees = 0;
  cotel_context *c = cotel_context_root();
  for (int i = 0; i < N; i++) {
    cotel_context *n;
    assert_int_equal(cotel_context_with_value(c, &key_a, NULL, count_free, &n),
                     0);
    cotel_context_release(c);
    c = n;
  }
  assert_int_equal(frees, 0);
  cotel_context_release(c);
  assert_int_equal(frees, N);
}

static void test_null_parent_means_current_context(void **state) {
  (void)state;
  int a = 7;
  cotel_context *c1, *c2;
  assert_int_equal(cotel_context_with_value(NULL, &key_a, &a, NULL, &c1), 0);
  cotel_token t = cotel_context_attach(c1);
  assert_int_equal(cotel_context_with_value(NULL, &key_b, &a, NULL, &c2), 0);
  assert_ptr_equal(cotel_context_value(c2, &key_a), &a);
  assert_ptr_equal(cotel_context_value(NULL, &key_a), &a);
  assert_int_equal(cotel_context_detach(t), 0);
  assert_null(cotel_context_value(NULL, &key_a));
  cotel_context_release(c2);
  cotel_context_release(c1);
}

static cotel_span_context make_sc(uint8_t seed) {
  cotel_span_context sc;
  memset(&sc, 0, sizeof sc);
  for (int i = 0; i < 16; i++)
    sc.trace_id.bytes[i] = (uint8_t)(seed + i);
  for (int i = 0; i < 8; i++)
    sc.span_id.bytes[i] = (uint8_t)(seed + 100 + i);
  sc.flags = COTEL_TRACE_FLAG_SAMPLED;
  return sc;
}

static void
test_remote_context_forces_is_remote_and_owns_tracestate(void **state) {
  (void)state;
  cotel_tracestate *ts = NULL;
  const char *hdr = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
  assert_int_equal(cotel_tracestate_parse(hdr, strlen(hdr), &ts), 0);
  cotel_span_context sc = make_sc(1);
  sc.is_remote = false;
  sc.tracestate = ts;
  cotel_context *ctx, *child;
  int v = 0;
  assert_int_equal(cotel_context_with_remote(NULL, &sc, &ctx), 0);
  cotel_tracestate_release(ts); /* the context keeps its own reference */
  assert_int_equal(cotel_context_with_value(ctx, &key_a, &v, NULL, &child), 0);
  cotel_context_release(ctx);

  cotel_span_context got;
  assert_int_equal(cotel_context_span_context(child, &got), 0);
  assert_true(got.is_remote);
  assert_memory_equal(&got.trace_id, &sc.trace_id, sizeof sc.trace_id);
  assert_memory_equal(&got.span_id, &sc.span_id, sizeof sc.span_id);
  assert_int_equal(got.flags, COTEL_TRACE_FLAG_SAMPLED);
  char buf[128];
  assert_int_equal(cotel_tracestate_format(got.tracestate, buf, sizeof buf),
                   strlen(hdr));
  assert_string_equal(buf, hdr);
  /* A remote span context is not a local span. */
  assert_null(cotel_context_span(child).rec);
  cotel_context_release(child);
}

static void test_with_remote_rejects_null_span_context(void **state) {
  (void)state;
  cotel_context *c = (cotel_context *)&c;
  assert_int_equal(cotel_context_with_remote(NULL, NULL, &c), COTEL_EINVAL);
  assert_null(c);
}

static void test_baggage_node_is_inherited_and_replaceable(void **state) {
  (void)state;
  cotel_context *c1, *c2, *c3, *c4;
  assert_int_equal(cotel_context_set_baggage(NULL, "user", "alice", &c1), 0);
  assert_int_equal(cotel_context_set_baggage(c1, "tier", "gold", &c2), 0);
  assert_int_equal(cotel_context_with_value(c2, &key_a, NULL, NULL, &c3), 0);
  cotel_str v;
  assert_int_equal(cotel_baggage_count(cotel_context_baggage(c1)), 1);
  assert_int_equal(cotel_baggage_count(cotel_context_baggage(c3)), 2);
  assert_int_equal(
      cotel_baggage_get(cotel_context_baggage(c3), cotel_str_c("user"), &v), 0);
  assert_int_equal(v.len, 5);
  assert_memory_equal(v.ptr, "alice", 5);
  /* An explicit empty baggage hides the inherited one. */
  assert_int_equal(cotel_context_with_baggage(c3, NULL, &c4), 0);
  assert_null(cotel_context_baggage(c4));
  assert_null(cotel_context_baggage(cotel_context_root()));
  cotel_context_release(c4);
  cotel_context_release(c3);
  cotel_context_release(c2);
  cotel_context_release(c1);
}

static void
test_with_span_under_start_parent_reuses_the_span_context(void **state) {
  (void)state;
  cotel_span span;
  assert_int_equal(cotel_span_start(tracer, "s", NULL, &span), 0);
  cotel_context *a, *b;
  assert_int_equal(cotel_context_with_span(NULL, span, &a), 0);
  assert_int_equal(cotel_context_with_span(cotel_context_root(), span, &b), 0);
  /* No allocation: both are the span's embedded node. */
  assert_ptr_equal(a, b);
  cotel_span got = cotel_context_span(a);
  assert_ptr_equal(got.rec, span.rec);
  assert_int_equal(got.gen, span.gen);
  cotel_span_context sc1, sc2;
  assert_int_equal(cotel_span_get_context(span, &sc1), 0);
  assert_int_equal(cotel_context_span_context(a, &sc2), 0);
  assert_memory_equal(&sc1.span_id, &sc2.span_id, sizeof sc1.span_id);
  assert_false(sc2.is_remote);
  cotel_span_end(span, 0);
  /* The context keeps the record alive: still readable after end. */
  assert_int_equal(cotel_context_span_context(a, &sc2), 0);
  assert_memory_equal(&sc1.span_id, &sc2.span_id, sizeof sc1.span_id);
  cotel_context_release(a);
  cotel_context_release(b);
}

static void
test_with_span_under_other_parent_allocates_a_reference_node(void **state) {
  (void)state;
  int v = 5;
  cotel_span span;
  assert_int_equal(cotel_span_start(tracer, "s", NULL, &span), 0);
  cotel_context *other, *ref, *emb;
  assert_int_equal(cotel_context_with_value(NULL, &key_a, &v, NULL, &other), 0);
  assert_int_equal(cotel_context_with_span(other, span, &ref), 0);
  assert_int_equal(cotel_context_with_span(NULL, span, &emb), 0);
  assert_ptr_not_equal(ref, emb);
  /* It combines the other parent's values with the span. */
  assert_ptr_equal(cotel_context_value(ref, &key_a), &v);
  assert_null(cotel_context_value(emb, &key_a));
  assert_ptr_equal(cotel_context_span(ref).rec, span.rec);
  cotel_span_context sc1, sc2;
  assert_int_equal(cotel_span_get_context(span, &sc1), 0);
  assert_int_equal(cotel_context_span_context(ref, &sc2), 0);
  assert_memory_equal(&sc1, &sc2, sizeof sc1);
  cotel_span_end(span, 0);
  cotel_context_release(emb);
  cotel_context_release(other);
  /* The reference node alone keeps the record alive. */
  assert_int_equal(cotel_context_span_context(ref, &sc2), 0);
  assert_memory_equal(&sc1.span_id, &sc2.span_id, sizeof sc1.span_id);
  cotel_context_release(ref);
}

static void test_with_span_rejects_an_empty_handle(void **state) {
  (void)state;
  cotel_context *c = (cotel_context *)&c;
  assert_int_equal(cotel_context_with_span(NULL, COTEL_SPAN_NONE, &c),
                   COTEL_EINVAL);
  assert_null(c);
}

static void test_child_span_context_is_parent_of_child_spans(void **state) {
  (void)state;
  cotel_span parent, child;
  assert_int_equal(cotel_span_start(tracer, "parent", NULL, &parent), 0);
  cotel_context *pc;
  assert_int_equal(cotel_context_with_span(NULL, parent, &pc), 0);
  cotel_span_options o = {.parent = pc};
  assert_int_equal(cotel_span_start(tracer, "child", &o, &child), 0);
  const cotel_span_data *cd = cotel_span_data_of(child);
  cotel_span_context psc;
  assert_int_equal(cotel_span_get_context(parent, &psc), 0);
  assert_non_null(cd);
  assert_memory_equal(&cd->parent_span_id, &psc.span_id, 8);
  assert_memory_equal(&cd->context.trace_id, &psc.trace_id, 16);
  /* The child's embedded context sits under pc. */
  cotel_context *cc;
  assert_int_equal(cotel_context_with_span(pc, child, &cc), 0);
  assert_ptr_equal(cotel_context_span(cc).rec, child.rec);
  cotel_span_end(child, 0);
  cotel_span_end(parent, 0);
  cotel_context_release(cc);
  cotel_context_release(pc);
}

static void test_remote_parent_hides_the_local_span(void **state) {
  (void)state;
  cotel_span span;
  assert_int_equal(cotel_span_start(tracer, "local", NULL, &span), 0);
  cotel_context *sc_ctx, *remote;
  assert_int_equal(cotel_context_with_span(NULL, span, &sc_ctx), 0);
  cotel_span_context rsc = make_sc(9);
  assert_int_equal(cotel_context_with_remote(sc_ctx, &rsc, &remote), 0);
  assert_null(cotel_context_span(remote).rec);
  cotel_span_context got;
  assert_int_equal(cotel_context_span_context(remote, &got), 0);
  assert_memory_equal(&got.span_id, &rsc.span_id, 8);
  cotel_span_end(span, 0);
  cotel_context_release(remote);
  cotel_context_release(sc_ctx);
}

static void
test_span_make_current_sets_and_restores_the_current_span(void **state) {
  (void)state;
  cotel_span outer, inner;
  assert_int_equal(cotel_span_start(tracer, "outer", NULL, &outer), 0);
  cotel_token t1 = cotel_span_make_current(outer);
  assert_ptr_equal(cotel_span_current().rec, outer.rec);
  /* started under the current context: its embedded node is used as is */
  assert_int_equal(cotel_span_start(tracer, "inner", NULL, &inner), 0);
  cotel_token t2 = cotel_span_make_current(inner);
  assert_ptr_equal(cotel_span_current().rec, inner.rec);
  cotel_span_end(inner, 0); /* ending first is fine: the context holds it */
  assert_ptr_equal(cotel_span_current().rec, inner.rec);
  cotel_span_context sc;
  assert_int_equal(cotel_context_span_context(NULL, &sc), 0);
  assert_int_equal(cotel_context_detach(t2), 0);
  assert_ptr_equal(cotel_span_current().rec, outer.rec);
  assert_int_equal(cotel_context_detach(t1), 0);
  assert_null(cotel_span_current().rec);
  cotel_span_end(outer, 0);
}

static void
test_span_make_current_with_empty_handle_keeps_current(void **state) {
  (void)state;
  int v = 1;
  cotel_context *c;
  assert_int_equal(cotel_context_with_value(NULL, &key_a, &v, NULL, &c), 0);
  cotel_token t1 = cotel_context_attach(c);
  cotel_token t2 = cotel_span_make_current(COTEL_SPAN_NONE);
  assert_ptr_equal(cotel_context_current(), c);
  assert_int_equal(cotel_context_detach(t2), 0);
  assert_int_equal(cotel_context_detach(t1), 0);
  cotel_context_release(c);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_root_context_is_empty_and_static),
      cmocka_unit_test(test_values_are_found_through_the_chain),
      cmocka_unit_test(test_with_value_rejects_null_key_and_out),
      cmocka_unit_test(test_child_keeps_parent_alive_until_released),
      cmocka_unit_test(test_releasing_a_long_chain_frees_every_node),
      cmocka_unit_test(test_null_parent_means_current_context),
      cmocka_unit_test(
          test_remote_context_forces_is_remote_and_owns_tracestate),
      cmocka_unit_test(test_with_remote_rejects_null_span_context),
      cmocka_unit_test(test_baggage_node_is_inherited_and_replaceable),
      cmocka_unit_test_setup_teardown(
          test_with_span_under_start_parent_reuses_the_span_context,
          setup_provider, teardown_provider),
      cmocka_unit_test_setup_teardown(
          test_with_span_under_other_parent_allocates_a_reference_node,
          setup_provider, teardown_provider),
      cmocka_unit_test(test_with_span_rejects_an_empty_handle),
      cmocka_unit_test_setup_teardown(
          test_child_span_context_is_parent_of_child_spans, setup_provider,
          teardown_provider),
      cmocka_unit_test_setup_teardown(test_remote_parent_hides_the_local_span,
                                      setup_provider, teardown_provider),
      cmocka_unit_test_setup_teardown(
          test_span_make_current_sets_and_restores_the_current_span,
          setup_provider, teardown_provider),
      cmocka_unit_test(test_span_make_current_with_empty_handle_keeps_current),
  };
  return cotel_test_run(argc, argv, "context", tests);
}
