/* The OTLP exporter behind the real SDK: spans made with the span API go
 * through a simple or batch processor to the receiver, are decoded with the
 * protobuf-c oracle and compared field by field with what the SDK recorded
 * (an in-memory exporter next to it sees the same records). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/cotel.h"
#include "cotel/otlp.h"
#include "support/otlp_compare.h"
#include "support/otlp_fixture.h"

typedef struct sdk_fx {
  otlp_fx *b; /* receiver and options; its loop stays unused */
  cotel_provider *prov;
  cotel_exporter *mem; /* owned by its processor */
  cotel_exporter *otlp;
} sdk_fx;

static int sdk_setup(void **state) {
  sdk_fx *fx = calloc(1, sizeof *fx);
  void *inner;
  assert_non_null(fx);
  otlp_fx_setup(&inner);
  fx->b = inner;
  *state = fx;
  return 0;
}

static int sdk_teardown(void **state) {
  sdk_fx *fx = *state;
  if (fx->prov) cotel_provider_destroy(fx->prov);
  void *inner = fx->b;
  free(fx);
  return otlp_fx_teardown(&inner);
}

/* A provider with the OTLP exporter behind a simple or batch processor and
 * a memory exporter behind a simple processor. */
static void make_provider(sdk_fx *fx, bool batch) {
  cotel_provider_config cfg;
  cotel_span_processor *procs[2];
  cotel_batch_options bo;
  assert_int_equal(cotel_otlp_exporter_new(&fx->b->opts, &fx->otlp), 0);
  if (batch) {
    cotel_batch_options_from_env(&bo);
    bo.schedule_delay_ms = 60000; /* only flushes export */
    bo.export_timeout_ms = 5000;
    assert_int_equal(cotel_batch_processor_new(fx->otlp, &bo, &procs[0]), 0);
  } else {
    assert_int_equal(cotel_simple_processor_new(fx->otlp, &procs[0]), 0);
  }
  assert_int_equal(cotel_memory_exporter_new(&fx->mem), 0);
  assert_int_equal(cotel_simple_processor_new(fx->mem, &procs[1]), 0);
  cotel_provider_config_init(&cfg);
  cfg.service_name = "otlp-sdk-test";
  cfg.processors = procs;
  cfg.n_processors = 2;
  assert_int_equal(cotel_sampler_always_on(&cfg.sampler), 0);
  assert_int_equal(cotel_provider_new(&cfg, &fx->prov), 0);
}

/* A small trace: a root with attributes of each kind, an event, a link and
 * an error status; a child client span; a third span with OK status. */
static void make_trace(sdk_fx *fx) {
  cotel_tracer_options to = {.name = "otlp.sdk.test", .version = "9.8.7"};
  cotel_tracer *tr = NULL;
  cotel_span root, child, other;
  cotel_str strs[] = {cotel_str_c("x"), cotel_str_c("y")};
  double dbl[] = {1.5, -2.25};
  assert_int_equal(cotel_provider_get_tracer(fx->prov, &to, &tr), 0);
  cotel_attr start_attrs[] = {
      cotel_attr_string("http.route", "/a/:id"),
      cotel_attr_array("tags", COTEL_ATTR_STRING_ARRAY, strs, 2)};
  cotel_span_options so = {.kind = COTEL_SPAN_KIND_SERVER,
                           .attrs = start_attrs,
                           .n_attrs = 2,
                           .root = true};
  assert_int_equal(cotel_span_start(tr, "GET /a/:id", &so, &root), 0);
  cotel_span_set_int(root, "http.status_code", 500);
  cotel_span_set_bool(root, "retried", true);
  cotel_span_set_double(root, "load", 0.75);
  cotel_attr darr = cotel_attr_array("dbls", COTEL_ATTR_DOUBLE_ARRAY, dbl, 2);
  cotel_span_set_attr(root, &darr);
  cotel_attr ev_attr = cotel_attr_string("phase", "parse");
  cotel_span_add_event(root, "checkpoint", 0, &ev_attr, 1);
  cotel_span_set_status(root, COTEL_STATUS_ERROR, "upstream failed");

  cotel_span_context rsc;
  assert_int_equal(cotel_span_get_context(root, &rsc), 0);
  cotel_link link = {.context = rsc};
  cotel_attr la = cotel_attr_int("link.n", 1);
  link.attrs = &la;
  link.n_attrs = 1;

  cotel_context *ctx = NULL;
  assert_int_equal(cotel_context_with_span(NULL, root, &ctx), 0);
  cotel_span_options co = {.kind = COTEL_SPAN_KIND_CLIENT, .parent = ctx};
  assert_int_equal(cotel_span_start(tr, "call backend", &co, &child), 0);
  cotel_span_add_link(child, &link);
  cotel_span_end(child, 0);
  cotel_context_release(ctx);

  cotel_span_options oo = {.root = true, .kind = COTEL_SPAN_KIND_PRODUCER};
  assert_int_equal(cotel_span_start(tr, "publish", &oo, &other), 0);
  cotel_span_set_status(other, COTEL_STATUS_OK, NULL);
  cotel_span_end(other, 0);
  cotel_span_end(root, 0);
}

/* Every span the memory exporter saw arrived, equal, in some request. */
static void assert_received_all(sdk_fx *fx) {
  size_t n = cotel_memory_exporter_count(fx->mem);
  long count = cotel_test_receiver_count(&fx->b->rx);
  size_t total = 0;
  assert_true(n > 0);
  for (size_t k = 0; k < n; k++) {
    const cotel_span_data *sd = cotel_memory_exporter_get(fx->mem, k);
    size_t found = 0;
    for (long i = 0; i < count; i++) {
      size_t len = 0;
      char *body = cotel_test_receiver_body(&fx->b->rx, i, &len);
      otlp_pb_request *r = otlp_pb_decode(body, len);
      free(body);
      assert_non_null(r);
      if (k == 0) total += otlp_pb_count(r);
      const Opentelemetry__Proto__Trace__V1__ScopeSpans *ss = NULL;
      const Opentelemetry__Proto__Trace__V1__ResourceSpans *rs = NULL;
      const otlp_pb_span *ps = otlp_pb_find(r, &sd->context.span_id, &ss, &rs);
      if (ps) {
        found++;
        otlp_assert_span(sd, ps);
        otlp_assert_str(sd->scope->name, ss->scope->name);
        otlp_assert_str(sd->scope->version, ss->scope->version);
        otlp_assert_attrs(sd->resource->attrs, sd->resource->n_attrs,
                          rs->resource->attributes, rs->resource->n_attributes);
      }
      otlp_pb_free(r);
    }
    assert_int_equal(found, 1);
  }
  assert_int_equal(total, n);
}

static void test_otlp_sdk_simple_processor_round_trip(void **state) {
  sdk_fx *fx = *state;
  make_provider(fx, false);
  make_trace(fx);
  assert_int_equal(cotel_memory_exporter_count(fx->mem), 3);
  /* The simple processor exports each span as it ends. */
  assert_int_equal(cotel_test_receiver_count(&fx->b->rx), 3);
  assert_received_all(fx);
  cotel_otlp_stats st;
  assert_int_equal(cotel_otlp_exporter_stats(fx->otlp, &st), 0);
  assert_int_equal(st.spans_exported, 3);
}

static void test_otlp_sdk_batch_processor_round_trip(void **state) {
  sdk_fx *fx = *state;
  fx->b->opts.compression = COTEL_OTLP_COMPRESSION_GZIP;
  make_provider(fx, true);
  make_trace(fx);
  make_trace(fx);
  assert_int_equal(cotel_provider_force_flush(fx->prov, 5000), 0);
  assert_int_equal(cotel_memory_exporter_count(fx->mem), 6);
  assert_true(cotel_test_receiver_count(&fx->b->rx) >= 1);
  assert_received_all(fx);
  char *enc = cotel_test_receiver_meta(&fx->b->rx, 0, "encoding");
  assert_string_equal(enc, "gzip");
  free(enc);
  cotel_otlp_stats st;
  assert_int_equal(cotel_otlp_exporter_stats(fx->otlp, &st), 0);
  assert_int_equal(st.spans_exported, 6);
}

static void test_otlp_sdk_provider_stats_count_export_failures(void **state) {
  sdk_fx *fx = *state;
  make_provider(fx, true);
  cotel_test_receiver_script(&fx->b->rx, "status 503\nstatus 400");
  make_trace(fx);
  cotel_provider_force_flush(fx->prov, 5000);
  cotel_stats s;
  assert_int_equal(cotel_provider_stats(fx->prov, &s), 0);
  /* One retry after the 503, then a final 400: three spans failed. */
  assert_int_equal(s.export_retries, 1);
  assert_int_equal(s.spans_export_failed, 3);
  /* The memory exporter's processor counts its own three as exported. */
  assert_int_equal(s.spans_exported, 3);
}

static void
test_otlp_sdk_shutdown_keeps_its_deadline_when_receiver_stalls(void **state) {
  sdk_fx *fx = *state;
  make_provider(fx, true);
  cotel_test_receiver_script(&fx->b->rx, "delay 10000");
  make_trace(fx);
  uint64_t t0 = cotel_monotonic_ns();
  int rc = cotel_provider_shutdown(fx->prov, 400);
  uint64_t ms = (cotel_monotonic_ns() - t0) / 1000000u;
  assert_true(ms < 400 + OTLP_FX_SLACK_MS);
  assert_int_equal(rc, COTEL_ETIMEDOUT);
  cotel_otlp_stats st;
  assert_int_equal(cotel_otlp_exporter_stats(fx->otlp, &st), 0);
  assert_int_equal(st.spans_exported, 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_otlp_sdk_simple_processor_round_trip,
                                      sdk_setup, sdk_teardown),
      cmocka_unit_test_setup_teardown(test_otlp_sdk_batch_processor_round_trip,
                                      sdk_setup, sdk_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_sdk_provider_stats_count_export_failures, sdk_setup,
          sdk_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_sdk_shutdown_keeps_its_deadline_when_receiver_stalls,
          sdk_setup, sdk_teardown),
  };
  return cotel_test_run(argc, argv, "otlp_sdk", tests);
}
