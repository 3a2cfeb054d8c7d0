/* OTLP/HTTP exporter against a misbehaving receiver: which failures are
 * retried (OTLP spec "Retryable Response Codes", "OTLP/HTTP Throttling"),
 * how long it waits, what it counts, and that shutdown keeps its deadline
 * whatever the receiver does. Times come from the receiver's clock (when a
 * request arrived) and the done callbacks; nothing here sleeps. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/otlp.h"
#include "support/otlp_compare.h"
#include "support/otlp_fixture.h"

/* Slack for scheduling on a loaded 2-core machine. */

static void test_otlp_400_is_not_retried_and_counts_spans_failed(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(3);
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "status 400");
  int rc = otlp_fx_export(fx, s, 0, 3, NULL);
  assert_int_equal(rc, COTEL_EEXPORT);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  otlp_fx_assert_stats(fx, 0, 3, 1, 0);
  assert_int_equal(otlp_fx_stats(fx).requests_failed, 1);
  /* The next export is unaffected. */
  assert_int_equal(otlp_fx_export(fx, s, 0, 3, NULL), 0);
  otlp_fx_assert_stats(fx, 3, 3, 2, 0);
  otlp_spans_free(s);
}

static void test_otlp_other_5xx_is_not_retried(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "status 500\nstatus 501");
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), COTEL_EEXPORT);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), COTEL_EEXPORT);
  otlp_fx_assert_stats(fx, 0, 2, 2, 0);
  otlp_spans_free(s);
}

static void test_otlp_429_waits_for_retry_after_seconds(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "status 429 retry_after 1");
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 2);
  /* Backoff alone would have waited at most 10 ms. */
  long gap =
      otlp_fx_meta_long(fx, 1, "time_ms") - otlp_fx_meta_long(fx, 0, "time_ms");
  assert_true(gap >= 990);
  assert_true(gap < 1000 + OTLP_FX_SLACK_MS);
  otlp_fx_assert_stats(fx, 2, 0, 2, 1);
  otlp_pb_request *r = NULL;
  size_t len;
  char *body = cotel_test_receiver_body(&fx->rx, 1, &len);
  r = otlp_pb_decode(body, len);
  otlp_assert_request(r, s->ptrs, 2);
  otlp_pb_free(r);
  free(body);
  otlp_spans_free(s);
}

static void test_otlp_503_with_a_past_http_date_retries_at_once(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  fx->opts.retry_initial_backoff_ms = 3000; /* would outlast the test */
  fx->opts.retry_max_backoff_ms = 3000;
  otlp_fx_start(fx);
  cotel_test_receiver_script(
      &fx->rx, "status 503 retry_after Sun, 06 Nov 1994 08:49:37 GMT");
  uint64_t ms;
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, &ms), 0);
  assert_true(ms < OTLP_FX_SLACK_MS);
  otlp_fx_assert_stats(fx, 1, 0, 2, 1);
  otlp_spans_free(s);
}

static void
test_otlp_retry_after_beyond_the_deadline_fails_at_once(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  fx->opts.timeout_ms = 2000;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "status 429 retry_after 60");
  uint64_t ms;
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, &ms), COTEL_ETIMEDOUT);
  assert_true(ms < OTLP_FX_SLACK_MS);
  otlp_fx_assert_stats(fx, 0, 1, 1, 0);
  otlp_spans_free(s);
}

static void
test_otlp_503_502_504_are_retried_with_growing_backoff(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(4);
  fx->opts.retry_initial_backoff_ms = 40;
  fx->opts.retry_max_backoff_ms = 1000;
  fx->opts.retry_backoff_multiplier = 2.0;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "status 503\nstatus 502\nstatus 504");
  assert_int_equal(otlp_fx_export(fx, s, 0, 4, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 4);
  /* Retry n waits in [d/2, d], d = 40 * 2^(n-1) ms. */
  for (long i = 1; i < 4; i++) {
    long d = 40L << (i - 1);
    long gap = otlp_fx_meta_long(fx, i, "time_ms") -
               otlp_fx_meta_long(fx, i - 1, "time_ms");
    assert_true(gap >= d / 2 - 2); /* clock granularity */
    assert_true(gap < d + OTLP_FX_SLACK_MS);
  }
  otlp_fx_assert_stats(fx, 4, 0, 4, 3);
  otlp_spans_free(s);
}

static void test_otlp_retries_stop_at_max_attempts(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  fx->opts.retry_max_attempts = 3;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx,
                             "status 504\nstatus 504\nstatus 504\nstatus 504");
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), COTEL_ERETRY);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 3);
  otlp_fx_assert_stats(fx, 0, 2, 3, 2);
  /* Refused with an answer: known not delivered. */
  assert_int_equal(otlp_fx_stats(fx).spans_failed_in_doubt, 0);
  otlp_spans_free(s);
}

static void test_otlp_slow_answer_fails_by_the_export_timeout(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  fx->opts.timeout_ms = 300;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "delay 5000");
  uint64_t ms;
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, &ms), COTEL_ETIMEDOUT);
  assert_true(ms >= 290);
  assert_true(ms < 300 + OTLP_FX_SLACK_MS);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  otlp_fx_assert_stats(fx, 0, 2, 1, 0);
  /* The receiver read the whole request: it may act on it. */
  assert_int_equal(otlp_fx_stats(fx).spans_failed_in_doubt, 2);
  otlp_spans_free(s);
}

static void
test_otlp_connection_refused_is_retried_until_the_timeout(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", cotel_test_unused_port());
  fx->opts.endpoint = url;
  fx->opts.timeout_ms = 400;
  fx->opts.retry_max_attempts = 0; /* only the timeout stops it */
  otlp_fx_start(fx);
  uint64_t ms;
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, &ms), COTEL_ETIMEDOUT);
  assert_true(ms < 400 + OTLP_FX_SLACK_MS);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_true(st.retries >= 3); /* backoff <= 50 ms within 400 ms */
  assert_int_equal(st.requests, st.retries + 1);
  assert_int_equal(st.spans_failed, 2);
  assert_int_equal(st.spans_failed_in_doubt, 0); /* never sent */
  assert_int_equal(st.spans_exported, 0);
  assert_int_equal(st.requests_failed, 1);
  otlp_spans_free(s);
}

static void test_otlp_connection_refused_respects_max_attempts(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", cotel_test_unused_port());
  fx->opts.endpoint = url;
  fx->opts.retry_max_attempts = 4;
  otlp_fx_start(fx);
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), COTEL_ERETRY);
  otlp_fx_assert_stats(fx, 0, 1, 4, 3);
  otlp_spans_free(s);
}

static void test_otlp_reset_mid_response_is_retried(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(3);
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "reset");
  assert_int_equal(otlp_fx_export(fx, s, 0, 3, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 2);
  otlp_fx_assert_stats(fx, 3, 0, 2, 1);
  otlp_spans_free(s);
}

static void
test_otlp_a_response_cut_short_leaves_the_spans_in_doubt(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(3);
  fx->opts.retry_max_attempts = 1;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "reset");
  assert_int_equal(otlp_fx_export(fx, s, 0, 3, NULL), COTEL_ERETRY);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spans_failed, 3);
  assert_int_equal(st.spans_failed_in_doubt, 3);
  otlp_spans_free(s);
}

static void test_otlp_close_without_response_is_retried(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "close\nclose");
  assert_int_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 3);
  otlp_fx_assert_stats(fx, 1, 0, 3, 2);
  otlp_spans_free(s);
}

static void partial_success(otlp_fx *fx, bool json) {
  otlp_spans *s = otlp_spans_new(5);
  if (json) fx->opts.protocol = COTEL_OTLP_HTTP_JSON;
  otlp_fx_start(fx);
  otlp_log_capture("2 of 5 spans rejected: too old");
  cotel_test_receiver_script(&fx->rx, "partial 2 too old");
  assert_int_equal(otlp_fx_export(fx, s, 0, 5, NULL), 0);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 1);
  assert_int_equal(otlp_log_hits(), 1);
  otlp_fx_assert_stats(fx, 3, 2, 1, 0);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  assert_int_equal(st.spans_rejected, 2);
  assert_int_equal(st.partial_successes, 1);
  assert_int_equal(st.requests_failed, 0);
  otlp_spans_free(s);
}

static void test_otlp_partial_success_is_counted_not_retried(void **state) {
  partial_success(*state, false);
}

static void
test_otlp_json_partial_success_is_counted_not_retried(void **state) {
  partial_success(*state, true);
}

static void
test_otlp_partial_success_with_zero_rejected_is_success(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "partial 0");
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), 0);
  otlp_fx_assert_stats(fx, 2, 0, 1, 0);
  assert_int_equal(otlp_fx_stats(fx).partial_successes, 0);
  otlp_spans_free(s);
}

static void
test_otlp_failed_part_of_a_split_batch_fails_the_call(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(8);
  fx->opts.max_request_bytes = 1000;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "status 400");
  assert_int_equal(otlp_fx_export(fx, s, 0, 8, NULL), COTEL_EEXPORT);
  long count = cotel_test_receiver_count(&fx->rx);
  assert_true(count >= 2);
  cotel_otlp_stats st = otlp_fx_stats(fx);
  /* Exact: the rejected part failed, every other part arrived. */
  assert_int_equal(st.spans_exported + st.spans_failed, 8);
  assert_true(st.spans_failed >= 1 && st.spans_failed < 8);
  assert_int_equal(st.requests_failed, 1);
  otlp_spans_free(s);
}

static void
test_otlp_shutdown_returns_by_its_deadline_while_receiver_stalls(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(3);
  otlp_pending p;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "delay 10000");
  otlp_fx_export_async(fx, s, 0, 3, &p);
  otlp_fx_wait_received(fx, 1);
  assert_false(p.done);
  uint64_t ms = otlp_fx_shutdown(fx, 200);
  assert_true(ms >= 190);
  assert_true(ms < 200 + OTLP_FX_SLACK_MS);
  assert_true(p.done);
  assert_int_equal(p.rc, COTEL_ETIMEDOUT);
  otlp_fx_assert_stats(fx, 0, 3, 1, 0);
  otlp_spans_free(s);
}

static void test_otlp_shutdown_lets_a_quick_request_finish(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(3);
  otlp_pending p;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "delay 100");
  otlp_fx_export_async(fx, s, 0, 3, &p);
  otlp_fx_wait_received(fx, 1);
  uint64_t ms = otlp_fx_shutdown(fx, 5000);
  assert_true(ms < 100 + OTLP_FX_SLACK_MS);
  assert_true(p.done);
  assert_int_equal(p.rc, 0);
  otlp_fx_assert_stats(fx, 3, 0, 1, 0);
  otlp_spans_free(s);
}

static void test_otlp_shutdown_fails_requests_waiting_to_retry(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  otlp_pending p;
  fx->opts.timeout_ms = 60000;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "status 503 retry_after 30");
  otlp_log_capture("retrying 2 spans in 30000 ms");
  otlp_fx_export_async(fx, s, 0, 2, &p);
  while (otlp_log_hits() == 0) {
    assert_false(p.done);
    assert_true(uv_run(&fx->loop, UV_RUN_ONCE) != 0);
  }
  uint64_t ms = otlp_fx_shutdown(fx, 5000);
  assert_true(ms < OTLP_FX_SLACK_MS);
  assert_true(p.done);
  assert_int_equal(p.rc, COTEL_ESTATE);
  otlp_fx_assert_stats(fx, 0, 2, 1, 0);
  otlp_spans_free(s);
}

static void
test_otlp_shutdown_with_a_past_deadline_aborts_at_once(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  otlp_pending p;
  otlp_fx_start(fx);
  cotel_test_receiver_script(&fx->rx, "delay 10000");
  otlp_fx_export_async(fx, s, 0, 1, &p);
  otlp_fx_wait_received(fx, 1);
  uint64_t ms = otlp_fx_shutdown(fx, 0);
  assert_true(ms < OTLP_FX_SLACK_MS);
  assert_true(p.done);
  assert_int_equal(p.rc, COTEL_ETIMEDOUT);
  otlp_spans_free(s);
}

static void test_otlp_export_after_shutdown_fails_at_once(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  otlp_pending p;
  otlp_fx_start(fx);
  otlp_fx_shutdown(fx, 100);
  otlp_fx_export_async(fx, s, 0, 2, &p);
  assert_true(p.done);
  assert_int_equal(p.rc, COTEL_ESTATE);
  assert_int_equal(cotel_test_receiver_count(&fx->rx), 0);
  otlp_fx_assert_stats(fx, 0, 2, 0, 0);
  otlp_spans_free(s);
}

/* Issue 10: the first failure of an episode is one warning with the root
 * cause and the endpoint; later ones are not warnings. */
static void
test_otlp_refused_connection_warns_once_with_its_cause(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(1);
  char url[64], needle[128];
  int port = cotel_test_unused_port();
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  snprintf(needle, sizeof needle,
           "connection refused to 127.0.0.1:%d (no collector listening?)",
           port);
  fx->opts.endpoint = url;
  fx->opts.retry_max_attempts = 2;
  otlp_fx_start(fx);
  otlp_log_capture(needle);
  for (int i = 0; i < 3; i++)
    assert_int_not_equal(otlp_fx_export(fx, s, 0, 1, NULL), 0);
  assert_int_equal(otlp_log_warn_hits(), 1);
  assert_int_equal(otlp_log_warns(), 1);
  assert_true(otlp_log_hits() >= 3); /* the rest at debug level */
  assert_int_equal(otlp_fx_stats(fx).spans_failed, 3);
  otlp_spans_free(s);
}

static void test_otlp_recovery_after_failures_is_one_line(void **state) {
  otlp_fx *fx = *state;
  otlp_spans *s = otlp_spans_new(2);
  otlp_fx_start(fx);
  assert_int_equal(
      cotel_test_receiver_script(&fx->rx, "status 400\nstatus 400\nok\nok"), 0);
  otlp_log_capture("recovered; 4 spans were lost meanwhile");
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), COTEL_EEXPORT);
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), COTEL_EEXPORT);
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), 0);
  assert_int_equal(otlp_fx_export(fx, s, 0, 2, NULL), 0);
  assert_int_equal(otlp_log_warn_hits(), 1);
  /* The first failure and the recovery: two warnings in all. */
  assert_int_equal(otlp_log_warns(), 2);
  otlp_spans_free(s);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_otlp_refused_connection_warns_once_with_its_cause, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_recovery_after_failures_is_one_line, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_400_is_not_retried_and_counts_spans_failed, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_otlp_other_5xx_is_not_retried,
                                      otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_429_waits_for_retry_after_seconds, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_503_with_a_past_http_date_retries_at_once, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_retry_after_beyond_the_deadline_fails_at_once,
          otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_503_502_504_are_retried_with_growing_backoff, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_otlp_retries_stop_at_max_attempts,
                                      otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_slow_answer_fails_by_the_export_timeout, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_connection_refused_is_retried_until_the_timeout,
          otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_connection_refused_respects_max_attempts, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(test_otlp_reset_mid_response_is_retried,
                                      otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_a_response_cut_short_leaves_the_spans_in_doubt,
          otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_close_without_response_is_retried, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_partial_success_is_counted_not_retried, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_json_partial_success_is_counted_not_retried, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_partial_success_with_zero_rejected_is_success,
          otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_failed_part_of_a_split_batch_fails_the_call, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_shutdown_returns_by_its_deadline_while_receiver_stalls,
          otlp_fx_setup, otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_shutdown_lets_a_quick_request_finish, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_shutdown_fails_requests_waiting_to_retry, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_shutdown_with_a_past_deadline_aborts_at_once, otlp_fx_setup,
          otlp_fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_otlp_export_after_shutdown_fails_at_once, otlp_fx_setup,
          otlp_fx_teardown),
  };
  return cotel_test_run(argc, argv, "otlp_faults", tests);
}
