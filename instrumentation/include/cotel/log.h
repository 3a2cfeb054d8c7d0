/** @file
 * cotel: log correlation — the current trace_id, span_id and trace_flags in
 * any log line.
 *
 *     cotel_log_ids ids;
 *     cotel_log_ids_current(&ids);
 *     syslog(LOG_INFO, "%s order placed", cotel_log_sd(&ids, sd, sizeof sd));
 *
 * The ids are lowercase hex, as the W3C traceparent header and the
 * OpenTelemetry log data model write them (TraceId, SpanId, TraceFlags).
 * Nothing here allocates; everything is thread-safe (each thread reads its
 * own current context). */
#ifndef COTEL_LOG_H
#define COTEL_LOG_H

#include "cotel/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The ids of one span context as NUL-terminated lowercase hex. All three
 * are empty strings when there is no valid span context. */
typedef struct cotel_log_ids {
  char trace_id[33];   /**< 32 hex digits */
  char span_id[17];    /**< 16 hex digits */
  char trace_flags[3]; /**< 2 hex digits: the W3C trace-flags byte */
} cotel_log_ids;

/** Fill *out from the active span context of ctx (NULL: the current
 * context), local or remote. Returns 0, or COTEL_ENOTFOUND when the context
 * has no valid span context (then *out holds empty strings), COTEL_EINVAL
 * when out is NULL. No allocation, no lock. */
COTEL_API int cotel_log_ids_from_context(const cotel_context *ctx,
                                         cotel_log_ids *out);
/** cotel_log_ids_from_context(NULL, out): the current context's ids. */
COTEL_API int cotel_log_ids_current(cotel_log_ids *out);

/** The SD-ID of the RFC 5424 structured-data element cotel_log_sd writes by
 * default. RFC 5424 §6.3.2 requires a private SD-ID to be "name@<private
 * enterprise number>"; 32473 is the number reserved for documentation
 * (RFC 5612). A deployment with its own enterprise number passes its SD-ID
 * to cotel_log_sd_id. */
#define COTEL_LOG_SD_ID "otel@32473"

/** Buffer sizes that always suffice (NUL included): cotel_log_sd with the
 * default SD-ID, cotel_log_json. */
#define COTEL_LOG_SD_SIZE 112  /**< for cotel_log_sd (default SD-ID) */
#define COTEL_LOG_JSON_SIZE 96 /**< for cotel_log_json */

/** Write the ids as one RFC 5424 structured-data element (§6.3) into buf:
 *     [otel@32473 trace_id="<32 hex>" span_id="<16 hex>" trace_flags="01"]
 * or the empty string when the ids are empty. sd_id must be a valid SD-ID
 * (1 to 32 printable US-ASCII characters, none of '=', ' ', ']', '"').
 * Returns buf (for use as a printf argument); on a NULL argument, an
 * invalid sd_id or a buffer too small, buf (if cap > 0) holds "" and that
 * is returned (NULL only when buf is NULL). */
COTEL_API const char *cotel_log_sd_id(const cotel_log_ids *ids,
                                      const char *sd_id, char *buf, size_t cap);
/** cotel_log_sd_id with COTEL_LOG_SD_ID. */
COTEL_API const char *cotel_log_sd(const cotel_log_ids *ids, char *buf,
                                   size_t cap);

/** Write the ids as JSON object members named as the OpenTelemetry log data
 * model names them, without braces, for splicing into a JSON log line:
 *     "trace_id":"<32 hex>","span_id":"<16 hex>","trace_flags":"01"
 * or the empty string when the ids are empty. Same return convention as
 * cotel_log_sd. */
COTEL_API const char *cotel_log_json(const cotel_log_ids *ids, char *buf,
                                     size_t cap);

#ifdef __cplusplus
}
#endif
#endif
