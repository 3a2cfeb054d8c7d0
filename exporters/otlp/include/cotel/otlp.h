/** @file
 * cotel: the OTLP span exporter, over HTTP or gRPC.
 *
 * Sends ExportTraceServiceRequest messages through libcurl's multi
 * interface, driven by the libuv loop the processor gives to start():
 * export never blocks, and several requests may be in flight.
 *  - OTLP/HTTP (protobuf or OTLP/JSON): `POST {endpoint}/v1/traces`. 429,
 *    502, 503, 504 and connection failures are retried ("OTLP/HTTP
 *    Throttling", "Retryable Response Codes"), honouring Retry-After.
 *  - OTLP/gRPC: the TraceService/Export call over libcurl's HTTP/2 (no gRPC
 *    library): h2c with prior knowledge for http://, ALPN h2 for https://;
 *    concurrent calls share one connection. CANCELLED, DEADLINE_EXCEEDED,
 *    ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS and connection failures
 *    are retried, RESOURCE_EXHAUSTED only with a RetryInfo, whose delay is
 *    honoured ("OTLP/gRPC Throttling").
 * Retries use exponential backoff with jitter, all within the export
 * timeout; other responses are final. A partial success is logged and
 * counted, never retried.
 *
 * Configuration follows the OTLP exporter spec ("Configuration"): fill a
 * cotel_otlp_options from the environment, then change what the code wants
 * (code overrides env), then create the exporter. */
#ifndef COTEL_OTLP_H
#define COTEL_OTLP_H

#include "cotel/exporter.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The OTLP transport and encoding (OTEL_EXPORTER_OTLP_PROTOCOL). */
typedef enum cotel_otlp_protocol {
  COTEL_OTLP_HTTP_PROTOBUF = 0, /**< "http/protobuf", the default */
  COTEL_OTLP_HTTP_JSON = 1,     /**< "http/json" */
  COTEL_OTLP_GRPC = 2,          /**< "grpc" (protobuf over HTTP/2) */
} cotel_otlp_protocol;

/** Request body compression (OTEL_EXPORTER_OTLP_COMPRESSION). */
typedef enum cotel_otlp_compression {
  COTEL_OTLP_COMPRESSION_NONE = 0, /**< "none", the default */
  COTEL_OTLP_COMPRESSION_GZIP = 1, /**< "gzip" */
} cotel_otlp_compression;

/** One extra request header (borrowed; copied by cotel_otlp_exporter_new). */
typedef struct cotel_otlp_header {
  const char *name;  /**< header name */
  const char *value; /**< header value, sent as is */
} cotel_otlp_header;

/** Exporter options. Every string is borrowed and only needs to live until
 * cotel_otlp_exporter_new returns (it copies them). Strings that
 * cotel_otlp_options_from_env fills point into the environment. */
typedef struct cotel_otlp_options {
  /** Base URL; "/v1/traces" is appended (a trailing '/' is not doubled).
   * OTEL_EXPORTER_OTLP_ENDPOINT; default "http://localhost:4318", or
   * "http://localhost:4317" for grpc when left at that default. For grpc
   * the URL's scheme picks plain h2c (http) or TLS (https), and the path is
   * the gRPC method's. */
  const char *endpoint;
  /** Full URL, used exactly as given (for grpc: the scheme, host and port;
   * the method's path is appended); wins over `endpoint` when set.
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  const char *traces_endpoint;
  /** OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL: http/protobuf (default),
   * http/json or grpc. */
  cotel_otlp_protocol protocol;
  /** A "k1=v1,k2=v2" list with percent-encoded values, as in
   * OTEL_EXPORTER_OTLP_[TRACES_]HEADERS. May be NULL. */
  const char *headers_list;
  /** Headers from code; they replace same-named (case-insensitive) ones from
   * headers_list. */
  const cotel_otlp_header *headers;
  size_t n_headers; /**< number of entries in headers */
  /** OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION: "gzip" or "none" (default). */
  cotel_otlp_compression compression;
  /** Time budget of one export call, retries included, in ms.
   * OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT; default 10000. */
  uint32_t timeout_ms;
  /** PEM files: CA bundle to verify the server (default: the system's),
   * client certificate and key for mTLS.
   * OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE, _CLIENT_CERTIFICATE,
   * _CLIENT_KEY. */
  const char *certificate;
  const char *client_certificate; /**< PEM client certificate (mTLS) */
  const char *client_key;         /**< PEM client private key (mTLS) */
  /** Skip TLS certificate and host verification (https only). The spec
   * defines OTEL_EXPORTER_OTLP_[TRACES_]INSECURE for gRPC; cotel reads it
   * for both protocols with that meaning and logs a warning when it is
   * used. */
  bool insecure;
  /** Export calls in flight at once (cotel_exporter.max_concurrent);
   * default 2. */
  unsigned max_concurrent;
  /** A batch whose encoded request is larger is split into several requests
   * (a single span is always sent alone). 0 means no limit; default 4 MiB. */
  size_t max_request_bytes;
  /** Retry schedule: the n-th retry waits a random time in [d/2, d] with
   * d = min(initial * multiplier^(n-1), max), or the server's Retry-After.
   * Defaults 1000 ms, 5000 ms, 1.5 (as other OpenTelemetry SDKs).
   * max_attempts bounds the attempts (first one included) of one request;
   * default 5; 0 means unbounded (only the timeout stops retrying). */
  uint32_t retry_initial_backoff_ms;
  uint32_t retry_max_backoff_ms;   /**< cap on d; default 5000 */
  double retry_backoff_multiplier; /**< growth of d; default 1.5 */
  uint32_t retry_max_attempts;     /**< see above; default 5, 0: unbounded */
  /** cotel extension, the disk spool: a directory (created if missing, one
   * process at a time) where requests that could not be delivered are kept
   * as encoded OTLP records, then replayed in order once the endpoint
   * answers again, and at the next start. With a spool, a request is
   * retried from disk instead of memory: its first retryable failure spools
   * it, and while the spool holds anything new batches are appended behind
   * it (so a full queue does not drop them). NULL: no spool (the default).
   * COTEL_EXPORTER_OTLP_SPOOL_DIR. */
  const char *spool_dir;
  /** Bytes the spool's segment files may take; beyond it the oldest are
   * deleted and their spans counted in spool_spans_dropped. At least
   * 16 KiB. COTEL_EXPORTER_OTLP_SPOOL_MAX_BYTES (a number, optionally with
   * a K, M or G suffix); default 64 MiB. */
  uint64_t spool_max_bytes;
} cotel_otlp_options;

/** Fill *o with the defaults, then with every applicable OTEL_EXPORTER_OTLP_*
 * variable (the TRACES_ one wins over the general one). Invalid values: a
 * logged warning and the default. Allocates nothing. Thread-safe as long as
 * nobody changes the environment meanwhile. */
COTEL_API void cotel_otlp_options_from_env_sized(cotel_otlp_options *o,
                                                 size_t size);
/** cotel_otlp_options_from_env_sized with this build's sizeof. */
static inline void cotel_otlp_options_from_env(cotel_otlp_options *o) {
  cotel_otlp_options_from_env_sized(o, sizeof *o);
}

/** Fill *o (size bytes) with the defaults only (no environment). */
COTEL_API void cotel_otlp_options_default_sized(cotel_otlp_options *o,
                                                size_t size);
/** cotel_otlp_options_default_sized with this build's sizeof. */
static inline void cotel_otlp_options_default(cotel_otlp_options *o) {
  cotel_otlp_options_default_sized(o, sizeof *o);
}

/** Create an OTLP exporter (HTTP or gRPC, by o->protocol). `o` NULL means
 * cotel_otlp_options_from_env. The exporter needs the loop given to start()
 * (NULL: it runs a private loop and export blocks). Returns 0, COTEL_EINVAL
 * (bad URL scheme, bad option) or COTEL_ENOMEM. Hand the exporter to a
 * processor, which owns it. */
COTEL_API int cotel_otlp_exporter_new_sized(const cotel_otlp_options *o,
                                            size_t size, cotel_exporter **out);
/** cotel_otlp_exporter_new_sized with this build's sizeof (docs/abi.md). */
static inline int cotel_otlp_exporter_new(const cotel_otlp_options *o,
                                          cotel_exporter **out) {
  return cotel_otlp_exporter_new_sized(o, o ? sizeof *o : 0, out);
}

/** Same as cotel_otlp_exporter_new(NULL, out). */
COTEL_API int cotel_otlp_exporter_new_from_env(cotel_exporter **out);

/** The exporter's own counters. Exact: every span given to export() ends up
 * in exactly one of spans_exported, spans_failed or (with a spool)
 * spool_spans_pending. Spans a spool replays for an earlier process count
 * in spool_spans_replayed only, never in spans_exported. */
typedef struct cotel_otlp_stats {
  uint64_t spans_exported; /**< accepted by the receiver */
  uint64_t spans_failed;   /**< not delivered, or rejected (partial success) */
  uint64_t spans_rejected; /**< rejected_spans reported by partial successes */
  uint64_t partial_successes; /**< responses carrying a partial_success */
  uint64_t requests;          /**< HTTP (or gRPC) attempts started */
  uint64_t requests_failed;   /**< requests given up (after any retries) */
  uint64_t retries;           /**< attempts that were retries */
  uint64_t splits;            /**< export calls split for max_request_bytes */
  uint64_t bytes_sent;        /**< request bodies, after compression */
  /** The disk spool (all 0 without one). */
  uint64_t spool_spans_written;   /**< spans appended to the spool */
  uint64_t spool_spans_replayed;  /**< spooled spans delivered later */
  uint64_t spool_spans_recovered; /**< found at start, left by an earlier run */
  uint64_t spool_spans_dropped;   /**< deleted over the budget, or refused on
                                     replay (this run's are also failed) */
  uint64_t spool_spans_duplicated; /**< replayed although an earlier attempt may
                                      have reached the receiver */
  uint64_t spool_records_corrupt;  /**< torn or corrupt records skipped */
  uint64_t spool_spans_pending;    /**< this run's spans in the spool now */
  uint64_t spool_bytes;            /**< size of the spool's segments now */
  /** Of spans_failed, those whose last attempt sent the whole request and
   * got no complete answer (a timeout, a connection closed or a response
   * cut short): the receiver may have them after all. Every other failed
   * span is known not delivered. */
  uint64_t spans_failed_in_doubt;
} cotel_otlp_stats;

/** Read the counters of an exporter made by cotel_otlp_exporter_new into
 * *out, of `size` bytes (the caller's sizeof). COTEL_EINVAL for another
 * exporter. Thread-safe. */
COTEL_API int cotel_otlp_exporter_stats_sized(cotel_exporter *exp,
                                              cotel_otlp_stats *out,
                                              size_t size);
/** cotel_otlp_exporter_stats_sized with this build's sizeof. */
static inline int cotel_otlp_exporter_stats(cotel_exporter *exp,
                                            cotel_otlp_stats *out) {
  return cotel_otlp_exporter_stats_sized(exp, out, sizeof *out);
}

/** The URL requests go to (for diagnostics; owned by the exporter). */
COTEL_API const char *cotel_otlp_exporter_url(cotel_exporter *exp);

#ifdef __cplusplus
}
#endif
#endif
