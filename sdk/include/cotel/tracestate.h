/* cotel: W3C tracestate, immutable and reference-counted. NULL is the empty
 * tracestate everywhere. Parsing from headers lives in the propagators. */
#ifndef COTEL_TRACESTATE_H
#define COTEL_TRACESTATE_H

#include "cotel/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COTEL_TRACESTATE_MAX_MEMBERS 32

cotel_tracestate *cotel_tracestate_retain(cotel_tracestate *ts);
void cotel_tracestate_release(cotel_tracestate *ts);
size_t cotel_tracestate_count(const cotel_tracestate *ts);
/* Member i (0 = left-most); borrowed views. */
int cotel_tracestate_entry(const cotel_tracestate *ts, size_t i,
                           cotel_str *key, cotel_str *value);
/* COTEL_ENOTFOUND when absent. */
int cotel_tracestate_get(const cotel_tracestate *ts, cotel_str key,
                         cotel_str *value);
/* New tracestate with key=value moved to the front (W3C §3.5: updated keys
 * move left); validates key and value grammar (COTEL_EINVAL). */
int cotel_tracestate_set(const cotel_tracestate *ts, cotel_str key,
                         cotel_str value, cotel_tracestate **out);
int cotel_tracestate_delete(const cotel_tracestate *ts, cotel_str key,
                            cotel_tracestate **out);
/* Parse one combined header value (several header lines joined by ","):
 * the W3C rules; invalid → COTEL_EPARSE and *out NULL. */
int cotel_tracestate_parse(const char *s, size_t len, cotel_tracestate **out);
/* Serialize; returns the length it needs (excluding NUL), writing at most
 * cap bytes including the NUL. */
size_t cotel_tracestate_format(const cotel_tracestate *ts, char *buf,
                               size_t cap);

#ifdef __cplusplus
}
#endif
#endif
