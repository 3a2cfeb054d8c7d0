/** @file
 * cotel: W3C baggage, immutable and reference-counted. NULL is the empty
 * baggage. Set/remove return a new baggage (copy on write). */
#ifndef COTEL_BAGGAGE_H
#define COTEL_BAGGAGE_H

#include "cotel/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** W3C Baggage §3.3 (limits): we propagate up to 180 list-members (the
 * grammar's maximum; the spec requires at least 64) and up to 8192 bytes of
 * baggage-string. Members beyond either limit are dropped whole, never
 * truncated. The baggage object holds at most COTEL_BAGGAGE_MAX_MEMBERS
 * entries too (more could never be propagated, and a bound keeps every
 * operation's time and memory bounded): cotel_baggage_set of a new key on a
 * full baggage and cotel_baggage_from_entries with more distinct keys
 * return COTEL_EFULL. */
#define COTEL_BAGGAGE_MAX_MEMBERS 180 /**< list-members propagated and held */
#define COTEL_BAGGAGE_MAX_BYTES 8192  /**< baggage-string bytes propagated */

/** One entry as input to cotel_baggage_from_entries (borrowed views). */
typedef struct cotel_baggage_kv {
  cotel_str key;      /**< an RFC 7230 token */
  cotel_str value;    /**< decoded: any bytes */
  cotel_str metadata; /**< raw W3C properties, e.g. "p1;p2=v2"; may be empty */
} cotel_baggage_kv;

/** Take a reference; returns b (NULL-safe). Thread-safe (atomic count). */
COTEL_API cotel_baggage *cotel_baggage_retain(cotel_baggage *b);
/** Drop a reference; frees b with the last one. NULL is a no-op. */
COTEL_API void cotel_baggage_release(cotel_baggage *b);
/** Number of entries (0 for NULL). */
COTEL_API size_t cotel_baggage_count(const cotel_baggage *b);
/** Entry i in insertion order; metadata is the raw property string (may be
 * empty). Views are borrowed from b. */
COTEL_API int cotel_baggage_entry(const cotel_baggage *b, size_t i,
                                  cotel_str *key, cotel_str *value,
                                  cotel_str *metadata);
/** COTEL_ENOTFOUND when absent. */
COTEL_API int cotel_baggage_get(const cotel_baggage *b, cotel_str key,
                                cotel_str *value);
/** New baggage with key set (replacing an existing entry in place). */
COTEL_API int cotel_baggage_set(const cotel_baggage *b, cotel_str key,
                                cotel_str value, cotel_str metadata,
                                cotel_baggage **out);
/** New baggage without key (caller owns the reference); when key is absent,
 * *out is a new reference to b itself. */
COTEL_API int cotel_baggage_remove(const cotel_baggage *b, cotel_str key,
                                   cotel_baggage **out);
/** A new baggage from n entries in one allocation (keys repeated: the last
 * value wins, at the first one's position). *out is NULL when n == 0.
 * COTEL_EINVAL when a key is not a token or metadata is not a W3C property
 * list. Views returned by cotel_baggage_entry/get are NUL-terminated. */
COTEL_API int cotel_baggage_from_entries(const cotel_baggage_kv *entries,
                                         size_t n, cotel_baggage **out);
/** Grammar checks (W3C Baggage §3.3.1): key is an RFC 7230 token;
 * metadata is `property *( OWS ";" OWS property )` or empty. */
COTEL_API bool cotel_baggage_key_valid(cotel_str key);
/** True when metadata is a W3C property list or empty (see above). */
COTEL_API bool cotel_baggage_metadata_valid(cotel_str metadata);

/** Convenience on the current context: a new context with key=value in its
 * baggage (caller owns the reference). */
COTEL_API int cotel_context_set_baggage(cotel_context *parent, const char *key,
                                        const char *value, cotel_context **out);

#ifdef __cplusplus
}
#endif
#endif
