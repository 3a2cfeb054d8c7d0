/** @file
 * cotel: W3C tracestate, immutable and reference-counted. NULL is the empty
 * tracestate everywhere. Parsing from headers lives in the propagators. */
#ifndef COTEL_TRACESTATE_H
#define COTEL_TRACESTATE_H

#include "cotel/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/** W3C Trace Context §3.3.1 (current draft): at most 32 list-members; keys
 * of 1 to 256 characters, a lowercase letter or digit first, then
 * lowercase letters, digits and "_-*\/@" ("@" anywhere but first, any
 * number of times); values 1 to 256 printable characters. */
#define COTEL_TRACESTATE_MAX_MEMBERS 32
#define COTEL_TRACESTATE_MAX_KEY 256   /**< longest key, in characters */
#define COTEL_TRACESTATE_MAX_VALUE 256 /**< longest value, in characters */

/** Take a reference; returns ts (NULL-safe). Thread-safe (atomic count). */
COTEL_API cotel_tracestate *cotel_tracestate_retain(cotel_tracestate *ts);
/** Drop a reference; frees ts with the last one. NULL is a no-op. */
COTEL_API void cotel_tracestate_release(cotel_tracestate *ts);
/** Number of list-members (0 for NULL). */
COTEL_API size_t cotel_tracestate_count(const cotel_tracestate *ts);
/** Member i (0 = left-most); borrowed views. */
COTEL_API int cotel_tracestate_entry(const cotel_tracestate *ts, size_t i,
                                     cotel_str *key, cotel_str *value);
/** COTEL_ENOTFOUND when absent. */
COTEL_API int cotel_tracestate_get(const cotel_tracestate *ts, cotel_str key,
                                   cotel_str *value);
/** New tracestate with key=value moved to the front (W3C §3.5: updated keys
 * move left); validates key and value grammar (COTEL_EINVAL). */
COTEL_API int cotel_tracestate_set(const cotel_tracestate *ts, cotel_str key,
                                   cotel_str value, cotel_tracestate **out);
/** New tracestate without key (caller owns the reference); when key is
 * absent, *out is a new reference to ts itself (NULL when ts is NULL). */
COTEL_API int cotel_tracestate_delete(const cotel_tracestate *ts, cotel_str key,
                                      cotel_tracestate **out);
/** Parse one combined header value (several header lines joined by ","):
 * the W3C rules (current draft); invalid (a bad member, more than 32
 * members) → COTEL_EPARSE and *out NULL; empty members are skipped, and a
 * header with nothing else is valid and empty (0, *out NULL). A repeated
 * key keeps its left-most entry and drops the others (the draft lets a
 * receiver keep one of them), so keys are always unique. We keep all
 * of a valid tracestate (at most 32 members of 513 characters), so the
 * §3.3.1.5 truncation beyond 512 characters never applies. */
COTEL_API int cotel_tracestate_parse(const char *s, size_t len,
                                     cotel_tracestate **out);
/** Serialize; returns the length it needs (excluding NUL). When that does
 * not fit in cap bytes (NUL included) buf gets "" rather than a truncated
 * list. */
COTEL_API size_t cotel_tracestate_format(const cotel_tracestate *ts, char *buf,
                                         size_t cap);
/** The serialized form ("k1=v1,k2=v2", no OWS) as a view borrowed from ts
 * (NUL-terminated; {"", 0} for NULL). No copy: inject sends it as is. */
COTEL_API cotel_str cotel_tracestate_str(const cotel_tracestate *ts);
/** True when key / value match the W3C grammar (§3.3.1.3, current draft). */
COTEL_API bool cotel_tracestate_key_valid(cotel_str key);
/** True when value matches the W3C value grammar (see above). */
COTEL_API bool cotel_tracestate_value_valid(cotel_str value);

#ifdef __cplusplus
}
#endif
#endif
