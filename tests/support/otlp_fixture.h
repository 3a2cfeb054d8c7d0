/* Test support for the OTLP exporter tests: a receiver child, a libuv loop
 * standing in for the batch processor's, hand-built span records, and
 * helpers that run the loop until an export or a shutdown completes. */
#ifndef COTEL_TEST_OTLP_FIXTURE_H
#define COTEL_TEST_OTLP_FIXTURE_H

#include <uv.h>

#include "cotel/otlp.h"
#include "support/otlp_receiver.h"

/* `n` spans with every field set (attributes of each type, an event, a
 * link, parents local and remote, every kind and status), one resource and
 * one scope. */
typedef struct otlp_spans {
  cotel_resource res;
  cotel_scope scope;
  cotel_attr res_attrs[2];
  cotel_attr attrs[7];
  cotel_str str_arr[2];
  int64_t int_arr[3];
  cotel_attr ev_attrs[1];
  cotel_event events[1];
  cotel_attr link_attrs[1];
  cotel_link links[1];
  size_t n;
  cotel_span_data *sd;
  const cotel_span_data **ptrs;
  char (*names)[32];
} otlp_spans;

otlp_spans *otlp_spans_new(size_t n);
void otlp_spans_free(otlp_spans *s);

typedef struct otlp_fx {
  cotel_test_receiver rx;
  uv_loop_t loop;
  cotel_exporter *exp;
  cotel_otlp_options opts; /* defaults + the receiver's endpoint + fast
                              retries; tests change them before start */
  bool shut;
} otlp_fx;

/* cmocka setup/teardown: start/stop the receiver, init/close the loop
 * (teardown asserts that the exporter closed every handle it opened). */
int otlp_fx_setup(void **state);
/* The same with an https receiver (tls/server.pem, signed by tls/ca.pem);
 * _mtls also requires a client certificate signed by that CA. */
int otlp_fx_setup_tls(void **state);
int otlp_fx_setup_mtls(void **state);
/* A gRPC receiver (tests/grpc_receiver.py); opts set to grpc to it. */
int otlp_fx_setup_grpc(void **state);
int otlp_fx_teardown(void **state);

/* Create the exporter from fx->opts and start it on fx->loop. */
void otlp_fx_start(otlp_fx *fx);

/* One export call: the result of its done callback, after running the loop
 * until it came. *elapsed_ms (optional) gets the call's duration. */
int otlp_fx_export(otlp_fx *fx, const otlp_spans *s, size_t first, size_t n,
                   uint64_t *elapsed_ms);

/* An export call whose completion the test runs itself. */
typedef struct otlp_pending {
  bool done;
  int rc;
  uint64_t t_done_ns;
} otlp_pending;
void otlp_fx_export_async(otlp_fx *fx, const otlp_spans *s, size_t first,
                          size_t n, otlp_pending *p);
/* Run the loop until `p` completes (fails the test if the loop runs dry). */
void otlp_fx_wait(otlp_fx *fx, otlp_pending *p);
/* Run the loop until the receiver has recorded at least `count` requests. */
void otlp_fx_wait_received(otlp_fx *fx, long count);

/* shutdown(now + timeout_ms), then run the loop until every exporter handle
 * is closed; returns the time that took in ms. */
uint64_t otlp_fx_shutdown(otlp_fx *fx, uint64_t timeout_ms);

cotel_otlp_stats otlp_fx_stats(otlp_fx *fx);

/* fork(); the child starts the exporter again on a new loop, exports spans
 * [first, first+n) of s, shuts down and exits. Returns the child's exit
 * status (0: exported). */
int otlp_fx_export_in_forked_child(otlp_fx *fx, const otlp_spans *s,
                                   size_t first, size_t n);

/* The exporter's own counters and what it adds to a processor's stats
 * agree with these. */
void otlp_fx_assert_stats(otlp_fx *fx, uint64_t exported, uint64_t failed,
                          uint64_t requests, uint64_t retries);

/* What a deadline may overrun on a loaded 2-core machine. */
#define OTLP_FX_SLACK_MS 1500

/* Log capture: counts messages containing `needle` (set to NULL to stop). */
void otlp_log_capture(const char *needle);
unsigned otlp_log_hits(void);
/* Of those, the ones logged at warn or above; and every warning. */
unsigned otlp_log_warn_hits(void);
unsigned otlp_log_warns(void);

/* Integer meta field of request i (time_ms, len, raw_len, peer_port). */
long otlp_fx_meta_long(otlp_fx *fx, long i, const char *key);

#endif
