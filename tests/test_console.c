/* Console exporter: one readable tree per trace, printed when the trace's
 * local root ends. Spans go through the batch processor and force_flush;
 * output is captured with open_memstream. Timestamps are explicit, so the
 * expected text is exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

/* Internal, from exporters/console (not part of the public API). */
#include "support/internal.h"

#define T0 1700000000000000000ull
#define MS 1000000ull

typedef struct fx {
  char *buf;
  size_t len;
  FILE *f;
  cotel_provider *p;
  cotel_tracer *tr;
  cotel_span_processor *bp;
} fx;

static void fx_init(fx *x) {
  cotel_exporter *exp;
  cotel_provider_config cfg;
  cotel_batch_options o = {.max_queue_size = 256,
                           .max_export_batch_size = 256,
                           .schedule_delay_ms = 600000,
                           .export_timeout_ms = 30000};
  memset(x, 0, sizeof *x);
  x->f = open_memstream(&x->buf, &x->len);
  assert_non_null(x->f);
  assert_int_equal(cotel_console_exporter_new(x->f, &exp), 0);
  assert_int_equal(cotel_batch_processor_new(exp, &o, &x->bp), 0);
  cotel_provider_config_init(&cfg);
  cfg.processors = &x->bp;
  cfg.n_processors = 1;
  cfg.no_default_processor = true;
  assert_int_equal(cotel_provider_new(&cfg, &x->p), 0);
  x->tr = cotel_provider_tracer(x->p, "test_console");
  assert_non_null(x->tr);
}

/* Flush the processor and return everything printed so far. */
static const char *fx_output(fx *x) {
  assert_int_equal(x->bp->force_flush(x->bp, 10000), 0);
  fflush(x->f);
  return x->len ? x->buf : "";
}

static void fx_done(fx *x) {
  cotel_provider_destroy(x->p);
  fclose(x->f);
  free(x->buf);
}

static cotel_span start(fx *x, const char *name, cotel_span parent,
                        cotel_span_kind kind, uint64_t at) {
  cotel_span_options o;
  cotel_context *ctx = NULL;
  cotel_span s;
  memset(&o, 0, sizeof o);
  if (parent.rec) {
    assert_int_equal(cotel_context_with_span(NULL, parent, &ctx), 0);
    o.parent = ctx;
  } else {
    o.root = true;
  }
  o.kind = kind;
  o.start_ns = at;
  assert_int_equal(cotel_span_start(x->tr, name, &o, &s), 0);
  cotel_context_release(ctx);
  return s;
}

static void hex_of(cotel_span s, char out[17]) {
  cotel_span_context sc;
  assert_int_equal(cotel_span_get_context(s, &sc), 0);
  cotel_span_id_to_hex(&sc.span_id, out);
}

static void trace_hex_of(cotel_span s, char out[33]) {
  cotel_span_context sc;
  assert_int_equal(cotel_span_get_context(s, &sc), 0);
  cotel_trace_id_to_hex(&sc.trace_id, out);
}

static void test_console_prints_header_and_indented_tree(void **state) {
  fx x;
  char tid[33], a[17], b[17], c[17], b2[17], want[512];
  (void)state;
  fx_init(&x);
  cotel_span root =
      start(&x, "GET /users", COTEL_SPAN_NONE, COTEL_SPAN_KIND_SERVER, T0);
  cotel_span db = start(&x, "db", root, COTEL_SPAN_KIND_CLIENT, T0 + 1 * MS);
  cotel_span parse = start(&x, "parse", db, 0, T0 + 2 * MS);
  cotel_span late = start(&x, "render", root, 0, T0 + 5 * MS);
  trace_hex_of(root, tid);
  hex_of(root, a);
  hex_of(db, b);
  hex_of(parse, c);
  hex_of(late, b2);
  /* Children end before parents, and out of start order. */
  cotel_span_end(late, T0 + 6 * MS);
  cotel_span_end(parse, T0 + 3 * MS);
  cotel_span_end(db, T0 + 4 * MS);
  cotel_span_end(root, T0 + 7 * MS + 1234);
  snprintf(want, sizeof want,
           "trace %s\n"
           "  %s GET /users (SERVER, 7.001ms, unset)\n"
           "    %s db (CLIENT, 3.000ms, unset)\n"
           "      %s parse (INTERNAL, 1.000ms, unset)\n"
           "    %s render (INTERNAL, 1.000ms, unset)\n",
           tid, a, b, c, b2);
  assert_string_equal(fx_output(&x), want);
  fx_done(&x);
}

static void test_console_prints_status_and_typed_attributes(void **state) {
  fx x;
  char id[17], want[512];
  cotel_str tags[2] = {{"a", 1}, {"b\"", 2}};
  int64_t ids[2] = {1, -2};
  (void)state;
  fx_init(&x);
  cotel_span s = start(&x, "work", COTEL_SPAN_NONE, 0, T0);
  hex_of(s, id);
  cotel_span_set_str(s, "http.method", "GET");
  cotel_span_set_int(s, "http.status", 200);
  cotel_span_set_bool(s, "cached", true);
  cotel_span_set_double(s, "ratio", 1.5);
  cotel_attr arr = cotel_attr_array("tags", COTEL_ATTR_STRING_ARRAY, tags, 2);
  cotel_span_set_attr(s, &arr);
  arr = cotel_attr_array("ids", COTEL_ATTR_INT_ARRAY, ids, 2);
  cotel_span_set_attr(s, &arr);
  cotel_span_set_status(s, COTEL_STATUS_ERROR, "boom");
  cotel_span_end(s, T0 + 250);
  snprintf(want, sizeof want,
           "  %s work (INTERNAL, 250ns, error: boom) http.method=\"GET\" "
           "http.status=200 cached=true ratio=1.5 tags=[\"a\", \"b\\\"\"] "
           "ids=[1, -2]\n",
           id);
  assert_non_null(strstr(fx_output(&x), want));
  fx_done(&x);
}

static void test_console_prints_ok_status(void **state) {
  fx x;
  (void)state;
  fx_init(&x);
  cotel_span s = start(&x, "fine", COTEL_SPAN_NONE, 0, T0);
  cotel_span_set_status(s, COTEL_STATUS_OK, NULL);
  cotel_span_end(s, T0 + 2 * 1000000000ull + 5 * MS);
  assert_non_null(strstr(fx_output(&x), " fine (INTERNAL, 2.005s, ok)\n"));
  fx_done(&x);
}

static void test_console_prints_events_below_their_span(void **state) {
  fx x;
  cotel_attr ea = cotel_attr_string("key", "v");
  (void)state;
  fx_init(&x);
  cotel_span root = start(&x, "root", COTEL_SPAN_NONE, 0, T0);
  cotel_span child = start(&x, "child", root, 0, T0 + MS);
  cotel_span_add_event(child, "cache miss", T0 + MS + 500000, &ea, 1);
  cotel_span_end(child, T0 + 2 * MS);
  cotel_span_end(root, T0 + 3 * MS);
  const char *out = fx_output(&x);
  const char *line = strstr(out, " child (INTERNAL, 1.000ms, unset)\n");
  assert_non_null(line);
  assert_non_null(strstr(line, "\n      * cache miss +500.000us key=\"v\"\n"));
  fx_done(&x);
}

static void test_console_buffers_spans_until_the_local_root_ends(void **state) {
  fx x;
  cotel_stats st;
  (void)state;
  fx_init(&x);
  cotel_span root = start(&x, "root", COTEL_SPAN_NONE, 0, T0);
  cotel_span child = start(&x, "child", root, 0, T0 + MS);
  cotel_span_end(child, T0 + 2 * MS);
  assert_string_equal(fx_output(&x), "");
  memset(&st, 0, sizeof st);
  x.bp->stats(x.bp, &st);
  assert_int_equal(st.spans_exported, 0); /* buffered is not printed */
  cotel_span_end(root, T0 + 3 * MS);
  const char *out = fx_output(&x);
  assert_non_null(strstr(out, " root (INTERNAL"));
  assert_non_null(strstr(out, "    "));
  assert_non_null(strstr(out, " child (INTERNAL"));
  memset(&st, 0, sizeof st);
  x.bp->stats(x.bp, &st);
  assert_int_equal(st.spans_exported, 2);
  fx_done(&x);
}

static void test_console_prints_each_trace_as_its_own_tree(void **state) {
  fx x;
  char t1[33], t2[33];
  (void)state;
  fx_init(&x);
  cotel_span r1 = start(&x, "one", COTEL_SPAN_NONE, 0, T0);
  cotel_span r2 = start(&x, "two", COTEL_SPAN_NONE, 0, T0);
  cotel_span c1 = start(&x, "one.child", r1, 0, T0);
  cotel_span c2 = start(&x, "two.child", r2, 0, T0);
  trace_hex_of(r1, t1);
  trace_hex_of(r2, t2);
  cotel_span_end(c2, T0 + MS);
  cotel_span_end(c1, T0 + MS);
  cotel_span_end(r1, T0 + MS);
  const char *out = fx_output(&x);
  assert_non_null(strstr(out, t1));
  assert_null(strstr(out, t2)); /* its root has not ended */
  assert_null(strstr(out, "two.child"));
  cotel_span_end(r2, T0 + MS);
  out = fx_output(&x);
  const char *h2 = strstr(out, t2);
  assert_non_null(h2);
  assert_non_null(strstr(h2, "two.child"));
  assert_null(strstr(h2, "one.child"));
  fx_done(&x);
}

static void test_console_span_with_remote_parent_is_a_local_root(void **state) {
  fx x;
  cotel_span_context sc;
  cotel_context *ctx;
  cotel_span_options o;
  cotel_span s;
  (void)state;
  fx_init(&x);
  memset(&sc, 0, sizeof sc);
  assert_int_equal(cotel_trace_id_from_hex("4bf92f3577b34da6a3ce929d0e0e4736",
                                           32, &sc.trace_id),
                   0);
  assert_int_equal(cotel_span_id_from_hex("00f067aa0ba902b7", 16, &sc.span_id),
                   0);
  sc.flags = COTEL_TRACE_FLAG_SAMPLED;
  assert_int_equal(cotel_context_with_remote(NULL, &sc, &ctx), 0);
  memset(&o, 0, sizeof o);
  o.parent = ctx;
  o.kind = COTEL_SPAN_KIND_SERVER;
  o.start_ns = T0;
  assert_int_equal(cotel_span_start(x.tr, "handle", &o, &s), 0);
  cotel_context_release(ctx);
  cotel_span_end(s, T0 + MS);
  const char *out = fx_output(&x);
  assert_true(strncmp(out, "trace 4bf92f3577b34da6a3ce929d0e0e4736\n  ", 41) ==
              0);
  assert_non_null(strstr(
      out,
      " handle (SERVER, 1.000ms, unset) parent=00f067aa0ba902b7(remote)\n"));
  fx_done(&x);
}

static void test_console_prints_leftover_spans_at_shutdown(void **state) {
  fx x;
  char rid[17], want[128];
  (void)state;
  fx_init(&x);
  cotel_span root = start(&x, "root", COTEL_SPAN_NONE, 0, T0);
  cotel_span child = start(&x, "orphan", root, 0, T0 + MS);
  hex_of(root, rid);
  cotel_span_end(child, T0 + 2 * MS);
  assert_string_equal(fx_output(&x), "");
  assert_int_equal(x.bp->shutdown(x.bp, 10000), 0);
  fflush(x.f);
  /* Its parent never reached the exporter: printed as a root. */
  snprintf(want, sizeof want, " orphan (INTERNAL, 1.000ms, unset) parent=%s\n",
           rid);
  assert_non_null(strstr(x.buf, want));
  cotel_span_end(root, T0 + 3 * MS); /* after shutdown: dropped */
  fx_done(&x);
}

static void test_console_escapes_control_characters(void **state) {
  fx x;
  (void)state;
  fx_init(&x);
  cotel_span s = start(&x, "two\nlines", COTEL_SPAN_NONE, 0, T0);
  cotel_span_set_str(s, "q", "say \"hi\"\t");
  cotel_span_end(s, T0 + MS);
  const char *out = fx_output(&x);
  assert_non_null(strstr(out, " two\\nlines (INTERNAL"));
  assert_non_null(strstr(out, " q=\"say \\\"hi\\\"\\t\"\n"));
  fx_done(&x);
}

static void test_console_formats_durations_for_humans(void **state) {
  char b[32];
  (void)state;
  cotel__console_format_duration(0, b, sizeof b);
  assert_string_equal(b, "0ns");
  cotel__console_format_duration(999, b, sizeof b);
  assert_string_equal(b, "999ns");
  cotel__console_format_duration(1500, b, sizeof b);
  assert_string_equal(b, "1.500us");
  cotel__console_format_duration(1234000, b, sizeof b);
  assert_string_equal(b, "1.234ms");
  cotel__console_format_duration(61234567890ull, b, sizeof b);
  assert_string_equal(b, "61.234s");
}

static void test_console_new_rejects_null_out(void **state) {
  (void)state;
  assert_int_equal(cotel_console_exporter_new(NULL, NULL), COTEL_EINVAL);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_console_prints_header_and_indented_tree),
      cmocka_unit_test(test_console_prints_status_and_typed_attributes),
      cmocka_unit_test(test_console_prints_ok_status),
      cmocka_unit_test(test_console_prints_events_below_their_span),
      cmocka_unit_test(test_console_buffers_spans_until_the_local_root_ends),
      cmocka_unit_test(test_console_prints_each_trace_as_its_own_tree),
      cmocka_unit_test(test_console_span_with_remote_parent_is_a_local_root),
      cmocka_unit_test(test_console_prints_leftover_spans_at_shutdown),
      cmocka_unit_test(test_console_escapes_control_characters),
      cmocka_unit_test(test_console_formats_durations_for_humans),
      cmocka_unit_test(test_console_new_rejects_null_out),
  };
  return cotel_test_run(argc, argv, "console", tests);
}
