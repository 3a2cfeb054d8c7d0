/* Private to the OTLP exporter: the resolved configuration and the
 * exporter's state, shared by exporter.c (lifecycle) and
 * exporter_request.c (requests, retries, results). */
#ifndef COTEL_OTLP_EXPORTER_INTERNAL_H
#define COTEL_OTLP_EXPORTER_INTERNAL_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <uv.h>

#include "cotel/otlp.h"
#include "cotel/internal/http.h"
#include "cotel/internal/otlp_grpc.h"

/* cotel_otlp_options turned into what the transport needs, all owned. */
typedef struct cotel__otlp_cfg {
  char *url;
  struct curl_slist *headers; /* Content-Type, Content-Encoding, user's */
  bool json;
  bool grpc; /* OTLP/gRPC: url is the Export method's */
  bool gzip;
  uint32_t timeout_ms;
  char *ca_file;
  char *cert_file;
  char *key_file;
  bool insecure;
  unsigned max_concurrent;
  size_t max_request_bytes;
  uint32_t backoff_initial_ms;
  uint32_t backoff_max_ms;
  double backoff_multiplier;
  uint32_t max_attempts;
  char *spool_dir; /* NULL: no spool */
  uint64_t spool_max_bytes;
} cotel__otlp_cfg;

/* cotel_otlp_options_default's endpoint (compared by address). */
extern const char cotel__otlp_default_endpoint[];

/* Validate and copy options. 0, COTEL_EINVAL (unsupported URL scheme, bad
 * header) or COTEL_ENOMEM; on error nothing is left allocated. */
int cotel__otlp_cfg_build(const cotel_otlp_options *o, cotel__otlp_cfg *c);
/* Copy the caller's options over the defaults (config.c; docs/abi.md). 0 or
 * COTEL_EINVAL for a bad stamp. */
/* The delay a response's Retry-After asks for, in ms (exporter_request.c;
 * OTLP spec "OTLP/HTTP Throttling"), or -1 when it has none (or a bad one). */
int64_t cotel__otlp_retry_after_ms(const cotel__http_req *h);

int cotel__otlp_options_in(const cotel_otlp_options *o, size_t size,
                           cotel_otlp_options *full);
void cotel__otlp_cfg_free(cotel__otlp_cfg *c);

/* ---- exporter state (loop thread only, but the counters) --------------- */

/* One export_spans call: `done` runs when its last request finishes. */
typedef struct cotel__otlp_call {
  cotel_export_done_fn done;
  void *done_arg;
  unsigned pending;
  int rc;
  bool split;
} cotel__otlp_call;

/* cotel__otlp_req.state */
enum { REQ_IN_FLIGHT = 1, REQ_BACKOFF, REQ_WAIT, REQ_DONE };

/* One HTTP request (a batch or a part of a split one), with its retries. */
typedef struct cotel__otlp_req {
  cotel__http_req h;
  struct cotel__otlp_exporter *e;
  cotel__otlp_call *call;
  size_t n_spans;
  cotel__buf body;
  uint64_t deadline_ns;
  unsigned attempts;
  int state;
  uv_timer_t timer;        /* backoff */
  cotel__grpc_result grpc; /* grpc: what the response said */
  bool reused;     /* h2c: sent as a stream of the established connection */
  bool in_doubt;   /* the last attempt sent it all, no complete answer came */
  char cause[320]; /* why the last attempt failed (diagnose.c) */
  struct curl_slist timeout_h; /* grpc: grpc-timeout, then cfg.headers */
  char timeout_line[40];
  struct cotel__otlp_req *prev, *next;
} cotel__otlp_req;

typedef struct cotel__otlp_counters {
  _Atomic uint64_t spans_exported, spans_failed, spans_rejected,
      partial_successes, requests, requests_failed, retries, splits, bytes_sent,
      spans_in_doubt;
} cotel__otlp_counters;

typedef struct cotel__otlp_exporter {
  cotel_exporter base;
  cotel__otlp_cfg cfg;
  uv_loop_t *loop;
  uv_loop_t *own_loop; /* when start() got no loop */
  cotel__http http;
  uv_async_t pin; /* ref'd while requests exist: keeps the loop running */
  uv_timer_t shutdown_timer;
  bool started, shutting, closing;
  pid_t pid; /* of the process that started it (fork detection) */
  int open_handles;
  cotel__otlp_req *reqs;
  size_t n_reqs;
  /* gRPC over h2c (see exporter_request.c): whether an HTTP/2 connection
   * is up, and the request opening one (others wait in REQ_WAIT). */
  bool h2c_up;
  cotel__otlp_req *h2c_connector;
  /* A failure episode: from the first failed request to the next success.
   * Only its first failure and its end are logged at warn. */
  bool failing;
  uint64_t episode_failed; /* spans lost during the episode */
  uint64_t rng;
  cotel__buf scratch;
  cotel__otlp_counters c;
  struct cotel__otlp_spool_ctx *spool; /* spool_export.c; NULL: none */
} cotel__otlp_exporter;

/* Counters are read from any thread (stats); written on the loop. */
#define ADD(e, f, v)                                                           \
  atomic_fetch_add_explicit(&(e)->c.f, (v), memory_order_relaxed)
#define GET(e, f) atomic_load_explicit(&(e)->c.f, memory_order_relaxed)

/* Encode spans[0..n) and start their request(s), halving the batch while a
 * request would exceed max_request_bytes. Failures are recorded in `call`. */
void cotel__otlp_submit(cotel__otlp_exporter *e, cotel__otlp_call *call,
                        const cotel_span_data *const *spans, size_t n,
                        uint64_t deadline_ns);
/* Drop one hold on `call`; the last one calls its done and frees it. */
void cotel__otlp_call_release(cotel__otlp_call *call);
/* End a request: rc != 0 counts its spans failed. Frees it (after its timer
 * closes) and releases its call. */
void cotel__otlp_req_finish(cotel__otlp_req *r, int rc);
/* Whether the current attempt uploaded the whole body (libcurl's count). */
bool cotel__otlp_req_sent_whole(cotel__otlp_req *r);
/* One line on why a transfer failed (libcurl error, with the peer and a
 * protocol or port hint when the failure shows one). */
void cotel__otlp_transport_cause(const cotel__otlp_exporter *e,
                                 const cotel__http_req *h, char *out,
                                 size_t cap);
/* Close every loop handle (once no request is left, after shutdown). */
void cotel__otlp_close_all(cotel__otlp_exporter *e);

#endif
