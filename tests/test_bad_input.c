/* Bad input (issue 11): every public function called with NULL and
 * out-of-range arguments returns an error or does nothing (one test per
 * header family); hostile strings, sizes, numbers and OTEL_* values are
 * bounded, and every span that ends is accounted for. Counters go to
 * stderr as "family: ..." lines (docs/reliability.md). */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "cotel/console.h"
#include "support/internal.h"
#include "cotel/internal/utf8.h"
#include "cotel/cotel.h"
#include "cotel/memory.h"
#include "cotel/otlp.h"
#include "cotel/uv.h"

/* ---- NULL and out-of-range arguments, per header ---- */

static void test_bad_input_null_arguments_to_trace_and_provider(void **state) {
  cotel_span s = COTEL_SPAN_NONE;
  cotel_span_context sc;
  cotel_tracer *tr = NULL;
  char hex[33];
  (void)state;
  assert_false(cotel_span_context_is_valid(NULL));
  assert_true(cotel_trace_id_is_zero(NULL));
  assert_true(cotel_span_id_is_zero(NULL));
  cotel_trace_id_to_hex(NULL, hex);
  cotel_span_id_to_hex(NULL, hex);
  cotel_trace_id_to_hex(NULL, NULL);
  assert_true(cotel_trace_id_from_hex(NULL, 32, NULL) < 0);
  assert_true(cotel_trace_id_from_hex("zz", SIZE_MAX, NULL) < 0);
  assert_true(cotel_span_id_from_hex(NULL, 16, NULL) < 0);
  assert_int_equal(cotel_span_start(NULL, "x", NULL, &s), COTEL_EINVAL);
  assert_int_equal(cotel_span_start(NULL, NULL, NULL, NULL), COTEL_EINVAL);
  assert_false(cotel_span_is_recording(s));
  assert_int_equal(cotel_span_get_context(s, NULL), COTEL_EINVAL);
  assert_int_equal(cotel_span_get_context(s, &sc), COTEL_EINVAL);
  /* A handle to nothing, and one that looks stale. */
  cotel_span_set_attr(s, NULL);
  cotel_span_set_attrs(s, NULL, SIZE_MAX);
  cotel_span_set_str(s, NULL, NULL);
  cotel_span_set_bool(s, NULL, true);
  cotel_span_set_int(s, NULL, INT64_MIN);
  cotel_span_set_double(s, NULL, NAN);
  cotel_span_add_event(s, NULL, UINT64_MAX, NULL, SIZE_MAX);
  cotel_span_add_link(s, NULL);
  cotel_span_set_status(s, (cotel_status_code)99, NULL);
  cotel_span_update_name(s, NULL);
  cotel_span_record_exception(s, NULL, NULL, NULL, NULL, SIZE_MAX);
  cotel_span_end(s, UINT64_MAX);
  assert_null(cotel_span_data_of(s));
  cotel_span_data_retain(NULL);
  cotel_span_data_release(NULL);
  assert_int_equal(cotel_provider_get_tracer(NULL, NULL, &tr), COTEL_EINVAL);
  assert_true(cotel_provider_get_tracer(NULL, NULL, NULL) < 0);
  assert_null(cotel_provider_tracer(NULL, "x"));
  assert_int_equal(cotel_provider_stats(NULL, NULL), COTEL_EINVAL);
  assert_true(cotel_provider_force_flush(NULL, 0) < 0);
  assert_true(cotel_provider_shutdown(NULL, UINT64_MAX) < 0);
  cotel_provider_destroy(NULL);
  assert_null(cotel_provider_resource(NULL));
  assert_true(cotel_provider_new(NULL, NULL) < 0);
  cotel_span_limits_from_env(NULL);
  cotel_provider_config_defaults(NULL);
  cotel_provider_config_init(NULL);
  assert_true(cotel_strerror(INT32_MIN) != NULL);
  assert_true(cotel_strerror(12345) != NULL);
  cotel_log(COTEL_LOG_DEBUG, "%s", "not shown");
  cotel_log((cotel_log_level)1000, "%s", "out of range");
}

static void test_bad_input_null_arguments_to_provider_objects(void **state) {
  cotel_provider *p;
  cotel_tracer *tr = NULL;
  cotel_span s;
  cotel_tracer_options to;
  (void)state;
  assert_int_equal(cotel_provider_new(NULL, &p), 0);
  memset(&to, 0, sizeof to);
  assert_true(cotel_provider_get_tracer(p, &to, &tr) < 0); /* no name */
  assert_true(cotel_provider_get_tracer(p, NULL, &tr) < 0);
  assert_null(cotel_provider_tracer(p, NULL));
  tr = cotel_provider_tracer(p, "bad");
  assert_non_null(tr);
  assert_int_equal(cotel_span_start(tr, NULL, NULL, &s), COTEL_EINVAL);
  assert_int_equal(cotel_span_start(tr, "x", NULL, NULL), COTEL_EINVAL);
  assert_int_equal(cotel_span_start(tr, "x", NULL, &s), 0);
  cotel_attr bad_type = {{"k", 1}, (cotel_attr_type)77, {.i = 1}};
  cotel_attr null_arr = {{"k", 1}, COTEL_ATTR_INT_ARRAY, {.arr = {NULL, 5}}};
  cotel_attr null_key = {{NULL, 3}, COTEL_ATTR_INT, {.i = 1}};
  cotel_attr null_str = {{"k", 1}, COTEL_ATTR_STRING, {.s = {NULL, 10}}};
  cotel_span_set_attr(s, &bad_type);
  cotel_span_set_attr(s, &null_arr);
  cotel_span_set_attr(s, &null_key);
  cotel_span_set_attr(s, &null_str);
  cotel_span_set_attrs(s, NULL, 3);
  cotel_span_set_str(s, "k", NULL);
  cotel_span_set_str(s, NULL, "v");
  cotel_span_add_event(s, NULL, 0, NULL, 0);
  cotel_span_add_event(s, "e", 0, NULL, 4);
  cotel_link l;
  memset(&l, 0, sizeof l);
  l.n_attrs = 9; /* attrs NULL */
  cotel_span_add_link(s, &l);
  cotel_span_add_link(s, NULL);
  cotel_span_set_status(s, (cotel_status_code)-5, "x");
  cotel_span_update_name(s, NULL);
  cotel_span_record_exception(s, NULL, NULL, NULL, NULL, 3);
  cotel_span_end(s, 1); /* end before start: kept as given or clamped */
  cotel_span_end(s, 0); /* twice */
  cotel_span_set_str(s, "after", "end");
  assert_int_equal(cotel_provider_stats(p, NULL), COTEL_EINVAL);
  assert_int_equal(cotel_provider_shutdown(p, 1000), 0);
  assert_true(cotel_provider_shutdown(p, 1000) < 0); /* twice */
  assert_true(cotel_provider_force_flush(p, 0) <= 0);
  assert_true(cotel_span_start(tr, "late", NULL, &s) != 0 ||
              !cotel_span_is_recording(s));
  cotel_span_end(s, 0);
  cotel_provider_destroy(p);
}

static void
test_bad_input_null_arguments_to_samplers_and_processors(void **state) {
  cotel_sampler *smp = NULL;
  cotel_span_processor *sp = NULL;
  cotel_batch_options bo = {0, 0, 0, 0};
  cotel_exporter *exp;
  (void)state;
  assert_true(cotel_sampler_always_on(NULL) < 0);
  assert_true(cotel_sampler_always_off(NULL) < 0);
  assert_true(cotel_sampler_traceidratio(NAN, &smp) < 0);
  assert_true(cotel_sampler_traceidratio(-1, &smp) < 0);
  assert_true(cotel_sampler_traceidratio(INFINITY, &smp) < 0);
  assert_true(cotel_sampler_traceidratio(0.5, NULL) < 0);
  assert_true(cotel_sampler_parentbased(NULL, NULL, NULL) < 0);
  assert_true(cotel_sampler_from_env(NULL) < 0);
  cotel_sampler_destroy(NULL);
  assert_true(cotel_simple_processor_new(NULL, &sp) < 0);
  assert_true(cotel_simple_processor_new(NULL, NULL) < 0);
  assert_true(cotel_batch_processor_new(NULL, NULL, &sp) < 0);
  cotel_batch_options_from_env(NULL);
  /* Out of range: the exporter is freed on error, as documented. */
  assert_int_equal(cotel_memory_exporter_new(&exp), 0);
  assert_true(cotel_batch_processor_new(exp, &bo, &sp) < 0);
  assert_int_equal(cotel_memory_exporter_new(&exp), 0);
  assert_true(cotel_batch_processor_new(exp, &bo, NULL) < 0);
}

static void test_bad_input_null_arguments_to_context_functions(void **state) {
  cotel_context *out = NULL;
  cotel_span_context sc;
  cotel_token tok;
  (void)state;
  assert_non_null(cotel_context_root());
  assert_null(cotel_context_retain(NULL));
  cotel_context_release(NULL);
  assert_int_equal(cotel_context_span(NULL).rec, NULL);
  assert_true(cotel_context_span_context(NULL, &sc) < 0);
  assert_true(cotel_context_span_context(NULL, NULL) < 0);
  assert_true(cotel_context_with_span(NULL, COTEL_SPAN_NONE, NULL) < 0);
  assert_true(cotel_context_with_remote(NULL, NULL, &out) < 0);
  assert_null(cotel_context_baggage(NULL));
  assert_true(cotel_context_with_baggage(NULL, NULL, NULL) < 0);
  assert_true(cotel_context_with_value(NULL, NULL, NULL, NULL, &out) < 0);
  assert_null(cotel_context_value(NULL, NULL));
  assert_true(cotel_context_set_baggage(NULL, NULL, NULL, &out) < 0);
  cotel_slot_init(NULL, NULL);
  cotel_slot_destroy(NULL);
  tok = cotel_context_attach(NULL);
  assert_int_equal(cotel_context_detach(tok), 0);
  tok = cotel_span_make_current(COTEL_SPAN_NONE);
  assert_int_equal(cotel_context_detach(tok), 0);
  memset(&tok, 0, sizeof tok);
  assert_true(cotel_context_detach(tok) <= 0);
  cotel_future_capture(NULL);
  cotel_future_capture_ctx(NULL, NULL);
  cotel_future_enter(NULL);
  cotel_future_leave(NULL);
  cotel_future_release(NULL);
  /* libuv wrappers */
  assert_true(cotel_uv_queue_work(NULL, NULL, NULL, NULL) < 0);
  assert_true(cotel_uv_queue_work_ctx(NULL, NULL, NULL, NULL, NULL) < 0);
  assert_true(cotel_uv_timer_init(NULL, NULL) < 0);
  assert_true(cotel_uv_timer_start(NULL, NULL, 0, 0) < 0);
  assert_true(cotel_uv_timer_start_ctx(NULL, NULL, NULL, 0, 0) < 0);
  assert_true(cotel_uv_timer_stop(NULL) < 0);
  cotel_uv_timer_close(NULL, NULL);
  assert_true(cotel_uv_write(NULL, NULL, NULL, 0, NULL) < 0);
  assert_true(cotel_uv_tcp_connect(NULL, NULL, NULL, NULL) < 0);
  assert_true(cotel_uv_tcp_init(NULL, NULL) < 0);
  cotel_uv_stream_init(NULL);
  assert_true(cotel_uv_read_start(NULL, NULL, NULL) < 0);
  assert_true(cotel_uv_read_start_ctx(NULL, NULL, NULL, NULL) < 0);
  assert_true(cotel_uv_read_stop(NULL) < 0);
  cotel_uv_stream_close(NULL, NULL);
}

static void
test_bad_input_null_arguments_to_baggage_and_tracestate(void **state) {
  cotel_baggage *b = NULL;
  cotel_tracestate *ts = NULL;
  cotel_str k, v, m;
  char buf[8];
  (void)state;
  assert_null(cotel_baggage_retain(NULL));
  cotel_baggage_release(NULL);
  assert_int_equal(cotel_baggage_count(NULL), 0);
  assert_true(cotel_baggage_entry(NULL, 0, &k, &v, &m) < 0);
  assert_true(cotel_baggage_entry(NULL, SIZE_MAX, NULL, NULL, NULL) < 0);
  assert_true(cotel_baggage_get(NULL, (cotel_str){NULL, 5}, &v) < 0);
  assert_true(cotel_baggage_set(NULL, (cotel_str){NULL, 5},
                                (cotel_str){NULL, 3}, (cotel_str){NULL, 0},
                                &b) < 0);
  assert_true(cotel_baggage_set(NULL, (cotel_str){"k", 1}, (cotel_str){"v", 1},
                                (cotel_str){NULL, 0}, NULL) < 0);
  assert_true(cotel_baggage_remove(NULL, (cotel_str){NULL, 1}, NULL) < 0);
  assert_true(cotel_baggage_from_entries(NULL, 3, &b) < 0);
  assert_false(cotel_baggage_key_valid((cotel_str){NULL, 4}));
  assert_true(cotel_baggage_metadata_valid((cotel_str){NULL, 0}) ||
              !cotel_baggage_metadata_valid((cotel_str){NULL, 0}));
  assert_false(cotel_baggage_metadata_valid((cotel_str){NULL, 4}));
  assert_true(cotel_baggage_parse(NULL, 10, &b) < 0);
  assert_true(cotel_baggage_parse("k=v", 3, NULL) < 0);
  assert_int_equal(cotel_baggage_format(NULL, buf, sizeof buf), 0);
  assert_null(cotel_tracestate_retain(NULL));
  cotel_tracestate_release(NULL);
  assert_int_equal(cotel_tracestate_count(NULL), 0);
  assert_true(cotel_tracestate_entry(NULL, 0, NULL, NULL) < 0);
  assert_true(cotel_tracestate_get(NULL, (cotel_str){NULL, 3}, &v) < 0);
  assert_true(cotel_tracestate_set(NULL, (cotel_str){NULL, 3},
                                   (cotel_str){NULL, 3}, &ts) < 0);
  assert_true(cotel_tracestate_delete(NULL, (cotel_str){NULL, 3}, NULL) < 0);
  assert_true(cotel_tracestate_parse(NULL, 10, &ts) < 0);
  assert_true(cotel_tracestate_parse("a=b", 3, NULL) < 0);
  assert_int_equal(cotel_tracestate_format(NULL, NULL, 0), 0);
  assert_int_equal(cotel_tracestate_str(NULL).len, 0);
  assert_false(cotel_tracestate_key_valid((cotel_str){NULL, 3}));
  assert_false(cotel_tracestate_value_valid((cotel_str){NULL, 3}));
}

static void test_bad_input_null_arguments_to_propagators(void **state) {
  cotel_propagator *cp = NULL;
  cotel_context *out = NULL;
  cotel_span_context sc;
  bool dbg;
  char buf[64];
  (void)state;
  assert_true(cotel_propagator_composite(NULL, 3, &cp) < 0);
  assert_true(cotel_propagator_composite(NULL, 0, NULL) < 0);
  assert_true(cotel_propagator_from_env(NULL) < 0);
  cotel_propagator_destroy(NULL);
  assert_true(cotel_inject(NULL, NULL, NULL) <= 0);
  assert_true(cotel_inject(cotel_propagator_tracecontext(), NULL, NULL) < 0);
  assert_true(cotel_extract(NULL, NULL, NULL, &out) <= 0);
  if (out) cotel_context_release(out);
  out = NULL;
  assert_true(cotel_extract(cotel_propagator_tracecontext(), NULL, NULL, NULL) <
              0);
  assert_null(cotel_propagator_by_name(NULL));
  assert_null(cotel_propagator_by_name("no-such-propagator"));
  assert_false(cotel_propagation_debug(NULL));
  assert_true(cotel_context_with_debug(NULL, true, NULL) < 0);
  assert_true(cotel_traceparent_parse(NULL, 55, &sc) < 0);
  assert_true(cotel_traceparent_parse("00", SIZE_MAX, NULL) < 0);
  assert_true(cotel_traceparent_format(NULL, buf) < 0);
  assert_true(cotel_traceparent_format(NULL, NULL) < 0);
  assert_true(cotel_b3_parse_single(NULL, 4, &sc, &dbg) < 0);
  assert_true(cotel_b3_parse_single("1", 1, NULL, NULL) < 0);
  assert_true(cotel_b3_format_single(NULL, false, buf) < 0);
  assert_true(cotel_b3_parse_multi(NULL, &sc, &dbg) < 0);
  assert_true(cotel_jaeger_parse(NULL, 9, &sc, &dbg) < 0);
  assert_true(cotel_jaeger_format(NULL, false, buf) < 0);
  cotel_header_carrier_init(NULL, NULL, 0, 0, NULL, 0);
  assert_true(cotel_curl_inject(NULL, NULL, NULL) <= 0);
}

static void test_bad_input_null_arguments_to_exporters_and_setup(void **state) {
  cotel_exporter *exp = NULL;
  size_t n = 99;
  (void)state;
  assert_true(cotel_console_exporter_new(NULL, NULL) < 0);
  assert_true(cotel_memory_exporter_new(NULL) < 0);
  assert_int_equal(cotel_memory_exporter_count(NULL), 0);
  assert_null(cotel_memory_exporter_get(NULL, SIZE_MAX));
  cotel_memory_exporter_clear(NULL);
  cotel_memory_exporter_fail_next(NULL, 3, -1);
  assert_int_equal(cotel_memory_exporter_new(&exp), 0);
  assert_null(cotel_memory_exporter_get(exp, SIZE_MAX));
  assert_true(cotel_otlp_exporter_stats(exp, NULL) < 0); /* not OTLP */
  assert_null(cotel_otlp_exporter_url(exp));
  exp->destroy(exp);
  cotel_otlp_options_from_env(NULL);
  cotel_otlp_options_default(NULL);
  assert_true(cotel_otlp_exporter_new(NULL, NULL) < 0);
  assert_true(cotel_otlp_exporter_new_from_env(NULL) < 0);
  assert_true(cotel_otlp_exporter_stats(NULL, NULL) < 0);
  assert_null(cotel_otlp_exporter_url(NULL));
  cotel_otlp_options o;
  cotel_otlp_options_default(&o);
  o.endpoint = "ftp://127.0.0.1:1";
  assert_true(cotel_otlp_exporter_new(&o, &exp) < 0);
  o.endpoint = ""; /* empty: the default endpoint */
  assert_int_equal(cotel_otlp_exporter_new(&o, &exp), 0);
  exp->destroy(exp);
  o.retry_backoff_multiplier = -INFINITY;
  assert_true(cotel_otlp_exporter_new(&o, &exp) < 0);
  o.endpoint = "http://127.0.0.1:1";
  o.retry_backoff_multiplier = NAN;
  assert_true(cotel_otlp_exporter_new(&o, &exp) < 0);
  cotel_otlp_options_default(&o);
  o.headers = NULL;
  o.n_headers = 5;
  assert_true(cotel_otlp_exporter_new(&o, &exp) < 0);
  assert_true(cotel_exporter_register(NULL, NULL, NULL) < 0);
  assert_true(cotel_exporter_register("x", NULL, NULL) < 0);
  assert_true(cotel_pipeline_from_env(NULL, 0, &n) < 0);
  assert_true(cotel_pipeline_from_env(NULL, 8, NULL) < 0);
  assert_true(cotel_parse_bool(NULL, NULL) < 0);
  assert_true(cotel_parse_u32(NULL, NULL) < 0);
  assert_true(cotel_parse_double(NULL, NULL) < 0);
  assert_true(cotel_parse_ms(NULL, NULL) < 0);
  assert_true(cotel_env_bool(NULL, true));
  assert_int_equal(cotel_env_u32(NULL, 7), 7);
  assert_true(cotel_env_double(NULL, 1.5) == 1.5);
  assert_null(cotel_env_str(NULL));
  assert_true(cotel_parse_kv_list(NULL, NULL, NULL, NULL) <= 0);
}

/* ---- Hostile content: a provider with a memory exporter per family ---- */

typedef struct fam {
  const char *name;
  cotel_exporter *exp;
  cotel_provider *p;
  cotel_tracer *tr;
} fam;

static void fam_init(fam *f, const char *name, const cotel_span_limits *lim) {
  cotel_span_processor *sp;
  cotel_provider_config cfg;
  f->name = name;
  assert_int_equal(cotel_memory_exporter_new(&f->exp), 0);
  assert_int_equal(cotel_simple_processor_new(f->exp, &sp), 0);
  cotel_provider_config_defaults(&cfg);
  cfg.processors = &sp;
  cfg.n_processors = 1;
  cfg.no_default_processor = true;
  if (lim) cfg.limits = *lim;
  assert_int_equal(cotel_provider_new(&cfg, &f->p), 0);
  f->tr = cotel_provider_tracer(f->p, "bad_input");
  assert_non_null(f->tr);
}

/* Every ended span is exported, dropped or failed; print the counters for
 * docs/reliability.md. */
static void fam_finish(fam *f) {
  cotel_stats st;
  assert_int_equal(cotel_provider_force_flush(f->p, 10000), 0);
  assert_int_equal(cotel_provider_stats(f->p, &st), 0);
  long long lost = (long long)st.spans_ended -
                   (long long)(st.spans_exported + st.spans_dropped +
                               st.spans_export_failed);
  fprintf(stderr,
          "family %s: started=%llu ended=%llu exported=%llu dropped=%llu "
          "failed=%llu attrs_dropped=%llu unaccounted=%lld\n",
          f->name, (unsigned long long)st.spans_started,
          (unsigned long long)st.spans_ended,
          (unsigned long long)st.spans_exported,
          (unsigned long long)st.spans_dropped,
          (unsigned long long)st.spans_export_failed,
          (unsigned long long)st.attrs_dropped, lost);
  assert_int_equal(lost, 0);
  cotel_provider_destroy(f->p);
}

static const cotel_span_data *only_span(fam *f, size_t i) {
  const cotel_span_data *sd = cotel_memory_exporter_get(f->exp, i);
  assert_non_null(sd);
  return sd;
}

static bool valid_utf8(cotel_str s) {
  bool clean = true;
  cotel__utf8_len(s.ptr, s.len, &clean);
  return clean;
}

static size_t utf8_chars(cotel_str s) {
  size_t n = 0;
  for (size_t i = 0; i < s.len; i++)
    n += ((unsigned char)s.ptr[i] & 0xC0) != 0x80;
  return n;
}

/* The SDK keeps the bytes it was given; the wire gets valid UTF-8 (the
 * OTLP encoders repair): the whole JSON body must be valid. */
static void assert_wire_is_valid_utf8(const cotel_span_data *sd) {
  cotel__buf b;
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_json(&sd, 1, &b), 0);
  assert_true(valid_utf8((cotel_str){(const char *)b.data, b.len}));
  assert_int_equal(cotel__otlp_encode_pb(&sd, 1, &b), 0);
  assert_true(b.len > 0);
  cotel__buf_free(&b);
}

static void
test_bad_input_invalid_utf8_and_embedded_nuls_are_kept_bounded(void **state) {
  static const char bad[] = "ok\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80"
                            "\xe2\x82";
  static const char nul[] = "a\0b\0c";
  fam f;
  cotel_span s;
  (void)state;
  fam_init(&f, "invalid-utf8-and-nuls", NULL);
  assert_int_equal(cotel_span_start(f.tr, bad, NULL, &s), 0);
  cotel_attr attrs[] = {
      {{bad, sizeof bad - 1}, COTEL_ATTR_STRING, {.s = {bad, sizeof bad - 1}}},
      {{"nul", 3}, COTEL_ATTR_STRING, {.s = {nul, sizeof nul - 1}}},
      {{nul, sizeof nul - 1}, COTEL_ATTR_INT, {.i = 1}},
  };
  cotel_span_set_attrs(s, attrs, 3);
  cotel_span_add_event(s, bad, 0, attrs, 3);
  cotel_span_set_status(s, COTEL_STATUS_ERROR, bad);
  cotel_span_record_exception(s, bad, bad, bad, NULL, 0);
  cotel_span_end(s, 0);
  const cotel_span_data *sd = only_span(&f, 0);
  assert_int_equal(sd->name.len, sizeof bad - 1);
  for (size_t i = 0; i < sd->n_attrs; i++)
    if (sd->attrs[i].key.len == 3 && !memcmp(sd->attrs[i].key.ptr, "nul", 3))
      assert_int_equal(sd->attrs[i].v.s.len, sizeof nul - 1); /* kept */
  assert_wire_is_valid_utf8(sd);
  fam_finish(&f);
}

static void
test_bad_input_one_mib_attribute_values_are_cut_to_the_limit(void **state) {
  const size_t big = 1u << 20;
  char *v = malloc(big + 1);
  cotel_span_limits lim;
  fam f;
  cotel_span s;
  (void)state;
  assert_non_null(v);
  /* Multi-byte characters, so a cut must respect their boundaries. */
  for (size_t i = 0; i + 3 <= big; i += 3)
    memcpy(v + i, "\xe2\x82\xac", 3);
  memset(v + big - big % 3, 'x', big % 3);
  v[big] = '\0';
  cotel_span_limits_from_env(&lim);
  lim.attr_value_length = 4096;
  fam_init(&f, "1MiB-attribute-values", &lim);
  for (int i = 0; i < 20; i++) {
    assert_int_equal(cotel_span_start(f.tr, "big", NULL, &s), 0);
    cotel_span_set_str(s, "big", v);
    cotel_attr arr_item[2] = {{{"x", 1}, COTEL_ATTR_STRING, {.s = {v, big}}}};
    cotel_str items[2] = {{v, big}, {v, 10}};
    cotel_attr arr = {{"arr", 3}, COTEL_ATTR_STRING_ARRAY, {.arr = {items, 2}}};
    cotel_span_set_attr(s, &arr);
    cotel_span_add_event(s, "e", 0, arr_item, 1);
    cotel_span_end(s, 0);
  }
  const cotel_span_data *sd = only_span(&f, 19);
  for (size_t i = 0; i < sd->n_attrs; i++) {
    if (sd->attrs[i].type == COTEL_ATTR_STRING) {
      /* 4096 characters of 3 bytes, never cut inside one. */
      assert_int_equal(sd->attrs[i].v.s.len, 3 * 4096);
      assert_int_equal(utf8_chars(sd->attrs[i].v.s), 4096);
      assert_true(valid_utf8(sd->attrs[i].v.s));
    } else if (sd->attrs[i].type == COTEL_ATTR_STRING_ARRAY) {
      const cotel_str *it = sd->attrs[i].v.arr.items;
      assert_int_equal(utf8_chars(it[0]), 4096);
      assert_true(valid_utf8(it[0]));
    }
  }
  assert_wire_is_valid_utf8(sd);
  /* Stray continuation bytes count as no character: still bounded. */
  memset(v, 0x80, big);
  assert_int_equal(cotel_span_start(f.tr, "cont", NULL, &s), 0);
  cotel_span_set_str(s, "cont", v);
  cotel_span_end(s, 0);
  sd = only_span(&f, 20);
  assert_true(sd->n_attrs == 1 && sd->attrs[0].v.s.len <= 4 * 4096);
  assert_wire_is_valid_utf8(sd);
  /* The pools hold records of bounded size: no 1 MiB copy was kept. */
  cotel_stats st;
  assert_int_equal(cotel_provider_stats(f.p, &st), 0);
  assert_true(st.pool_bytes < 4u << 20);
  fam_finish(&f);
  free(v);
}

static void
test_bad_input_nan_and_infinities_are_recorded_as_given(void **state) {
  fam f;
  cotel_span s;
  (void)state;
  fam_init(&f, "nan-and-infinities", NULL);
  double ds[] = {NAN,  INFINITY, -INFINITY,
                 -0.0, 5e-324,   1.7976931348623157e308};
  assert_int_equal(cotel_span_start(f.tr, "nan", NULL, &s), 0);
  cotel_span_set_double(s, "nan", NAN);
  cotel_span_set_double(s, "inf", INFINITY);
  cotel_span_set_double(s, "-inf", -INFINITY);
  cotel_attr arr = {{"arr", 3}, COTEL_ATTR_DOUBLE_ARRAY, {.arr = {ds, 6}}};
  cotel_span_set_attr(s, &arr);
  cotel_span_add_event(s, "e", UINT64_MAX, &arr, 1);
  cotel_span_end(s, UINT64_MAX);
  assert_int_equal(cotel_span_start(f.tr, "past", NULL, &s), 0);
  cotel_span_end(s, 1); /* before its start */
  const cotel_span_data *sd = only_span(&f, 0);
  int seen = 0;
  for (size_t i = 0; i < sd->n_attrs; i++)
    if (sd->attrs[i].type == COTEL_ATTR_DOUBLE) {
      double d = sd->attrs[i].v.d;
      seen += isnan(d) || isinf(d);
    }
  assert_int_equal(seen, 3);
  fam_finish(&f);
}

static double secs_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) +
         (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Remote text on its way to a log line (a collector's error message). */
static void test_bad_input_remote_text_is_printable_in_logs(void **state) {
  (void)state;
  char out[16];
  /* C0, DEL, C1 (U+009B as UTF-8), a lone continuation byte: one '?' each;
   * valid UTF-8 kept; a code point that does not fit whole is left out. */
  const char in[] = "a\x1b[\r\n\x7f\xc2\x9b\x80\xc3\xa9z";
  size_t n = cotel__utf8_printable(out, sizeof out, in, sizeof in - 1);
  assert_string_equal(out, "a?[?????\xc3\xa9z");
  assert_int_equal(n, strlen(out));
  n = cotel__utf8_printable(out, 4, "ab\xe2\x82\xac", 5);
  assert_string_equal(out, "ab");
  assert_int_equal(cotel__utf8_printable(out, 1, "abc", 3), 0);
  assert_string_equal(out, "");
  /* In place. */
  char buf[] = "x\ty\xffz";
  cotel__utf8_printable(buf, sizeof buf, buf, strlen(buf));
  assert_string_equal(buf, "x?y?z");
}

static void test_bad_input_100kib_tracestate_is_bounded(void **state) {
  const size_t len = 100 * 1024;
  char *h = malloc(len + 1);
  cotel_tracestate *ts = NULL;
  struct timespec t0;
  (void)state;
  assert_non_null(h);
  /* Valid-looking members, many more than 32, 100 KiB in all. */
  size_t n = 0;
  for (int i = 0; n + 16 < len; i++)
    n += (size_t)snprintf(h + n, len + 1 - n, "k%d=v%d,", i, i);
  memset(h + n, 'a', len - n);
  h[len] = '\0';
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 100; i++) {
    int rc = cotel_tracestate_parse(h, len, &ts);
    if (rc == 0) {
      assert_true(cotel_tracestate_count(ts) <= COTEL_TRACESTATE_MAX_MEMBERS);
      cotel_tracestate_release(ts);
      ts = NULL;
    }
  }
  /* Extracted through the propagator with a valid traceparent. */
  cotel_header hs[2] = {
      {{"traceparent", 11},
       {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 55}},
      {{"tracestate", 10}, {h, len}}};
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, hs, 2, 2, NULL, 0);
  cotel_carrier c = cotel_header_carrier_as_carrier(&hc);
  cotel_context *ctx = NULL;
  assert_int_equal(
      cotel_extract(cotel_propagator_tracecontext(), NULL, &c, &ctx), 0);
  cotel_span_context sc;
  assert_int_equal(cotel_context_span_context(ctx, &sc), 0);
  assert_true(cotel_tracestate_count(sc.tracestate) <=
              COTEL_TRACESTATE_MAX_MEMBERS);
  cotel_context_release(ctx);
  double t = secs_since(&t0);
  fprintf(stderr, "tracestate 100 KiB x101: %.3f s\n", t);
  assert_true(t < 10); /* generous: about 1 ms each on a loaded machine */
  free(h);
}

static void
test_bad_input_ten_thousand_baggage_members_are_bounded(void **state) {
  const int members = 10000;
  size_t cap = (size_t)members * 24;
  char *h = malloc(cap);
  cotel_baggage *b = NULL;
  struct timespec t0;
  (void)state;
  assert_non_null(h);
  size_t n = 0;
  for (int i = 0; i < members; i++)
    n +=
        (size_t)snprintf(h + n, cap - n, "%skey%d=value%d", i ? "," : "", i, i);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 20; i++) {
    int rc = cotel_baggage_parse(h, n, &b);
    if (rc == 0) {
      assert_true(cotel_baggage_count(b) <= COTEL_BAGGAGE_MAX_MEMBERS);
      cotel_baggage_release(b);
      b = NULL;
    }
  }
  cotel_header hs[1] = {{{"baggage", 7}, {h, n}}};
  cotel_header_carrier hc;
  cotel_header_carrier_init(&hc, hs, 1, 1, NULL, 0);
  cotel_carrier c = cotel_header_carrier_as_carrier(&hc);
  cotel_context *ctx = NULL;
  int rc = cotel_extract(cotel_propagator_baggage(), NULL, &c, &ctx);
  assert_true(rc == 0 || rc < 0);
  if (ctx) {
    assert_true(cotel_baggage_count(cotel_context_baggage(ctx)) <=
                COTEL_BAGGAGE_MAX_MEMBERS);
    cotel_context_release(ctx);
  }
  /* Building one member at a time stops at the limit too. */
  cotel_baggage *acc = NULL;
  for (int i = 0; i < members; i++) {
    char k[16];
    cotel_baggage *next = NULL;
    snprintf(k, sizeof k, "k%d", i);
    if (cotel_baggage_set(acc, (cotel_str){k, strlen(k)}, (cotel_str){"v", 1},
                          (cotel_str){NULL, 0}, &next) != 0)
      break;
    cotel_baggage_release(acc);
    acc = next;
  }
  assert_true(cotel_baggage_count(acc) <= COTEL_BAGGAGE_MAX_MEMBERS);
  cotel_baggage_release(acc);
  double t = secs_since(&t0);
  fprintf(stderr, "baggage 10,000 members x21 + 10,000 sets: %.3f s\n", t);
  assert_true(t < 20);
  free(h);
}

/* Hostile OTEL_* values: every variable the SDK reads, set to garbage. */
static const char *const hostile_vars[] = {
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_PROPAGATORS",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_EXPORT_TIMEOUT",
    "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
    "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    "OTEL_SPAN_EVENT_COUNT_LIMIT",
    "OTEL_SPAN_LINK_COUNT_LIMIT",
    "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
    "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    "OTEL_ATTRIBUTE_COUNT_LIMIT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_INSECURE",
    "OTEL_LOG_LEVEL"};

static void
test_bad_input_hostile_otel_variables_keep_the_defaults(void **state) {
  static const char *const values[] = {"",
                                       " ",
                                       "-1",
                                       "18446744073709551616",
                                       "99999999999999999999999",
                                       "nan",
                                       "inf",
                                       "-inf",
                                       "1e309",
                                       "0x10",
                                       "=,=,=,;;;%%%zz",
                                       "k=%ff%fe%00,=v,k2",
                                       "\xff\xfe\xc0",
                                       "true false",
                                       NULL /* huge */};
  size_t huge_len = 1u << 20;
  char *huge = malloc(huge_len + 1);
  (void)state;
  assert_non_null(huge);
  for (size_t i = 0; i < huge_len; i++)
    huge[i] = "a=b,%"[i % 5];
  huge[huge_len] = '\0';
  fam f;
  uint64_t total_started = 0;
  for (size_t vi = 0; vi < sizeof values / sizeof values[0]; vi++) {
    const char *v = values[vi] ? values[vi] : huge;
    for (size_t k = 0; k < sizeof hostile_vars / sizeof hostile_vars[0]; k++)
      setenv(hostile_vars[k], v, 1);
    setenv("OTEL_TRACES_EXPORTER", "none", 1);
    setenv("OTEL_LOG_LEVEL", "none", 1);
    /* The whole pipeline from the environment, then ours in its place. */
    cotel_provider_config cfg;
    cotel_provider *p;
    cotel_provider_config_init(&cfg);
    assert_int_equal(cotel_provider_new(&cfg, &p), 0);
    cotel_tracer *tr = cotel_provider_tracer(p, "env");
    for (int i = 0; i < 10; i++) {
      cotel_span s;
      cotel_span_start(tr, "env", NULL, &s);
      cotel_span_set_str(s, "k", "v");
      cotel_span_end(s, 0);
    }
    assert_true(cotel_provider_shutdown(p, 5000) <= 0);
    cotel_provider_destroy(p);
    cotel_otlp_options oo;
    cotel_otlp_options_from_env(&oo);
    cotel_exporter *exp = NULL;
    if (cotel_otlp_exporter_new(&oo, &exp) == 0) exp->destroy(exp);
    cotel_propagator *prop = NULL;
    if (cotel_propagator_from_env(&prop) == 0) cotel_propagator_destroy(prop);
    cotel_sampler *smp = NULL;
    if (cotel_sampler_from_env(&smp) == 0) cotel_sampler_destroy(smp);
    cotel_batch_options bo;
    cotel_batch_options_from_env(&bo);
    cotel_span_limits lim;
    cotel_span_limits_from_env(&lim);
    /* Accounted spans under these variables (memory exporter). */
    fam_init(&f, "hostile-otel-variables", &lim);
    for (int i = 0; i < 10; i++) {
      cotel_span s;
      cotel_span_start(f.tr, "env", NULL, &s);
      cotel_span_set_str(s, "k", huge);
      cotel_span_end(s, 0);
    }
    cotel_stats st;
    assert_int_equal(cotel_provider_stats(f.p, &st), 0);
    total_started += st.spans_started;
    if (vi + 1 < sizeof values / sizeof values[0]) cotel_provider_destroy(f.p);
  }
  fam_finish(&f);
  for (size_t k = 0; k < sizeof hostile_vars / sizeof hostile_vars[0]; k++)
    unsetenv(hostile_vars[k]);
  unsetenv("OTEL_TRACES_EXPORTER");
  assert_int_equal(total_started, 10 * 15);
  free(huge);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_input_null_arguments_to_trace_and_provider),
      cmocka_unit_test(test_bad_input_null_arguments_to_provider_objects),
      cmocka_unit_test(
          test_bad_input_null_arguments_to_samplers_and_processors),
      cmocka_unit_test(test_bad_input_null_arguments_to_context_functions),
      cmocka_unit_test(test_bad_input_null_arguments_to_baggage_and_tracestate),
      cmocka_unit_test(test_bad_input_null_arguments_to_propagators),
      cmocka_unit_test(test_bad_input_null_arguments_to_exporters_and_setup),
      cmocka_unit_test(
          test_bad_input_invalid_utf8_and_embedded_nuls_are_kept_bounded),
      cmocka_unit_test(
          test_bad_input_one_mib_attribute_values_are_cut_to_the_limit),
      cmocka_unit_test(test_bad_input_nan_and_infinities_are_recorded_as_given),
      cmocka_unit_test(test_bad_input_remote_text_is_printable_in_logs),
      cmocka_unit_test(test_bad_input_100kib_tracestate_is_bounded),
      cmocka_unit_test(test_bad_input_ten_thousand_baggage_members_are_bounded),
      cmocka_unit_test(test_bad_input_hostile_otel_variables_keep_the_defaults),
  };
  return cotel_test_run(argc, argv, "bad_input", tests);
}
