/* Private to the OTLP exporter: where the disk spool (spool_export.c) hooks
 * into the exporter's lifecycle and requests. Every hook does nothing when
 * no spool is configured. Loop thread only, but _new, _free and the
 * counters. */
#ifndef COTEL_OTLP_SPOOL_HOOKS_H
#define COTEL_OTLP_SPOOL_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "exporter_internal.h"

/* Open the configured spool (a failure logs a warning: no spool). */
void cotel__otlp_spool_new(cotel__otlp_exporter *e);
void cotel__otlp_spool_free(cotel__otlp_exporter *e);
/* The loop is there: replay what an earlier run left. */
void cotel__otlp_spool_start(cotel__otlp_exporter *e);
/* A child after fork: the parent keeps the spool; the child goes without. */
void cotel__otlp_spool_forget(cotel__otlp_exporter *e);
/* Stop replaying (what is left stays on disk for the next start). */
void cotel__otlp_spool_shutdown(cotel__otlp_exporter *e);
void cotel__otlp_spool_close_handles(cotel__otlp_exporter *e);

/* A new request body of n spans: true when it went to the spool instead
 * (the spool holds older ones), and the caller must not send it. */
bool cotel__otlp_spool_divert(cotel__otlp_exporter *e, cotel__buf *body,
                              size_t n);
/* A retryable failure of r: true when the spool took it (r is finished). */
bool cotel__otlp_spool_retry(cotel__otlp_req *r, int64_t after_ms, int rc);
/* r ends undelivered with rc: true when its body is now in the spool. */
bool cotel__otlp_spool_absorb(cotel__otlp_exporter *e, cotel__otlp_req *r,
                              int rc);

/* This run's spans the spool dropped (added to spans_failed). */
uint64_t cotel__otlp_spool_failed(cotel__otlp_exporter *e);
void cotel__otlp_spool_stats(cotel__otlp_exporter *e, cotel_otlp_stats *out);

/* The request options every OTLP request shares (exporter_request.c). */
int cotel__otlp_easy_setup(cotel__otlp_exporter *e, cotel__http_req *h,
                           const cotel__buf *body);

#endif
